package promote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
)

// releaseOf makes n functions, each with version 1 behind prod and new code.
func releaseOf(n int) (*fakeAccount, config.Config) {
	var fns []*fakeLambda
	cfg := base()
	cfg.Functions = nil
	for i := range n {
		f := newFake().withVersions(1).withAlias("prod", "1", nil, "")
		f.name = fmt.Sprintf("fn%d", i+1)
		f.newCode()
		fns = append(fns, f)
		cfg.Functions = append(cfg.Functions, f.name)
	}
	cfg.FunctionName = cfg.Functions[0]
	return newAccount(fns...), cfg
}

// routes is every function's alias, in order: "2 2 2".
func (a *fakeAccount) routes() string {
	var r []string
	for _, n := range a.names {
		r = append(r, a.fns[n].route("prod"))
	}
	return strings.Join(r, " ")
}

func (a *fakeAccount) deps() Deps {
	return Deps{Lambda: a, Clock: &autoClock{now: t0}}
}

func TestReleaseMovesTogether(t *testing.T) {
	t.Parallel()
	a, cfg := releaseOf(3)
	cfg.Steps = []percent.Percent{10, 50, 100}
	var (
		mu   sync.Mutex
		seen []string
	)
	for _, n := range a.names {
		f := a.fns[n]
		f.onCall = func(op string, _ int) {
			if op == "GetAlias" {
				mu.Lock()
				seen = append(seen, a.routes()) // what the drift check before a step sees
				mu.Unlock()
			}
		}
	}
	res := Process(context.Background(), cfg, a.deps())
	if res.Status != outcome.Promoted || a.routes() != "2 2 2" {
		t.Fatalf("status %s (%s), aliases %s; want promoted, all on 2", res.Status, res.Error, a.routes())
	}
	// Before each step every alias stands at the same weight: the release
	// never walks one function ahead of the others.
	for _, r := range seen {
		if f := strings.Fields(r); f[0] != f[1] || f[1] != f[2] {
			t.Errorf("the aliases stood apart before a step: %s", r)
		}
	}
	if len(res.Functions) != 3 || res.Functions[2].Version != "2" || res.Functions[2].PreviousVersion != "1" {
		t.Errorf("functions = %+v", res.Functions)
	}
	if res.FunctionName != "" || res.Version != "" {
		t.Errorf("a release of several sets one function's fields: %q %q", res.FunctionName, res.Version)
	}
	if res.AliasState != "all 3 aliases prod serve their new versions with no weights" {
		t.Errorf("alias now %q", res.AliasState)
	}
}

// A failure at function k at step s puts every alias back on stable.
func TestReleaseAllOrNothing(t *testing.T) {
	t.Parallel()
	for k := 1; k <= 3; k++ {
		for s := 1; s <= 3; s++ {
			t.Run(fmt.Sprintf("function %d step %d", k, s), func(t *testing.T) {
				t.Parallel()
				a, cfg := releaseOf(3)
				cfg.Steps = []percent.Percent{10, 50, 100}
				a.fns[fmt.Sprintf("fn%d", k)].fail = func(op string, n int) error {
					if op == "UpdateAlias" && n == s {
						return errors.New("InternalError: try again")
					}
					return nil
				}
				res := Process(context.Background(), cfg, a.deps())
				if res.Status != outcome.RolledBack || a.routes() != "1 1 1" {
					t.Fatalf("status %s, aliases %s; want rolled-back, all on 1 (error: %s)", res.Status, a.routes(), res.Error)
				}
				if !strings.Contains(res.Error, fmt.Sprintf("fn%d: ", k)) || res.Succeeded() {
					t.Errorf("error %q does not name fn%d, or the run succeeded", res.Error, k)
				}
				if res.AliasState != "all 3 aliases prod are back on their stable versions with no weights" {
					t.Errorf("alias now %q", res.AliasState)
				}
			})
		}
	}
}

// Someone moves one alias by hand: the others go back, that one is left as
// found and named.
func TestReleaseDrift(t *testing.T) {
	t.Parallel()
	a, cfg := releaseOf(3)
	cfg.Steps = []percent.Percent{10, 50, 100}
	f2 := a.fns["fn2"]
	moved := false
	f2.onCall = func(op string, _ int) {
		if op == "GetAlias" && f2.count("UpdateAlias") == 1 && !moved {
			moved = true
			f2.moveBySomeoneElse("prod", "2")
		}
	}
	res := Process(context.Background(), cfg, a.deps())
	if res.Status != outcome.Failed || a.routes() != "1 2 1" {
		t.Fatalf("status %s, aliases %s; want failed, fn2 left on 2, the others on 1 (%s)", res.Status, a.routes(), res.Error)
	}
	if !strings.Contains(res.AliasState, "fn2: prod serves 2 with no weights; lambda-promote left it as it is") {
		t.Errorf("alias now %q does not name fn2 as left", res.AliasState)
	}
	if res.Functions[0].Status != outcome.RolledBack || res.Functions[1].Status != outcome.Failed {
		t.Errorf("statuses %s %s", res.Functions[0].Status, res.Functions[1].Status)
	}
}

