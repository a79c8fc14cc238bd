package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lambda-promote/lambda-promote/internal/rollout"
	"github.com/lambda-promote/lambda-promote/internal/rollout/rollouttest"

	"github.com/lambda-promote/lambda-promote/internal/percent"
)

var start = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// recorder records what Walk called and when, in offsets from start.
type recorder struct {
	clock  *rollouttest.FakeClock
	checks []time.Duration
	points []rollout.Checkpoint
	shifts []shift
	events []string
	// Optional behaviour, by the 1-based number of the call.
	onCheck func(n int) error
	onShift func(n int, weight percent.Percent) error
	onProg  func(i int, s rollout.Step, next time.Time)
}

type shift struct {
	Weight percent.Percent
	At     time.Duration
}

func (r *recorder) hooks() rollout.Hooks {
	return rollout.Hooks{
		Check: func(ctx context.Context, cp rollout.Checkpoint) error {
			at := r.clock.Now().Sub(start)
			r.checks = append(r.checks, at)
			r.points = append(r.points, cp)
			r.events = append(r.events, fmt.Sprintf("check@%v", at))
			if r.onCheck != nil {
				return r.onCheck(len(r.checks))
			}
			return nil
		},
		Shift: func(ctx context.Context, weight percent.Percent) error {
			at := r.clock.Now().Sub(start)
			r.shifts = append(r.shifts, shift{weight, at})
			r.events = append(r.events, fmt.Sprintf("shift %v@%v", weight, at))
			if r.onShift != nil {
				return r.onShift(len(r.shifts), weight)
			}
			return nil
		},
		Progress: func(i int, s rollout.Step, next time.Time) {
			if r.onProg != nil {
				r.onProg(i, s, next)
			}
		},
	}
}

// drive runs Walk in a goroutine and moves the fake clock to the next wake-up
// whenever Walk waits on it, until Walk returns. beforeAdvance, when set, runs
// each time Walk is found waiting, with the fake time offset; returning true
// stops advancing the clock (the test cancels instead).
func drive(t *testing.T, ctx context.Context, clock *rollouttest.FakeClock, p rollout.Plan, every time.Duration, h rollout.Hooks, beforeAdvance func(at time.Duration) bool) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- rollout.Walk(ctx, clock, p, every, h) }()
	timeout := time.After(10 * time.Second) // a guard against a hung test only
	advance := true
	for {
		var blocked <-chan struct{}
		if advance {
			blocked = clock.Blocked(1)
		}
		select {
		case err := <-done:
			return err
		case <-blocked:
			if beforeAdvance != nil && beforeAdvance(clock.Now().Sub(start)) {
				advance = false
				continue
			}
			clock.AdvanceToNext()
		case <-timeout:
			t.Fatal("Walk did not return")
		}
	}
}

func seconds(ss ...int) []time.Duration {
	d := make([]time.Duration, len(ss))
	for i, s := range ss {
		d[i] = time.Duration(s) * time.Second
	}
	return d
}

