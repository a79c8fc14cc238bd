package e2e

import (
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

func TestRolloutObservedAtEachWeight(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "observed")
	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "steps": "10,50,100", "interval": "2s"}, Options{})
	if r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	if diff := cmp.Diff([]string{"1+2@0.1", "1+2@0.5", "2"}, moves(t, r.Proxy)); diff != "" {
		t.Errorf("moves of the alias (-want +got):\n%s", diff)
	}
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "2" {
		t.Errorf("alias routes %s, want 2", got)
	}
	// Lambda's control-plane quota is 15 requests per second per account
	// and Region, shared with everything else the account runs.
	if st := r.Proxy.RealismStats(); st.Throttled != 0 || st.BusiestSecond.ControlPlane > 10 {
		t.Errorf("%d requests throttled, %d control-plane requests in the busiest second: want none, and at most 10", st.Throttled, st.BusiestSecond.ControlPlane)
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
	alarm := w.Function + "-5xx"
	must(t, srv.CreateAlarm(ctx, alarm))
	must(t, srv.SetAlarmState(ctx, alarm, "OK"))
	p := realProxy(t, srv.URL)
	// The alarm fires once 10% is on version 2, as the run next reads it.
	fired := afterMove(p, "DescribeAlarms", func() {
		if err := srv.SetAlarmState(ctx, alarm, "ALARM"); err != nil {
			t.Errorf("set the alarm: %v", err)
		}
	})
	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "steps": "10,100", "interval": "3s", "alarms": alarm},
		Options{Proxy: p})
	if !fired() {
		t.Fatal("the run never read its alarms after the first move")
	}
	if diff := cmp.Diff([]string{"1+2@0.1", "1"}, moves(t, p)); diff != "" {
		t.Errorf("moves of the alias (-want +got):\n%s", diff)
	}
	wantRolledBack(t, srv, w, r, alarm)
}

func TestErrorRateRollsBack(t *testing.T) {
	t.Parallel()
	skipLong(t, "its gate waits for CloudWatch's next minute")
	srv, w := world(t, "erring")
	// Half of what reaches version 2 fails; version 1 is healthy. The
	// traffic follows the alias, and its metrics reach CloudWatch late.
	traffic(t, srv, moto.Traffic{Function: w.Function, Alias: "prod", PerTick: 20, ErrorRate: map[string]float64{"2": 0.5}})
	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "steps": "10,100", "interval": "3s", "max-error-rate": "2%"}, Options{})
	wantRolledBack(t, srv, w, r, "error rate")
	if diff := cmp.Diff([]string{"1+2@0.1", "1"}, moves(t, r.Proxy)); diff != "" {
		t.Errorf("moves of the alias (-want +got):\n%s", diff)
	}
}

func TestCancelledJobRollsBack(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "cancelled")
	p := realProxy(t, srv.URL)
	// The job is cancelled once Lambda has answered the move to 10%, as the
	// step bakes. signalled is written by Wait, which runAction waits for.
	var signalled time.Time
	cancelAtTen := func(ctx context.Context, cmd *exec.Cmd) {
		if _, ok := p.Answered(ctx, "UpdateAlias", 1); ok {
			signalled = cancelJob(cmd)
		}
	}
	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "steps": "10,100", "interval": "5m"},
		Options{Proxy: p, Wait: cancelAtTen})
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
	// A rollback asked for that completes exits 0.
	r = runAction(t, srv, with("rollback", "true"), Options{})
	if r.Code != 0 {
		t.Errorf("rollback: exit %d, want 0: the rollback was asked for and completed", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "rolled-back", "version": "1", "previous-version": "2", "traffic-weight": "0"})
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "1" {
		t.Fatalf("rolled back alias routes %s", got)
	}

	// A held canary is undone by rollback too, and by traffic-weight 0.
	for i, undo := range []map[string]string{with("rollback", "true"), with("traffic-weight", "0")} {
		must(t, srv.UpdateCode(context.Background(), w.Function))
		if r = runAction(t, srv, with("traffic-weight", "25"), Options{}); r.Code != 0 {
			t.Fatalf("hold %d: exit %d", i+2, r.Code)
		}
		canary := r.Outputs["version"]
		if got := aliasRoute(t, srv, w.Function, "prod"); got != "1+"+canary+"@0.25" {
			t.Fatalf("hold %d routes %s", i+2, got)
		}
		r = runAction(t, srv, undo, Options{})
		if r.Code != 0 {
			t.Errorf("undo %v: exit %d, want 0: the rollback was asked for and completed", undo, r.Code)
		}
		wantOutputs(t, r, map[string]string{"status": "rolled-back", "version": "1"})
		if got := aliasRoute(t, srv, w.Function, "prod"); got != "1" {
			t.Fatalf("undone canary routes %s", got)
		}
	}
}

// wantRolledBack checks that a run that a gate, an error or a cancel rolled
// back exited 1 with the alias fully back on version 1 and outputs and
// summary saying so.
func wantRolledBack(t *testing.T, srv *moto.Server, w moto.World, r Run, why string) {
	t.Helper()
	if r.Code != 1 {
		t.Errorf("exit %d, want 1: a rollback the run did not ask for", r.Code)
	}
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "1" {
		t.Errorf("alias routes %s, want 1 with no weights", got)
	}
	wantOutputs(t, r, map[string]string{"status": "rolled-back", "version": "1", "traffic-weight": "0"})
	if !strings.Contains(r.Summary, why) || !strings.Contains(r.Summary, "rolled back") {
		t.Errorf("summary does not say it rolled back because of %q:\n%s", why, r.Summary)
	}
}

// cancelJob cancels the job as the runner does, with SIGINT and then
// SIGTERM, and returns when the first signal was sent. The runner sends
// SIGTERM 7.5 s after SIGINT; here it comes sooner, while the rollback runs.
func cancelJob(cmd *exec.Cmd) time.Time {
	at := time.Now()
	_ = cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(20 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	return at
}

// skipLong skips a test under -short, saying why it is long.
func skipLong(t *testing.T, why string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("long (%s): skipped under -short", why)
	}
}
