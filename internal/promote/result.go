package promote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/fix"
	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// notStarted is the ending of a run that preflight or decide stopped. When
// the alias could not be read, it is read once more, on a fresh context, so
// that the report can say where it is.
func notStarted(ctx context.Context, cfg config.Config, d Deps, f facts, err error) ending {
	e := ending{status: outcome.Failed, how: untouched, cause: err, alias: f.alias, unknown: f.aliasErr != nil}
	if f.aliasErr != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.CancelRollbackTimeout)
		defer cancel()
		ref := f.given
		if f.fn.ARN != "" {
			ref = f.fn.ARN
		}
		if cur, ok, gerr := alias.Get(rctx, d.Lambda, ref, cfg.Alias); gerr == nil {
			e.unknown, e.alias = false, nil
			if ok {
				e.alias = &cur
			}
		}
	}
	return e
}

// result turns the facts, the decisions and the endings into the outcome
// the report shows. It is the one place that writes Status, AliasState, Next
// and NextCode: for each function, and for the release as a whole.
func result(cfg config.Config, fs []facts, rd releaseDecision, endings []ending, timeline []outcome.Event, started, finished time.Time) outcome.Result {
	res := outcome.Result{
		Alias:    cfg.Alias,
		APIID:    cfg.APIID,
		Stage:    cfg.Stage,
		Strategy: rd.strategy,
		Plan:     rd.steps,
		Timeline: timeline,
		Started:  started,
		Finished: finished,
	}
	type said struct{ next, code string }
	var says []said
	for i, f := range fs {
		var dec decision
		if i < len(rd.fns) {
			dec = rd.fns[i]
		}
		fr, next, code := functionResult(cfg, f, dec, endings[i])
		if at := endings[i].nextStep; at.After(res.NextStepAt) {
			res.NextStepAt = at
		}
		res.Functions = append(res.Functions, fr)
		says = append(says, said{next, code})
		if res.StageURL == "" {
			res.StageURL = dec.stageURL
		}
		if res.Region == "" {
			if fn, _, err := lambdaarn.Parse(f.fn.ARN); err == nil {
				res.Region = fn.Region
			}
		}
		res.Checks = appendChecks(res.Checks, dec.checks, f.name(), len(fs) > 1)
		res.Paths = append(res.Paths, dec.paths...)
		res.PathsRead = res.PathsRead || f.callers != nil
		for _, n := range dec.pathsNotChecked {
			res.PathsNotChecked = append(res.PathsNotChecked, f.name()+": "+n.What)
		}
	}
	res.Rollout = rolloutID(cfg, rd, res.Functions, endings)
	if len(fs) == 1 {
		fr := res.Functions[0]
		res.FunctionName, res.FunctionARN, res.AliasARN = fr.FunctionName, fr.FunctionARN, fr.AliasARN
		res.Version, res.PreviousVersion, res.NewVersion = fr.Version, fr.PreviousVersion, fr.NewVersion
		res.AliasCreated, res.Status, res.TrafficWeight = fr.AliasCreated, fr.Status, fr.TrafficWeight
		res.AliasState, res.Error = fr.AliasState, fr.Error
		res.Next, res.NextCode = says[0].next, says[0].code
		res.Requested = endings[0].status == outcome.RolledBack && endings[0].how == done
		return res
	}
	// A release: one status, the failures first.
	res.Status = releaseStatus(res.Functions)
	res.Requested = res.Status == outcome.RolledBack
	// The release's error names the failures themselves; a function
	// rolled back only because of another's says so in its own row.
	var errs []string
	own := slices.ContainsFunc(endings, func(e ending) bool {
		return e.cause != nil && !followedRelease(e.cause)
	})
	for i, fr := range res.Functions {
		e := endings[i]
		res.Requested = res.Requested && e.how == done
		res.TrafficWeight = max(res.TrafficWeight, fr.TrafficWeight)
		followed := own && followedRelease(e.cause)
		if fr.Error != "" && !followed && !strings.Contains(strings.Join(errs, "\n"), fr.Error) {
			errs = append(errs, fr.FunctionName+": "+fr.Error)
		}
		if res.Next == "" && (says[i].code != "" || !fr.Status.OK()) {
			res.Next, res.NextCode = says[i].next, says[i].code
		}
	}
	if res.Next == "" {
		res.Next, res.NextCode = says[0].next, says[0].code
	}
	// The same step for several functions (each alias left split, to put
	// back by hand) gives the commands for every one of them, not only the
	// first's.
	codes := []string{res.NextCode}
	for _, s := range says {
		if s.next == res.Next && s.code != "" && !slices.Contains(codes, s.code) {
			codes = append(codes, s.code)
		}
	}
	res.NextCode = strings.Join(slices.DeleteFunc(codes, func(c string) bool { return c == "" }), "\n")
	res.Error = strings.Join(errs, "\n")
	if same := res.Functions[0].Error; same != "" && !slices.ContainsFunc(res.Functions, func(fr outcome.FunctionResult) bool { return fr.Error != same }) {
		// One cause for every function (a cancelled job, a failed alarm):
		// said once, not once per function.
		res.Error = same
	}
	res.AliasState = releaseState(cfg, res.Functions)
	return res
}

