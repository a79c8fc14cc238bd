// Package promote carries out one promotion in four steps, each in its own
// file, in the order a run takes them:
//
//  1. preflight (preflight.go) makes every read the run needs, the
//     independent ones at once, and changes nothing;
//  2. decide (decide.go) judges what was read against the inputs and
//     Lambda's rules, and settles the target, the stable version and the
//     steps: plain Go with no AWS call, table-tested without fakes;
//  3. execute (execute.go, with rollback.go) publishes, creates or moves the
//     alias step by step while the gates hold, and puts it back when they do
//     not, when an error happens or when the job is cancelled: the only step
//     with mutable state;
//  4. result (result.go) turns what happened into the outcome the report
//     shows: the one writer of its Status, AliasState and Next.
//
// It talks to AWS only through the narrow functions in Deps, which hand back
// data; the judging happens here, on the injected clock.
package promote

import (
	"context"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/callers"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/gate"
	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/rollout"
	"github.com/lambda-promote/lambda-promote/internal/stage"
)

// Logger is where progress goes: the runner's log (with groups) or a terminal.
type Logger interface {
	Infof(format string, args ...any)
	Warningf(format string, args ...any)
	Group(title string)
	EndGroup()
}

// Deps are the outside world of a promotion. Lambda is required; the others
// are needed only when the inputs use them.
type Deps struct {
	Lambda alias.API

	// Stage reads an API Gateway stage and its API's integrations.
	Stage func(ctx context.Context, apiID, stageName string) (stage.Stage, error)
	// Policy reads the resource policy of an alias: the JSON document, ""
	// when there is none.
	Policy func(ctx context.Context, function, aliasName string) (string, error)
	// Mappings lists the event source mappings of the account and
	// Region, once for every function of the run; Callers reads a
	// function's URLs (of $LATEST and of the alias) and the resource
	// policy of the unqualified function. Together they find what calls a
	// function besides the alias (see internal/callers).
	Mappings func(ctx context.Context) (callers.Mappings, error)
	Callers  func(ctx context.Context, function, aliasName string) (callers.Function, error)
	// Provisioned reads the provisioned concurrency of an alias; nil when
	// there is none.
	Provisioned func(ctx context.Context, function, aliasName string) (*alias.Provisioned, error)
	// Alarms reads the named CloudWatch alarms; a missing alarm is an error.
	Alarms func(ctx context.Context, names []string) ([]outcome.Gate, error)
	// Metrics reads what CloudWatch has delivered of the errors and
	// invocations of version behind the alias, per minute, from start to end.
	Metrics func(ctx context.Context, function, aliasName, version string, start, end time.Time) (gate.Series, error)
	// Pair reads what CloudWatch has delivered of the errors, invocations
	// and Duration p99 of the new and the stable version behind the alias
	// over the window from start to end (compare-to-stable).
	Pair func(ctx context.Context, function, aliasName, newVersion, stableVersion string, start, end time.Time) (gate.Pair, error)
	// Smoke invokes version with the payload once, waiting at most timeout.
	Smoke func(ctx context.Context, function, version string, payload []byte, timeout time.Duration) outcome.Gate

	// Credentials is what is known of the AWS credentials' lifetime.
	Credentials Credentials

	Clock rollout.Clock
	Log   Logger

	CheckEvery time.Duration // gates are read at least this often while a step bakes (15s)
	// CancelRollbackTimeout is the time allowed to put the alias back when
	// the job is cancelled: the runner sends SIGKILL 7.5 s after SIGINT,
	// and the outputs must be written before it (5s).
	CancelRollbackTimeout time.Duration
	// RollbackTimeout is the time allowed to put the alias back after a
	// failed gate or an error, or on request, where throttles and updates in
	// progress may have to be waited out (2m).
	RollbackTimeout time.Duration
	WaitMax         time.Duration // longest wait for an update in progress or a Pending version (5m)
	// Urgent, when set, is called before aliases are put back after a
	// failure: the calls may then use Lambda's whole quota.
	Urgent func()
	// MetricWait bounds the wait for CloudWatch to deliver the metrics
	// covering a bake before it is judged (3m).
	MetricWait time.Duration
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
	if d.CancelRollbackTimeout <= 0 {
		d.CancelRollbackTimeout = 5 * time.Second
	}
	if d.RollbackTimeout <= 0 {
		d.RollbackTimeout = 2 * time.Minute
	}
	if d.WaitMax <= 0 {
		d.WaitMax = 5 * time.Minute
	}
	if d.MetricWait <= 0 {
		d.MetricWait = 3 * time.Minute
	}
}

// Credentials is what a run knows of its AWS credentials' lifetime: a
// rollout must not outlive them, or its last steps and its rollback fail.
type Credentials struct {
	Expires   time.Time // when they expire; zero when unknown
	Session   bool      // temporary credentials, which do expire
	Renewable bool      // the run renews them itself (role-to-assume)
}

type discard struct{}

func (discard) Infof(string, ...any)    {}
func (discard) Warningf(string, ...any) {}
func (discard) Group(string)            {}
func (discard) EndGroup()               {}

// Process runs one promotion — of one function, or of several as one
// release — as cfg says, and reports how it ended. It never panics on AWS
// answers and always fills Status, AliasState and Next.
func Process(ctx context.Context, cfg config.Config, d Deps) outcome.Result {
	d.defaults()
	started := d.Clock.Now()

	fs, err := preflight(ctx, cfg, d)
	var rd releaseDecision
	if err == nil {
		rd, err = decideRelease(cfg, fs)
		logDecision(d.Log, cfg, fs, rd)
	}
	var (
		endings  []ending
		timeline []outcome.Event
	)
	switch {
	case err != nil:
		for _, f := range fs {
			endings = append(endings, notStarted(ctx, cfg, d, f, err))
		}
	case cfg.DryRun:
		for _, f := range fs {
			endings = append(endings, ending{status: outcome.DryRun, alias: f.alias})
		}
	default:
		endings, timeline = execute(ctx, cfg, d, fs, rd)
	}
	return result(cfg, fs, rd, endings, timeline, started, d.Clock.Now())
}

// Small facts the steps share.

// gradual reports whether a plan splits traffic at some point.
func gradual(p rollout.Plan) bool {
	for _, s := range p.Steps {
		if s.Weight < 100 {
			return true
		}
	}
	return false
}

// isNumber reports whether s is a version number.
func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// short is the start of a code hash, for messages.
func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// nameOf is the function name in a name, partial ARN or full ARN.
func nameOf(fn string) string { return lambdaarn.NameOf(fn) }
