package promote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
	"github.com/lambda-promote/lambda-promote/internal/rollout"
)

// ending is how a run left the alias: all that result needs from execute.
type ending struct {
	status   outcome.Status
	how      how
	cause    error        // what stopped the run; nil when it went as planned
	alias    *alias.State // the alias at the end, as last read or set; nil when it does not exist or is unknown
	unknown  bool         // where the alias is could not be told
	changed  bool         // a call that moves the alias was made
	created  bool         // this run created the alias
	target   alias.Function
	timeline []outcome.Event
}

// how says what kind of ending it was, for the sentences result writes.
type how int

const (
	done          how = iota // as planned: promoted, canary, unchanged, or rolled back on request
	untouched                // stopped before anything changed
	rolledBack               // put back on the stable version after a failure or a cancel
	left                     // someone else changed the alias; this run left it as they did
	stuck                    // the rollback itself failed
	createdByThem            // someone else created the alias while this run did
)

// execution is the only mutable state of a run: what it published, how it
// last set the alias, and the timeline.
type execution struct {
	cfg config.Config
	d   Deps
	f   facts
	dec decision

	target    alias.Function // the version promoted, once published or resolved
	stable    string
	last      alias.State // the alias as this run last set (or read) it
	changed   bool        // a call that moves the alias was made
	attempted alias.Route // the route of the last move call, applied or not
	weight    percent.Percent
	since     time.Time // when the target first took traffic; zero while it has none
	timeline  []outcome.Event
}

// execute carries the decision out and says how it left the alias.
func execute(ctx context.Context, cfg config.Config, d Deps, f facts, dec decision) ending {
	x := &execution{cfg: cfg, d: d, f: f, dec: dec, target: dec.target, stable: dec.stable}
	if f.alias != nil {
		x.last = *f.alias
	}
	if dec.rollback {
		return x.putBack(ctx, errRequested, func(s alias.State) bool { return s.Same(*f.alias) })
	}
	if err := x.resolveTarget(ctx); err != nil {
		return x.stopped(err)
	}
	if f.alias != nil {
		if _, _, split := f.alias.Split(); !split && f.alias.Version == x.target.Version {
			d.Log.Infof("alias %s already serves version %s: nothing to do", cfg.Alias, x.target.Version)
			return x.end(outcome.Unchanged, done, nil)
		}
	}
	x.weight = weightOn(f.alias, x.target.Version)
	x.since = dec.since
	if len(cfg.SmokePayload) > 0 && d.Smoke != nil {
		// Lambda runs an invocation for up to the version's timeout; the
		// margin covers the call itself.
		g := d.Smoke(ctx, x.fnRef(), x.target.Version, cfg.SmokePayload, x.target.Timeout+smokeMargin)
		x.event(x.weight, "smoke test", []outcome.Gate{g})
		d.Log.Infof("smoke test of version %s: %s", x.target.Version, g.Detail)
		if !g.OK {
			return x.stopped(&failure{
				err:      fmt.Errorf("smoke test of version %s failed before any traffic moved: %s", x.target.Version, g.Detail),
				next:     "fix the function and deploy again; reproduce the failure with:",
				nextCode: fmt.Sprintf("aws lambda invoke --function-name %s --qualifier %s --payload file://payload.json out.json", f.name(cfg), x.target.Version),
			})
		}
	}
	if dec.create {
		return x.create(ctx)
	}
	return x.shift(ctx)
}

// smokeMargin is added to the version's timeout for the smoke test's call.
const smokeMargin = 10 * time.Second

// patience is how long calls wait for Lambda to finish an update in
// progress, on the run's clock.
func (x *execution) patience() alias.Patience {
	return alias.Patience{Max: x.d.WaitMax, Now: x.d.Clock.Now, Sleep: x.sleep}
}

func (x *execution) sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-x.d.Clock.After(d):
		return nil
	}
}

// end is an ending at the alias as this run last saw it.
func (x *execution) end(status outcome.Status, h how, cause error) ending {
	a := x.last
	e := ending{status: status, how: h, cause: cause, changed: x.changed, target: x.target, timeline: x.timeline}
	if a.Version != "" {
		e.alias = &a
	}
	return e
}

// stopped ends a run in which nothing was moved.
func (x *execution) stopped(err error) ending {
	return x.end(outcome.Failed, untouched, err)
}

