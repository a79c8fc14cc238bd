// Package outcome holds what a promotion run ended with: the status, the
// versions, the checks made and the traffic timeline. The promote package
// fills it; the report and notify packages render and post it.
package outcome

import (
	"time"

	"github.com/lambda-promote/lambda-promote/internal/percent"
)

// Status is how a run ended. It is the value of the `status` output.
type Status string

// The statuses of the `status` output (see the README's Outputs table).
const (
	Promoted   Status = "promoted"    // the alias serves the new version with no weights
	Canary     Status = "canary"      // a slice of traffic holds on the new version, on purpose
	Unchanged  Status = "unchanged"   // the alias already served the target version
	RolledBack Status = "rolled-back" // the alias is back on the stable version with no weights
	Failed     Status = "failed"      // the run stopped; see AliasState for where the alias is
	DryRun     Status = "dry-run"     // everything was read and the plan printed; nothing changed
)

// OK reports whether the status ends the run with exit code 0.
func (s Status) OK() bool {
	switch s {
	case Promoted, Canary, Unchanged, DryRun:
		return true
	}
	return false
}

// CheckAliasPermission is the name of the check that API Gateway may invoke
// the alias. A first deploy does not block on it: the alias it names does not
// exist until the run creates it.
const CheckAliasPermission = "alias permission"

// Check is one preflight check: what was checked, whether it passed, what was
// found, and when it failed, the command that fixes it.
type Check struct {
	Name   string // e.g. "stage variable", "alias permission", "function state"
	OK     bool
	Detail string // what was found
	Fix    string // a command that fixes a failed check; empty when OK
}

// GateKind says what a gate reads.
type GateKind string

// The kinds of gate.
const (
	GateAlarm     GateKind = "alarm"      // a CloudWatch alarm; Name is the alarm's name
	GateErrorRate GateKind = "error rate" // the new version's Errors / Invocations
	GateSmoke     GateKind = "smoke test" // one invocation of the new version
	GateCompare   GateKind = "compare"    // the new version against the stable one over the same window
)

// Gate is one reading of a health gate during a rollout.
type Gate struct {
	Kind   GateKind
	Name   string // alarm name, "error rate", "smoke test"
	OK     bool
	Detail string // e.g. "OK", "ALARM", "3 errors / 100 invocations = 3.00% > 2.00%"

	// The numbers of an error-rate reading; zero for other gates.
	Errors      float64
	Invocations float64
	Rate        percent.Percent // Errors / Invocations; 0 with no invocations
	Max         percent.Percent // the max-error-rate input

	// Compare is the reading of a comparison with the stable version; nil
	// for other gates.
	Compare *Comparison
}

// Comparison is one judgement of the new version against the stable one
// over the same window (compare-to-stable).
type Comparison struct {
	New, Stable Side
	From, To    time.Time // the window, whole minutes
	Verdict     string    // "worse", "no worse", "cannot tell yet"
	// Call is what the step does on it: "advance", "hold" (judged again
	// later) or "roll back".
	Call               string
	Look, Looks        int     // this judgement of the step, from 0, of 1 + the extension's
	Alpha              float64 // the p-value at or below which the error rate is worse, at this judgement
	PValue             float64 // of the error rate's one-sided test
	MaxLatencyIncrease percent.Percent
	Why                string // the reasons of the verdict
}

// Side is one version's numbers in a comparison.
type Side struct {
	Version             string
	Errors, Invocations float64
	Rate                percent.Percent // Errors / Invocations
	P99                 float64         // Duration p99 in milliseconds, when HasP99
	HasP99              bool
}

// Event is one row of the traffic timeline.
type Event struct {
	At     time.Time
	Weight percent.Percent // traffic on the new version after this event
	Note   string          // e.g. "shifted", "rolled back: alarm api-5xx in ALARM"
	Gates  []Gate          // gate readings taken for this event
}

// FunctionResult is how one function of a release ended.
type FunctionResult struct {
	FunctionName    string
	FunctionARN     string
	AliasARN        string
	Version         string // the version the alias serves at the end
	PreviousVersion string // what it served before the run ("" when created)
	NewVersion      string // the version promoted or tried
	Status          Status
	TrafficWeight   percent.Percent // on the new version at the end
	AliasCreated    bool
	AliasState      string // one sentence: where the alias is now
	Error           string // what went wrong with this function, if anything
}

