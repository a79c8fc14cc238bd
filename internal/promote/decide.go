package promote

import (
	"context"
	"errors"
	"fmt"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
	"github.com/lambda-promote/lambda-promote/internal/rollout"
)

// gradual reports whether a plan splits traffic at some point.
func gradual(p rollout.Plan) bool {
	for _, s := range p.Steps {
		if s.Weight < 100 {
			return true
		}
	}
	return false
}

// decide settles the target and the stable version and checks, by reading
// only, everything Lambda and the inputs require before the first change.
func (r *run) decide(ctx context.Context, f facts) error {
	var errs []error
	if err := f.fn.Broken(); err != nil {
		errs = append(errs, err)
	}
	plan := r.cfg.Plan()
	r.res.Strategy = plan.Name

	// What is promoted.
	switch {
	case r.cfg.SourceAlias != "":
		if v, w, ok := f.src.Split(); ok {
			errs = append(errs, fmt.Errorf("input \"source-alias\": alias %s splits traffic (%s%% on %s), so it serves no single version; finalize or roll back that canary first", r.cfg.SourceAlias, w.Number(), v))
		}
		r.target = alias.Function{Name: f.fn.Name, ARN: f.fn.ARN, Version: f.src.Version}
	case isNumber(r.cfg.Version):
		r.target = f.version
	case isLatest(r.cfg.Version):
		r.target = f.fn
	default: // publish: the version is known once published
		r.target = alias.Function{}
	}
	r.res.NewVersion = r.target.Version

	// What serves now, and what is stable.
	r.stable = f.cur.Version
	if extra, w, ok := f.cur.Split(); ok {
		switch {
		case r.target.Version != "" && r.target.Version != extra:
			errs = append(errs, fmt.Errorf("alias %s has a canary of version %s in progress at %s%%; finalize it (traffic-weight: 100) or undo it (rollback: true) before promoting version %s", r.cfg.Alias, extra, w.Number(), r.target.Version))
		case r.target.Version == "" && !r.cfg.Rollback:
			// Publishing would make a version other than the canary's when
			// the code differs: refuse before publishing anything.
			if err := r.sameCodeAsCanary(ctx, f, extra, w); err != nil {
				errs = append(errs, err)
			}
		}
	}

	if gradual(plan) {
		switch {
		case !f.exists && r.cfg.TrafficWeight != nil:
			errs = append(errs, fmt.Errorf("input \"traffic-weight\": alias %s does not exist yet, so there is no stable version to share traffic with; create it with a first promotion (traffic-weight unset)", r.cfg.Alias))
		case !f.exists:
			r.d.Log.Infof("alias %s does not exist yet: nothing to shift from, so version goes to it all at once", r.cfg.Alias)
			p, _ := rollout.Preset(config.StrategyAllAtOnce)
			r.res.Strategy = p.Name + " (first deploy: nothing to shift from)"
		case r.stable == alias.Latest:
			errs = append(errs, fmt.Errorf("alias %s points at $LATEST, and Lambda cannot share traffic between $LATEST and a version; promote all at once (strategy: all-at-once) once, then shift gradually", r.cfg.Alias))
		default:
			if err := r.weightedRules(ctx, f); err != nil {
				errs = append(errs, err)
			}
		}
	}

	// Alarms already firing stop the run before any traffic moves.
	for _, g := range f.alarms {
		if !g.OK {
			errs = append(errs, fmt.Errorf("alarm %s is %s before any traffic moved; wait until it is OK or remove it from the alarms input", g.Name, g.Detail))
		}
	}
	if err := checksFailed(r.res.Checks, func(c outcome.Check) bool {
		return !f.exists && c.Name == outcome.CheckAliasPermission
	}); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return &failure{err: err}
	}
	r.res.Plan = r.describePlan(plan, f)
	if r.cfg.DryRun {
		r.res.Status = outcome.DryRun
		r.res.Version = f.cur.Version
		r.res.TrafficWeight = r.weightNow(f.cur, r.target.Version)
		r.res.AliasState = r.existing(f)
		r.d.Log.Group("Plan (dry run: nothing is changed)")
		for _, l := range r.res.Plan {
			r.d.Log.Infof("%s", l)
		}
		r.d.Log.EndGroup()
	}
	return nil
}

// weightedRules checks Lambda's rules for weighted aliases before anything
// changes. For a version still to be published, $LATEST stands in:
// publishing copies it.
func (r *run) weightedRules(ctx context.Context, f facts) error {
	next := f.fn
	next.Version = "(to be published)"
	if r.target.Version != "" {
		var err error
		if next, err = alias.GetFunction(ctx, r.d.Lambda, f.fn.ARN, r.target.Version); err != nil {
			return fmt.Errorf("read version %s: %w", r.target.Version, err)
		}
	}
	return r.checkWeighted(ctx, next)
}

// sameCodeAsCanary fails when $LATEST's code differs from the code of the
// canary version in progress, which publishing could then not hand back.
func (r *run) sameCodeAsCanary(ctx context.Context, f facts, extra string, w percent.Percent) error {
	canary, err := alias.GetFunction(ctx, r.d.Lambda, f.fn.ARN, extra)
	if err != nil {
		return fmt.Errorf("read the canary version %s: %w", extra, err)
	}
	if canary.CodeSHA == f.fn.CodeSHA {
		return nil
	}
	return fmt.Errorf("alias %s has a canary of version %s in progress at %s%%, and $LATEST holds other code, so publishing would make a new version; finalize the canary (version: %s, traffic-weight: 100) or undo it (rollback: true) first", r.cfg.Alias, extra, w.Number(), extra)
}

// checkWeighted reads the stable version and checks it and next against
// Lambda's rules for an alias that splits traffic between them.
func (r *run) checkWeighted(ctx context.Context, next alias.Function) error {
	stable, err := alias.GetFunction(ctx, r.d.Lambda, r.fnRef(), r.stable)
	if err != nil {
		return fmt.Errorf("read the stable version %s: %w", r.stable, err)
	}
	return alias.WeightedRules(stable, next)
}

func (r *run) existing(f facts) string {
	if !f.exists {
		return fmt.Sprintf("%s does not exist yet; nothing was changed", r.cfg.Alias)
	}
	return r.describe(f.cur) + "; nothing was changed"
}

// weightNow is the share of traffic on version, in percent.
func (r *run) weightNow(s alias.State, version string) percent.Percent {
	if version == "" {
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

// describePlan says in plain lines what a run would do.
func (r *run) describePlan(p rollout.Plan, f facts) []string {
	var lines []string
	target := r.target.Version
	switch {
	case r.cfg.SourceAlias != "":
		lines = append(lines, fmt.Sprintf("take version %s from alias %s", target, r.cfg.SourceAlias))
	case target == "":
		lines = append(lines, fmt.Sprintf("publish a version from $LATEST (code %s); if nothing changed since the last version, Lambda returns that one", short(f.fn.CodeSHA)))
		target = "the published version"
	}
	if len(r.cfg.SmokePayload) > 0 {
		lines = append(lines, fmt.Sprintf("invoke %s with the smoke-test payload before any traffic moves", target))
	}
	if !f.exists {
		return append(lines, fmt.Sprintf("create alias %s on %s", r.cfg.Alias, target))
	}
	lines = append(lines, fmt.Sprintf("move alias %s (now %s) to %s over %s:", r.cfg.Alias, f.cur, target, p.Total()))
	for _, l := range p.Describe() {
		lines = append(lines, "  "+l)
	}
	return lines
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
