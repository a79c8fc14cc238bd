package promote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/rollout"
)

// driftError means someone else moved the alias during the run.
type driftError struct{ now alias.State }

func (e *driftError) Error() string {
	return fmt.Sprintf("someone else moved the alias during the rollout: it now serves %s", e.now)
}

// gateError means a health gate failed.
type gateError struct{ gates []outcome.Gate }

func (e *gateError) Error() string {
	var bad []string
	for _, g := range e.gates {
		if !g.OK {
			bad = append(bad, fmt.Sprintf("%s: %s", g.Name, g.Detail))
		}
	}
	return "health gate failed: " + strings.Join(bad, "; ")
}

// promote publishes or resolves the target, then moves the alias.
func (r *run) promote(ctx context.Context) error {
	if err := r.resolveTarget(ctx); err != nil {
		return err
	}
	target := r.target.Version
	r.res.NewVersion = target

	if r.exists {
		if _, _, split := r.before.Split(); !split && r.before.Version == target {
			r.res.Status = outcome.Unchanged
			r.res.Version = target
			r.res.TrafficWeight = 100
			r.d.Log.Infof("alias %s already serves version %s: nothing to do", r.cfg.Alias, target)
			return nil
		}
	}

	if len(r.cfg.SmokePayload) > 0 && r.d.Smoke != nil {
		g := r.d.Smoke(ctx, r.fnRef(), target, r.cfg.SmokePayload)
		r.event(r.weightNow(r.before, target), "smoke test", []outcome.Gate{g})
		r.d.Log.Infof("smoke test of version %s: %s", target, g.Detail)
		if !g.OK {
			return &failure{
				err:  fmt.Errorf("smoke test of version %s failed before any traffic moved: %s", target, g.Detail),
				next: fmt.Sprintf("fix the function and deploy again; reproduce with: aws lambda invoke --function-name %s --qualifier %s --payload file://payload.json out.json", r.res.FunctionName, target),
			}
		}
	}

	if !r.exists {
		st, err := alias.Create(ctx, r.d.Lambda, r.fnRef(), r.cfg.Alias, target, alias.Record(""))
		if err != nil {
			return err
		}
		r.last, r.changed = st, true
		r.res.AliasCreated = true
		r.res.AliasARN = st.ARN
		r.res.Status = outcome.Promoted
		r.res.Version = target
		r.res.TrafficWeight = 100
		r.event(100, "alias created", nil)
		r.d.Log.Infof("created alias %s on version %s (first deploy: nothing to shift from)", r.cfg.Alias, target)
		return nil
	}
	return r.shift(ctx)
}

// resolveTarget waits for $LATEST when it is being updated and publishes it,
// or settles the version named by the inputs.
func (r *run) resolveTarget(ctx context.Context) error {
	if r.target.Version != "" && !isLatest(r.target.Version) {
		return nil
	}
	if r.fn.Busy() {
		r.d.Log.Infof("function %s is being updated (%s/%s); waiting for it to finish", r.fn.Name, r.fn.State, r.fn.Update)
	}
	ready, err := alias.WaitReady(ctx, r.d.Lambda, r.fn, r.d.WaitMax)
	if err != nil {
		return err
	}
	r.fn = ready
	if isLatest(r.cfg.Version) {
		r.target = ready
		return nil
	}
	pub, err := alias.Publish(ctx, r.d.Lambda, ready, r.cfg.Description)
	if err != nil {
		return err
	}
	r.d.Log.Infof("published version %s of %s (code %s)", pub.Version, pub.Name, short(pub.CodeSHA))
	r.target = pub
	if extra, w, ok := r.before.Split(); ok && extra != pub.Version {
		return &failure{err: fmt.Errorf("alias %s has a canary of version %s in progress at %s%%, and $LATEST published as version %s; finalize the canary (traffic-weight: 100, version: %s) or undo it (rollback: true) first", r.cfg.Alias, extra, pct(w*100), pub.Version, extra)}
	}
	if gradual(r.cfg.Plan()) && r.exists {
		// The rules were checked against $LATEST; check the real version.
		stable, err := alias.GetFunction(ctx, r.d.Lambda, r.fn.ARN, r.stable)
		if err != nil {
			return fmt.Errorf("read the stable version %s: %w", r.stable, err)
		}
		if err := alias.WeightedRules(stable, pub); err != nil {
			return &failure{err: err}
		}
	}
	return nil
}

