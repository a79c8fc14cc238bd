// Package promote decides and carries out one promotion: it reads everything,
// checks everything, and only then publishes and moves the alias, at once or
// step by step, rolling back when a gate fails, an error happens or the job is
// cancelled. It talks to AWS only through the narrow functions in Deps, so
// every path is tested with fakes.
package promote

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
	"github.com/lambda-promote/lambda-promote/internal/rollout"
)

// Logger is where progress goes: the runner's log (with groups) or a terminal.
type Logger interface {
	Infof(format string, args ...any)
	Warningf(format string, args ...any)
	Group(title string)
	EndGroup()
}

// StageFinding is what an API Gateway stage inspection found: the checks it
// makes for an alias, and the stage's invoke URL.
type StageFinding struct {
	URL    string
	Checks []outcome.Check
}

// StageMatch checks a stage that was read against the function and alias.
type StageMatch func(functionARN, variable, aliasName string) (StageFinding, error)

// PolicyJudge checks a policy that was read against the alias's ARN.
type PolicyJudge func(aliasARN, apiID string) outcome.Check

// Deps are the outside world of a promotion. Lambda is required; the others
// are needed only when the inputs use them.
type Deps struct {
	Lambda alias.API

	// Stage reads the API Gateway stage; the returned match judges it once
	// the function's ARN is known, so the read starts with the others.
	Stage func(ctx context.Context, apiID, stage string) (match StageMatch, err error)
	// Policy reads the alias's resource policy; the returned judge tells
	// whether it lets API Gateway invoke the alias (by its full ARN) from apiID.
	Policy func(ctx context.Context, function, aliasName string) (judge PolicyJudge, err error)
	// Alarms reads the named CloudWatch alarms; a missing alarm is an error.
	Alarms func(ctx context.Context, names []string) ([]outcome.Gate, error)
	// ErrorRate reads the error rate of version behind the alias since a time.
	ErrorRate func(ctx context.Context, function, aliasName, version string, since time.Time) (outcome.Gate, error)
	// Smoke invokes version with the payload.
	Smoke func(ctx context.Context, function, version string, payload []byte) outcome.Gate

	Clock rollout.Clock
	Log   Logger

	CheckEvery      time.Duration // gates are read at least this often while a step bakes (15s)
	RollbackTimeout time.Duration // time allowed to put the alias back after a failure or cancel (5s)
	WaitMax         time.Duration // longest wait for a function update in progress (5m)
}

func (d *Deps) defaults() {
	if d.Clock == nil {
		d.Clock = rollout.RealClock()
	}
	if d.Log == nil {
		d.Log = discard{}
	}
	if d.CheckEvery <= 0 {
		d.CheckEvery = 15 * time.Second
	}
	if d.RollbackTimeout <= 0 {
		d.RollbackTimeout = 5 * time.Second
	}
	if d.WaitMax <= 0 {
		d.WaitMax = 5 * time.Minute
	}
}

type discard struct{}

func (discard) Infof(string, ...any)    {}
func (discard) Warningf(string, ...any) {}
func (discard) Group(string)            {}
func (discard) EndGroup()               {}

// Process runs one promotion as cfg says and reports how it ended. It never
// panics on AWS answers and always fills Status, AliasState and Next.
func Process(ctx context.Context, cfg config.Config, d Deps) outcome.Result {
	d.defaults()
	r := &run{cfg: cfg, d: d}
	r.res = outcome.Result{
		FunctionName: nameOf(cfg.FunctionName),
		Alias:        cfg.Alias,
		APIID:        cfg.APIID,
		Stage:        cfg.Stage,
		Started:      d.Clock.Now(),
	}
	err := r.do(ctx)
	r.end(ctx, err)
	r.res.Finished = d.Clock.Now()
	return r.res
}

// run is the state of one promotion.
type run struct {
	cfg config.Config
	d   Deps
	res outcome.Result

	fn        alias.Function // $LATEST as read
	target    alias.Function // the version to promote
	before    alias.State    // the alias as found; zero when it did not exist
	exists    bool           // the alias existed
	aliasRead bool           // the alias was read, so exists and before are known
	stable    string         // the version that serves when nothing new does

	changed   bool        // a call that moves the alias was made
	last      alias.State // the alias as this run last set it
	attempted alias.Route // the route of the last move call, applied or not
}