// followedRelease reports whether a function was rolled back only because
// another function of the release failed.
func followedRelease(cause error) bool {
	var w *withRelease
	return errors.As(cause, &w)
}

// rolloutID names a detached rollout the same way in every run that
// carries it on: the alias, when it began, and a digest of its functions.
func rolloutID(cfg config.Config, rd releaseDecision, frs []outcome.FunctionResult, endings []ending) string {
	if rd.detach == nil {
		return ""
	}
	var since time.Time
	for _, e := range endings {
		if !e.since.IsZero() {
			since = e.since
			break
		}
	}
	if since.IsZero() {
		return ""
	}
	names := make([]string, len(frs))
	for i, f := range frs {
		names[i] = f.FunctionName
	}
	slices.Sort(names)
	sum := sha256.Sum256([]byte(strings.Join(names, "\n")))
	return fmt.Sprintf("%s@%s#%s", cfg.Alias, since.UTC().Format(time.RFC3339), hex.EncodeToString(sum[:6]))
}

// functionResult is how one function ended, with what to do next.
func functionResult(cfg config.Config, f facts, dec decision, e ending) (fr outcome.FunctionResult, next, code string) {
	name := f.name()
	fr = outcome.FunctionResult{
		FunctionName: name,
		FunctionARN:  f.fn.ARN,
		AliasCreated: e.created,
		Status:       e.status,
		NewVersion:   dec.target.Version,
	}
	if e.target.Version != "" {
		fr.NewVersion = e.target.Version
	}
	if fn, _, err := lambdaarn.Parse(f.fn.ARN); err == nil {
		fr.AliasARN = fn.Qualified(cfg.Alias)
	}
	if f.alias != nil {
		fr.AliasARN = f.alias.ARN
		fr.PreviousVersion = f.alias.Version
	}
	if e.alias != nil {
		fr.Version = e.alias.Version
		fr.TrafficWeight = weightOn(e.alias, fr.NewVersion)
		if e.alias.ARN != "" {
			fr.AliasARN = e.alias.ARN
		}
	}
	if e.status == outcome.Canary {
		fr.Version = fr.NewVersion // the canary's version while it holds
	}
	if e.cause != nil && e.cause != errRequested {
		fr.Error = e.cause.Error()
	}
	checks := dec.checks
	s := sentences{cfg: cfg, name: name, newV: fr.NewVersion, checks: checks}
	fr.AliasState, next, code = s.write(e, dec)
	return fr, next, code
}

// appendChecks adds one function's checks; in a release of several each is
// named by its function, and a check of the stage they share is listed once.
func appendChecks(all, checks []outcome.Check, name string, several bool) []outcome.Check {
	for _, c := range checks {
		if several {
			if slices.ContainsFunc(all, func(o outcome.Check) bool { return o.Name == c.Name && o.Detail == c.Detail }) {
				continue
			}
			if c.Name != checkStageVariable {
				c.Name = name + ": " + c.Name
			}
		}
		all = append(all, c)
	}
	return all
}

