package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// Rollouts that outlive the job: each run of the built binary does what is
// due and exits, the schedule compressed to seconds.

// detached are the inputs of a detached 10/50/100 rollout with steps of
// interval.
func detached(w moto.World, interval string, more ...string) map[string]string {
	in := map[string]string{"function-name": w.Function, "alias": w.Alias, "steps": "10,50,100", "interval": interval, "detach": "true"}
	for i := 0; i+1 < len(more); i += 2 {
		in[more[i]] = more[i+1]
	}
	return in
}

// untilDue sleeps until the time a run's next-step-at output names.
func untilDue(t *testing.T, r Run) {
	t.Helper()
	at, err := time.Parse(time.RFC3339, r.Outputs["next-step-at"])
	if err != nil {
		t.Fatalf("next-step-at %q: %v", r.Outputs["next-step-at"], err)
	}
	// RFC 3339 keeps whole seconds: a second more is surely past it.
	time.Sleep(time.Until(at) + time.Second)
}

// A whole schedule driven to 100 % only by repeated runs, with runs before
// a step is due changing nothing.
func TestDetachedRolloutByRepeatedRuns(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "detached")
	in := detached(w, "3s")

	start := runAction(t, srv, in, Options{})
	if start.Code != 0 || start.Outputs["status"] != "canary" || start.Outputs["next-step-at"] == "" {
		t.Fatalf("start: exit %d, outputs %v", start.Code, start.Outputs)
	}
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "1+2@0.1" {
		t.Fatalf("after the start the alias routes %s, want 1+2@0.1", got)
	}

	early := runAction(t, srv, in, Options{})
	if early.Code != 0 || early.Outputs["status"] != "canary" {
		t.Fatalf("a run before the step is due: exit %d, status %q", early.Code, early.Outputs["status"])
	}
	if ch := early.Proxy.Changing(); len(ch) != 0 {
		t.Errorf("a run before the step is due made %d write requests, first %s", len(ch), ch[0].Op)
	}
	if early.Outputs["next-step-at"] != start.Outputs["next-step-at"] {
		t.Errorf("next-step-at %q, want still %q", early.Outputs["next-step-at"], start.Outputs["next-step-at"])
	}

	untilDue(t, early)
	second := runAction(t, srv, in, Options{})
	if route := aliasRoute(t, srv, w.Function, "prod"); second.Code != 0 || second.Outputs["status"] != "canary" || route != "1+2@0.5" {
		t.Fatalf("second step: exit %d, status %q, alias %s", second.Code, second.Outputs["status"], route)
	}
	if n := second.Proxy.Count("PublishVersion"); n != 0 {
		t.Errorf("a run that carries the rollout on published %d times", n)
	}

	untilDue(t, second)
	last := runAction(t, srv, in, Options{})
	if last.Code != 0 || last.Outputs["status"] != "promoted" || last.Outputs["next-step-at"] != "" {
		t.Fatalf("finalize: exit %d, outputs %v", last.Code, last.Outputs)
	}
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "2" {
		t.Errorf("after the rollout the alias routes %s, want 2", got)
	}
}

// Between runs an alarm fires: the next run rolls the rollout back.
func TestDetachedRolloutGateFailsBetweenRuns(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "detached-gate")
	ctx := context.Background()
	alarm := unique("detached-5xx")
	must(t, srv.CreateAlarm(ctx, alarm))
	must(t, srv.SetAlarmState(ctx, alarm, "OK"))
	in := detached(w, "1m", "alarms", alarm)
	if r := runAction(t, srv, in, Options{}); r.Code != 0 || r.Outputs["status"] != "canary" {
		t.Fatalf("start: exit %d, status %q", r.Code, r.Outputs["status"])
	}
	must(t, srv.SetAlarmState(ctx, alarm, "ALARM"))
	r := runAction(t, srv, in, Options{})
	wantRolledBack(t, srv, w, r, alarm)
}

