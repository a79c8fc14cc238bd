package promote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/fix"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
	"github.com/lambda-promote/lambda-promote/internal/rollout"
)

// ending is how a run left one function's alias: all that result needs from
// execute.
type ending struct {
	status  outcome.Status
	how     how
	cause   error        // what stopped the run; nil when it went as planned
	alias   *alias.State // the alias at the end, as last read or set; nil when it does not exist or is unknown
	unknown bool         // where the alias is could not be told
	changed bool         // a call that moves the alias was made
	created bool         // this run created the alias
	target  alias.Function
	// nextStep is when a detached rollout's next step is due; zero
	// otherwise.
	nextStep time.Time
	held     bool      // a detached step held: the comparison cannot tell yet
	note     string    // what a reader should know of an ending as planned
	since    time.Time // when the new version first took traffic; zero when it did not
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

// release is the execution of a whole run: every function's execution, the
// one walk of the schedule they share, and the timeline.
type release struct {
	cfg      config.Config
	d        Deps
	dec      releaseDecision
	units    []*execution
	timeline []outcome.Event
	mu       sync.Mutex // guards timeline
}

// execution is the only mutable state of one function's promotion: what it
// published, how it last set the alias.
type execution struct {
	cfg config.Config
	d   Deps
	f   facts
	dec decision
	rel *release

	target    alias.Function // the version promoted, once published or resolved
	stable    string
	last      alias.State // the alias as this run last set (or read) it
	changed   bool        // a call that moves the alias was made
	attempted alias.Route // the route of the last move call, applied or not
	weight    percent.Percent
	since     time.Time // when the target first took traffic; zero while it has none
	shiftedAt time.Time // when this run last moved a slice below 100 % to the target
	ended     *ending   // set once this function's part is over

	// A detached rollout's place in its schedule, written in the record.
	detach *detachment
	step   int
	stepAt time.Time
}

// execute carries the decisions out, every function of the release
// together, and says how it left each alias.
func execute(ctx context.Context, cfg config.Config, d Deps, fs []facts, rd releaseDecision) ([]ending, []outcome.Event) {
	r := &release{cfg: cfg, d: d, dec: rd}
	for i, f := range fs {
		x := &execution{cfg: cfg, d: d, f: f, dec: rd.fns[i], rel: r, target: rd.fns[i].target, stable: rd.fns[i].stable}
		if f.alias != nil {
			x.last = *f.alias
		}
		r.units = append(r.units, x)
	}
	r.run(ctx)
	endings := make([]ending, len(r.units))
	for i, x := range r.units {
		endings[i] = *x.ended
	}
	return endings, r.timeline
}

// run takes the steps of the release: publish every function, smoke-test
// every new version, create the aliases of first deploys, then walk the
// schedule with every alias that moves.
func (r *release) run(ctx context.Context) {
	if r.dec.rollback {
		r.each(r.units, func(x *execution) error {
			x.finish(x.putBack(ctx, errRequested, func(s alias.State) bool { return s.Same(*x.f.alias) }))
			return nil
		})
		return
	}
	for _, x := range r.units {
		if x.dec.idle {
			e := x.end(outcome.Unchanged, done, nil)
			e.note = "no detached rollout is in progress; a scheduled run only carries one on"
			x.finish(e)
		}
	}
	if err := r.each(r.open(), func(x *execution) error { return x.resolveTarget(ctx) }); err != nil {
		r.stopAll(err)
		return
	}
	for _, x := range r.units {
		if x.f.alias != nil {
			if _, _, split := x.f.alias.Split(); !split && x.f.alias.Version == x.target.Version {
				r.d.Log.Infof("alias %s of %s already serves version %s: nothing to do", r.cfg.Alias, x.name(), x.target.Version)
				x.finish(x.end(outcome.Unchanged, done, nil))
			}
		}
		x.weight = weightOn(x.f.alias, x.target.Version)
		x.since = x.dec.since
	}
	// A detached rollout that goes on had its smoke test when it began.
	if carryOn := r.dec.detach != nil && r.dec.detach.step >= 0; !carryOn {
		if err := r.each(r.open(), func(x *execution) error { return x.smoke(ctx) }); err != nil {
			r.stopAll(err)
			return
		}
	}
	r.each(r.open(), func(x *execution) error {
		if x.dec.create {
			x.finish(x.create(ctx))
		}
		return nil
	})
	switch moving := r.open(); {
	case len(moving) == 0:
	case r.dec.detach != nil:
		r.detached(ctx, moving)
	default:
		r.shift(ctx, moving)
	}
}

// open are the functions whose part is not over yet.
func (r *release) open() []*execution {
	var out []*execution
	for _, x := range r.units {
		if x.ended == nil {
			out = append(out, x)
		}
	}
	return out
}

// each runs fn for every unit at once (Lambda's quota paces the calls) and
// joins the errors, each named by its function in a release of several.
func (r *release) each(units []*execution, fn func(*execution) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, x := range units {
		wg.Go(func() {
			if err := fn(x); err != nil {
				mu.Lock()
				errs = append(errs, &unitError{x: x, err: err})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// In the order of the inputs, so that messages read the same each run.
	var ordered []error
	for _, x := range units {
		for _, e := range errs {
			if ue := e.(*unitError); ue.x == x {
				ordered = append(ordered, ue)
			}
		}
	}
	return errors.Join(ordered...)
}

// unitError is an error of one function of a release.
type unitError struct {
	x   *execution
	err error
}

func (e *unitError) Error() string {
	if len(e.x.rel.units) > 1 {
		return e.x.name() + ": " + e.err.Error()
	}
	return e.err.Error()
}
func (e *unitError) Unwrap() error { return e.err }

// stopAll ends every open function untouched: one of them failed before
// any alias moved, and a release moves all or nothing.
func (r *release) stopAll(err error) {
	for _, x := range r.open() {
		if mine := unitErr(err, x); mine != nil {
			x.finish(x.stopped(mine))
		} else {
			x.finish(x.stopped(fmt.Errorf("not moved: the release stopped before any alias moved: %w", err)))
		}
	}
}

// unitErr is the part of a joined error that is x's, or nil.
func unitErr(err error, x *execution) error {
	var mine []error
	for _, e := range flatten(err) {
		var ue *unitError
		if errors.As(e, &ue) && ue.x == x {
			mine = append(mine, ue.err)
		}
	}
	return errors.Join(mine...)
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// finish records how x's part ended.
func (x *execution) finish(e ending) {
	x.ended = &e
}

// name is the function's name.
func (x *execution) name() string { return x.f.name() }

// smoke invokes the new version once with the smoke-test payload before any
// traffic moves.
func (x *execution) smoke(ctx context.Context) error {
	if len(x.cfg.SmokePayload) == 0 || x.d.Smoke == nil {
		return nil
	}
	// Lambda runs an invocation for up to the version's timeout; the margin
	// covers the call itself.
	g := x.d.Smoke(ctx, x.fnRef(), x.target.Version, x.cfg.SmokePayload, x.target.Timeout+smokeMargin)
	x.rel.event(x.weight, "smoke test of "+x.target.Version, []outcome.Gate{g})
	x.d.Log.Infof("smoke test of %s version %s: %s", x.name(), x.target.Version, g.Detail)
	if g.OK {
		return nil
	}
	return &fix.Error{
		Err:  fmt.Errorf("smoke test of version %s failed before any traffic moved: %s", x.target.Version, g.Detail),
		Next: "fix the function and deploy again; reproduce the failure with:",
		Code: cmdInvoke(x.name(), x.target.Version, x.cfg.SmokePayload),
	}
}

// cmdInvoke invokes a version with the smoke test's payload, written to a
// file first, and shows the answer. fileb:// sends the file as it is with the
// AWS CLI v1 and v2 alike (v2 reads file:// as base64 unless told otherwise).
// A payload too long to print in full is left to the reader to put in
// payload.json.
func cmdInvoke(function, version string, payload []byte) string {
	invoke := fix.AWS("lambda", "invoke", "--function-name", function, "--qualifier", version, "--payload", "fileb://payload.json", "out.json")
	if len(payload) > 1000 {
		return fix.And(invoke, "cat out.json") + "  # payload.json: the smoke-test-payload input"
	}
	return fix.And("printf '%s' "+fix.Quote(string(payload))+" > payload.json", invoke, "cat out.json")
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
	e := ending{status: status, how: h, cause: cause, changed: x.changed, target: x.target, since: x.since}
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
		x.d.Log.Infof("version %s of %s is %s; waiting until it is Active before any traffic reaches it", x.target.Version, x.name(), orUnknown(x.target.State))
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
		return fix.Errorf(finishOrUndoNext, finishOrUndoInputs(extra, x.f.alias.Version),
			"alias %s has a canary of version %s in progress at %s, and $LATEST published as version %s; finalize the canary (traffic-weight: 100, version: %s) or undo it (rollback: true) first", x.cfg.Alias, extra, w, x.target.Version, extra)
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

// record is the alias description of a move to the target at weight w:
// the rollback target, when the target first took traffic, and for a
// detached rollout that goes on, its schedule and step.
func (x *execution) record(w percent.Percent) string {
	rec := alias.Record{State: alias.Shifting, Stable: x.stable, New: x.target.Version, Since: x.since}
	if x.detach != nil && w < 100 {
		rec.Plan, rec.Step, rec.StepAt = x.detach.encoded, x.step, x.stepAt
	}
	desc, err := rec.Encode()
	if err != nil {
		// decide checked that the schedule fits; keep what must be kept.
		rec.Plan = ""
		desc = rec.MustEncode()
	}
	return desc
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
		x.d.Log.Infof("creating alias %s of %s: an update of the function is in progress; trying again", x.cfg.Alias, x.name())
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
	x.rel.event(100, "alias created on "+x.target.Version, nil)
	x.d.Log.Infof("created alias %s of %s on version %s (first deploy: nothing to shift from)", x.cfg.Alias, x.name(), x.target.Version)
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
		x.d.Log.Warningf("creating alias %s of %s failed (%v), but it reads back on version %s: counted as done", x.cfg.Alias, x.name(), err, x.target.Version)
		x.rel.event(100, "alias created on "+x.target.Version, nil)
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

// shift walks the plan with every moving alias, checking gates and drift
// before every step and while steps bake. Every alias reaches a step's
// weight before its bake starts, and the release goes on only while all are
// healthy. Any failure puts every alias that moved back on its stable
// version.
func (r *release) shift(ctx context.Context, units []*execution) {
	plan := r.dec.plan
	single := len(plan.Steps) == 1
	var gates []outcome.Gate
	check := func(ctx context.Context, rd reading) ([]outcome.Gate, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !single {
			// Lambda's revision ID catches a concurrent change on the
			// move itself; a multi-step rollout also reads the aliases
			// before each step, to stop before acting on stale state.
			if err := r.each(units, func(x *execution) error { return x.checkDrift(ctx) }); err != nil {
				return nil, err
			}
		}
		return r.readGates(ctx, units, rd)
	}
	hooks := rollout.Hooks{
		Check: func(ctx context.Context, at rollout.Checkpoint) error {
			// A check that ends a bake decides the next step: it waits for
			// CloudWatch's late metrics and wants enough traffic.
			first := r.d.Clock.Now()
			var err error
			gates, err = check(ctx, reading{final: !at.Baking})
			if err != nil {
				return err
			}
			if failed(gates) {
				return &gateError{gates: gates}
			}
			if at.Baking || !holding(gates) {
				return nil
			}
			var bake time.Duration
			if at.Step > 0 {
				bake = plan.Steps[at.Step-1].Bake
			}
			return r.holdUndecided(ctx, units, first, bake, &gates, check)
		},
		Shift: func(ctx context.Context, w percent.Percent) error {
			err := r.each(units, func(x *execution) error { return x.move(ctx, w) })
			if err != nil {
				return err
			}
			r.event(w, r.shiftNote(units, w), gates)
			return nil
		},
		Progress: func(step int, s rollout.Step, next time.Time) {
			if s.Bake <= 0 {
				return
			}
			g := "no gates configured"
			if len(r.cfg.Alarms) > 0 || units[0].wantMetrics() {
				g = fmt.Sprintf("gates read every %s", r.d.CheckEvery)
			}
			r.d.Log.Infof("step %d/%d: holding %s for %s (next step at %s UTC); %s", step+1, len(plan.Steps), s.Weight, s.Bake, next.UTC().Format("15:04:05"), g)
		},
	}
	if !single {
		r.d.Log.Group(fmt.Sprintf("Shift %s: %s, %d steps over %s", r.what(units), plan.Name, len(plan.Steps), plan.Total()))
		defer r.d.Log.EndGroup()
	}
	if err := rollout.Walk(ctx, r.d.Clock, plan, r.d.CheckEvery, hooks); err != nil {
		r.restore(ctx, units, err)
		return
	}
	for _, x := range units {
		switch {
		case x.weight == 0:
			// traffic-weight: 0 takes a held slice out: the alias is whole
			// on the stable version again.
			if _, _, split := x.f.alias.Split(); split {
				x.finish(x.rolledBack(errRequested))
			} else {
				x.finish(x.end(outcome.Unchanged, done, nil))
			}
		case x.weight >= 100:
			x.finish(x.end(outcome.Promoted, done, nil))
		default:
			x.finish(x.end(outcome.Canary, done, nil))
		}
	}
}

// what names the aliases that move, for the log.
func (r *release) what(units []*execution) string {
	if len(r.units) == 1 {
		x := units[0]
		return fmt.Sprintf("%s from %s to %s", r.cfg.Alias, x.stable, x.target.Version)
	}
	return fmt.Sprintf("alias %s of %d functions", r.cfg.Alias, len(units))
}

// shiftNote is the timeline's note of a step: "10% on 7".
func (r *release) shiftNote(units []*execution, w percent.Percent) string {
	if len(r.units) == 1 {
		return fmt.Sprintf("%s on %s", w, units[0].target.Version)
	}
	return fmt.Sprintf("%s on the new versions of %d functions", w, len(units))
}

// checkDrift reads the alias and fails when it is not where this run left
// it.
func (x *execution) checkDrift(ctx context.Context) error {
	cur, ok, err := x.getAlias(ctx)
	if err != nil {
		return err
	}
	if !ok || !cur.Same(x.last) {
		return &driftError{now: cur, gone: !ok}
	}
	x.last.RevisionID = cur.RevisionID
	return nil
}

// move shifts weight w of the alias's traffic to the target.
func (x *execution) move(ctx context.Context, w percent.Percent) error {
	route := alias.Route{Version: x.stable, Extra: x.target.Version, Weight: w}
	if w >= 100 {
		route = alias.Route{Version: x.target.Version}
	}
	if x.since.IsZero() && w > 0 {
		x.since = x.d.Clock.Now()
	}
	x.attempted, x.changed = route, true
	desc := x.record(w)
	st, err := alias.Move(ctx, x.d.Lambda, x.fnRef(), x.last, route, desc, x.patience())
	if errors.Is(err, alias.ErrMoved) {
		// Lambda may have made the move while its answer was lost: the SDK's
		// retry then meets the new revision. An alias that reads back
		// exactly as this move sets it, record and all, is where this run
		// wants it, whoever made the move (another run of the same detached
		// rollout makes the same one).
		if cur, ok, rerr := x.getAlias(ctx); rerr == nil && ok && matches(cur, route) && cur.Description == desc {
			x.d.Log.Infof("alias %s of %s changed since it was read, and reads back exactly as this move sets it (the move's answer was lost, or another run of the rollout made it): counted as made", x.cfg.Alias, x.name())
			st, err = cur, nil
		}
	}
	if err != nil {
		return err
	}
	x.last, x.weight = st, w
	if w > 0 && w < 100 {
		x.shiftedAt = x.d.Clock.Now()
	}
	if w >= 100 {
		x.d.Log.Infof("alias %s of %s: all traffic on version %s", x.cfg.Alias, x.name(), x.target.Version)
	} else {
		x.d.Log.Infof("alias %s of %s: %s of traffic on version %s, %s on %s", x.cfg.Alias, x.name(), w, x.target.Version, 100-w, x.stable)
	}
	return nil
}

// event appends a row to the release's timeline.
func (r *release) event(weight percent.Percent, note string, gates []outcome.Gate) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.timeline = append(r.timeline, outcome.Event{At: r.d.Clock.Now(), Weight: weight, Note: note, Gates: gates})
}

func (x *execution) getAlias(ctx context.Context) (alias.State, bool, error) {
	return alias.Get(ctx, x.d.Lambda, x.fnRef(), x.cfg.Alias)
}

// fnRef is how the function is named in calls: its ARN once read.
func (x *execution) fnRef() string {
	if x.f.fn.ARN != "" {
		return x.f.fn.ARN
	}
	return x.f.given
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
