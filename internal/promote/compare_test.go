package promote

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/compare"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/gate"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
	"github.com/lambda-promote/lambda-promote/internal/rollout"
)

// compareCfg is a canary of steps 10,100 judged against the stable version.
func compareCfg() config.Config {
	cfg := base()
	cfg.Steps, cfg.Interval = []percent.Percent{10, 100}, time.Minute
	cfg.CompareToStable, cfg.Confidence, cfg.MaxLatencyIncrease = true, 95, 20
	return cfg
}

// pairOf is both versions' numbers: errors, invocations, p99.
func pairOf(ne, ni, np, se, si, sp float64) gate.Pair {
	return gate.Pair{
		New:    compare.Sample{Errors: ne, Invocations: ni, P99: np, HasP99: np > 0},
		Stable: compare.Sample{Errors: se, Invocations: si, P99: sp, HasP99: sp > 0},
	}
}

var (
	doubled   = pairOf(60, 6000, 80, 270, 54000, 80)  // twice the stable rate
	sameRate  = pairOf(30, 6000, 80, 270, 54000, 80)  // as the stable
	few       = pairOf(0, 30, 0, 1, 270, 0)           // 30 invocations: cannot tell
	slower    = pairOf(30, 6000, 120, 270, 54000, 80) // p99 1.5 times the stable's
	justRight = pairOf(30, 6000, 96, 270, 54000, 80)  // p99 at the tolerance
)

// compareGates are the comparison readings of a timeline, in order.
func compareGates(res outcome.Result) []outcome.Gate {
	var out []outcome.Gate
	for _, e := range res.Timeline {
		for _, g := range e.Gates {
			if g.Kind == outcome.GateCompare {
				out = append(out, g)
			}
		}
	}
	return out
}

func TestCompareToStable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cfg       func(*config.Config)
		pair      func(n int) gate.Pair
		status    outcome.Status
		route     string
		readings  int    // of the pair
		holds     int    // timeline rows of a held step
		errorText string // in the run's error
	}{
		{name: "twice the stable rate rolls back", pair: func(int) gate.Pair { return doubled },
			status: outcome.RolledBack, route: "1", readings: 1, errorText: "comparison: worse: 2 at 1.00% (60 errors / 6000 invocations, p99 80.0 ms) against 1 at 0.50%"},
		{name: "the same rate advances", pair: func(int) gate.Pair { return sameRate },
			status: outcome.Promoted, route: "2", readings: 1},
		{name: "p99 1.5 times the stable's rolls back", pair: func(int) gate.Pair { return slower },
			status: outcome.RolledBack, route: "1", readings: 1, errorText: "p99 120.0 ms > 96.0 ms"},
		{name: "p99 at the tolerance advances", pair: func(int) gate.Pair { return justRight },
			status: outcome.Promoted, route: "2", readings: 1},
		{name: "a stricter tolerance rolls it back", cfg: func(c *config.Config) { c.MaxLatencyIncrease = 10 }, pair: func(int) gate.Pair { return justRight },
			status: outcome.RolledBack, route: "1", readings: 1, errorText: "p99 96.0 ms > 88.0 ms"},
		{name: "cannot tell: held twice more, then min-invocations 0 lets it go on", pair: func(int) gate.Pair { return few },
			status: outcome.Promoted, route: "2", readings: 3, holds: 2},
		{name: "cannot tell: held twice more, then min-invocations rolls it back", cfg: func(c *config.Config) { c.MinInvocations = 100 }, pair: func(int) gate.Pair { return few },
			status: outcome.RolledBack, route: "1", readings: 3, holds: 2, errorText: "not enough traffic to judge"},
		{name: "cannot tell, then worse while held", pair: func(n int) gate.Pair {
			if n == 1 {
				return few
			}
			return doubled
		}, status: outcome.RolledBack, route: "1", readings: 2, holds: 1, errorText: "worse"},
		{name: "cannot tell, then no worse while held", pair: func(n int) gate.Pair {
			if n < 3 {
				return few
			}
			return sameRate
		}, status: outcome.Promoted, route: "2", readings: 3, holds: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := gradualFake()
			var mu sync.Mutex
			var windows [][2]time.Time
			w := &world{lambda: f, pair: func(n int, fn string, start, end time.Time) gate.Pair {
				mu.Lock()
				windows = append(windows, [2]time.Time{start, end})
				mu.Unlock()
				return tt.pair(n)
			}}
			// 50 invocations since the canary began: below a min-invocations
			// of 100.
			w.rate = func(int) (float64, float64) { return 0, 50 }
			cfg := compareCfg()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			res := Process(context.Background(), cfg, w.deps())
			if res.Status != tt.status || f.route("prod") != tt.route {
				t.Fatalf("status %s, route %s (%s); want %s, %s", res.Status, f.route("prod"), res.Error, tt.status, tt.route)
			}
			if len(windows) != tt.readings {
				t.Errorf("%d readings of both versions, want %d", len(windows), tt.readings)
			}
			holds := 0
			for _, e := range res.Timeline {
				if strings.HasPrefix(e.Note, "held: the comparison cannot tell yet") {
					holds++
				}
			}
			if holds != tt.holds {
				t.Errorf("%d held rows in the timeline, want %d", holds, tt.holds)
			}
			if !strings.Contains(res.Error, tt.errorText) {
				t.Errorf("error %q lacks %q", res.Error, tt.errorText)
			}
			// Every judgement is of the step's window: from the shift to
			// 10%, growing while the step holds.
			shifted := res.Timeline[0].At
			for i, win := range windows {
				if !win[0].Equal(shifted) || !win[1].After(shifted) || i > 0 && !win[1].After(windows[i-1][1]) {
					t.Errorf("window %d is %v to %v; want from the shift at %v, growing", i, win[0], win[1], shifted)
				}
			}
			// The judgements hold the step a minute apart at most twice.
			cg := compareGates(res)
			if len(cg) == 0 {
				t.Fatal("no comparison in the timeline")
			}
			for i, g := range cg {
				if g.Compare.Look != i || g.Compare.Looks != 3 || g.Compare.New.Version != "2" || g.Compare.Stable.Version != "1" {
					t.Errorf("judgement %d: %+v", i, g.Compare)
				}
				if !near(g.Compare.Alpha, 0.05/3) {
					t.Errorf("judgement %d: alpha %v, want 0.05/3 for a plan of one judged step", i, g.Compare.Alpha)
				}
			}
		})
	}
}

