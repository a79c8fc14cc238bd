package promote

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
)

// detachCfg is a detached 10/50/100 rollout with 10-minute steps.
func detachCfg() config.Config {
	cfg := base()
	cfg.Steps, cfg.Interval, cfg.Detach = []percent.Percent{10, 50, 100}, 10*time.Minute, true
	return cfg
}

// runAt runs cfg at time at against f, the clock standing still but for
// the run's own waits.
func runAt(f *fakeLambda, cfg config.Config, at time.Time, w *world) outcome.Result {
	if w == nil {
		w = &world{}
	}
	w.lambda = f
	d := w.deps()
	d.Clock = &autoClock{now: at}
	return Process(context.Background(), cfg, d)
}

func record(t *testing.T, f *fakeLambda) alias.Record {
	t.Helper()
	f.mu.Lock()
	desc := f.aliases["prod"].desc
	f.mu.Unlock()
	rec, ok, err := alias.ParseRecord(desc)
	if err != nil || !ok {
		t.Fatalf("alias description %q is not a record: %v", desc, err)
	}
	return rec
}

// A schedule driven to 100 % only by repeated runs.
func TestDetachedRollout(t *testing.T) {
	t.Parallel()
	f := gradualFake()
	cfg := detachCfg()

	res := runAt(f, cfg, t0, nil)
	if res.Status != outcome.Canary || f.route("prod") != "1+2@0.1" || !res.NextStepAt.Equal(t0.Add(10*time.Minute)) || !res.Succeeded() {
		t.Fatalf("start: status %s, alias %s, next step %v (%s)", res.Status, f.route("prod"), res.NextStepAt, res.Error)
	}
	if rec := record(t, f); rec.Plan != "steps:10,50,100/10m" || rec.Step != 0 || !rec.StepAt.Equal(t0) || !rec.Since.Equal(t0) {
		t.Errorf("record after the start: %+v", rec)
	}

	// Before the step is due: nothing changes, no write reaches Lambda.
	before := f.changes()
	res = runAt(f, cfg, t0.Add(5*time.Minute), nil)
	if res.Status != outcome.Canary || f.changes() != before || !res.NextStepAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("not due: status %s, %d new changing calls, next step %v (%s)", res.Status, f.changes()-before, res.NextStepAt, res.Error)
	}
	if !strings.Contains(res.AliasState, "not due yet") {
		t.Errorf("alias now %q", res.AliasState)
	}

	// Due: the next step.
	res = runAt(f, cfg, t0.Add(11*time.Minute), nil)
	if res.Status != outcome.Canary || f.route("prod") != "1+2@0.5" || !res.NextStepAt.Equal(t0.Add(21*time.Minute)) {
		t.Fatalf("second step: status %s, alias %s, next %v (%s)", res.Status, f.route("prod"), res.NextStepAt, res.Error)
	}
	if rec := record(t, f); rec.Step != 1 || !rec.Since.Equal(t0) {
		t.Errorf("record after the second step: %+v", rec)
	}

	// After the last bake: finalized, and the record keeps the rollback target.
	res = runAt(f, cfg, t0.Add(22*time.Minute), nil)
	if res.Status != outcome.Promoted || f.route("prod") != "2" || !res.NextStepAt.IsZero() {
		t.Fatalf("finalize: status %s, alias %s (%s)", res.Status, f.route("prod"), res.Error)
	}
	if rec := record(t, f); rec.Plan != "" || rec.Stable != "1" || rec.New != "2" {
		t.Errorf("record after the rollout: %+v", rec)
	}
}