func TestWalkAllStepsPass(t *testing.T) {
	t.Parallel()
	canary, _ := rollout.Preset("Canary10Percent5Minutes")
	linear, _ := rollout.Preset("Linear10PercentEvery1Minute")
	var canaryChecks, linearChecks []time.Duration
	for s := 0; s <= 300; s += 15 {
		canaryChecks = append(canaryChecks, time.Duration(s)*time.Second)
	}
	for s := 0; s <= 540; s += 15 {
		linearChecks = append(linearChecks, time.Duration(s)*time.Second)
	}
	var linearShifts []shift
	for i := 1; i <= 10; i++ {
		linearShifts = append(linearShifts, shift{percent.Percent(10 * i), time.Duration(i-1) * time.Minute})
	}

	tests := []struct {
		name       string
		plan       rollout.Plan
		every      time.Duration
		wantChecks []time.Duration
		wantShifts []shift
	}{
		{"all at once", rollout.Plan{Name: "all-at-once", Steps: []rollout.Step{{Weight: 100}}}, 15 * time.Second, seconds(0), []shift{{100, 0}}},
		{"canary", canary, 15 * time.Second, canaryChecks, []shift{{10, 0}, {100, 5 * time.Minute}}},
		{"linear", linear, 15 * time.Second, linearChecks, linearShifts},
		{
			"interval not a multiple of checkEvery",
			rollout.Custom([]percent.Percent{10, 50, 100}, 40*time.Second), 15 * time.Second,
			seconds(0, 15, 30, 40, 55, 70, 80),
			[]shift{{10, 0}, {50, 40 * time.Second}, {100, 80 * time.Second}},
		},
		{
			"checkEvery longer than the bake",
			rollout.Custom([]percent.Percent{25, 100}, 10*time.Second), time.Minute,
			seconds(0, 10),
			[]shift{{25, 0}, {100, 10 * time.Second}},
		},
		{
			"no checks during bakes",
			rollout.Custom([]percent.Percent{25, 100}, time.Minute), 0,
			seconds(0, 60),
			[]shift{{25, 0}, {100, time.Minute}},
		},
		{
			"last step bakes and is checked at its end",
			rollout.Plan{Name: "odd", Steps: []rollout.Step{{Weight: 50, Bake: 30 * time.Second}}}, 15 * time.Second,
			seconds(0, 15, 30),
			[]shift{{50, 0}},
		},
		{"hold", rollout.Hold(10), 15 * time.Second, seconds(0), []shift{{10, 0}}},
		{"empty plan", rollout.Plan{}, 15 * time.Second, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := rollouttest.NewFakeClock(start)
			r := &recorder{clock: clock}
			if err := drive(t, t.Context(), clock, tt.plan, tt.every, r.hooks(), nil); err != nil {
				t.Fatalf("Walk: %v", err)
			}
			if diff := cmp.Diff(tt.wantShifts, r.shifts); diff != "" {
				t.Errorf("shifts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantChecks, r.checks); diff != "" {
				t.Errorf("checks (-want +got):\n%s", diff)
			}
			// Every shift comes right after a check at the same time.
			for _, s := range r.shifts {
				found := false
				for i, e := range r.events {
					if e == fmt.Sprintf("shift %v@%v", s.Weight, s.At) {
						found = i > 0 && r.events[i-1] == fmt.Sprintf("check@%v", s.At)
					}
				}
				if !found {
					t.Errorf("shift to %v at %v not preceded by a check: %q", s.Weight, s.At, r.events)
				}
			}
			// During a bake, never more than checkEvery without a check.
			if tt.every > 0 {
				for i := 1; i < len(r.checks); i++ {
					if gap := r.checks[i] - r.checks[i-1]; gap > tt.every {
						t.Errorf("%v between checks at %v and %v, more than %v", gap, r.checks[i-1], r.checks[i], tt.every)
					}
				}
			}
			if end := clock.Now().Sub(start); end != tt.plan.Total() {
				t.Errorf("Walk ended at %v, want the plan's total %v", end, tt.plan.Total())
			}
		})
	}
}

