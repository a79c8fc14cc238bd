package promote

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/stage"
)

// facts is everything read before anything changes. Nothing in it is judged
// yet: decide does that.
type facts struct {
	fn       alias.Function // $LATEST as read
	alias    *alias.State   // the alias; nil when it does not exist
	aliasErr error          // the alias could not be read, so where it is is unknown
	source   *alias.State   // the source-alias input's alias
	version  *alias.Function

	// The second wave, read once the first says what is needed.
	stable *alias.Function // the version the alias serves, when traffic is to be split
	target *alias.Function // the source alias's version, when traffic is to be split
	canary *alias.Function // the version of a canary in progress, when publishing

	now   time.Time   // when the facts were read
	creds Credentials // the lifetime of the run's AWS credentials
	// longest is the most a rollout's wait for CloudWatch adds to a step.
	longest time.Duration

	stage      *stage.Stage // the checked stage and its API
	policy     string       // the alias's resource policy; "" for none
	policyRead bool
	alarms     []outcome.Gate
}

// name is the function's name once read, else as given.
func (f facts) name(cfg config.Config) string {
	if f.fn.Name != "" {
		return f.fn.Name
	}
	return nameOf(cfg.FunctionName)
}

// preflight makes every read the run needs, the independent ones at once,
// then the reads that depend on them, and fails with every problem found.
// Nothing is changed here.
func preflight(ctx context.Context, cfg config.Config, d Deps) (facts, error) {
	d.Log.Group("Preflight: read the function, the alias and the stage")
	defer d.Log.EndGroup()

	f := facts{now: d.Clock.Now(), creds: d.Credentials, longest: d.MetricWait}
	r := newReads(ctx)
	name := cfg.FunctionName
	r.do(func(ctx context.Context) error {
		fn, err := alias.GetFunction(ctx, d.Lambda, name, alias.Latest)
		if err != nil {
			return notFoundHint(err, "check the function-name input and the region; list functions with: aws lambda list-functions --query 'Functions[].FunctionName'")
		}
		f.fn = fn
		return nil
	})
	r.do(func(ctx context.Context) error {
		cur, ok, err := alias.Get(ctx, d.Lambda, name, cfg.Alias)
		switch {
		case err != nil:
			f.aliasErr = err
			return err
		case ok:
			f.alias = &cur
		}
		return nil
	})
	if cfg.SourceAlias != "" {
		r.do(func(ctx context.Context) error {
			src, ok, err := alias.Get(ctx, d.Lambda, name, cfg.SourceAlias)
			switch {
			case err != nil:
				return err
			case !ok:
				return fmt.Errorf("input \"source-alias\": alias %s of function %s does not exist; list aliases with: aws lambda list-aliases --function-name %s", cfg.SourceAlias, name, name)
			}
			f.source = &src
			return nil
		})
	}
	if isNumber(cfg.Version) {
		r.do(func(ctx context.Context) error {
			v, err := alias.GetFunction(ctx, d.Lambda, name, cfg.Version)
			if err != nil {
				return notFoundHint(fmt.Errorf("input \"version\": %w", err), fmt.Sprintf("list published versions with: aws lambda list-versions-by-function --function-name %s --query 'Versions[].Version'", name))
			}
			f.version = &v
			return nil
		})
	}
	if cfg.APIID != "" && d.Stage != nil {
		r.do(func(ctx context.Context) error {
			st, err := d.Stage(ctx, cfg.APIID, cfg.Stage)
			if err != nil {
				return err
			}
			f.stage = &st
			return nil
		})
	}
	if cfg.APIID != "" && cfg.CheckPermission && d.Policy != nil {
		r.do(func(ctx context.Context) error {
			p, err := d.Policy(ctx, name, cfg.Alias)
			if err != nil {
				return err
			}
			f.policy, f.policyRead = p, true
			return nil
		})
	}
	if len(cfg.Alarms) > 0 && d.Alarms != nil && !cfg.Rollback {
		r.do(func(ctx context.Context) error {
			g, err := d.Alarms(ctx, cfg.Alarms)
			if err != nil {
				return fmt.Errorf("input \"alarms\": %w", err)
			}
			f.alarms = g
			return nil
		})
	}
	if err := r.wait(); err != nil {
		return f, err
	}

	// The second wave: the versions that traffic would be split between,
	// for Lambda's weighted-routing rules, and the version of a canary in
	// progress, which publishing must not replace by other code.
	r = newReads(ctx)
	version := func(v string, into **alias.Function, what string) {
		r.do(func(ctx context.Context) error {
			fn, err := alias.GetFunction(ctx, d.Lambda, f.fn.ARN, v)
			if err != nil {
				return fmt.Errorf("read %s %s: %w", what, v, err)
			}
			*into = &fn
			return nil
		})
	}
	if f.alias != nil && !cfg.Rollback {
		if gradual(cfg.Plan()) && f.alias.Version != alias.Latest {
			version(f.alias.Version, &f.stable, "the stable version")
		}
		if gradual(cfg.Plan()) && f.source != nil && f.source.Version != alias.Latest {
			version(f.source.Version, &f.target, "version")
		}
		if extra, _, split := f.alias.Split(); split && cfg.Version == config.VersionPublish && cfg.SourceAlias == "" {
			version(extra, &f.canary, "the canary version")
		}
	}
	return f, r.wait()
}

// reads runs independent reads at once and joins their errors.
type reads struct {
	ctx  context.Context
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

func newReads(ctx context.Context) *reads { return &reads{ctx: ctx} }

func (r *reads) do(read func(context.Context) error) {
	r.wg.Go(func() {
		if err := read(r.ctx); err != nil {
			r.mu.Lock()
			r.errs = append(r.errs, err)
			r.mu.Unlock()
		}
	})
}

func (r *reads) wait() error {
	r.wg.Wait()
	return errors.Join(r.errs...)
}

func notFoundHint(err error, hint string) error {
	if errors.Is(err, alias.ErrNotFound) {
		return fmt.Errorf("%w; %s", err, hint)
	}
	return err
}

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