// Result is everything a run reports. A run promotes one function, or
// several as one release: Functions holds each one's end, and the fields
// that describe one function (FunctionName, FunctionARN, AliasARN, Version,
// PreviousVersion, NewVersion, AliasCreated) are set only for a run of one.
type Result struct {
	FunctionName    string // the function's name (not the ARN)
	FunctionARN     string // unqualified function ARN, when known
	Region          string
	Alias           string
	AliasARN        string
	Version         string          // the version the alias serves at the end (the `version` output)
	PreviousVersion string          // what the alias served before this run ("" when it was created)
	NewVersion      string          // the version this run promoted or tried to promote
	Status          Status          // how the run ended
	Requested       bool            // a rolled-back status that the inputs asked for (rollback: true, traffic-weight: 0)
	TrafficWeight   percent.Percent // traffic on the new version at the end
	Strategy        string          // e.g. "all-at-once", "Canary10Percent5Minutes", "steps 10,50,100 every 1m"
	StageURL        string          // invoke URL of the checked stage, when api-id was given
	APIID           string
	Stage           string
	AliasCreated    bool     // the alias did not exist and this run created it
	Plan            []string // the steps the run would take (dry-run) or took
	Checks          []Check
	// Paths are the ways into the functions from outside the run (event
	// source mappings, function URLs, resource-policy grants, API routes),
	// and PathsNotChecked the reads of them that could not be made, e.g.
	// "event source mappings: not checked (AccessDenied on
	// lambda:ListEventSourceMappings)".
	Paths           []Path
	PathsNotChecked []string
	PathsRead       bool // the reads of the paths were made (not for a rollback)
	Timeline        []Event
	Error           string    // what went wrong, for failed and rolled-back runs
	AliasState      string    // one sentence: where the alias is now, e.g. "prod serves 4 with no weights"
	Next            string    // what to do next, for the person on call, in one or two sentences
	NextCode        string    // the exact command or workflow inputs that carry Next out ("" when none), shown as code
	NextStepAt      time.Time // with detach, while the rollout goes on: when its next step is due
	Rollout         string    // with detach: the rollout's id, the same in every run that carries it on
	Started         time.Time
	Finished        time.Time

	// Functions is how each function of the run ended, in the order of the
	// inputs; one for a run of one function.
	Functions []FunctionResult
}

// Succeeded reports whether the run ends with exit code 0: promoted,
// canary, unchanged and dry-run, and a rollback that was asked for and
// completed. A rollback that a gate, an error or a cancel caused fails.
func (r Result) Succeeded() bool {
	return r.Status.OK() || r.Status == RolledBack && r.Requested
}

// Release reports whether the run promoted several functions as one
// release.
func (r Result) Release() bool { return len(r.Functions) > 1 }

// Duration is how long the run took.
func (r Result) Duration() time.Duration { return r.Finished.Sub(r.Started) }

// The kinds of Path.
const (
	PathMapping = "event source mapping"
	PathURL     = "function URL"
	PathGrant   = "resource-policy grant"
	PathRoute   = "API route"
)

// Path is one way into a function of the run from outside it: an event
// source mapping, a function URL, a grant of its resource policy, a route of
// the checked API stage.
type Path struct {
	Function string // the function's name
	Kind     string // PathMapping, PathURL, PathGrant, PathRoute
	Source   string // what calls, e.g. "SQS queue orders-jobs (mapping 1f2e…)", "S3 bucket uploads"
	// Invokes is what it invokes: "orders-api:prod (the alias promoted)",
	// "orders-api:dev (another alias)", "version 3", "$LATEST (unqualified
	// ARN)".
	Invokes string
	// Covered is true when its traffic goes through the alias promoted,
	// so that the canary and the gates see it.
	Covered bool
	// Bypass is true when it reaches the function's code without any
	// alias ($LATEST or a version): a warning, and an error with
	// require-alias-traffic. A path to another alias is neither covered
	// nor a bypass: that alias has promotions of its own.
	Bypass bool
	Detail string // more of what was found: a state, a condition, a check that fails for it
	// Fixes are the ways to point a bypassing path at the alias, one per
	// choice; empty when there is nothing to do or a check's fix covers it.
	Fixes []Fix
}

// Fix is one way to fix a path: a choice and its commands, one per line,
// each a command for a POSIX shell or a # comment for a step that is not
// one command.
type Fix struct {
	Choice   string // e.g. "serve the URL from the alias"
	Commands string
}
