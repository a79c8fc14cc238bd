package promote

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
)

// errRequested is the cause of a rollback the inputs asked for (rollback:
// true, or traffic-weight: 0 on a held canary).
var errRequested = errors.New("rolled back on request")

// errCancelled is the cause of a rollback after the job was cancelled
// (SIGINT from the runner, or Ctrl-C).
var errCancelled = errors.New("the job was cancelled")

// cancelled is the cause of a rollback as the person on call should read it
// once the job was cancelled: the calls the cancel cut short (every alias
// read of a release, say) are not failures of their own and make one "the
// job was cancelled"; a failure that happened besides them is kept.
func cancelled(cause error) error {
	keep := []error{errCancelled}
	for _, e := range flatten(cause) {
		if !errors.Is(e, context.Canceled) && !errors.Is(e, errCancelled) {
			keep = append(keep, e)
		}
	}
	if len(keep) == 1 {
		return errCancelled
	}
	return errors.Join(keep...)
}

// withRelease is the cause of a function's rollback when the failure was
// another function's: the release goes back together.
type withRelease struct{ cause error }

func (e *withRelease) Error() string { return "rolled back with the release: " + e.cause.Error() }
func (e *withRelease) Unwrap() error { return e.cause }

// rollbackPause is the wait between two attempts to put an alias back.
const rollbackPause = 250 * time.Millisecond

// restore ends a rollout that failed after it started: every alias that
// moved goes back to its stable version with no weights, unless someone
// else owns it now, under a fresh context so a cancelled job still rolls
// back. A release ends all on the new versions or all on the stable ones.
func (r *release) restore(ctx context.Context, units []*execution, cause error) {
	if ctx.Err() != nil {
		cause = cancelled(cause)
	}
	if r.d.Urgent != nil {
		// Putting the aliases back may use Lambda's whole quota.
		r.d.Urgent()
	}
	r.each(units, func(x *execution) error {
		mine := unitErr(cause, x)
		why := mine
		if why == nil {
			why = cause
			if len(r.units) > 1 && cause != errCancelled {
				why = &withRelease{cause: cause}
			}
		}
		x.finish(x.restore(ctx, why, mine != nil))
		return nil
	})
}

// restore puts one alias back after a failure; own says whether the
// failure was this function's.
func (x *execution) restore(ctx context.Context, cause error, own bool) ending {
	var drift *driftError
	if own && errors.As(cause, &drift) {
		return x.leave(ctx, cause)
	}
	// A revision mismatch (alias.ErrMoved) says the alias changed, not that
	// its routing did: putBack's reading tells whether someone else owns it.
	if _, _, split := x.f.alias.Split(); !x.changed && !split {
		// Nothing moved and no canary was in progress: nothing to undo.
		return x.stopped(cause)
	}
	x.d.Log.Warningf("rolling back alias %s of %s to version %s: %v", x.cfg.Alias, x.name(), x.stable, cause)
	forward := x.attempted // the last route this run asked for, applied or not
	return x.putBack(ctx, cause, func(s alias.State) bool { return s.Same(x.last) || matches(s, forward) })
}

