package promote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
	"github.com/lambda-promote/lambda-promote/internal/rollout"
)

// driftError means someone else moved (or deleted) the alias during the run.
type driftError struct {
	now  alias.State
	gone bool // the alias was deleted
}

func (e *driftError) Error() string {
	if e.gone {
		return "someone else deleted the alias during the rollout"
	}
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
		r.changed = true
		st, err := alias.Create(ctx, r.d.Lambda, r.fnRef(), r.cfg.Alias, target, alias.Record(""))
		if err != nil {
			// The answer may be lost after Lambda created it, or another run
			// may have created it first: say what is there now.
			return r.created(ctx, target, err)
		}
		r.last = st
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

// created reports a CreateAlias that failed: the alias may exist anyway.
func (r *run) created(ctx context.Context, target string, err error) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.d.RollbackTimeout)
	defer cancel()
	cur, ok, rerr := r.getAlias(rctx)
	switch {
	case rerr != nil:
		return &failure{err: err, state: "unknown: the alias could not be read after the create failed", next: "see it with: " + r.cmdAlias()}
	case !ok:
		return &failure{err: err, state: fmt.Sprintf("%s does not exist; nothing was changed", r.cfg.Alias)}
	}
	r.res.Version = cur.Version
	r.res.TrafficWeight = r.weightNow(cur, target)
	if _, _, split := cur.Split(); !split && cur.Version == target && alias.Previous(cur.Description) == "" {
		// Lambda created it as asked; only the answer was lost.
		r.d.Log.Warningf("creating alias %s failed (%v), but it reads back on version %s: counted as done", r.cfg.Alias, err, target)
		r.last, r.res.AliasCreated, r.res.AliasARN = cur, true, cur.ARN
		r.res.Status = outcome.Promoted
		r.event(100, "alias created", nil)
		return nil
	}
	return &failure{
		err:   fmt.Errorf("alias %s was created by someone else while this run created it: %w", r.cfg.Alias, err),
		state: r.describe(cur) + "; lambda-promote left it as it is",
		next:  "run the promotion again: it will move the alias that now exists",
	}
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
		return &failure{err: fmt.Errorf("alias %s has a canary of version %s in progress at %s%%, and $LATEST published as version %s; finalize the canary (traffic-weight: 100, version: %s) or undo it (rollback: true) first", r.cfg.Alias, extra, w.Number(), pub.Version, extra)}
	}
	if gradual(r.cfg.Plan()) && r.exists {
		// The rules were checked against $LATEST; check the real version.
		if err := r.checkWeighted(ctx, pub); err != nil {
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
					return &driftError{now: cur, gone: !ok}
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
		Shift: func(ctx context.Context, w percent.Percent) error {
			route := alias.Route{Version: r.stable, Extra: target, Weight: w}
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
			note := fmt.Sprintf("%s%% on %s", w.Number(), target)
			r.event(w, note, gates)
			if w >= 100 {
				r.d.Log.Infof("alias %s: all traffic on version %s", r.cfg.Alias, target)
			} else {
				r.d.Log.Infof("alias %s: %s%% of traffic on version %s, %s%% on %s", r.cfg.Alias, w.Number(), target, (100 - w).Number(), r.stable)
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
			r.d.Log.Infof("step %d/%d: holding %s%% for %s (next step at %s UTC); %s", step+1, len(plan.Steps), s.Weight.Number(), s.Bake, next.UTC().Format("15:04:05"), gates)
		},
	}
	if !single {
		r.d.Log.Group(fmt.Sprintf("Shift %s from %s to %s: %s, %d steps over %s", r.cfg.Alias, r.stable, target, plan.Name, len(plan.Steps), plan.Total()))
		defer r.d.Log.EndGroup()
	}
	err := rollout.Walk(ctx, r.d.Clock, plan, r.d.CheckEvery, hooks)
	if err == nil && r.res.TrafficWeight == 0 {
		// traffic-weight: 0 takes a held slice out: the alias is whole on
		// the stable version again.
		r.res.Version = r.stable
		r.res.Status = outcome.Unchanged
		if _, _, split := r.before.Split(); split {
			r.rolledBack(errRequested, r.last)
		}
		return nil
	}
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
	// its routing did: putBack's reading tells whether someone else owns it.
	if errors.Is(cause, context.Canceled) || errors.Is(cause, context.DeadlineExceeded) {
		cause = fmt.Errorf("the job was cancelled: %w", cause)
	}
	if _, _, split := r.before.Split(); !r.changed && !split {
		// Nothing moved and no canary was in progress: nothing to undo.
		return &failure{err: cause, state: r.existing(facts{cur: r.before, exists: r.exists})}
	}
	r.d.Log.Warningf("rolling back alias %s to version %s: %v", r.cfg.Alias, r.stable, cause)
	forward := r.attempted // the last route this run asked for, applied or not
	if err := r.putBack(ctx, cause, func(s alias.State) bool { return s.Same(r.last) || matches(s, forward) }); err != nil {
		return err
	}
	return cause
}

// errRequested is the cause of a rollback the rollback input asked for.
var errRequested = errors.New("rolled back on request")

// putBack moves the alias to the stable version with no weights, on a fresh
// context with RollbackTimeout. A move can be applied by Lambda while its
// answer is lost, and a retry of it then fails on the revision, so the alias
// is read again before every attempt, until it reads back on the stable
// version or time runs out. ours tells whether a reading is a state this run
// may change; any other means someone else owns the alias now.
func (r *run) putBack(ctx context.Context, cause error, ours func(alias.State) bool) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.d.RollbackTimeout)
	defer cancel()
	var (
		cur     alias.State
		read    bool
		lastErr error
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
			return r.leave(rctx, &driftError{gone: true})
		}
		cur, read = now, true
		if _, _, split := cur.Split(); !split && cur.Version == r.stable {
			r.rolledBack(cause, cur)
			return nil
		}
		if !ours(cur) {
			return r.leave(rctx, &driftError{now: cur})
		}
		r.attempted, r.changed = alias.Route{Version: r.stable}, true
		st, err := alias.Move(rctx, r.d.Lambda, r.fnRef(), cur, r.attempted, "lambda-promote: rolled back from "+r.res.NewVersion)
		if err == nil {
			r.rolledBack(cause, st)
			return nil
		}
		lastErr = err
	}
	state := fmt.Sprintf("unknown: the alias could not be read; it may still send traffic to %s", r.res.NewVersion)
	if read {
		state = r.describe(cur) + " (the rollback failed)"
		r.res.Version = cur.Version
		r.res.TrafficWeight = r.weightNow(cur, r.res.NewVersion)
	}
	err := fmt.Errorf("roll back: %w", lastErr)
	if cause != errRequested {
		err = errors.Join(cause, err)
	}
	return &failure{
		err:   err,
		state: state,
		next:  fmt.Sprintf("see where it is with: %s; put it back by hand: %s", r.cmdAlias(), r.cmdMove(r.stable)),
	}
}

