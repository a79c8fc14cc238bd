package promote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/callers"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/fix"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/stage"
)

// facts is everything read before anything changes. Nothing in it is judged
// yet: decide does that.
type facts struct {
	given    string         // the function as the inputs name it
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

	stage       *stage.Stage       // the checked stage and its API
	provisioned *alias.Provisioned // the alias's provisioned concurrency; nil for none or unread
	policy      string             // the alias's resource policy; "" for none
	policyRead  bool
	alarms      []outcome.Gate

	// What calls the function besides the alias (see paths.go): the
	// event source mappings of the run, shared, and the function's URLs
	// and resource policy; nil when not read.
	mappings *callers.Mappings
	callers  *callers.Function
}

// name is the function's name once read, else as given.
func (f facts) name() string {
	if f.fn.Name != "" {
		return f.fn.Name
	}
	return nameOf(f.given)
}

// preflight makes every read the run needs, the independent ones at once
// (the stage and the alarms once, the rest for each function), then the
// reads that depend on them, and fails with every problem found. Nothing is
// changed here.
func preflight(ctx context.Context, cfg config.Config, d Deps) ([]facts, error) {
	d.Log.Group("Preflight: read the functions, the aliases and the stage")
	defer d.Log.EndGroup()

	names := cfg.Functions
	fs := make([]facts, len(names))
	r := newReads(ctx, len(names) > 1)
	var (
		st       *stage.Stage
		alarms   []outcome.Gate
		mappings *callers.Mappings
	)
	if cfg.APIID != "" && d.Stage != nil {
		r.do("", func(ctx context.Context) error {
			s, err := d.Stage(ctx, cfg.APIID, cfg.Stage)
			if err != nil {
				return err
			}
			st = &s
			return nil
		})
	}
	if len(cfg.Alarms) > 0 && d.Alarms != nil && !cfg.Rollback {
		r.do("", func(ctx context.Context) error {
			g, err := d.Alarms(ctx, cfg.Alarms)
			if err != nil {
				return fmt.Errorf("input \"alarms\": %w", err)
			}
			alarms = g
			return nil
		})
	}
	readMappings(cfg, d, r, &mappings)
	for i, name := range names {
		fs[i] = facts{given: name, now: d.Clock.Now(), creds: d.Credentials, longest: d.MetricWait}
		readFunction(cfg, d, r, &fs[i])
	}
	err := r.wait()
	for i := range fs {
		fs[i].stage, fs[i].alarms, fs[i].mappings = st, alarms, mappings
	}
	if err != nil {
		return fs, err
	}
	// The second wave: the versions that traffic would be split between,
	// for Lambda's weighted-routing rules, and the version of a canary in
	// progress, which publishing must not replace by other code.
	r = newReads(ctx, len(names) > 1)
	for i := range fs {
		readVersions(cfg, d, r, &fs[i])
	}
	return fs, r.wait()
}

// readFunction adds the reads of one function to r: $LATEST, the alias,
// the source alias, the version named by the inputs, the alias's policy.
func readFunction(cfg config.Config, d Deps, r *reads, f *facts) {
	name := f.given
	r.do(name, func(ctx context.Context) error {
		fn, err := alias.GetFunction(ctx, d.Lambda, name, alias.Latest)
		if err != nil {
			return notFoundHint(err, "check the function-name input and the region; list functions with:",
				fix.AWS("lambda", "list-functions", "--query", "Functions[].FunctionName"))
		}
		f.fn = fn
		return nil
	})
	r.do(name, func(ctx context.Context) error {
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
		r.do(name, func(ctx context.Context) error {
			src, ok, err := alias.Get(ctx, d.Lambda, name, cfg.SourceAlias)
			switch {
			case err != nil:
				return err
			case !ok:
				list := fix.AWS("lambda", "list-aliases", "--function-name", name, "--query", "Aliases[].[Name,FunctionVersion]")
				return fix.Errorf("check the source-alias input; list the function's aliases with:", list,
					"input \"source-alias\": alias %s of function %s does not exist", cfg.SourceAlias, name)
			}
			f.source = &src
			return nil
		})
	}
	if isNumber(cfg.Version) {
		r.do(name, func(ctx context.Context) error {
			v, err := alias.GetFunction(ctx, d.Lambda, name, cfg.Version)
			if err != nil {
				return notFoundHint(fmt.Errorf("input \"version\": %w", err), "check the version input; list published versions with:",
					fix.AWS("lambda", "list-versions-by-function", "--function-name", name, "--query", "Versions[].Version"))
			}
			f.version = &v
			return nil
		})
	}
	// Lambda has rules for provisioned concurrency with weighted routing
	// and with $LATEST: read it when they apply.
	if d.Provisioned != nil && !cfg.Rollback && (gradual(cfg.Plan()) || cfg.Version == config.VersionLatest) {
		r.do(name, func(ctx context.Context) error {
			p, err := d.Provisioned(ctx, name, cfg.Alias)
			switch {
			case errors.Is(err, alias.ErrNotFound):
				// An alias a first deploy creates has none; a missing
				// function fails its own read beside this one.
				return nil
			case err != nil:
				return err
			}
			f.provisioned = p
			return nil
		})
	}
	if cfg.APIID != "" && cfg.CheckPermission && d.Policy != nil {
		r.do(name, func(ctx context.Context) error {
			p, err := d.Policy(ctx, name, cfg.Alias)
			if err != nil {
				return err
			}
			f.policy, f.policyRead = p, true
			return nil
		})
	}
	readCallers(cfg, d, r, f)
}

// readVersions adds the second wave of one function's reads to r.
func readVersions(cfg config.Config, d Deps, r *reads, f *facts) {
	if f.alias == nil || cfg.Rollback {
		return
	}
	version := func(v string, into **alias.Function, what string) {
		r.do(f.given, func(ctx context.Context) error {
			fn, err := alias.GetFunction(ctx, d.Lambda, f.fn.ARN, v)
			if err != nil {
				return fmt.Errorf("read %s %s: %w", what, v, err)
			}
			*into = &fn
			return nil
		})
	}
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

// reads runs independent reads at once and joins their errors, each named
// by its function in a release of several.
type reads struct {
	ctx     context.Context
	several bool
	wg      sync.WaitGroup
	mu      sync.Mutex
	errs    []error
}

func newReads(ctx context.Context, several bool) *reads { return &reads{ctx: ctx, several: several} }

// do starts a read of function fn ("" for a read of the release).
func (r *reads) do(fn string, read func(context.Context) error) {
	r.wg.Go(func() {
		err := read(r.ctx)
		if err == nil {
			return
		}
		if r.several && fn != "" {
			err = fmt.Errorf("%s: %w", nameOf(fn), err)
		}
		r.mu.Lock()
		r.errs = append(r.errs, err)
		r.mu.Unlock()
	})
}

func (r *reads) wait() error {
	r.wg.Wait()
	slices.SortFunc(r.errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(r.errs...)
}

func notFoundHint(err error, next, command string) error {
	if errors.Is(err, alias.ErrNotFound) {
		return fix.Errorf(next, command, "%w", err)
	}
	return err
}