func TestDetachedRolloutStops(t *testing.T) {
	t.Parallel()
	started := func(t *testing.T) *fakeLambda {
		t.Helper()
		f := gradualFake()
		if res := runAt(f, detachCfg(), t0, nil); res.Status != outcome.Canary {
			t.Fatalf("start: %s (%s)", res.Status, res.Error)
		}
		return f
	}
	t.Run("a gate fails between runs", func(t *testing.T) {
		t.Parallel()
		f := started(t)
		cfg := detachCfg()
		cfg.Alarms = []string{"api-5xx"}
		res := runAt(f, cfg, t0.Add(3*time.Minute), &world{alarm: func(n int) string {
			if n > 1 {
				return "ALARM"
			}
			return "OK"
		}})
		if res.Status != outcome.RolledBack || f.route("prod") != "1" || res.Succeeded() {
			t.Fatalf("status %s, alias %s (%s); want rolled back, exit non-zero", res.Status, f.route("prod"), res.Error)
		}
	})
	t.Run("a hand move between runs", func(t *testing.T) {
		t.Parallel()
		f := started(t)
		f.mu.Lock()
		f.aliases["prod"].weights = map[string]float64{"2": 0.3} // the description stays
		f.mu.Unlock()
		before := f.changes()
		res := runAt(f, detachCfg(), t0.Add(11*time.Minute), nil)
		if res.Status != outcome.Failed || !strings.Contains(res.Error, "changed by hand") || f.changes() != before {
			t.Fatalf("status %s (%s), %d changes; want refused, nothing changed", res.Status, res.Error, f.changes()-before)
		}
	})
	t.Run("a foreign record", func(t *testing.T) {
		t.Parallel()
		f := started(t)
		f.mu.Lock()
		f.aliases["prod"].desc = "lambda-promote/1 shifting stable=1 new=2 since=2026-11-23T10:00:00Z plan=steps:10,50,100/10m step=0 at=2026-11-2"
		f.mu.Unlock()
		res := runAt(f, detachCfg(), t0.Add(11*time.Minute), nil)
		if res.Status != outcome.Failed || !strings.Contains(res.Error, "not a record this version of lambda-promote can read") || f.route("prod") != "1+2@0.1" {
			t.Fatalf("status %s (%s), alias %s", res.Status, res.Error, f.route("prod"))
		}
	})
	t.Run("a newer version is refused", func(t *testing.T) {
		t.Parallel()
		f := started(t)
		f.newCode()
		before := f.changes()
		res := runAt(f, detachCfg(), t0.Add(11*time.Minute), nil)
		if res.Status != outcome.Failed || !strings.Contains(res.Error, "holds other code or configuration") || f.changes() != before {
			t.Fatalf("status %s (%s), %d changes", res.Status, res.Error, f.changes()-before)
		}
	})
	t.Run("a rollback on request", func(t *testing.T) {
		t.Parallel()
		f := started(t)
		cfg := base()
		cfg.Rollback = true
		res := runAt(f, cfg, t0.Add(3*time.Minute), nil)
		if res.Status != outcome.RolledBack || !res.Succeeded() || f.route("prod") != "1" {
			t.Fatalf("status %s (%s), alias %s", res.Status, res.Error, f.route("prod"))
		}
	})
	t.Run("two runs at once", func(t *testing.T) {
		t.Parallel()
		f := started(t)
		// The other run takes the step between this run's read and move.
		f.onCall = func(op string, n int) {
			if op == "UpdateAlias" && n == 2 { // n 1 was the start
				f.mu.Lock()
				a := f.aliases["prod"]
				a.weights, a.rev = map[string]float64{"2": 0.5}, a.rev+1
				rec := alias.Record{State: alias.Shifting, Stable: "1", New: "2", Since: t0, Plan: "steps:10,50,100/10m", Step: 1, StepAt: t0.Add(10*time.Minute + 30*time.Second)}
				a.desc = rec.MustEncode()
				f.mu.Unlock()
			}
		}
		res := runAt(f, detachCfg(), t0.Add(11*time.Minute), nil)
		if res.Status != outcome.Canary || !res.Succeeded() || f.route("prod") != "1+2@0.5" || f.count("UpdateAlias") != 2 {
			t.Fatalf("status %s (%s), alias %s, %d moves; want canary, exit 0, left as the other run set it", res.Status, res.Error, f.route("prod"), f.count("UpdateAlias"))
		}
		if !strings.Contains(res.AliasState, "another run took this step") {
			t.Errorf("alias now %q", res.AliasState)
		}
	})
}