// resolveTarget waits for $LATEST when it is being updated and publishes it,
// or settles the version named by the inputs; then waits until the version
// is Active, since Lambda does not invoke a Pending version.
func (x *execution) resolveTarget(ctx context.Context) error {
	if x.dec.publish || x.dec.latest {
		fn := x.f.fn
		if fn.Busy() {
			x.d.Log.Infof("function %s is being updated (%s/%s); waiting for it to finish", fn.Name, fn.State, fn.Update)
		}
		ready, err := alias.WaitReady(ctx, x.d.Lambda, fn, x.d.WaitMax)
		if err != nil {
			return err
		}
		if x.dec.latest {
			x.target = ready
			return nil
		}
		pub, err := alias.Publish(ctx, x.d.Lambda, ready, x.cfg.Description, x.patience())
		if err != nil {
			return err
		}
		x.d.Log.Infof("published version %s of %s (code %s)", pub.Version, pub.Name, short(pub.CodeSHA))
		x.target = pub
	}
	if x.target.State != string(types.StateActive) {
		x.d.Log.Infof("version %s is %s; waiting until it is Active before any traffic reaches it", x.target.Version, orUnknown(x.target.State))
		active, err := alias.WaitActive(ctx, x.d.Lambda, x.target, x.patience())
		if err != nil {
			return err
		}
		x.target = active
	}
	if !x.dec.publish || x.f.alias == nil {
		return nil
	}
	if extra, w, ok := x.f.alias.Split(); ok && extra != x.target.Version {
		return fmt.Errorf("alias %s has a canary of version %s in progress at %s, and $LATEST published as version %s; finalize the canary (traffic-weight: 100, version: %s) or undo it (rollback: true) first", x.cfg.Alias, extra, w, x.target.Version, extra)
	}
	if gradual(x.dec.plan) && x.f.stable != nil {
		// The rules were checked against $LATEST; check the real version.
		return alias.WeightedRules(*x.f.stable, x.target)
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "not known to be Active"
	}
	return s
}

// record is the alias description of a move to the target.
func (x *execution) record() string {
	return alias.Record{State: alias.Shifting, Stable: x.stable, New: x.target.Version, Since: x.since}.MustEncode()
}

// create makes the alias on the target: a first deploy. Lambda answers 409
// both when the alias exists and while the function is being updated; the
// alias is read to tell them apart.
func (x *execution) create(ctx context.Context) ending {
	x.changed = true
	desc := alias.Record{State: alias.Created, New: x.target.Version}.MustEncode()
	var (
		st  alias.State
		err error
	)
	deadline := x.d.Clock.Now().Add(x.d.WaitMax)
	for {
		st, err = alias.Create(ctx, x.d.Lambda, x.fnRef(), x.cfg.Alias, x.target.Version, desc)
		if err == nil || !alias.IsConflict(err) || !x.d.Clock.Now().Before(deadline) {
			break
		}
		if _, exists, rerr := x.getAlias(ctx); rerr != nil || exists {
			break
		}
		x.d.Log.Infof("creating alias %s: an update of the function is in progress; trying again", x.cfg.Alias)
		if serr := x.sleep(ctx, time.Second); serr != nil {
			break
		}
	}
	if err != nil {
		// The answer may be lost after Lambda created it, or another run
		// may have created it first: say what is there now.
		return x.created(ctx, err)
	}
	x.last = st
	x.event(100, "alias created", nil)
	x.d.Log.Infof("created alias %s on version %s (first deploy: nothing to shift from)", x.cfg.Alias, x.target.Version)
	e := x.end(outcome.Promoted, done, nil)
	e.created = true
	return e
}

// created reports a CreateAlias that failed: the alias may exist anyway.
func (x *execution) created(ctx context.Context, err error) ending {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), x.d.CancelRollbackTimeout)
	defer cancel()
	cur, ok, rerr := x.getAlias(rctx)
	switch {
	case rerr != nil:
		e := x.end(outcome.Failed, stuck, err)
		e.unknown = true
		return e
	case !ok:
		return x.end(outcome.Failed, untouched, err)
	}
	x.last = cur
	rec, _, _ := alias.ParseRecord(cur.Description)
	if _, _, split := cur.Split(); !split && cur.Version == x.target.Version && rec.State == alias.Created {
		// Lambda created it as asked; only the answer was lost.
		x.d.Log.Warningf("creating alias %s failed (%v), but it reads back on version %s: counted as done", x.cfg.Alias, err, x.target.Version)
		x.event(100, "alias created", nil)
		e := x.end(outcome.Promoted, done, nil)
		e.created = true
		return e
	}
	return x.end(outcome.Failed, createdByThem, fmt.Errorf("alias %s was created by someone else while this run created it: %w", x.cfg.Alias, err))
}

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