func near(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 }

func TestCompareHoldsALookEveryMinute(t *testing.T) {
	t.Parallel()
	f := gradualFake()
	var ends []time.Time
	w := &world{lambda: f, pair: func(n int, fn string, start, end time.Time) gate.Pair {
		ends = append(ends, end)
		return few
	}}
	cfg := compareCfg()
	res := Process(context.Background(), cfg, w.deps())
	if res.Status != outcome.Promoted || len(ends) != 3 {
		t.Fatalf("status %s after %d judgements (%s)", res.Status, len(ends), res.Error)
	}
	// The bake of 1 minute ends, then two more looks LookEvery(1m) apart.
	every := rollout.LookEvery(time.Minute)
	for i := 1; i < len(ends); i++ {
		if got := ends[i].Sub(ends[i-1]); got < every || got > every+time.Minute {
			t.Errorf("look %d came %s after the one before, want about %s", i, got, every)
		}
	}
	last := compareGates(res)[2]
	if !last.OK || !strings.Contains(last.Detail, "still after 3 judgements, and min-invocations is 0: the rollout goes on") {
		t.Errorf("last judgement %+v", last)
	}
}

func TestCompareNotDuringTheBake(t *testing.T) {
	t.Parallel()
	// Steps 10,50,100 over a minute each, gates every 15 s: the comparison
	// judges each step once, at the end of its bake, never while it bakes.
	f := gradualFake()
	var starts []time.Time
	w := &world{lambda: f, pair: func(n int, fn string, start, end time.Time) gate.Pair {
		starts = append(starts, start)
		return sameRate
	}}
	cfg := compareCfg()
	cfg.Steps = []percent.Percent{10, 50, 100}
	d := w.deps()
	d.CheckEvery = 15 * time.Second
	res := Process(context.Background(), cfg, d)
	if res.Status != outcome.Promoted {
		t.Fatalf("status %s (%s)", res.Status, res.Error)
	}
	want := []time.Time{res.Timeline[0].At, res.Timeline[1].At} // the shifts to 10 and 50
	if diff := cmp.Diff(want, starts); diff != "" {
		t.Errorf("windows judged (-want +got):\n%s", diff)
	}
	if a := compareGates(res)[0].Compare.Alpha; !near(a, 0.05/6) {
		t.Errorf("alpha %v, want 0.05/6 for two judged steps", a)
	}
}