// A check failing on one function publishes nothing anywhere.
func TestReleaseCheckFailsNothingPublished(t *testing.T) {
	t.Parallel()
	a, cfg := releaseOf(3)
	cfg.Steps = []percent.Percent{10, 100}
	a.fns["fn3"].latest.role = "another-role" // weighted routing needs the same role
	res := Process(context.Background(), cfg, a.deps())
	if res.Status != outcome.Failed || !strings.Contains(res.Error, "fn3: ") || !strings.Contains(res.Error, "same execution role") {
		t.Fatalf("status %s, error %q", res.Status, res.Error)
	}
	for _, n := range a.names {
		if c := a.fns[n].changes(); c != 0 {
			t.Errorf("%s: %d changing calls, want none", n, c)
		}
	}
}

// A cancelled job puts every alias back, and the run says once that the
// job was cancelled: the reads the cancel cut short are not failures.
func TestReleaseCancel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fn   string // whose call cancels the job
		op   string
		n    int
	}{
		{"while moving", "fn3", "UpdateAlias", 2},
		{"while reading the aliases", "fn2", "GetAlias", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, cfg := releaseOf(4)
			cfg.Steps = []percent.Percent{10, 50, 100}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a.fns[tc.fn].onCall = func(op string, n int) {
				if op == tc.op && n == tc.n {
					cancel()
				}
			}
			res := Process(ctx, cfg, a.deps())
			if res.Status != outcome.RolledBack || a.routes() != "1 1 1 1" || res.Succeeded() {
				t.Fatalf("status %s, aliases %s (%s)", res.Status, a.routes(), res.Error)
			}
			if moved := a.fns[tc.fn].count("UpdateAlias"); moved < 2 {
				t.Errorf("%s: %d moves; want the step's and the one back", tc.fn, moved)
			}
			const want = "the job was cancelled"
			if res.Error != want {
				t.Errorf("error %q, want %q once", res.Error, want)
			}
			for _, fr := range res.Functions {
				if fr.Error != want || fr.Status != outcome.RolledBack {
					t.Errorf("%s: %s, error %q", fr.FunctionName, fr.Status, fr.Error)
				}
			}
			if !strings.HasPrefix(res.Next, "nothing is needed") {
				t.Errorf("next %q", res.Next)
			}
		})
	}
}

// A release's held canary, then its finalize and its rollback.
func TestReleaseHeldCanary(t *testing.T) {
	t.Parallel()
	a, cfg := releaseOf(2)
	cfg.TrafficWeight = ptr(10)
	res := Process(context.Background(), cfg, a.deps())
	if res.Status != outcome.Canary || a.routes() != "1+2@0.1 1+2@0.1" || res.TrafficWeight != 10 {
		t.Fatalf("hold: status %s, aliases %s (%s)", res.Status, a.routes(), res.Error)
	}
	undo := cfg
	undo.TrafficWeight, undo.Rollback = nil, true
	res = Process(context.Background(), undo, a.deps())
	if res.Status != outcome.RolledBack || !res.Succeeded() || a.routes() != "1 1" {
		t.Fatalf("rollback: status %s, aliases %s (%s)", res.Status, a.routes(), res.Error)
	}
}

// A release in which one function is deployed for the first time: its
// alias is created on the new version (there is nothing to shift from).
// When another function then fails, the others go back to their stable
// versions; the new alias has no stable version and stays, and the result
// says so.
func TestReleaseFailureWithAFirstDeploy(t *testing.T) {
	t.Parallel()
	a, cfg := releaseOf(3)
	delete(a.fns["fn2"].aliases, "prod")
	cfg.Steps = []percent.Percent{10, 50, 100}
	a.fns["fn3"].fail = func(op string, n int) error {
		if op == "UpdateAlias" && n == 2 {
			return errors.New("InternalError: try again")
		}
		return nil
	}
	res := Process(context.Background(), cfg, a.deps())
	if res.Status != outcome.RolledBack || a.routes() != "1 2 1" || res.Succeeded() {
		t.Fatalf("status %s, aliases %s; want rolled-back, fn2 on its only version 2 (error: %s)", res.Status, a.routes(), res.Error)
	}
	// The error is fn3's own; fn1 says in its row that it followed.
	if want := "fn3: move alias prod to 1 with 50% on 2: InternalError: try again"; res.Error != want {
		t.Errorf("error %q, want %q", res.Error, want)
	}
	if got := res.Functions[0].Error; !strings.HasPrefix(got, "rolled back with the release: ") {
		t.Errorf("fn1's error %q", got)
	}
	if fr := res.Functions[1]; !fr.AliasCreated || fr.Version != "2" || fr.AliasState != "prod serves 2 with no weights" {
		t.Errorf("fn2 = %+v; want its new alias on 2, said so", fr)
	}
	if !strings.Contains(res.AliasState, "fn2: prod serves 2 with no weights") {
		t.Errorf("alias now %q does not say where fn2's new alias is", res.AliasState)
	}
}
