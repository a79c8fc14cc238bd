package rollout

import (
	"context"
	"fmt"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/percent"
)

// Clock is the time source of Walk. Production uses RealClock; tests use
// rollouttest.FakeClock.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// RealClock returns the wall clock.
func RealClock() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Hooks are what Walk calls. Shift and Check are required; Progress may be nil.
type Hooks struct {
	// Shift moves traffic so that weight percent reaches the new version;
	// 100 is final (the alias serves the new version with no weights).
	Shift func(ctx context.Context, weight percent.Percent) error

	// Check reads the health gates and looks for drift (someone else moving
	// the alias). A non-nil error stops the rollout. The checkpoint says
	// where in the plan the check is made.
	Check func(ctx context.Context, at Checkpoint) error

	// Progress, when set, is told after each successful shift: i is the index
	// of the step in the plan (0-based), s the step, and next when the next
	// step is due (the zero time after the last step or a step with no bake).
	Progress func(i int, s Step, next time.Time)
}

// Checkpoint says where in a plan Walk calls Check.
type Checkpoint struct {
	// Step is the index of the step about to be taken, or of the step
	// that bakes; len(plan.Steps) for the check at the end of the last
	// step's bake.
	Step int
	// Baking is true for the checks while a step bakes, false for the
	// check that ends a bake (or comes before the first step), on which
	// the next step depends.
	Baking bool
}

// Walk runs the plan. For each step it calls Check, then Shift to the step's
// weight, then, while the step bakes, Check again at least every checkEvery
// (15s in production) until the bake ends; the next step's Check comes at
// the end of the bake. When the last step has a bake, Check runs once more
// at its end. A checkEvery of zero or less means no checks during a bake.
//
// Walk returns the first error a hook returns, unchanged, and stops calling
// hooks. When ctx is cancelled it returns an error that wraps ctx.Err()
// (errors.Is(err, context.Canceled) holds) and shifts nothing more. It waits
// only through clock.After, never on the wall clock.
func Walk(ctx context.Context, clock Clock, p Plan, checkEvery time.Duration, h Hooks) error {
	n := len(p.Steps)
	for i, s := range p.Steps {
		if err := ctxErr(ctx, i, n); err != nil {
			return err
		}
		if err := h.Check(ctx, Checkpoint{Step: i}); err != nil {
			return err
		}
		if err := ctxErr(ctx, i, n); err != nil {
			return err
		}
		if err := h.Shift(ctx, s.Weight); err != nil {
			return err
		}
		now := clock.Now()
		if h.Progress != nil {
			var next time.Time
			if s.Bake > 0 && i < n-1 {
				next = now.Add(s.Bake)
			}
			h.Progress(i, s, next)
		}
		if s.Bake <= 0 {
			continue
		}
		baking := func(ctx context.Context) error { return h.Check(ctx, Checkpoint{Step: i, Baking: true}) }
		if err := bake(ctx, clock, now, s.Bake, checkEvery, baking, i, n); err != nil {
			return err
		}
		if i == n-1 {
			if err := ctxErr(ctx, i, n); err != nil {
				return err
			}
			if err := h.Check(ctx, Checkpoint{Step: n}); err != nil {
				return err
			}
		}
	}
	return nil
}

// bake waits from start until start+d, calling check whenever checkEvery has
// passed since the previous check began. It does not check at the very end.
func bake(ctx context.Context, clock Clock, start time.Time, d, checkEvery time.Duration, check func(context.Context) error, i, n int) error {
	end := start.Add(d)
	last := start
	for {
		due := end
		if checkEvery > 0 {
			if t := last.Add(checkEvery); t.Before(due) {
				due = t
			}
		}
		if wait := due.Sub(clock.Now()); wait > 0 {
			select {
			case <-ctx.Done():
				return ctxErr(ctx, i, n)
			case <-clock.After(wait):
			}
		}
		now := clock.Now()
		if !now.Before(end) {
			return nil
		}
		if now.Before(due) {
			// Woken early (a clock that fires early); wait again.
			continue
		}
		if err := ctxErr(ctx, i, n); err != nil {
			return err
		}
		last = now
		if err := check(ctx); err != nil {
			return err
		}
	}
}

// ctxErr wraps ctx.Err() with where the rollout stopped, or is nil.
func ctxErr(ctx context.Context, i, n int) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("rollout stopped at step %d of %d: %w", i+1, n, err)
	}
	return nil
}