// checkStageVariable is the name of the check of the stage variable, which
// the functions of a release share.
const checkStageVariable = "stage variable"

// releaseStatus is the status of a release from its functions': failed if
// any failed, rolled back if any was put back, else what the moving ones
// did.
func releaseStatus(frs []outcome.FunctionResult) outcome.Status {
	has := func(s outcome.Status) bool {
		return slices.ContainsFunc(frs, func(fr outcome.FunctionResult) bool { return fr.Status == s })
	}
	for _, s := range []outcome.Status{outcome.Failed, outcome.RolledBack, outcome.DryRun, outcome.Canary, outcome.Promoted} {
		if has(s) {
			return s
		}
	}
	return outcome.Unchanged
}

// releaseState says in one sentence where the aliases of a release are.
func releaseState(cfg config.Config, frs []outcome.FunctionResult) string {
	var odd []string
	counts := map[outcome.Status]int{}
	for _, fr := range frs {
		counts[fr.Status]++
		if fr.Status == outcome.Failed {
			odd = append(odd, fr.FunctionName+": "+fr.AliasState)
		}
	}
	n := len(frs)
	var s string
	switch {
	case counts[outcome.DryRun] == n:
		s = fmt.Sprintf("nothing was changed; the %d aliases %s serve what they served", n, cfg.Alias)
	case counts[outcome.Promoted]+counts[outcome.Unchanged] == n:
		s = fmt.Sprintf("all %d aliases %s serve their new versions with no weights", n, cfg.Alias)
	case counts[outcome.Canary]+counts[outcome.Unchanged] == n:
		s = fmt.Sprintf("all %d aliases %s send a slice of their traffic to the new versions", n, cfg.Alias)
	case counts[outcome.RolledBack]+counts[outcome.Unchanged] == n:
		s = fmt.Sprintf("all %d aliases %s are back on their stable versions with no weights", n, cfg.Alias)
	case len(odd) > 0 && counts[outcome.RolledBack] > 0:
		s = fmt.Sprintf("%d aliases %s are back on their stable versions; the others: %s", counts[outcome.RolledBack], cfg.Alias, strings.Join(odd, "; "))
	default:
		var parts []string
		for _, fr := range frs {
			parts = append(parts, fr.FunctionName+": "+fr.AliasState)
		}
		s = strings.Join(parts, "; ")
	}
	return s
}

// sentences writes where an alias is and what to do next.
type sentences struct {
	cfg    config.Config
	name   string
	newV   string
	checks []outcome.Check
}

