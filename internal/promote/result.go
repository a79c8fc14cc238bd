package promote

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/config"
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
		ref := cfg.FunctionName
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

// result turns the facts, the decision and the ending into the outcome the
// report shows. It is the one place that writes Status, AliasState, Next and
// NextCode.
func result(cfg config.Config, f facts, dec decision, e ending, started, finished time.Time) outcome.Result {
	name := f.name(cfg)
	res := outcome.Result{
		FunctionName: name,
		FunctionARN:  f.fn.ARN,
		Alias:        cfg.Alias,
		APIID:        cfg.APIID,
		Stage:        cfg.Stage,
		StageURL:     dec.stageURL,
		Strategy:     dec.strategy,
		Plan:         dec.steps,
		Checks:       dec.checks,
		Timeline:     e.timeline,
		AliasCreated: e.created,
		Status:       e.status,
		NewVersion:   dec.target.Version,
		Started:      started,
		Finished:     finished,
	}
	if e.target.Version != "" {
		res.NewVersion = e.target.Version
	}
	if fn, _, err := lambdaarn.Parse(f.fn.ARN); err == nil {
		res.Region = fn.Region
		res.AliasARN = fn.Qualified(cfg.Alias)
	}
	if f.alias != nil {
		res.AliasARN = f.alias.ARN
		res.PreviousVersion = f.alias.Version
	}
	if e.alias != nil {
		res.Version = e.alias.Version
		res.TrafficWeight = weightOn(e.alias, res.NewVersion)
		if e.alias.ARN != "" {
			res.AliasARN = e.alias.ARN
		}
	}
	if e.status == outcome.Canary {
		res.Version = res.NewVersion // the canary's version while it holds
	}
	if e.cause != nil && e.cause != errRequested {
		res.Error = e.cause.Error()
	}
	res.Requested = e.status == outcome.RolledBack && e.how == done
	s := sentences{cfg: cfg, name: name, res: &res}
	res.AliasState, res.Next, res.NextCode = s.write(e, dec)
	return res
}

// sentences writes where the alias is and what to do next.
type sentences struct {
	cfg  config.Config
	name string
	res  *outcome.Result
}

func (s sentences) write(e ending, dec decision) (state, next, code string) {
	alias := s.cfg.Alias
	newV := s.res.NewVersion
	var f *failure
	if errors.As(e.cause, &f) {
		next, code = f.next, f.nextCode
	}
	switch {
	case e.status == outcome.DryRun:
		state = s.existing(e.alias)
	case e.how == done && e.status == outcome.RolledBack:
		state = s.describe(e.alias) + " (rolled back on request)"
		next = "nothing: the rollback is done; promote again once the new version is fixed"
	case e.how == done && e.status == outcome.Canary:
		state = s.describe(e.alias)
		next = "finish the canary or undo it: start the workflow again with one of these inputs (a re-run would reuse this run's inputs)"
		code = fmt.Sprintf("# finish: all traffic on %s\nversion: %q\ntraffic-weight: 100\n# or undo: all traffic back on %s\nrollback: true", newV, newV, dec.stable)
	case e.how == done:
		state = s.describe(e.alias)
	case e.how == rolledBack:
		state = s.describe(e.alias) + " (rolled back)"
		var gate *gateError
		switch {
		case isCancel(e.cause):
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
	if next == "" && !e.status.OK() && e.status != outcome.RolledBack {
		next = "fix what the error says and run the promotion again"
		for _, c := range s.res.Checks {
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
	return fmt.Sprintf("aws lambda get-alias --function-name %s --name %s", s.name, s.cfg.Alias)
}

// cmdMove is what to run to put an alias on a version by hand.
func cmdMove(function, aliasName, version string) string {
	return fmt.Sprintf("aws lambda update-alias --function-name %s --name %s --function-version %s --routing-config AdditionalVersionWeights={}", function, aliasName, version)
}

// nameOf is the function name in a name, partial ARN or full ARN.
func nameOf(fn string) string { return lambdaarn.NameOf(fn) }
