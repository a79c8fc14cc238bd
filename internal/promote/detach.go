package promote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/rollout"
)

// detached does what is due of a rollout that goes on in later runs, and
// returns: it starts the rollout with its first step; or it judges the
// gates over the window since the new versions first took traffic, and
// rolls back if one fails, takes the next step if its time has come, or
// finalizes after the last bake; otherwise it changes nothing. The step
// and when it was taken are written in the same conditional UpdateAlias
// that moves the weight, so record and routing never disagree.
func (r *release) detached(ctx context.Context, units []*execution) {
	d := r.dec.detach
	now := r.d.Clock.Now()
	for _, x := range units {
		x.detach, x.step, x.stepAt = d, d.step, d.stepAt
		if own := x.dec.detach; own != nil {
			x.stepAt = own.stepAt // each alias's own record: the release waits for the latest
		}
	}
	if d.step < 0 {
		r.startDetached(ctx, units, now)
		return
	}
	// The release goes on only when every alias's step is due.
	due := d.stepAt
	for _, x := range units {
		if x.stepAt.After(due) {
			due = x.stepAt
		}
	}
	due = due.Add(d.plan.Steps[d.step].Bake)
	ready := !now.Before(due)
	r.d.Log.Infof("detached rollout at step %d of %d (%s) since %s UTC; the next step is due at %s UTC", d.step+1, len(d.plan.Steps), d.plan.Steps[d.step].Weight, d.stepAt.UTC().Format(time.RFC3339), due.UTC().Format(time.RFC3339))
	// A step is compared with the stable version once it is due, then at
	// each later look while the comparison cannot tell yet.
	bake := d.plan.Steps[d.step].Bake
	look := 0
	if ready {
		look = rollout.LookAt(due, now, bake)
	}
	gates, err := r.readGates(ctx, units, reading{final: ready, look: look})
	switch {
	case err != nil:
		r.restore(ctx, units, err)
		return
	case failed(gates):
		r.restore(ctx, units, &gateError{gates: gates})
		return
	case !ready:
		for _, x := range units {
			e := x.end(outcome.Canary, done, nil)
			e.nextStep, e.note = due, "not due yet: nothing was changed"
			x.finish(e)
		}
		r.d.Log.Infof("the next step is not due: nothing was changed")
		return
	case holding(gates):
		next := due.Add(time.Duration(look+1) * rollout.LookEvery(bake))
		r.event(units[0].weight, "held: the comparison cannot tell yet", gates)
		for _, x := range units {
			e := x.end(outcome.Canary, done, nil)
			e.nextStep, e.note, e.held = next, undecidedNote(gates), true
			x.finish(e)
		}
		r.d.Log.Infof("the comparison with the stable version cannot tell yet: the step holds until a run at or after %s UTC judges it again; nothing was changed", next.UTC().Format(time.RFC3339))
		return
	}
	next := d.step + 1
	r.takeStep(ctx, units, next, now, gates)
}

// startDetached takes a detached rollout's first step.
func (r *release) startDetached(ctx context.Context, units []*execution, now time.Time) {
	gates, err := r.readGates(ctx, units, reading{})
	switch {
	case err != nil:
		r.stopAll(err)
		return
	case failed(gates):
		r.stopAll(&gateError{gates: gates})
		return
	}
	r.takeStep(ctx, units, 0, now, gates)
}

// takeStep moves every alias to step i of the schedule, writing it in their
// records. A step another run took at the same time is that run's: this
// one leaves the aliases as they are.
func (r *release) takeStep(ctx context.Context, units []*execution, i int, now time.Time, gates []outcome.Gate) {
	d := r.dec.detach
	s := d.plan.Steps[i]
	var (
		mu    sync.Mutex
		raced []*execution
	)
	err := r.each(units, func(x *execution) error {
		x.step, x.stepAt = i, now
		err := x.move(ctx, s.Weight)
		if errors.Is(err, alias.ErrMoved) && x.sameRolloutAhead(ctx, i) {
			mu.Lock()
			raced = append(raced, x)
			mu.Unlock()
			return nil
		}
		return err
	})
	if err != nil {
		r.restore(ctx, units, err)
		return
	}
	if len(raced) < len(units) {
		r.event(s.Weight, r.shiftNote(units, s.Weight), gates)
	}
	status := outcome.Canary
	if s.Weight >= 100 {
		status = outcome.Promoted
	}
	for _, x := range units {
		e := x.end(status, done, nil)
		if status == outcome.Canary {
			e.nextStep = x.stepAt.Add(s.Bake)
		}
		if slices.Contains(raced, x) {
			e.note = "another run took this step at the same time; this run left the alias as it found it"
		}
		x.finish(e)
	}
}

// sameRolloutAhead reads the alias after a revision mismatch and reports
// whether another run of the same rollout (same versions, same schedule,
// same start) has taken step i or a later one: then the alias is as this
// run would have left it, and this run leaves it alone.
func (x *execution) sameRolloutAhead(ctx context.Context, i int) bool {
	cur, ok, err := x.getAlias(ctx)
	if err != nil || !ok {
		return false
	}
	rec, ok, err := alias.ParseRecord(cur.Description)
	// Two runs that start the rollout at once each date its start
	// themselves; later steps share the record's.
	if err != nil || !ok || rec.State != alias.Shifting || rec.Stable != x.stable || rec.New != x.target.Version || i > 0 && !rec.Since.Equal(x.since) {
		return false
	}
	switch {
	case rec.Plan == x.detach.encoded && rec.Step >= i:
	case rec.Plan == "" && cur.Version == x.target.Version:
		// the other run finalized the rollout
	default:
		return false
	}
	x.last = cur
	x.d.Log.Infof("alias %s of %s: another run of the same rollout took step %d at the same time; leaving it as it is", x.cfg.Alias, x.name(), i+1)
	return true
}

// detachedNext says what a detached rollout's ending means to the reader.
func detachedNext(e ending) string {
	what := "takes the next step"
	if e.held {
		what = "judges the held step again"
	}
	return fmt.Sprintf("the scheduled workflow %s at %s UTC; nobody watches the rollout between runs; to stop it now, run the workflow with this input", what, e.nextStep.UTC().Format("2006-01-02 15:04:05"))
}
