package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// moto ignores the RevisionId of UpdateAlias, so on moto the only guard
// against someone else's move is the one lambda-promote makes itself: it
// reads the alias again before every step. These tests take that guard at
// its word; the last one also plays Lambda's revision check through the
// fault proxy.

// raceVersions publishes the new code of a world as version 2, and new code
// again as version 3.
func raceVersions(t *testing.T, srv *moto.Server, fn string) {
	t.Helper()
	ctx := context.Background()
	v2, err := srv.Publish(ctx, fn)
	must(t, err)
	must(t, srv.UpdateCode(ctx, fn))
	v3, err := srv.Publish(ctx, fn)
	must(t, err)
	if v2 != "2" || v3 != "3" {
		t.Fatalf("published %s and %s, want 2 and 3", v2, v3)
	}
}

// raceMove moves an alias by hand, as a person with the aws CLI would.
func raceMove(srv *moto.Server, fn, version string, weights map[string]float64) error {
	in := &lambda.UpdateAliasInput{
		FunctionName:    aws.String(fn),
		Name:            aws.String("prod"),
		FunctionVersion: aws.String(version),
		RoutingConfig:   &ltypes.AliasRoutingConfiguration{AdditionalVersionWeights: weights},
	}
	if weights == nil {
		in.RoutingConfig.AdditionalVersionWeights = map[string]float64{}
	}
	_, err := srv.Lambda().UpdateAlias(context.Background(), in)
	return err
}

// TestRaceTwoPromotions starts two promotions of the same alias together,
// one to version 2 and one to version 3: one must win, the other stop
// without overwriting it and say why, and the alias must end whole.
func TestRaceTwoPromotions(t *testing.T) {
	t.Parallel()
	// A few rounds: which one wins depends on timing.
	const rounds = 3
	var wg sync.WaitGroup
	for round := range rounds {
		wg.Go(func() {
			t.Run(fmt.Sprintf("round%d", round+1), func(t *testing.T) {
				raceTwo(t, fmt.Sprintf("racetwo%d", round+1))
			})
		})
	}
	wg.Wait()
}

func raceTwo(t *testing.T, fn string) {
	srv, w := world(t, fn)
	raceVersions(t, srv, w.Function)

	versions := []string{"2", "3"}
	runs := make([]Run, len(versions))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, v := range versions {
		wg.Go(func() {
			t.Run("version"+v, func(t *testing.T) {
				<-start
				runs[i] = runAction(t, srv, map[string]string{
					"function-name": w.Function, "alias": "prod", "version": v, "steps": "10,100", "interval": "1s",
				}, Options{})
			})
		})
	}
	close(start)
	wg.Wait()

	route := aliasRoute(t, srv, w.Function, "prod")
	if route != "2" && route != "3" {
		t.Fatalf("the alias routes %s, want 2 or 3 with no weights", route)
	}
	var winners, losers []int
	for i, r := range runs {
		if r.Code == 0 {
			winners = append(winners, i)
		} else {
			losers = append(losers, i)
		}
	}
	if len(winners) != 1 || len(losers) != 1 {
		t.Fatalf("exit codes %d and %d, want one 0 and one non-zero", runs[0].Code, runs[1].Code)
	}
	win, lose := runs[winners[0]], runs[losers[0]]
	t.Logf("version %s won, version %s stopped; the alias routes %s", versions[winners[0]], versions[losers[0]], route)
	if route != versions[winners[0]] {
		t.Errorf("the alias routes %s, but the run that promoted %s won", route, versions[winners[0]])
	}
	wantOutputs(t, win, map[string]string{"status": "promoted", "version": route})
	wantOutputs(t, lose, map[string]string{"status": "failed"})
	// The loser either saw the winner's move mid-rollout, or, when it read
	// the alias after the winner's first step, refused to start over a
	// canary of another version. Both stop it before it overwrites anything.
	msg := lose.Stdout + lose.Summary
	if !strings.Contains(msg, "someone else") && !strings.Contains(msg, "canary of version "+versions[winners[0]]+" in progress") {
		t.Errorf("the losing run does not say someone else moved the alias:\n%s", lose.Summary)
	}
	if now := fsAliasNow(lose.Summary); !fsSays(now, route) && !strings.Contains(now, "left it as it is") {
		t.Errorf("the losing run's Alias now line %q does not say where the alias is", now)
	}
}