// A scheduled run carries a detached rollout on but never starts one: with
// none in progress it publishes nothing and changes nothing.
func TestScheduledRunStartsNothing(t *testing.T) {
	t.Parallel()
	f := gradualFake()
	cfg := detachCfg()
	cfg.CarryOnOnly = true
	res := runAt(f, cfg, t0, nil)
	if res.Status != outcome.Unchanged || !res.Succeeded() || f.changes() != 0 || f.route("prod") != "1" {
		t.Fatalf("status %s (%s), %d changes, alias %s; want unchanged with no change", res.Status, res.Error, f.changes(), f.route("prod"))
	}
	// A rollout a deliberate run started is carried on by the schedule.
	cfg.CarryOnOnly = false
	if res := runAt(f, cfg, t0, nil); res.Status != outcome.Canary {
		t.Fatalf("start: %s (%s)", res.Status, res.Error)
	}
	cfg.CarryOnOnly = true
	if res := runAt(f, cfg, t0.Add(11*time.Minute), nil); res.Status != outcome.Canary || f.route("prod") != "1+2@0.5" {
		t.Fatalf("scheduled run: status %s (%s), alias %s; want the next step", res.Status, res.Error, f.route("prod"))
	}
}

// An alarm that fires while a canary takes traffic rolls the canary back:
// refusing the run would leave it split with the alarm firing.
func TestFiringAlarmRollsBackALiveCanary(t *testing.T) {
	t.Parallel()
	f := newFake().withVersions(2).withAlias("prod", "1", map[string]float64{"2": 0.1}, "")
	cfg := base()
	cfg.Version, cfg.TrafficWeight, cfg.Alarms = "2", ptr(100), []string{"api-5xx"}
	res := runAt(f, cfg, t0, &world{alarm: func(int) string { return "ALARM" }})
	if res.Status != outcome.RolledBack || f.route("prod") != "1" || res.Succeeded() {
		t.Fatalf("status %s (%s), alias %s; want rolled back, exit non-zero", res.Status, res.Error, f.route("prod"))
	}
}

// A detached release goes on only when every alias's step is due: an alias
// whose step was taken later (its own record says when) holds the release
// back until its bake is over too.
func TestDetachedReleaseWaitsForEveryAlias(t *testing.T) {
	t.Parallel()
	a, cfg := releaseOf(2)
	cfg.Steps, cfg.Interval, cfg.Detach = []percent.Percent{10, 50, 100}, 10*time.Minute, true
	runAt := func(at time.Time) outcome.Result {
		return Process(context.Background(), cfg, Deps{Lambda: a, Clock: &autoClock{now: at}})
	}
	if res := runAt(t0); res.Status != outcome.Canary || a.routes() != "1+2@0.1 1+2@0.1" {
		t.Fatalf("start: status %s, aliases %s (%s)", res.Status, a.routes(), res.Error)
	}
	// fn2's first step was taken two minutes after fn1's.
	f := a.fns["fn2"]
	rec := record(t, f)
	rec.StepAt = t0.Add(2 * time.Minute)
	f.mu.Lock()
	f.aliases["prod"].desc = rec.MustEncode()
	f.mu.Unlock()

	res := runAt(t0.Add(11 * time.Minute))
	if res.Status != outcome.Canary || a.routes() != "1+2@0.1 1+2@0.1" || !res.NextStepAt.Equal(t0.Add(12*time.Minute)) {
		t.Fatalf("fn1 due, fn2 not: status %s, aliases %s, next step %v (%s); want both held until %v", res.Status, a.routes(), res.NextStepAt, res.Error, t0.Add(12*time.Minute))
	}
	if res := runAt(t0.Add(13 * time.Minute)); res.Status != outcome.Canary || a.routes() != "1+2@0.5 1+2@0.5" {
		t.Fatalf("both due: status %s, aliases %s (%s)", res.Status, a.routes(), res.Error)
	}
	if res := runAt(t0.Add(24 * time.Minute)); res.Status != outcome.Promoted || a.routes() != "2 2" {
		t.Fatalf("after the last bake: status %s, aliases %s (%s)", res.Status, a.routes(), res.Error)
	}
}
