package e2e

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// watcher polls an alias while the binary runs and records every distinct
// route it saw, in order. When a route first appears, on[route] is called.
type watcher struct {
	mu     sync.Mutex
	seen   []string
	on     map[string]func(cmd *exec.Cmd)
	period time.Duration
}

func (w *watcher) routes() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.seen)
}

// watch returns an Options.Wait function that polls until the process ends.
func (w *watcher) watch(t *testing.T, srv *moto.Server, fn, alias string) func(*exec.Cmd) {
	return func(cmd *exec.Cmd) {
		for {
			route := aliasRoute(t, srv, fn, alias)
			w.mu.Lock()
			fresh := len(w.seen) == 0 || w.seen[len(w.seen)-1] != route
			if fresh {
				w.seen = append(w.seen, route)
			}
			w.mu.Unlock()
			if fresh && w.on[route] != nil {
				w.on[route](cmd)
			}
			if processDone(cmd) {
				return
			}
			time.Sleep(w.period)
		}
	}
}

// processDone reports whether the process has been waited for. It does not
// read cmd.ProcessState, which Wait writes in another goroutine.
func processDone(cmd *exec.Cmd) bool {
	if cmd.Process == nil {
		return true
	}
	return cmd.Process.Signal(syscall.Signal(0)) != nil
}

func TestRolloutObservedAtEachWeight(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "observed")
	obs := &watcher{period: 100 * time.Millisecond}
	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "steps": "10,50,100", "interval": "2s"},
		Options{Wait: obs.watch(t, srv, w.Function, "prod")})
	if r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	if diff := cmp.Diff([]string{"1", "1+2@0.1", "1+2@0.5", "2"}, obs.routes()); diff != "" {
		t.Errorf("routes seen (-want +got):\n%s", diff)
	}
	wantOutputs(t, r, map[string]string{"status": "promoted", "version": "2", "previous-version": "1", "traffic-weight": "100"})
	for _, want := range []string{"Traffic timeline", "| 10% |", "| 50% |", "| 100% |"} {
		if !strings.Contains(r.Summary, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
}

func TestAlarmMidRolloutRollsBack(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "alarmed")
	ctx := context.Background()
	must(t, srv.CreateAlarm(ctx, "alarmed-5xx"))
	must(t, srv.SetAlarmState(ctx, "alarmed-5xx", "OK"))
	obs := &watcher{period: 100 * time.Millisecond, on: map[string]func(*exec.Cmd){
		"1+2@0.1": func(*exec.Cmd) { must(t, srv.SetAlarmState(ctx, "alarmed-5xx", "ALARM")) },
	}}
	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "steps": "10,100", "interval": "3s", "alarms": "alarmed-5xx"},
		Options{Wait: obs.watch(t, srv, w.Function, "prod")})
	wantRolledBack(t, srv, w, r, "alarmed-5xx")
}

func TestErrorRateRollsBack(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "erring")
	ctx := context.Background()
	obs := &watcher{period: 100 * time.Millisecond, on: map[string]func(*exec.Cmd){
		"1+2@0.1": func(*exec.Cmd) { must(t, srv.PutLambdaMetrics(ctx, w.Function, "prod", "2", 5, 10)) },
	}}
	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "steps": "10,100", "interval": "3s", "max-error-rate": "2%"},
		Options{Wait: obs.watch(t, srv, w.Function, "prod")})
	wantRolledBack(t, srv, w, r, "error rate")
}

func TestCancelledJobRollsBack(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "cancelled")
	var signalled time.Time
	obs := &watcher{period: 50 * time.Millisecond, on: map[string]func(*exec.Cmd){
		// The runner cancels a job with SIGINT, then SIGTERM 7.5 s later;
		// here the second signal comes sooner, while the rollback runs.
		"1+2@0.1": func(cmd *exec.Cmd) {
			signalled = time.Now()
			_ = cmd.Process.Signal(syscall.SIGINT)
			time.Sleep(20 * time.Millisecond)
			_ = cmd.Process.Signal(syscall.SIGTERM)
		},
	}}
	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "steps": "10,100", "interval": "5m"},
		Options{Wait: obs.watch(t, srv, w.Function, "prod")})
	if signalled.IsZero() {
		t.Fatal("the rollout never reached 10%")
	}
	if took := time.Since(signalled); took > time.Minute {
		t.Errorf("the run took %s after the signal", took)
	}
	wantRolledBack(t, srv, w, r, "cancelled")
}

func TestHoldFinalizeAndRollback(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "held")
	base := map[string]string{"function-name": w.Function, "alias": "prod"}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for key, val := range base {
			m[key] = val
		}
		return m
	}

	r := runAction(t, srv, with("traffic-weight", "10"), Options{})
	if r.Code != 0 {
		t.Fatalf("hold: exit %d", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "canary", "version": "2", "previous-version": "1", "traffic-weight": "10"})
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "1+2@0.1" {
		t.Fatalf("held canary routes %s", got)
	}

	r = runAction(t, srv, with("traffic-weight", "100"), Options{})
	if r.Code != 0 {
		t.Fatalf("finalize: exit %d", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "promoted", "version": "2", "traffic-weight": "100"})
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "2" {
		t.Fatalf("finalized alias routes %s", got)
	}

	// Rollback after a full promotion goes back to the recorded version.
	r = runAction(t, srv, with("rollback", "true"), Options{})
	if r.Code == 0 {
		t.Errorf("rollback exits 0; the contract says non-zero for rolled-back")
	}
	wantOutputs(t, r, map[string]string{"status": "rolled-back", "version": "1", "previous-version": "2", "traffic-weight": "0"})
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "1" {
		t.Fatalf("rolled back alias routes %s", got)
	}

	// A held canary is undone by rollback too.
	must(t, srv.UpdateCode(context.Background(), w.Function))
	if r = runAction(t, srv, with("traffic-weight", "25"), Options{}); r.Code != 0 {
		t.Fatalf("second hold: exit %d", r.Code)
	}
	r = runAction(t, srv, with("rollback", "true"), Options{})
	wantOutputs(t, r, map[string]string{"status": "rolled-back", "version": "1"})
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "1" {
		t.Fatalf("undone canary routes %s", got)
	}
}

// wantRolledBack checks that a run ended non-zero with the alias fully back
// on version 1 and outputs and summary saying so.
func wantRolledBack(t *testing.T, srv *moto.Server, w moto.World, r Run, why string) {
	t.Helper()
	if r.Code == 0 {
		t.Errorf("exit 0, want non-zero")
	}
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "1" {
		t.Errorf("alias routes %s, want 1 with no weights", got)
	}
	wantOutputs(t, r, map[string]string{"status": "rolled-back", "version": "1", "traffic-weight": "0"})
	if !strings.Contains(r.Summary, why) || !strings.Contains(r.Summary, "rolled back") {
		t.Errorf("summary does not say it rolled back because of %q:\n%s", why, r.Summary)
	}
}