func (r *run) do(ctx context.Context) error {
	pf, err := r.preflight(ctx)
	if err != nil {
		return err
	}
	if r.cfg.Rollback {
		return r.rollback(ctx, pf)
	}
	if err := r.decide(ctx, pf); err != nil {
		return err
	}
	if r.cfg.DryRun {
		return nil
	}
	return r.promote(ctx)
}

// failure is an error that ends a run, with where it left the alias and
// what to run next.
type failure struct {
	err   error
	state string // where the alias is
	next  string // what to run next
}

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

func (r *run) end(ctx context.Context, err error) {
	res := &r.res
	if err == nil {
		if res.Status == "" {
			res.Status = outcome.Promoted
		}
		if res.AliasState == "" {
			res.AliasState = r.describe(r.last)
		}
		return
	}
	res.Error = err.Error()
	var f *failure
	if errors.As(err, &f) {
		if res.AliasState == "" {
			res.AliasState = f.state
		}
		if res.Next == "" {
			res.Next = f.next
		}
	}
	if res.Status == "" || res.Status.OK() {
		res.Status = outcome.Failed
	}
	if !r.changed && !r.aliasRead {
		// The preflight read of the alias failed; one more try, on a fresh
		// context, so that the report can say where the alias is.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.d.RollbackTimeout)
		if cur, ok, gerr := r.getAlias(rctx); gerr == nil {
			r.before, r.exists, r.aliasRead = cur, ok, true
		}
		cancel()
	}
	if !r.changed && r.aliasRead && r.exists && res.Version == "" {
		// Nothing moved: the alias serves what it served before.
		res.Version = r.before.Version
		res.TrafficWeight = r.weightNow(r.before, res.NewVersion)
	}
	if res.AliasState == "" {
		switch {
		case r.changed:
			res.AliasState = "unknown: a change was sent to the alias before the run stopped; see it with: " + r.cmdAlias()
		case !r.aliasRead:
			res.AliasState = fmt.Sprintf("%s could not be read (see the error); this run changed nothing", r.cfg.Alias)
		case r.exists:
			res.AliasState = fmt.Sprintf("%s still serves %s; nothing was changed", r.cfg.Alias, r.before)
		default:
			res.AliasState = fmt.Sprintf("%s does not exist; nothing was changed", r.cfg.Alias)
		}
	}
	if res.Next == "" {
		res.Next = "fix what the error says and run the promotion again"
	}
}

func (r *run) describe(s alias.State) string {
	if v, w, ok := s.Split(); ok {
		return fmt.Sprintf("%s serves %s with %s%% of traffic on %s", r.cfg.Alias, s.Version, w.Number(), v)
	}
	return fmt.Sprintf("%s serves %s with no weights", r.cfg.Alias, s.Version)
}

// nameOf is the function name in a name, partial ARN or full ARN.
func nameOf(fn string) string {
	if i := strings.LastIndex(fn, ":function:"); i >= 0 {
		return fn[i+len(":function:"):]
	}
	return fn
}

// pct formats a percentage without trailing zeros: 10, 0.5, 100.
func pct(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) }

// event appends a row to the timeline.
func (r *run) event(weight percent.Percent, note string, gates []outcome.Gate) {
	r.res.Timeline = append(r.res.Timeline, outcome.Event{At: r.d.Clock.Now(), Weight: weight, Note: note, Gates: gates})
}

func (r *run) getAlias(ctx context.Context) (alias.State, bool, error) {
	return alias.Get(ctx, r.d.Lambda, r.fnRef(), r.cfg.Alias)
}

// fnRef is how the function is named in calls: its ARN once read.
func (r *run) fnRef() string {
	if r.fn.ARN != "" {
		return r.fn.ARN
	}
	return r.cfg.FunctionName
}

// cmdAlias is the aws CLI command that shows the alias, for messages.
func (r *run) cmdAlias() string {
	return fmt.Sprintf("aws lambda get-alias --function-name %s --name %s", r.res.FunctionName, r.cfg.Alias)
}

// cmdMove is what to run to put the alias on a version by hand.
func (r *run) cmdMove(version string) string {
	return fmt.Sprintf("aws lambda update-alias --function-name %s --name %s --function-version %s --routing-config AdditionalVersionWeights={}", r.res.FunctionName, r.cfg.Alias, version)
}