func TestCompareOffReadsNoPair(t *testing.T) {
	t.Parallel()
	f := gradualFake()
	read := 0
	w := &world{lambda: f, pair: func(int, string, time.Time, time.Time) gate.Pair { read++; return doubled }}
	cfg := compareCfg()
	cfg.CompareToStable = false
	if res := Process(context.Background(), cfg, w.deps()); res.Status != outcome.Promoted || read != 0 {
		t.Errorf("status %s after %d readings of the pair, want promoted after none", res.Status, read)
	}
}

func TestCompareFinalizesAHeldCanaryOverItsWindow(t *testing.T) {
	t.Parallel()
	// A canary held since 09:40 is finalized: its whole window is judged.
	since := t0.Add(-20 * time.Minute)
	rec := "lambda-promote/1 shifting stable=1 new=2 since=" + since.Format(time.RFC3339)
	f := newFake().withVersions(2).withAlias("prod", "1", map[string]float64{"2": 0.1}, rec)
	var starts []time.Time
	w := &world{lambda: f, pair: func(n int, fn string, start, end time.Time) gate.Pair {
		starts = append(starts, start)
		return doubled
	}}
	cfg := base()
	cfg.Version, cfg.TrafficWeight = "2", ptr(100)
	cfg.CompareToStable, cfg.Confidence, cfg.MaxLatencyIncrease = true, 95, 20
	res := Process(context.Background(), cfg, w.deps())
	if res.Status != outcome.RolledBack || f.route("prod") != "1" {
		t.Fatalf("status %s route %s (%s), want rolled back to 1", res.Status, f.route("prod"), res.Error)
	}
	if len(starts) != 1 || !starts[0].Equal(since) {
		t.Errorf("windows from %v, want one from %v", starts, since)
	}
}

func TestCompareRelease(t *testing.T) {
	t.Parallel()
	// Each new version is judged against its own stable one; one worse
	// rolls the release back.
	orders, users := gradualFake(), gradualFake()
	orders.name, users.name = "orders", "users"
	var mu sync.Mutex
	judged := map[string]int{}
	w := &world{lambda: orders, pair: func(n int, fn string, start, end time.Time) gate.Pair {
		mu.Lock()
		defer mu.Unlock()
		judged[fn]++
		if fn == "users" {
			return doubled
		}
		return sameRate
	}}
	d := w.deps()
	d.Lambda = newAccount(orders, users)
	cfg := compareCfg()
	cfg.FunctionName, cfg.Functions = "orders", []string{"orders", "users"}
	res := Process(context.Background(), cfg, d)
	if res.Status != outcome.RolledBack || orders.route("prod") != "1" || users.route("prod") != "1" {
		t.Fatalf("status %s, routes %s and %s (%s)", res.Status, orders.route("prod"), users.route("prod"), res.Error)
	}
	if judged["orders"] != 1 || judged["users"] != 1 {
		t.Errorf("judgements by function %v, want one each", judged)
	}
	if !strings.Contains(res.Error, "comparison of users: worse") {
		t.Errorf("error %q does not name the function that is worse", res.Error)
	}
}

