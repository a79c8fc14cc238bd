package promote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// facts is everything read before anything changes.
type facts struct {
	fn        alias.Function
	cur       alias.State
	exists    bool
	aliasRead bool        // the alias read answered (exists says whether it is there)
	src       alias.State // the source alias, when source-alias is set
	version   alias.Function
	stage     StageFinding
	permCheck *outcome.Check
	alarms    []outcome.Gate
}

// preflight makes every read the run needs, the independent ones at once, and
// fails with every problem found. Nothing is changed here.
func (r *run) preflight(ctx context.Context) (facts, error) {
	r.d.Log.Group("Preflight: read the function, the alias and the stage")
	defer r.d.Log.EndGroup()

	var (
		f    facts
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	name := r.cfg.FunctionName

	wg.Go(func() {
		fn, err := alias.GetFunction(ctx, r.d.Lambda, name, alias.Latest)
		if err != nil {
			fail(notFoundHint(err, "check the function-name input and the region; list functions with: aws lambda list-functions --query 'Functions[].FunctionName'"))
			return
		}
		f.fn = fn
	})
	wg.Go(func() {
		cur, ok, err := alias.Get(ctx, r.d.Lambda, name, r.cfg.Alias)
		if err != nil {
			fail(err)
			return
		}
		f.cur, f.exists, f.aliasRead = cur, ok, true
	})
	if r.cfg.SourceAlias != "" {
		wg.Go(func() {
			src, ok, err := alias.Get(ctx, r.d.Lambda, name, r.cfg.SourceAlias)
			switch {
			case err != nil:
				fail(err)
			case !ok:
				fail(fmt.Errorf("input \"source-alias\": alias %s of function %s does not exist; list aliases with: aws lambda list-aliases --function-name %s", r.cfg.SourceAlias, name, name))
			default:
				f.src = src
			}
		})
	}
	if isNumber(r.cfg.Version) {
		wg.Go(func() {
			v, err := alias.GetFunction(ctx, r.d.Lambda, name, r.cfg.Version)
			if err != nil {
				fail(notFoundHint(fmt.Errorf("input \"version\": %w", err), fmt.Sprintf("list published versions with: aws lambda list-versions-by-function --function-name %s --query 'Versions[].Version'", name)))
				return
			}
			f.version = v
		})
	}
	// The stage and the policy are read now and judged once the function's
	// ARN (account, region) is known.
	var (
		match StageMatch
		judge PolicyJudge
	)
	if r.cfg.APIID != "" && r.d.Stage != nil {
		wg.Go(func() {
			m, err := r.d.Stage(ctx, r.cfg.APIID, r.cfg.Stage)
			if err != nil {
				fail(err)
				return
			}
			match = m
		})
	}
	if r.cfg.APIID != "" && r.cfg.CheckPermission && r.d.Policy != nil {
		wg.Go(func() {
			j, err := r.d.Policy(ctx, name, r.cfg.Alias)
			if err != nil {
				fail(err)
				return
			}
			judge = j
		})
	}
	if len(r.cfg.Alarms) > 0 && r.d.Alarms != nil && !r.cfg.Rollback {
		wg.Go(func() {
			g, err := r.d.Alarms(ctx, r.cfg.Alarms)
			if err != nil {
				fail(fmt.Errorf("input \"alarms\": %w", err))
				return
			}
			f.alarms = g
		})
	}
	wg.Wait()
	r.before, r.exists, r.aliasRead = f.cur, f.exists, f.aliasRead
	if err := errors.Join(errs...); err != nil {
		return f, &failure{err: err}
	}
	r.fn = f.fn
	if match != nil {
		s, err := match(f.fn.ARN, r.cfg.StageVariable, r.cfg.Alias)
		if err != nil {
			return f, &failure{err: err}
		}
		f.stage = s
	}
	if judge != nil {
		// An alias ARN is the function ARN and the alias name, whether the
		// alias exists yet or not.
		c := judge(f.fn.ARN+":"+r.cfg.Alias, r.cfg.APIID)
		f.permCheck = &c
	}
	r.res.FunctionName = f.fn.Name
	r.res.FunctionARN = f.fn.ARN
	r.res.Region = regionOf(f.fn.ARN)
	r.res.StageURL = f.stage.URL
	r.res.AliasARN = f.fn.ARN + ":" + r.cfg.Alias
	if f.exists {
		r.res.AliasARN = f.cur.ARN
		r.res.PreviousVersion = f.cur.Version
		r.last = f.cur
	}

	if f.permCheck != nil && !f.permCheck.OK && !f.exists {
		// A permission is granted on an alias, which this run creates: it
		// cannot exist yet. Say what to run afterwards.
		f.permCheck.Detail = "the alias does not exist yet, so no permission can name it; " + f.permCheck.Detail
		r.d.Log.Warningf("API Gateway cannot invoke %s until a permission is added: %s", r.cfg.Alias, f.permCheck.Fix)
	}
	r.res.Checks = append(r.res.Checks, f.stage.Checks...)
	if f.permCheck != nil {
		r.res.Checks = append(r.res.Checks, *f.permCheck)
	}
	for _, c := range r.res.Checks {
		mark := "ok"
		if !c.OK {
			mark = "FAILED"
		}
		r.d.Log.Infof("check %s: %s (%s)", c.Name, mark, c.Detail)
	}
	return f, nil
}

// checksFailed joins the failed checks into one error, each with its fix.
func checksFailed(checks []outcome.Check, skip func(outcome.Check) bool) error {
	var errs []error
	for _, c := range checks {
		if c.OK || (skip != nil && skip(c)) {
			continue
		}
		msg := fmt.Sprintf("check %q failed: %s", c.Name, c.Detail)
		if c.Fix != "" {
			msg += "; fix: " + c.Fix
		}
		errs = append(errs, errors.New(msg))
	}
	return errors.Join(errs...)
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

// regionOf reads the region from an ARN.
func regionOf(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) > 3 {
		return parts[3]
	}
	return ""
}

// isLatest reports whether a version names $LATEST.
func isLatest(v string) bool { return v == config.VersionLatest }