// shift walks the plan, checking gates and drift before every step and while
// steps bake. Any failure puts the alias back on the stable version.
func (r *run) shift(ctx context.Context) error {
	plan := r.cfg.Plan()
	target := r.target.Version
	from := r.weightNow(r.before, target)
	if _, _, split := r.before.Split(); split && len(plan.Steps) > 1 {
		// A canary is in progress: continue from where it holds.
		var rest []rollout.Step
		for _, s := range plan.Steps {
			if s.Weight > from {
				rest = append(rest, s)
			}
		}
		plan.Steps = rest
	}
	since := r.d.Clock.Now()
	var gates []outcome.Gate
	single := len(plan.Steps) == 1

	hooks := rollout.Hooks{
		Check: func(ctx context.Context) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !single {
				// Lambda's revision ID catches a concurrent change on the
				// move itself; a multi-step rollout also reads the alias
				// before each step, to stop before acting on stale state.
				cur, ok, err := r.getAlias(ctx)
				if err != nil {
					return err
				}
				if !ok || !cur.Same(r.last) {
					return &driftError{now: cur}
				}
				r.last.RevisionID = cur.RevisionID
			}
			var err error
			gates, err = r.readGates(ctx, target, since)
			if err != nil {
				return err
			}
			for _, g := range gates {
				if !g.OK {
					return &gateError{gates: gates}
				}
			}
			return nil
		},
		Shift: func(ctx context.Context, w float64) error {
			route := alias.Route{Version: r.stable, Extra: target, Weight: w / 100}
			if w >= 100 {
				route = alias.Route{Version: target}
			}
			r.attempted, r.changed = route, true
			st, err := alias.Move(ctx, r.d.Lambda, r.fnRef(), r.last, route, alias.Record(r.stable))
			if err != nil {
				return err
			}
			r.last = st
			r.res.TrafficWeight = w
			note := fmt.Sprintf("%s%% on %s", pct(w), target)
			r.event(w, note, gates)
			if w >= 100 {
				r.d.Log.Infof("alias %s: all traffic on version %s", r.cfg.Alias, target)
			} else {
				r.d.Log.Infof("alias %s: %s%% of traffic on version %s, %s%% on %s", r.cfg.Alias, pct(w), target, pct(100-w), r.stable)
			}
			return nil
		},
		Progress: func(step int, s rollout.Step, next time.Time) {
			if s.Bake <= 0 {
				return
			}
			gates := "no gates configured"
			if len(r.cfg.Alarms) > 0 || r.cfg.MaxErrorRate != nil {
				gates = fmt.Sprintf("gates read every %s", r.d.CheckEvery)
			}
			r.d.Log.Infof("step %d/%d: holding %s%% for %s (next step at %s UTC); %s", step+1, len(plan.Steps), pct(s.Weight), s.Bake, next.UTC().Format("15:04:05"), gates)
		},
	}
	if !single {
		r.d.Log.Group(fmt.Sprintf("Shift %s from %s to %s: %s", r.cfg.Alias, r.stable, target, plan.Name))
		defer r.d.Log.EndGroup()
	}
	err := rollout.Walk(ctx, r.d.Clock, plan, r.d.CheckEvery, hooks)
	if err == nil {
		r.res.Version = target
		if r.res.TrafficWeight >= 100 {
			r.res.Status = outcome.Promoted
		} else {
			r.res.Status = outcome.Canary
			r.res.Next = fmt.Sprintf("finalize with traffic-weight: 100 and version: %s, or undo with rollback: true", target)
		}
		return nil
	}
	return r.restore(ctx, err)
}