// putBack moves the alias to the stable version with no weights, on a fresh
// context with CancelRollbackTimeout after a cancel, RollbackTimeout
// otherwise. The first attempt reuses the revision of this run's own last
// move instead of reading first, so that many aliases are put back within
// the runner's 7.5 s before SIGKILL. A move can be applied by Lambda while
// its answer is lost, and a retry of it then fails on the revision, so the
// alias is read before every later attempt, until it reads back on the
// stable version or time runs out. ours tells whether a reading is a state
// this run may change; any other means someone else owns the alias now.
func (x *execution) putBack(ctx context.Context, cause error, ours func(alias.State) bool) ending {
	budget := x.d.RollbackTimeout
	if errors.Is(cause, errCancelled) {
		budget = x.d.CancelRollbackTimeout
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	defer cancel()
	var (
		cur     *alias.State // the alias as last read here
		lastErr error
	)
	desc := alias.Record{State: alias.RolledBack, Stable: x.stable, New: x.target.Version}.MustEncode()
	back := alias.Route{Version: x.stable}
	// The revision of this run's last move still holds only when that move
	// was answered: after a failed or lost one, or a revision mismatch, the
	// alias is read first.
	blind := !x.changed || matches(x.last, x.attempted)
	if last := x.last; blind && last.Version != "" && !errors.Is(cause, alias.ErrMoved) && ours(last) {
		x.attempted, x.changed = back, true
		st, err := alias.Move(rctx, x.d.Lambda, x.fnRef(), last, back, desc, x.patience())
		if err == nil {
			x.last = st
			return x.rolledBack(cause)
		}
		lastErr = err
	}
	for attempt := 0; rctx.Err() == nil; attempt++ {
		if attempt > 0 || lastErr != nil {
			select {
			case <-rctx.Done():
				continue
			case <-x.d.Clock.After(rollbackPause):
			}
		}
		now, ok, err := x.getAlias(rctx)
		switch {
		case err != nil:
			lastErr = err
			continue
		case !ok:
			return x.leave(rctx, &driftError{gone: true})
		}
		cur = &now
		if _, _, split := now.Split(); !split && now.Version == x.stable {
			x.last = now
			return x.rolledBack(cause)
		}
		if !ours(now) {
			return x.leave(rctx, &driftError{now: now})
		}
		x.attempted, x.changed = back, true
		st, err := alias.Move(rctx, x.d.Lambda, x.fnRef(), now, back, desc, x.patience())
		if err == nil {
			x.last = st
			return x.rolledBack(cause)
		}
		lastErr = err
	}
	err := fmt.Errorf("roll back: %w", lastErr)
	if cause != errRequested {
		err = errors.Join(cause, err)
	}
	e := x.end(outcome.Failed, stuck, err)
	e.alias, e.unknown = cur, cur == nil
	return e
}

// rolledBack records that the alias is back on the stable version.
func (x *execution) rolledBack(cause error) ending {
	if cause == errRequested {
		x.rel.event(0, "rolled back on request", nil)
		x.d.Log.Infof("alias %s of %s is back on version %s with no weights", x.cfg.Alias, x.name(), x.stable)
		return x.end(outcome.RolledBack, done, cause)
	}
	var gate *gateError
	var gates []outcome.Gate
	if errors.As(cause, &gate) {
		gates = gate.gates // the readings that failed, numbers included
	}
	x.rel.event(0, "rolled back: "+cause.Error(), gates)
	x.d.Log.Warningf("alias %s of %s is back on version %s with no weights", x.cfg.Alias, x.name(), x.stable)
	return x.end(outcome.RolledBack, rolledBack, cause)
}

// leave stops without touching an alias that someone else moved, and
// reports it as it is now.
func (x *execution) leave(ctx context.Context, cause error) ending {
	var drift *driftError
	e := x.end(outcome.Failed, left, fmt.Errorf("stopped without touching alias %s: someone else changed it during this run (%w)", x.cfg.Alias, cause))
	switch {
	case errors.As(cause, &drift) && drift.gone:
		e.alias = nil
	case drift != nil:
		now := drift.now
		e.alias = &now
	default:
		if now, ok, err := x.getAlias(context.WithoutCancel(ctx)); err == nil && ok {
			e.alias = &now
		} else {
			e.unknown = true
		}
	}
	return e
}

// matches reports whether an alias reads as a route.
func matches(s alias.State, r alias.Route) bool {
	if r.Version == "" {
		return false
	}
	want := alias.State{Version: r.Version, Weights: map[string]percent.Percent{}}
	if r.Extra != "" {
		want.Weights[r.Extra] = r.Weight
	}
	return s.Same(want)
}