func (s sentences) write(e ending, dec decision) (state, next, code string) {
	alias := s.cfg.Alias
	newV := s.newV
	if n, c, ok := fix.HintOf(e.cause); ok {
		next, code = n, c
	}
	switch {
	case e.status == outcome.DryRun:
		state = s.existing(e.alias)
	case e.how == done && e.status == outcome.RolledBack:
		state = s.describe(e.alias) + " (rolled back on request)"
		next = "nothing: the rollback is done; promote again once the new version is fixed"
	case e.how == done && e.status == outcome.Canary && !e.nextStep.IsZero():
		state = s.describe(e.alias)
		next, code = detachedNext(e), "rollback: true"
	case e.how == done && e.status == outcome.Canary:
		state = s.describe(e.alias)
		next = "finish the canary or undo it: start the workflow again with one of these inputs (a re-run would reuse this run's inputs)"
		code = finishOrUndoInputs(newV, dec.stable)
	case e.how == done:
		state = s.describe(e.alias)
	case e.how == rolledBack:
		state = s.describe(e.alias) + " (rolled back)"
		var gate *gateError
		switch {
		case errors.Is(e.cause, errCancelled):
			next = fmt.Sprintf("nothing is needed: version %s takes no traffic; run the promotion again when you want it", newV)
		case errors.As(e.cause, &gate):
			next = fmt.Sprintf("version %s failed a health gate and takes no traffic; read its logs and the gate's readings (linked below), fix it and promote again", newV)
		default:
			next = fmt.Sprintf("version %s takes no traffic; fix the error above and run the promotion again", newV)
		}
	case e.how == left:
		switch {
		case e.alias != nil:
			state = s.describe(e.alias)
		case e.unknown:
			state = "in a state this run did not set"
		default:
			state = fmt.Sprintf("%s no longer exists", alias)
		}
		state += "; lambda-promote left it as it is"
		next = fmt.Sprintf("find out who changed it (CloudTrail UpdateAlias, DeleteAlias events for %s) and run the promotion again once they are done; see it with:", s.name)
		code = s.cmdAlias()
	case e.how == createdByThem:
		state = s.describe(e.alias) + "; lambda-promote left it as it is"
		next = "run the promotion again: it will move the alias that now exists"
	case e.how == stuck && e.unknown && !e.changed:
		state = "unknown: the alias could not be read after the create failed"
		next, code = "see it with:", s.cmdAlias()
	case e.how == stuck && e.unknown:
		state = fmt.Sprintf("unknown: the alias could not be read; it may still send traffic to %s", newV)
		next, code = "see where it is, and put it back by hand:", s.cmdAlias()+"\n"+cmdMove(s.name, alias, dec.stable)
	case e.how == stuck:
		state = s.describe(e.alias) + " (the rollback failed)"
		next, code = "see where it is, and put it back by hand:", s.cmdAlias()+"\n"+cmdMove(s.name, alias, dec.stable)
	default: // untouched
		switch {
		case e.unknown:
			state = fmt.Sprintf("%s could not be read (see the error); this run changed nothing", alias)
		case e.alias != nil:
			state = fmt.Sprintf("%s still serves %s; nothing was changed", alias, e.alias)
		default:
			state = fmt.Sprintf("%s does not exist; nothing was changed", alias)
		}
	}
	if e.note != "" { // only endings as planned carry one
		state += "; " + e.note
	}
	if next == "" && !e.status.OK() && e.status != outcome.RolledBack {
		next = "fix what the error says and run the promotion again"
		for _, c := range s.checks {
			if !c.OK && c.Fix != "" {
				next = "run the fix below, then run the workflow again"
				break
			}
		}
	}
	return state, next, code
}

// describe says where the alias sends traffic: "prod serves 3 with 10% of
// traffic on 4".
func (s sentences) describe(a *alias.State) string {
	if a == nil {
		return fmt.Sprintf("%s does not exist", s.cfg.Alias)
	}
	if v, w, ok := a.Split(); ok {
		return fmt.Sprintf("%s serves %s with %s of traffic on %s", s.cfg.Alias, a.Version, w, v)
	}
	return fmt.Sprintf("%s serves %s with no weights", s.cfg.Alias, a.Version)
}

func (s sentences) existing(a *alias.State) string {
	if a == nil {
		return fmt.Sprintf("%s does not exist yet; nothing was changed", s.cfg.Alias)
	}
	return s.describe(a) + "; nothing was changed"
}

// cmdAlias is the aws CLI command that shows the alias.
func (s sentences) cmdAlias() string {
	return fix.AWS("lambda", "get-alias", "--function-name", s.name, "--name", s.cfg.Alias)
}

// cmdMove is what to run to put an alias on a version by hand, with no
// weights. The routing is given as JSON, which the AWS CLI v1 and v2 both
// read (the shorthand's {} is not an empty map to both).
func cmdMove(function, aliasName, version string) string {
	return fix.AWS("lambda", "update-alias", "--function-name", function, "--name", aliasName, "--function-version", version,
		"--routing-config", `{"AdditionalVersionWeights":{}}`)
}

// cmdMoveClear is cmdMove that also clears the alias's description, where
// lambda-promote's record in it is out of date or cannot be read.
func cmdMoveClear(function, aliasName, version string) string {
	return fix.AWS("lambda", "update-alias", "--function-name", function, "--name", aliasName, "--function-version", version,
		"--routing-config", `{"AdditionalVersionWeights":{}}`, "--description", "")
}