// readGates reads the alarms and the error rate of the new version.
func (r *run) readGates(ctx context.Context, version string, since time.Time) ([]outcome.Gate, error) {
	var gates []outcome.Gate
	if len(r.cfg.Alarms) > 0 && r.d.Alarms != nil {
		g, err := r.d.Alarms(ctx, r.cfg.Alarms)
		if err != nil {
			return nil, fmt.Errorf("read alarms: %w", err)
		}
		gates = append(gates, g...)
	}
	if r.cfg.MaxErrorRate != nil && r.d.ErrorRate != nil {
		g, err := r.d.ErrorRate(ctx, r.res.FunctionName, r.cfg.Alias, version, since)
		if err != nil {
			return nil, fmt.Errorf("read the error rate of version %s: %w", version, err)
		}
		gates = append(gates, g)
	}
	for _, g := range gates {
		r.d.Log.Infof("gate %s: %s", g.Name, g.Detail)
	}
	return gates, nil
}

// restore ends a rollout that failed after it started: unless someone else
// owns the alias now, it goes back to the stable version with no weights,
// under a fresh context so a cancelled job still rolls back.
func (r *run) restore(ctx context.Context, cause error) error {
	var drift *driftError
	if errors.As(cause, &drift) {
		return r.leave(ctx, cause)
	}
	// A revision mismatch (alias.ErrMoved) says the alias changed, not that
	// its routing did: the re-read below tells whether someone else owns it.
	if errors.Is(cause, context.Canceled) || errors.Is(cause, context.DeadlineExceeded) {
		cause = fmt.Errorf("the job was cancelled: %w", cause)
	}
	if !r.changed {
		return &failure{err: cause, state: r.existing(facts{cur: r.before, exists: r.exists})}
	}

	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.d.RollbackTimeout)
	defer cancel()
	r.d.Log.Warningf("rolling back alias %s to version %s: %v", r.cfg.Alias, r.stable, cause)
	// A move can be applied by Lambda while its answer is lost, and a retry
	// of it then fails on the revision: read the alias again before every
	// attempt, until it reads back on the stable version or time runs out.
	var (
		cur     alias.State
		read    bool
		lastErr error
		forward = r.attempted // the last route this run asked for, applied or not
	)
	for attempt := 0; rctx.Err() == nil; attempt++ {
		if attempt > 0 {
			select {
			case <-rctx.Done():
			case <-r.d.Clock.After(rollbackPause):
			}
		}
		now, ok, err := r.getAlias(rctx)
		switch {
		case err != nil:
			lastErr = err
			continue
		case !ok:
			lastErr = errors.New("the alias no longer exists")
			continue
		}
		cur, read = now, true
		if _, _, split := cur.Split(); !split && cur.Version == r.stable {
			r.rolledBack(cause, cur)
			return cause
		}
		if !cur.Same(r.last) && !matches(cur, forward) {
			return r.leave(rctx, &driftError{now: cur})
		}
		r.attempted = alias.Route{Version: r.stable}
		st, err := alias.Move(rctx, r.d.Lambda, r.fnRef(), cur, r.attempted, "lambda-promote: rolled back from "+r.target.Version)
		if err == nil {
			r.rolledBack(cause, st)
			return cause
		}
		lastErr = err
	}
	state := fmt.Sprintf("unknown: the alias could not be read after the failure; it may still send traffic to %s", r.target.Version)
	if read {
		state = r.describe(cur) + " (the rollback failed)"
	}
	return &failure{
		err:   errors.Join(cause, fmt.Errorf("roll back: %w", lastErr)),
		state: state,
		next:  fmt.Sprintf("see where it is with: %s; put it back by hand: %s", r.cmdAlias(), r.cmdMove(r.stable)),
	}
}

// rollbackPause is the wait between two attempts to put the alias back.
const rollbackPause = 250 * time.Millisecond

func (r *run) rolledBack(cause error, st alias.State) {
	r.last = st
	r.res.Status = outcome.RolledBack
	r.res.Version = r.stable
	r.res.TrafficWeight = 0
	r.res.AliasState = r.describe(st) + " (rolled back)"
	var gate *gateError
	switch {
	case errors.Is(cause, context.Canceled) || errors.Is(cause, context.DeadlineExceeded):
		r.res.Next = fmt.Sprintf("nothing is needed: version %s takes no traffic; run the promotion again when you want it", r.target.Version)
	case errors.As(cause, &gate):
		r.res.Next = fmt.Sprintf("version %s failed a health gate and takes no traffic; look at its logs and metrics (CloudWatch, ExecutedVersion=%s), fix it and promote again", r.target.Version, r.target.Version)
	default:
		r.res.Next = fmt.Sprintf("version %s takes no traffic; fix the error above and run the promotion again", r.target.Version)
	}
	r.event(0, "rolled back: "+cause.Error(), nil)
	r.d.Log.Warningf("alias %s is back on version %s with no weights", r.cfg.Alias, r.stable)
}