// shift walks the plan, checking gates and drift before every step and while
// steps bake. Any failure puts the alias back on the stable version.
func (x *execution) shift(ctx context.Context) ending {
	plan := x.dec.plan
	target := x.target.Version
	var gates []outcome.Gate
	single := len(plan.Steps) == 1

	hooks := rollout.Hooks{
		Check: func(ctx context.Context, at rollout.Checkpoint) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !single {
				// Lambda's revision ID catches a concurrent change on the
				// move itself; a multi-step rollout also reads the alias
				// before each step, to stop before acting on stale state.
				cur, ok, err := x.getAlias(ctx)
				if err != nil {
					return err
				}
				if !ok || !cur.Same(x.last) {
					return &driftError{now: cur, gone: !ok}
				}
				x.last.RevisionID = cur.RevisionID
			}
			var err error
			// A check that ends a bake decides the next step: it waits for
			// CloudWatch's late metrics and wants enough traffic.
			gates, err = x.readGates(ctx, !at.Baking)
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
			route := alias.Route{Version: x.stable, Extra: target, Weight: w}
			if w >= 100 {
				route = alias.Route{Version: target}
			}
			if x.since.IsZero() && w > 0 {
				x.since = x.d.Clock.Now()
			}
			x.attempted, x.changed = route, true
			st, err := alias.Move(ctx, x.d.Lambda, x.fnRef(), x.last, route, x.record(), x.patience())
			if err != nil {
				return err
			}
			x.last, x.weight = st, w
			x.event(w, fmt.Sprintf("%s on %s", w, target), gates)
			if w >= 100 {
				x.d.Log.Infof("alias %s: all traffic on version %s", x.cfg.Alias, target)
			} else {
				x.d.Log.Infof("alias %s: %s of traffic on version %s, %s on %s", x.cfg.Alias, w, target, 100-w, x.stable)
			}
			return nil
		},
		Progress: func(step int, s rollout.Step, next time.Time) {
			if s.Bake <= 0 {
				return
			}
			gates := "no gates configured"
			if len(x.cfg.Alarms) > 0 || x.wantMetrics() {
				gates = fmt.Sprintf("gates read every %s", x.d.CheckEvery)
			}
			x.d.Log.Infof("step %d/%d: holding %s for %s (next step at %s UTC); %s", step+1, len(plan.Steps), s.Weight, s.Bake, next.UTC().Format("15:04:05"), gates)
		},
	}
	if !single {
		x.d.Log.Group(fmt.Sprintf("Shift %s from %s to %s: %s, %d steps over %s", x.cfg.Alias, x.stable, target, plan.Name, len(plan.Steps), plan.Total()))
		defer x.d.Log.EndGroup()
	}
	err := rollout.Walk(ctx, x.d.Clock, plan, x.d.CheckEvery, hooks)
	switch {
	case err != nil:
		return x.restore(ctx, err)
	case x.weight == 0:
		// traffic-weight: 0 takes a held slice out: the alias is whole on
		// the stable version again.
		if _, _, split := x.f.alias.Split(); split {
			return x.rolledBack(errRequested)
		}
		return x.end(outcome.Unchanged, done, nil)
	case x.weight >= 100:
		return x.end(outcome.Promoted, done, nil)
	default:
		return x.end(outcome.Canary, done, nil)
	}
}

// event appends a row to the timeline.
func (x *execution) event(weight percent.Percent, note string, gates []outcome.Gate) {
	x.timeline = append(x.timeline, outcome.Event{At: x.d.Clock.Now(), Weight: weight, Note: note, Gates: gates})
}

func (x *execution) getAlias(ctx context.Context) (alias.State, bool, error) {
	return alias.Get(ctx, x.d.Lambda, x.fnRef(), x.cfg.Alias)
}

// fnRef is how the function is named in calls: its ARN once read.
func (x *execution) fnRef() string {
	if x.f.fn.ARN != "" {
		return x.f.fn.ARN
	}
	return x.cfg.FunctionName
}

// weightOn is the share of traffic an alias sends to version.
func weightOn(s *alias.State, version string) percent.Percent {
	if s == nil || version == "" {
		return 0
	}
	if s.Version == version {
		if _, w, ok := s.Split(); ok {
			return 100 - w
		}
		return 100
	}
	return s.Weights[version]
}

// failure is an error that ends a run, with what to do next.
type failure struct {
	err      error
	next     string // what to do next
	nextCode string // the command that does it
}

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// isCancel reports whether err comes from a cancelled job.
func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