// Two runs at once (a schedule overlapping a manual run): one takes the
// step, the other sees it taken and exits 0 without touching the alias.
func TestDetachedRolloutTwoRunsAtOnce(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "detached-race")
	in := detached(w, "3s")
	start := runAction(t, srv, in, Options{})
	if start.Code != 0 {
		t.Fatalf("start: exit %d", start.Code)
	}
	untilDue(t, start)
	// One proxy for both: one account's alias revisions.
	p := realProxy(t, srv.URL)
	var (
		wg   sync.WaitGroup
		runs [2]Run
	)
	for i := range runs {
		wg.Go(func() { runs[i] = runAction(t, srv, in, Options{Proxy: p}) })
	}
	wg.Wait()
	for i, r := range runs {
		if r.Code != 0 || r.Outputs["status"] != "canary" {
			t.Errorf("run %d: exit %d, status %q; want both 0, canary", i+1, r.Code, r.Outputs["status"])
		}
	}
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "1+2@0.5" {
		t.Errorf("alias routes %s, want 1+2@0.5: one step taken, once", got)
	}
	took := 0
	for _, m := range moves(t, p) {
		if m == "1+2@0.5" {
			took++
		}
	}
	if took != 1 {
		t.Errorf("the step was made %d times, want once", took)
	}
	// The run that did not take the step met the other's on its move (a
	// stale revision, answered 412 as Lambda does) or read it before
	// moving (not due yet).
	both := runs[0].Summary + runs[1].Summary
	if p.RealismStats().StaleRevisions == 0 && !strings.Contains(both, "not due yet") {
		t.Errorf("the runs did not meet: no stale revision, and neither found the step not due")
	}
}

// A hand move between runs is drift: the next run stops and changes nothing.
func TestDetachedRolloutHandMoveBetweenRuns(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "detached-hand")
	in := detached(w, "3s")
	if r := runAction(t, srv, in, Options{}); r.Code != 0 {
		t.Fatalf("start: exit %d", r.Code)
	}
	must(t, raceMove(srv, w.Function, "1", map[string]float64{"2": 0.3}))
	r := runAction(t, srv, in, Options{})
	if r.Code != 1 || r.Outputs["status"] != "failed" || !strings.Contains(r.Stdout, "changed by hand") {
		t.Fatalf("exit %d, status %q; want 1, failed, saying the alias was changed by hand", r.Code, r.Outputs["status"])
	}
	if ch := r.Proxy.Changing(); len(ch) != 0 {
		t.Errorf("%d write requests, first %s", len(ch), ch[0].Op)
	}
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "1+2@0.3" {
		t.Errorf("alias routes %s, want it left at 1+2@0.3", got)
	}
}

// A rollback on request, mid-rollout, exits 0.
func TestDetachedRolloutRollbackOnRequest(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "detached-undo")
	if r := runAction(t, srv, detached(w, "3s"), Options{}); r.Code != 0 {
		t.Fatalf("start: exit %d", r.Code)
	}
	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": w.Alias, "rollback": "true", "detach": "true"}, Options{})
	if r.Code != 0 || r.Outputs["status"] != "rolled-back" {
		t.Fatalf("exit %d, status %q; want 0, rolled-back", r.Code, r.Outputs["status"])
	}
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "1" {
		t.Errorf("alias routes %s, want 1", got)
	}
}

// A record edited by hand, cut short, or written by another release is
// refused with a clear error, and nothing changes.
func TestDetachedRolloutForeignRecord(t *testing.T) {
	t.Parallel()
	for name, desc := range map[string]string{
		"cut short":       "lambda-promote/1 shifting stable=1 new=2 since=2026-11-30T12:00:00Z plan=steps:10,50,100/3s step=0 at=2026-11",
		"another release": "lambda-promote/2 shifting stable=1 new=2",
		"edited by hand":  "lambda-promote/1 shifting stable=1 new=2 since=2026-11-30T12:00:00Z plan=steps:10,50,100/3s step=7 at=2026-11-30T12:00:00Z",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, w := world(t, "detached-foreign")
			if r := runAction(t, srv, detached(w, "3s"), Options{}); r.Code != 0 {
				t.Fatalf("start: exit %d", r.Code)
			}
			_, err := srv.Lambda().UpdateAlias(context.Background(), &lambda.UpdateAliasInput{
				FunctionName: aws.String(w.Function), Name: aws.String(w.Alias), Description: aws.String(desc),
			})
			must(t, err)
			r := runAction(t, srv, detached(w, "3s"), Options{})
			if r.Code != 1 || r.Outputs["status"] != "failed" {
				t.Fatalf("exit %d, status %q; want 1, failed", r.Code, r.Outputs["status"])
			}
			if ch := r.Proxy.Changing(); len(ch) != 0 {
				t.Errorf("%d write requests, first %s", len(ch), ch[0].Op)
			}
			if got := aliasRoute(t, srv, w.Function, "prod"); got != "1+2@0.1" {
				t.Errorf("alias routes %s, want it left at 1+2@0.1", got)
			}
		})
	}
}