func TestWalkProgress(t *testing.T) {
	t.Parallel()
	clock := rollouttest.NewFakeClock(start)
	p := rollout.Custom([]percent.Percent{10, 50, 100}, time.Minute)
	type prog struct {
		I    int
		S    rollout.Step
		Next time.Time
	}
	var got []prog
	r := &recorder{clock: clock, onProg: func(i int, s rollout.Step, next time.Time) {
		got = append(got, prog{i, s, next})
	}}
	if err := drive(t, t.Context(), clock, p, 15*time.Second, r.hooks(), nil); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	want := []prog{
		{0, rollout.Step{Weight: 10, Bake: time.Minute}, start.Add(time.Minute)},
		{1, rollout.Step{Weight: 50, Bake: time.Minute}, start.Add(2 * time.Minute)},
		{2, rollout.Step{Weight: 100}, time.Time{}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
}

// The plan of the failure tests: 10, 50, 100, a minute apart, checked every
// 15s. Check calls: 1 before 10%, 2–4 during its bake, 5 before 50%, 6–8
// during its bake, 9 before 100%.
func failPlan() rollout.Plan { return rollout.Custom([]percent.Percent{10, 50, 100}, time.Minute) }

func weights(shifts []shift) []percent.Percent {
	var w []percent.Percent
	for _, s := range shifts {
		w = append(w, s.Weight)
	}
	return w
}

func TestWalkCheckFails(t *testing.T) {
	t.Parallel()
	errGate := errors.New("alarm api-5xx in ALARM")
	want := map[int][]percent.Percent{
		1: nil, 2: {10}, 3: {10}, 4: {10}, 5: {10},
		6: {10, 50}, 7: {10, 50}, 8: {10, 50}, 9: {10, 50},
	}
	for n, wantShifts := range want {
		t.Run(fmt.Sprintf("check %d", n), func(t *testing.T) {
			t.Parallel()
			clock := rollouttest.NewFakeClock(start)
			r := &recorder{clock: clock, onCheck: func(k int) error {
				if k == n {
					return errGate
				}
				return nil
			}}
			err := drive(t, t.Context(), clock, failPlan(), 15*time.Second, r.hooks(), nil)
			if err != errGate {
				t.Fatalf("Walk = %v, want the check's error unchanged", err)
			}
			if diff := cmp.Diff(wantShifts, weights(r.shifts)); diff != "" {
				t.Errorf("shifts (-want +got):\n%s", diff)
			}
			if len(r.checks) != n {
				t.Errorf("Check called %d times, want %d (nothing after the failure)", len(r.checks), n)
			}
		})
	}
}

func TestWalkShiftFails(t *testing.T) {
	t.Parallel()
	errShift := errors.New("update alias: conflict")
	for i, wantChecks := range []int{1, 5, 9} {
		t.Run(fmt.Sprintf("step %d", i), func(t *testing.T) {
			t.Parallel()
			clock := rollouttest.NewFakeClock(start)
			r := &recorder{clock: clock, onShift: func(k int, _ percent.Percent) error {
				if k == i+1 {
					return errShift
				}
				return nil
			}}
			err := drive(t, t.Context(), clock, failPlan(), 15*time.Second, r.hooks(), nil)
			if err != errShift {
				t.Fatalf("Walk = %v, want the shift's error unchanged", err)
			}
			if diff := cmp.Diff([]percent.Percent{10, 50, 100}[:i+1], weights(r.shifts)); diff != "" {
				t.Errorf("shift attempts (-want +got):\n%s", diff)
			}
			if len(r.checks) != wantChecks {
				t.Errorf("Check called %d times, want %d", len(r.checks), wantChecks)
			}
		})
	}
}

func TestWalkCancelled(t *testing.T) {
	t.Parallel()
	all := []percent.Percent{10, 50, 100}
	tests := []struct {
		name       string
		onCheck    func(cancel context.CancelFunc) func(int) error
		onShift    func(cancel context.CancelFunc) func(int, percent.Percent) error
		waitCancel time.Duration // cancel when Walk waits at this offset; -1 for never
		wantShifts []percent.Percent
		wantErr    bool
	}{
		{name: "before start", waitCancel: -1, wantShifts: nil, wantErr: true},
	}
	// Cancelled inside the check before step i: step i is not shifted.
	for i, n := range []int{1, 5, 9} {
		tests = append(tests, struct {
			name       string
			onCheck    func(cancel context.CancelFunc) func(int) error
			onShift    func(cancel context.CancelFunc) func(int, percent.Percent) error
			waitCancel time.Duration
			wantShifts []percent.Percent
			wantErr    bool
		}{
			name: fmt.Sprintf("during the check before step %d", i),
			onCheck: func(cancel context.CancelFunc) func(int) error {
				return func(k int) error {
					if k == n {
						cancel()
					}
					return nil
				}
			},
			waitCancel: -1, wantShifts: all[:i], wantErr: true,
		})
	}
	// Cancelled inside the shift of step i: nothing after it. After the
	// last step the rollout is complete and Walk succeeds.
	for i := range all {
		tests = append(tests, struct {
			name       string
			onCheck    func(cancel context.CancelFunc) func(int) error
			onShift    func(cancel context.CancelFunc) func(int, percent.Percent) error
			waitCancel time.Duration
			wantShifts []percent.Percent
			wantErr    bool
		}{
			name: fmt.Sprintf("during the shift of step %d", i),
			onShift: func(cancel context.CancelFunc) func(int, percent.Percent) error {
				return func(k int, _ percent.Percent) error {
					if k == i+1 {
						cancel()
					}
					return nil
				}
			},
			waitCancel: -1, wantShifts: all[:i+1], wantErr: i < len(all)-1,
		})
	}
	// Cancelled while step i bakes, between checks (the job is cancelled).
	for i, at := range []time.Duration{0, 30 * time.Second, time.Minute, 105 * time.Second} {
		tests = append(tests, struct {
			name       string
			onCheck    func(cancel context.CancelFunc) func(int) error
			onShift    func(cancel context.CancelFunc) func(int, percent.Percent) error
			waitCancel time.Duration
			wantShifts []percent.Percent
			wantErr    bool
		}{
			name:       fmt.Sprintf("while baking, wait %d at %v", i, at),
			waitCancel: at, wantShifts: all[:1+int(at/time.Minute)], wantErr: true,
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			clock := rollouttest.NewFakeClock(start)
			r := &recorder{clock: clock}
			if tt.onCheck != nil {
				r.onCheck = tt.onCheck(cancel)
			}
			if tt.onShift != nil {
				r.onShift = tt.onShift(cancel)
			}
			if tt.name == "before start" {
				cancel()
			}
			cancelledAt := time.Duration(-1)
			err := drive(t, ctx, clock, failPlan(), 15*time.Second, r.hooks(), func(at time.Duration) bool {
				if tt.waitCancel >= 0 && at == tt.waitCancel {
					cancelledAt = at
					cancel()
					return true
				}
				return false
			})
			if tt.waitCancel >= 0 && cancelledAt < 0 {
				t.Fatalf("Walk never waited at %v", tt.waitCancel)
			}
			if tt.wantErr {
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Walk = %v, want an error wrapping context.Canceled", err)
				}
			} else if err != nil {
				t.Fatalf("Walk = %v, want nil", err)
			}
			if diff := cmp.Diff(tt.wantShifts, weights(r.shifts), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("shifts (-want +got):\n%s", diff)
			}
			if tt.name == "before start" && len(r.checks) != 0 {
				t.Errorf("Check called %d times after cancel", len(r.checks))
			}
		})
	}
}

func TestFakeClock(t *testing.T) {
	t.Parallel()
	c := rollouttest.NewFakeClock(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now() = %v, want %v", got, start)
	}
	select {
	case <-c.After(0):
	default:
		t.Fatal("After(0) did not fire at once")
	}
	a := c.After(time.Minute)
	b := c.After(30 * time.Second)
	c.BlockUntil(2)
	c.Advance(29 * time.Second)
	select {
	case <-a:
		t.Fatal("After(1m) fired at 29s")
	case <-b:
		t.Fatal("After(30s) fired at 29s")
	default:
	}
	if !c.AdvanceToNext() {
		t.Fatal("AdvanceToNext found nothing")
	}
	if got := (<-b).Sub(start); got != 30*time.Second {
		t.Errorf("After(30s) fired with %v", got)
	}
	if c.Waiters() != 1 {
		t.Errorf("Waiters() = %d, want 1", c.Waiters())
	}
	c.Advance(time.Hour)
	if got := (<-a).Sub(start); got != time.Hour+30*time.Second {
		t.Errorf("After(1m) fired with %v", got)
	}
	if c.AdvanceToNext() {
		t.Error("AdvanceToNext with nothing pending reported true")
	}
	blocked := c.Blocked(1)
	select {
	case <-blocked:
		t.Fatal("Blocked(1) closed with nothing pending")
	default:
	}
	go c.After(time.Second)
	<-blocked
}

// Check is told where it is: before a step (the end of the previous bake),
// while a step bakes, or at the end of the last step's bake.
func TestCheckpoints(t *testing.T) {
	t.Parallel()
	before := func(i int) rollout.Checkpoint { return rollout.Checkpoint{Step: i} }
	baking := func(i int) rollout.Checkpoint { return rollout.Checkpoint{Step: i, Baking: true} }
	tests := []struct {
		name string
		plan rollout.Plan
		want []rollout.Checkpoint
	}{
		{"steps", rollout.Custom([]percent.Percent{10, 50, 100}, 40*time.Second), []rollout.Checkpoint{
			before(0), baking(0), baking(0), before(1), baking(1), baking(1), before(2),
		}},
		{"held slice", rollout.Hold(10), []rollout.Checkpoint{before(0)}},
		{"last step bakes", rollout.Plan{Name: "odd", Steps: []rollout.Step{{Weight: 50, Bake: 30 * time.Second}}}, []rollout.Checkpoint{
			before(0), baking(0), before(1),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := rollouttest.NewFakeClock(start)
			r := &recorder{clock: clock}
			if err := drive(t, context.Background(), clock, tc.plan, 15*time.Second, r.hooks(), nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, r.points); diff != "" {
				t.Errorf("checkpoints (-want +got):\n%s", diff)
			}
		})
	}
}