// leave stops without touching an alias that someone else moved.
func (r *run) leave(ctx context.Context, cause error) error {
	var drift *driftError
	now := "in a state this run did not set"
	if errors.As(cause, &drift) {
		now = r.describe(drift.now)
	} else if cur, ok, err := r.getAlias(context.WithoutCancel(ctx)); err == nil && ok {
		now = r.describe(cur)
	}
	return &failure{
		err:   fmt.Errorf("stopped without touching alias %s: someone else changed it during this run (%w)", r.cfg.Alias, cause),
		state: now + "; lambda-promote left it as it is",
		next:  fmt.Sprintf("find out who moved it (CloudTrail UpdateAlias events for %s) and run the promotion again once they are done; see it with: %s", r.res.FunctionName, r.cmdAlias()),
	}
}

// matches reports whether an alias reads as a route.
func matches(s alias.State, r alias.Route) bool {
	if r.Version == "" {
		return false
	}
	want := alias.State{Version: r.Version, Weights: map[string]float64{}}
	if r.Extra != "" {
		want.Weights[r.Extra] = r.Weight
	}
	return s.Same(want)
}

// rollback puts the alias back on its stable version, as asked by the
// rollback input: the primary version of a canary in progress, or the version
// recorded before this action's last promotion.
func (r *run) rollback(ctx context.Context, f facts) error {
	if !f.exists {
		return &failure{err: fmt.Errorf("input \"rollback\": alias %s does not exist, so there is nothing to roll back", r.cfg.Alias)}
	}
	r.res.Strategy = "rollback"
	to := ""
	if extra, w, ok := f.cur.Split(); ok {
		to = f.cur.Version
		r.res.NewVersion = extra
		r.res.Plan = []string{fmt.Sprintf("take the %s%% on version %s out: alias %s back on %s with no weights", pct(w*100), extra, r.cfg.Alias, to)}
	} else {
		to = alias.Previous(f.cur.Description)
		r.res.NewVersion = f.cur.Version
		if to == "" {
			return &failure{
				err:  fmt.Errorf("input \"rollback\": alias %s serves %s and records no earlier promotion by lambda-promote (its description is %q), so the version to go back to is unknown", r.cfg.Alias, f.cur.Version, f.cur.Description),
				next: fmt.Sprintf("promote the version you want with version: N, or by hand: %s", r.cmdMove("N")),
			}
		}
		r.res.Plan = []string{fmt.Sprintf("move alias %s from %s back to %s, the version it served before the last promotion", r.cfg.Alias, f.cur.Version, to)}
	}
	r.stable = to
	if r.cfg.DryRun {
		r.res.Status = outcome.DryRun
		r.res.Version = f.cur.Version
		r.res.AliasState = r.existing(f)
		for _, l := range r.res.Plan {
			r.d.Log.Infof("plan: %s", l)
		}
		return nil
	}
	r.changed = true
	r.attempted = alias.Route{Version: to}
	st, err := alias.Move(ctx, r.d.Lambda, r.fnRef(), f.cur, alias.Route{Version: to}, "lambda-promote: rolled back from "+f.cur.Version)
	if err != nil {
		if errors.Is(err, alias.ErrMoved) {
			return r.leave(ctx, err)
		}
		return &failure{err: err, next: fmt.Sprintf("put it back by hand: %s", r.cmdMove(to))}
	}
	r.last = st
	r.res.Status = outcome.RolledBack
	r.res.Version = to
	r.res.TrafficWeight = 0
	r.res.AliasState = r.describe(st) + " (rolled back on request)"
	r.res.Next = "nothing: the rollback is done; promote again once the new version is fixed"
	r.event(0, "rolled back on request", nil)
	r.d.Log.Infof("alias %s is back on version %s with no weights", r.cfg.Alias, to)
	return nil
}