// TestRaceMovedByHand moves the alias by hand while a rollout holds 10%:
// the run must stop without overwriting the change, fail, say someone else
// moved it, and the alias must stay as the hand set it.
func TestRaceMovedByHand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		version string
		weights map[string]float64
		want    string // aliasRoute after the run
	}{
		{"back to 1", "1", nil, "1"},
		{"on to 3", "3", nil, "3"},
		{"canary raised to 30%", "1", map[string]float64{"2": 0.3}, "1+2@0.3"},
	}
	var wg sync.WaitGroup
	for i, tc := range tests {
		wg.Go(func() {
			t.Run(tc.name, func(t *testing.T) {
				srv, w := world(t, fmt.Sprintf("racehand%d", i+1))
				raceVersions(t, srv, w.Function)
				p := realProxy(t, srv.URL)
				// The hand move lands while 10% bakes: just before the run
				// reads the alias again to take its next step.
				var movesBefore atomic.Int64
				moved := afterMove(p, "GetAlias", func() {
					movesBefore.Store(int64(p.Count("UpdateAlias")))
					if err := raceMove(srv, w.Function, tc.version, tc.weights); err != nil {
						t.Errorf("move by hand: %v", err)
					}
				})
				r := runAction(t, srv, map[string]string{
					"function-name": w.Function, "alias": "prod", "version": "2", "steps": "10,50,100", "interval": "2s",
				}, Options{Proxy: p})
				raceWantLeft(t, srv, w.Function, r, tc.want)
				if !moved() {
					t.Fatal("the rollout never read the alias after its first move")
				}
				if n, after := movesBefore.Load(), int64(p.Count("UpdateAlias")); after != n {
					t.Errorf("the run moved the alias %d more time(s) after the hand move", after-n)
				}
			})
		})
	}
	wg.Wait()
}

// TestRaceMovedBetweenCheckAndMove moves the alias by hand in the instant
// between the run's last read and its next move, where only Lambda's
// revision check can catch it. moto has none, so the proxy answers the
// run's stale move 412 PreconditionFailedException as Lambda would.
func TestRaceMovedBetweenCheckAndMove(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "racewindow")
	raceVersions(t, srv, w.Function)
	p := realProxy(t, srv.URL)
	p.Inject("UpdateAlias", 2, faultproxy.PreconditionFailed)
	var moved atomic.Bool
	p.OnRequest(func(op faultproxy.Op, attempt int) {
		if op.Name == "UpdateAlias" && attempt == 2 {
			if err := raceMove(srv, w.Function, "3", nil); err != nil {
				t.Errorf("move by hand: %v", err)
			}
			moved.Store(true)
		}
	})
	r := runAction(t, srv, map[string]string{
		"function-name": w.Function, "alias": "prod", "version": "2", "steps": "10,50,100", "interval": "1s",
	}, Options{Proxy: p})
	if !moved.Load() {
		t.Fatal("the run never made its second move")
	}
	raceWantLeft(t, srv, w.Function, r, "3")
	if n := p.Count("UpdateAlias"); n != 2 {
		t.Errorf("%d UpdateAlias calls, want 2: none after Lambda refused the stale one", n)
	}
}

// raceWantLeft checks that a run stopped without touching an alias that
// someone else moved to want.
func raceWantLeft(t *testing.T, srv *moto.Server, fn string, r Run, want string) {
	t.Helper()
	if r.Code == 0 {
		t.Errorf("exit 0, want non-zero: the run did not finish")
	}
	if got := aliasRoute(t, srv, fn, "prod"); got != want {
		t.Errorf("the alias routes %s, want %s as the hand set it", got, want)
	}
	wantOutputs(t, r, map[string]string{"status": "failed"})
	if !strings.Contains(r.Stdout, "someone else") || !strings.Contains(r.Summary, "someone else") {
		t.Errorf("the run does not say someone else moved the alias:\n%s", r.Summary)
	}
	now := fsAliasNow(r.Summary)
	if !fsSays(now, want) || !strings.Contains(now, "left it as it is") {
		t.Errorf("Alias now line %q does not say the alias serves %s and was left alone", now, want)
	}
}