// rollbackPause is the wait between two attempts to put the alias back.
const rollbackPause = 250 * time.Millisecond

// rolledBack records that the alias is back on the stable version.
func (r *run) rolledBack(cause error, st alias.State) {
	r.last = st
	r.res.Status = outcome.RolledBack
	r.res.Version = r.stable
	r.res.TrafficWeight = 0
	if cause == errRequested {
		r.res.AliasState = r.describe(st) + " (rolled back on request)"
		r.res.Next = "nothing: the rollback is done; promote again once the new version is fixed"
		r.event(0, "rolled back on request", nil)
		r.d.Log.Infof("alias %s is back on version %s with no weights", r.cfg.Alias, r.stable)
		return
	}
	r.res.AliasState = r.describe(st) + " (rolled back)"
	var gate *gateError
	switch {
	case errors.Is(cause, context.Canceled) || errors.Is(cause, context.DeadlineExceeded):
		r.res.Next = fmt.Sprintf("nothing is needed: version %s takes no traffic; run the promotion again when you want it", r.res.NewVersion)
	case errors.As(cause, &gate):
		r.res.Next = fmt.Sprintf("version %s failed a health gate and takes no traffic; look at its logs and metrics (CloudWatch, ExecutedVersion=%s), fix it and promote again", r.res.NewVersion, r.res.NewVersion)
	default:
		r.res.Next = fmt.Sprintf("version %s takes no traffic; fix the error above and run the promotion again", r.res.NewVersion)
	}
	r.event(0, "rolled back: "+cause.Error(), nil)
	r.d.Log.Warningf("alias %s is back on version %s with no weights", r.cfg.Alias, r.stable)
}

// leave stops without touching an alias that someone else moved, and
// reports it as it is now.
func (r *run) leave(ctx context.Context, cause error) error {
	var (
		drift *driftError
		cur   alias.State
		known bool
	)
	if errors.As(cause, &drift) {
		cur, known = drift.now, !drift.gone
	} else if now, ok, err := r.getAlias(context.WithoutCancel(ctx)); err == nil && ok {
		cur, known = now, true
	}
	state := "in a state this run did not set"
	switch {
	case drift != nil && drift.gone:
		state = fmt.Sprintf("%s no longer exists", r.cfg.Alias)
	case known:
		state = r.describe(cur)
		r.res.Version = cur.Version
		r.res.TrafficWeight = r.weightNow(cur, r.res.NewVersion)
	}
	return &failure{
		err:   fmt.Errorf("stopped without touching alias %s: someone else changed it during this run (%w)", r.cfg.Alias, cause),
		state: state + "; lambda-promote left it as it is",
		next:  fmt.Sprintf("find out who changed it (CloudTrail UpdateAlias, DeleteAlias events for %s) and run the promotion again once they are done; see it with: %s", r.res.FunctionName, r.cmdAlias()),
	}
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
		r.res.Plan = []string{fmt.Sprintf("take the %s%% on version %s out: alias %s back on %s with no weights", w.Number(), extra, r.cfg.Alias, to)}
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
	return r.putBack(ctx, errRequested, func(s alias.State) bool { return s.Same(f.cur) })
}