func TestCompareDetached(t *testing.T) {
	t.Parallel()
	// A detached 10/50/100 rollout of 10-minute steps, started at t0: the
	// step is due at t0+10m, and judged again every 5 minutes while the
	// comparison cannot tell yet.
	cfg := detachCfg()
	cfg.CompareToStable, cfg.Confidence, cfg.MaxLatencyIncrease = true, 95, 20
	started := func(t *testing.T) *fakeLambda {
		t.Helper()
		f := gradualFake()
		if res := runAt(f, cfg, t0, &world{pair: func(int, string, time.Time, time.Time) gate.Pair {
			t.Error("the first step was judged against the stable version: nothing to compare yet")
			return doubled
		}}); res.Status != outcome.Canary {
			t.Fatalf("start: %s (%s)", res.Status, res.Error)
		}
		return f
	}
	tests := []struct {
		name   string
		at     time.Duration // after t0
		pair   gate.Pair
		status outcome.Status
		route  string
		next   time.Duration // next-step-at after t0; 0 for none
		judged bool
	}{
		{"not due: not judged", 5 * time.Minute, doubled, outcome.Canary, "1+2@0.1", 10 * time.Minute, false},
		{"due and no worse: the next step", 11 * time.Minute, sameRate, outcome.Canary, "1+2@0.5", 21 * time.Minute, true},
		{"due and worse: rolled back", 11 * time.Minute, doubled, outcome.RolledBack, "1", 0, true},
		{"due and cannot tell: held until the next look", 11 * time.Minute, few, outcome.Canary, "1+2@0.1", 15 * time.Minute, true},
		{"second look, cannot tell: held", 16 * time.Minute, few, outcome.Canary, "1+2@0.1", 20 * time.Minute, true},
		{"last look, cannot tell: min-invocations 0 lets it go on", 21 * time.Minute, few, outcome.Canary, "1+2@0.5", 31 * time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := started(t)
			var starts []time.Time
			before := f.changes()
			res := runAt(f, cfg, t0.Add(tt.at), &world{pair: func(n int, fn string, start, end time.Time) gate.Pair {
				starts = append(starts, start)
				return tt.pair
			}})
			if res.Status != tt.status || f.route("prod") != tt.route {
				t.Fatalf("status %s, route %s (%s); want %s, %s", res.Status, f.route("prod"), res.Error, tt.status, tt.route)
			}
			if tt.next > 0 && !res.NextStepAt.Equal(t0.Add(tt.next)) {
				t.Errorf("next step at %v, want t0+%s", res.NextStepAt, tt.next)
			}
			// The window is since the step was taken, as its record says.
			if tt.judged != (len(starts) == 1) || tt.judged && !starts[0].Equal(t0) {
				t.Errorf("judged windows from %v; want one from t0: %v", starts, tt.judged)
			}
			if tt.route == "1+2@0.1" && f.changes() != before {
				t.Errorf("a run that holds made %d changing calls", f.changes()-before)
			}
			if tt.next == 15*time.Minute && (!strings.Contains(res.AliasState, "cannot tell yet (judgement 1 of 3)") || !strings.Contains(res.Next, "judges the held step again at")) {
				t.Errorf("a held step does not say why and what comes: %q / %q", res.AliasState, res.Next)
			}
		})
	}
}

func TestCompareUndoDoesNotWait(t *testing.T) {
	t.Parallel()
	// traffic-weight: 0 takes a held slice out at once, whatever the
	// comparison would say.
	f := newFake().withVersions(2).withAlias("prod", "1", map[string]float64{"2": 0.1}, "lambda-promote/1 shifting stable=1 new=2 since="+t0.Format(time.RFC3339))
	read := 0
	w := &world{lambda: f, pair: func(int, string, time.Time, time.Time) gate.Pair { read++; return few }}
	cfg := base()
	cfg.Version, cfg.TrafficWeight = "2", ptr(0)
	cfg.CompareToStable, cfg.Confidence, cfg.MaxLatencyIncrease = true, 95, 20
	res := Process(context.Background(), cfg, w.deps())
	if res.Status != outcome.RolledBack || !res.Succeeded() || f.route("prod") != "1" || read != 0 {
		t.Errorf("status %s (asked: %v), route %s, %d readings of the pair (%s); want a requested rollback without any", res.Status, res.Succeeded(), f.route("prod"), read, res.Error)
	}
}

func TestCompareInThePlan(t *testing.T) {
	t.Parallel()
	cfg := compareCfg()
	cfg.DryRun = true
	res := Process(context.Background(), cfg, (&world{lambda: gradualFake(), pair: func(int, string, time.Time, time.Time) gate.Pair { return doubled }}).deps())
	want := "judge each step's end against version 1 over the step's window: error rate at 95% confidence over the rollout (3 judgements, α = 0.0167 each), Duration p99 within +20%; a step that cannot tell yet holds, judged at most 2 more times"
	if res.Status != outcome.DryRun || !strings.Contains(strings.Join(res.Plan, "\n"), want) {
		t.Errorf("status %s, plan:\n%s\nwant a line %q", res.Status, strings.Join(res.Plan, "\n"), want)
	}
}
