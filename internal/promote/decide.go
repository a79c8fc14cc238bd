package promote

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/callers"
	"github.com/lambda-promote/lambda-promote/internal/compare"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/fix"
	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
	"github.com/lambda-promote/lambda-promote/internal/rollout"
	"github.com/lambda-promote/lambda-promote/internal/stage"
)

// decision is what the run will do, settled from the facts before anything
// changes.
type decision struct {
	target   alias.Function // the version to promote; Version "" until published
	publish  bool           // publish $LATEST first
	latest   bool           // point the alias at $LATEST
	stable   string         // the version that serves when nothing new does
	create   bool           // the alias does not exist: create it on the target
	rollback bool           // the rollback input: put the alias back on stable
	plan     rollout.Plan   // the steps to take; a canary in progress continues past its weight
	strategy string         // the plan's name as the report shows it
	since    time.Time      // when the canary in progress first took traffic, from the alias's record
	detach   *detachment    // a rollout that goes on in later runs; nil for one that runs in this job
	idle     bool           // a scheduled detached run with no rollout to carry on: nothing to do

	steps    []string        // the plan in plain lines (Result.Plan)
	checks   []outcome.Check // the API Gateway checks, judged
	stageURL string
	notes    []string // what the log should say about the decision
	warnings []string // what the log should warn of

	// paths are what calls the function besides the alias, and
	// pathsNotChecked the reads of them that could not be made.
	paths           []outcome.Path
	pathsNotChecked []callers.NotChecked
}

// decide judges the facts against the inputs and Lambda's rules and settles
// what the run does. It reads nothing and changes nothing; it returns every
// problem found, joined.
func decide(cfg config.Config, f facts) (decision, error) {
	var d decision
	var errs []error
	d.checks, d.stageURL, errs = judgeStage(cfg, f)
	if cfg.Rollback {
		err := d.decideRollback(cfg, f)
		return d, errors.Join(append(errs, err)...)
	}
	if err := f.fn.Broken(); err != nil {
		errs = append(errs, err)
	}
	if err := d.judgePaths(cfg, f); err != nil {
		errs = append(errs, err)
	}
	d.plan = cfg.Plan()
	d.strategy = d.plan.Name

	// What is promoted.
	switch {
	case cfg.SourceAlias != "":
		if v, w, ok := f.source.Split(); ok {
			errs = append(errs, fmt.Errorf("input \"source-alias\": alias %s splits traffic (%s on %s), so it serves no single version; finalize or roll back that canary first", cfg.SourceAlias, w, v))
		}
		d.target = alias.Function{Name: f.fn.Name, ARN: f.fn.ARN, Version: f.source.Version}
	case isNumber(cfg.Version):
		d.target = *f.version
	case cfg.Version == config.VersionLatest:
		d.target, d.latest = f.fn, true
	default:
		d.publish = true
	}

	// What serves now, and what is stable.
	d.create = f.alias == nil
	if f.alias != nil {
		d.stable = f.alias.Version
		if extra, w, ok := f.alias.Split(); ok {
			switch {
			case !d.publish && d.target.Version != extra:
				errs = append(errs, fix.Errorf(finishOrUndoNext, finishOrUndoInputs(extra, d.stable),
					"alias %s has a canary of version %s in progress at %s; finalize it (traffic-weight: 100) or undo it (rollback: true) before promoting version %s", cfg.Alias, extra, w, d.target.Version))
			case d.publish && f.canary != nil && f.canary.Config != f.fn.Config:
				// Publishing would make a version other than the canary's:
				// $LATEST holds other code or other configuration
				// (https://docs.aws.amazon.com/lambda/latest/api/API_PublishVersion.html).
				// Refuse before publishing anything.
				errs = append(errs, fix.Errorf(finishOrUndoNext, finishOrUndoInputs(extra, d.stable),
					"alias %s has a canary of version %s in progress at %s, and $LATEST holds other code or configuration, so publishing would make a new version; finalize the canary (version: %s, traffic-weight: 100) or undo it (rollback: true) first", cfg.Alias, extra, w, extra))
			}
			if len(d.plan.Steps) > 1 {
				// A canary is in progress: continue from where it holds.
				d.plan.Steps = stepsAbove(d.plan.Steps, w)
			}
			// Its error rate is judged since it first took traffic, which
			// its record on the alias says.
			switch rec, ok, err := alias.ParseRecord(f.alias.Description); {
			case err != nil:
				errs = append(errs, fix.Errorf("finish or undo the canary by hand (either command clears the description):", finishOrUndo(f.name(), cfg.Alias, extra, f.alias.Version),
					"alias %s has a canary of version %s in progress, and its description, which should record when the canary began, cannot be read: %w; finalize or undo the canary by hand, as the commands given next do", cfg.Alias, extra, err))
			case ok && rec.State == alias.Shifting && rec.New == extra:
				d.since = rec.Since
			}
		}
	}

	if gradual(cfg.Plan()) {
		switch {
		case d.create && cfg.TrafficWeight != nil:
			errs = append(errs, fmt.Errorf("input \"traffic-weight\": alias %s does not exist yet, so there is no stable version to share traffic with; create it with a first promotion (traffic-weight unset)", cfg.Alias))
		case d.create:
			d.notes = append(d.notes, fmt.Sprintf("alias %s does not exist yet: nothing to shift from, so version goes to it all at once", cfg.Alias))
			p, _ := rollout.Preset(config.StrategyAllAtOnce)
			d.plan = p
			d.strategy = p.Name + " (first deploy: nothing to shift from)"
		case d.stable == alias.Latest:
			errs = append(errs, fmt.Errorf("alias %s points at $LATEST, and Lambda cannot share traffic between $LATEST and a version; promote all at once (strategy: all-at-once) once, then shift gradually", cfg.Alias))
		default:
			// For a version still to be published, $LATEST stands in:
			// publishing copies it.
			next := f.fn
			next.Version = "(to be published)"
			switch {
			case f.target != nil:
				next = *f.target
			case !d.publish:
				next = d.target
			}
			if f.stable != nil {
				if err := alias.WeightedRules(*f.stable, next); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}

	if err := credentialsLast(cfg, f, &d); err != nil {
		errs = append(errs, err)
	}

	if c, err := judgeProvisioned(cfg, f, d); err != nil {
		errs = append(errs, err)
	} else if c != nil {
		d.checks = append(d.checks, *c)
	}

	if cfg.Detach && !d.create {
		if err := d.decideDetach(cfg, f); err != nil {
			errs = append(errs, err)
		}
	}

	// Alarms already firing stop the run before any traffic moves. Once a
	// canary takes traffic, a firing alarm is the gate's to judge: it puts
	// the alias back.
	if f.alias == nil || !splits(*f.alias) {
		for _, g := range f.alarms {
			if !g.OK {
				errs = append(errs, fmt.Errorf("alarm %s is %s before any traffic moved; wait until it is OK or remove it from the alarms input", g.Name, g.Detail))
			}
		}
	}
	if err := checksFailed(d.checks, func(c outcome.Check) bool {
		return d.create && c.Name == outcome.CheckAliasPermission
	}); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return d, err
	}
	d.steps = describePlan(cfg, f, d)
	return d, nil
}

// detachment is a rollout that goes on in later runs, its state kept in
// the alias's record.
type detachment struct {
	plan    rollout.Plan // the whole schedule
	encoded string       // as the record keeps it
	step    int          // the step the alias is at; -1 when this run starts the rollout
	stepAt  time.Time    // when that step was taken
}

// decideDetach settles a detached rollout: it starts one, or carries on the
// one the alias's record describes, which then decides the schedule, the
// versions and when the next step is due. A record that cannot be read, or
// that the alias's routing contradicts, is refused.
func (d *decision) decideDetach(cfg config.Config, f facts) error {
	rec, ok, err := alias.ParseRecord(f.alias.Description)
	if err != nil {
		extra, _, split := f.alias.Split()
		next, code := "clear the description that cannot be read, then run again:", fix.AWS("lambda", "update-alias", "--function-name", f.name(), "--name", cfg.Alias, "--description", "")
		if split {
			next, code = "finish or undo the rollout by hand (either command clears the description):", finishOrUndo(f.name(), cfg.Alias, extra, f.alias.Version)
		}
		return fix.Errorf(next, code, "input \"detach\": %w; clear the description, or put the alias where you want it by hand, as the commands given next do", err)
	}
	extra, w, split := f.alias.Split()
	if !ok || rec.Plan == "" || rec.State != alias.Shifting {
		// No detached rollout in progress: this run starts one, unless a
		// schedule started it.
		if cfg.CarryOnOnly {
			d.idle, d.publish = true, false
			d.notes = append(d.notes, fmt.Sprintf("alias %s has no detached rollout in progress, and a scheduled run only carries one on: nothing to do", cfg.Alias))
			return nil
		}
		if !gradual(d.plan) {
			return nil
		}
		enc, err := rollout.Encode(cfg.Plan())
		if err != nil {
			return fmt.Errorf("input \"detach\": %w", err)
		}
		probe := alias.Record{State: alias.Shifting, Stable: d.stable, New: "999999", Since: f.now, Plan: enc, StepAt: f.now}
		if _, err := probe.Encode(); err != nil {
			return fmt.Errorf("input \"detach\": the schedule does not fit in the alias's record (%w); use fewer steps", err)
		}
		if split {
			return fmt.Errorf("input \"detach\": alias %s already splits traffic (%s on %s) without a detached rollout's record; finalize or undo that canary first", cfg.Alias, w, extra)
		}
		d.detach = &detachment{plan: cfg.Plan(), encoded: enc, step: -1}
		return nil
	}
	plan, err := rollout.Decode(rec.Plan)
	if err != nil {
		return fmt.Errorf("input \"detach\": the alias's record names a schedule %q this release cannot read: %w; roll back with rollback: true", rec.Plan, err)
	}
	if rec.Step >= len(plan.Steps)-1 || !split || f.alias.Version != rec.Stable || extra != rec.New || w.Number() != plan.Steps[rec.Step].Weight.Number() {
		at := plan.Steps[min(rec.Step, len(plan.Steps)-1)].Weight
		next := "roll back with rollback: true, or put the alias where you want it by hand; either command below clears the record:"
		code := finishOrUndo(f.name(), cfg.Alias, rec.New, rec.Stable)
		return fix.Errorf(next, code, "input \"detach\": alias %s serves %s, but its record says step %d of %s (%s on %s, %s on %s): it was changed by hand; roll back with rollback: true, or put the alias where you want it by hand and clear its description, as the commands given next do", cfg.Alias, f.alias, rec.Step+1, plan.Name, at, rec.New, 100-at, rec.Stable)
	}
	// A version other than the rollout's is refused: the canary check
	// above says so. Carrying the rollout on publishes nothing.
	d.publish = false
	d.target = alias.Function{Name: f.fn.Name, ARN: f.fn.ARN, Version: rec.New}
	d.stable, d.since = rec.Stable, rec.Since
	d.plan, d.strategy = plan, plan.Name+" (detached)"
	if cfg.Plan().Name != plan.Name {
		d.notes = append(d.notes, fmt.Sprintf("the rollout in progress follows its own schedule, %s; the inputs' %s applies to the next one", plan.Name, cfg.Plan().Name))
	}
	d.detach = &detachment{plan: plan, encoded: rec.Plan, step: rec.Step, stepAt: rec.StepAt}
	return nil
}

// decideRollback settles where the rollback input puts the alias: the
// primary version of a canary in progress, or the version recorded before
// this action's last promotion.
func (d *decision) decideRollback(cfg config.Config, f facts) error {
	d.rollback = true
	d.strategy = "rollback"
	if f.alias == nil {
		return fmt.Errorf("input \"rollback\": alias %s does not exist, so there is nothing to roll back", cfg.Alias)
	}
	if extra, w, ok := f.alias.Split(); ok {
		d.stable = f.alias.Version
		d.target.Version = extra
		d.steps = []string{fmt.Sprintf("take the %s on version %s out: alias %s back on %s with no weights", w, extra, cfg.Alias, d.stable)}
		return nil
	}
	d.target.Version = f.alias.Version
	rec, ok, err := alias.ParseRecord(f.alias.Description)
	if err != nil {
		return &fix.Error{
			Err:  fmt.Errorf("input \"rollback\": the description of alias %s cannot be read as lambda-promote's record, so the version to go back to is unknown: %w", cfg.Alias, err),
			Next: "put the alias by hand on the version you choose (N below), and clear the description:",
			Code: versionsThenMove(f.name(), cfg.Alias, true),
		}
	}
	if ok && rec.State == alias.Shifting {
		d.stable = rec.Stable
	}
	if d.stable == "" {
		return &fix.Error{
			Err:  fmt.Errorf("input \"rollback\": alias %s serves %s and records no earlier promotion by lambda-promote (its description is %q), so the version to go back to is unknown", cfg.Alias, f.alias.Version, f.alias.Description),
			Next: "promote the version you choose with version: N, or put the alias on it by hand (N below):",
			Code: versionsThenMove(f.name(), cfg.Alias, false),
		}
	}
	d.steps = []string{fmt.Sprintf("move alias %s from %s back to %s, the version it served before the last promotion", cfg.Alias, f.alias.Version, d.stable)}
	return nil
}

// judgeProvisioned keeps Lambda's rules for an alias with provisioned
// concurrency (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html):
// it cannot point at $LATEST; while an alias splits traffic, Lambda splits
// its provisioned concurrency between the two versions by weight, so the
// new version starts on its share once allocated
// (https://docs.aws.amazon.com/lambda/latest/api/API_ProvisionedConcurrencyConfigListItem.html:
// the allocation "fluctuates depending on the amount of concurrency that is
// provisioned for the function versions" during linear and canary
// deployments). The check says what the canary runs on.
func judgeProvisioned(cfg config.Config, f facts, d decision) (*outcome.Check, error) {
	p := f.provisioned
	if p == nil || d.create {
		return nil, nil
	}
	if d.latest {
		remove := fix.AWS("lambda", "delete-provisioned-concurrency-config", "--function-name", f.name(), "--qualifier", cfg.Alias)
		return nil, fix.Errorf("promote a published version (version: publish), or remove the provisioned concurrency first:", remove,
			"alias %s has %d provisioned concurrency, and Lambda does not provision concurrency for $LATEST", cfg.Alias, p.Requested)
	}
	c := outcome.Check{Name: "provisioned concurrency", OK: true}
	switch p.Status {
	case "FAILED":
		c.OK = false
		c.Detail = fmt.Sprintf("alias %s asks for %d provisioned concurrency and its allocation failed: %s", cfg.Alias, p.Requested, p.Reason)
		// Lambda says why in StatusReason; an allocation fails most often
		// because the version's initialization fails
		// (FUNCTION_ERROR_INIT_FAILURE: aws/aws-cdk#6016,
		// serverless/serverless#7250), which a new allocation of the same
		// version meets again.
		c.Fix = strings.Join([]string{
			"# see why: StatusReason says what failed",
			fix.AWS("lambda", "get-provisioned-concurrency-config", "--function-name", f.name(), "--qualifier", cfg.Alias),
			"# either: remove it",
			fix.AWS("lambda", "delete-provisioned-concurrency-config", "--function-name", f.name(), "--qualifier", cfg.Alias),
			"# or: allocate it again once the cause is fixed, N of your choice",
			fix.AWS("lambda", "put-provisioned-concurrency-config", "--function-name", f.name(), "--qualifier", cfg.Alias, "--provisioned-concurrent-executions", "N"),
		}, "\n")
		return &c, nil
	case "IN_PROGRESS":
		c.Detail = fmt.Sprintf("alias %s is allocating %d provisioned concurrency (%d allocated so far); moves of the alias wait for Lambda to finish", cfg.Alias, p.Requested, p.Allocated)
	default:
		c.Detail = fmt.Sprintf("alias %s has %d provisioned concurrency; while it splits traffic, Lambda splits it between the versions by weight, so the new version runs warm on its share", cfg.Alias, p.Requested)
	}
	return &c, nil
}

// sessionWarn is how long a rollout may run on session credentials of
// unknown lifetime before the run warns: configure-aws-credentials gives one
// hour by default
// (https://github.com/aws-actions/configure-aws-credentials#session-duration).
const sessionWarn = 50 * time.Minute

// credentialsLast refuses a rollout longer than the credentials' known
// remaining lifetime, and warns of one longer than 50 minutes on session
// credentials of unknown lifetime: after they expire, every call fails, the
// rollback's included, and the alias would be left split.
func credentialsLast(cfg config.Config, f facts, d *decision) error {
	if f.creds.Renewable || !gradual(d.plan) {
		return nil
	}
	long := d.plan.Total()
	if cfg.MaxErrorRate != nil || cfg.MinInvocations > 0 || cfg.CompareToStable {
		long += time.Duration(len(d.plan.Steps)) * f.longest // waits for CloudWatch's late metrics
	}
	if cfg.CompareToStable {
		long += holdsAtMost(d.plan, f.longest)
	}
	const ways = "give the job role-to-assume (the action then renews its credentials), ask configure-aws-credentials for longer ones (role-duration-seconds), or pick a shorter strategy"
	switch left := f.creds.Expires.Sub(f.now); {
	case !f.creds.Expires.IsZero() && left < long+time.Minute:
		return fmt.Errorf("the AWS credentials expire at %s UTC, in %s, but this rollout can take up to %s; after they expire every call fails, the rollback's included, and the alias would stay split; %s", f.creds.Expires.UTC().Format("15:04:05"), left.Round(time.Second), long, ways)
	case f.creds.Expires.IsZero() && f.creds.Session && long > sessionWarn:
		d.warnings = append(d.warnings, fmt.Sprintf("this rollout can take up to %s on session credentials whose lifetime is unknown (configure-aws-credentials gives one hour by default); if they expire, every call fails, the rollback's included; %s", long, ways))
	}
	return nil
}

// holdsAtMost is the longest a plan's steps can be held while the
// comparison with the stable version cannot tell yet: each judged step
// judged rollout.ExtraLooks more times, LookEvery apart, each look waiting
// up to wait for CloudWatch's metrics.
func holdsAtMost(p rollout.Plan, wait time.Duration) time.Duration {
	var d time.Duration
	judged := false
	for _, s := range p.Steps {
		if s.Bake > 0 && s.Weight < 100 {
			d += rollout.ExtraLooks * (rollout.LookEvery(s.Bake) + wait)
			judged = true
		}
	}
	if !judged { // a held canary, judged when it is finalized
		d += rollout.ExtraLooks * (rollout.LookEvery(0) + wait)
	}
	return d
}

// judgeStage judges the stage and the alias permission that preflight read:
// what the stage's integrations and authorizers call once its variables are
// substituted, and whether the alias's policy lets each route call it.
func judgeStage(cfg config.Config, f facts) (checks []outcome.Check, url string, errs []error) {
	if f.stage == nil {
		return nil, "", nil
	}
	fn, _, err := lambdaarn.Parse(f.fn.ARN)
	if err != nil {
		return nil, "", []error{fmt.Errorf("inspect stage: %w", err)}
	}
	m := f.stage.Match(cfg.StageVariable, fn)
	checks = m.Checks(cfg.Alias)
	if f.policyRead {
		c := stage.Permission(f.policy, m, cfg.Alias)
		if !c.OK && f.alias == nil {
			// A permission is granted on an alias, which this run creates:
			// it cannot exist yet.
			c.Detail = "the alias does not exist yet, so no permission can name it; " + c.Detail
		}
		checks = append(checks, c)
	}
	return checks, m.URL, nil
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

// stepsAbove keeps the steps past weight w.
func stepsAbove(steps []rollout.Step, w percent.Percent) []rollout.Step {
	var rest []rollout.Step
	for _, s := range steps {
		if s.Weight > w {
			rest = append(rest, s)
		}
	}
	return rest
}

// describePlan says in plain lines what the run will do.
func describePlan(cfg config.Config, f facts, d decision) []string {
	var lines []string
	target := d.target.Version
	switch {
	case cfg.SourceAlias != "":
		lines = append(lines, fmt.Sprintf("take version %s from alias %s", target, cfg.SourceAlias))
	case d.publish:
		lines = append(lines, fmt.Sprintf("publish a version from $LATEST (code %s); if nothing changed since the last version, Lambda returns that one", short(f.fn.CodeSHA)))
		target = "the published version"
	}
	if len(cfg.SmokePayload) > 0 {
		lines = append(lines, fmt.Sprintf("invoke %s with the smoke-test payload before any traffic moves", target))
	}
	if d.create {
		return append(lines, fmt.Sprintf("create alias %s on %s", cfg.Alias, target))
	}
	lines = append(lines, fmt.Sprintf("move alias %s (now %s) to %s over %s:", cfg.Alias, f.alias, target, d.plan.Total()))
	for _, l := range d.plan.Describe() {
		lines = append(lines, "  "+l)
	}
	if cfg.CompareToStable && gradual(d.plan) {
		n := rollout.Judgements(d.plan)
		lines = append(lines, fmt.Sprintf("judge each step's end against version %s over the step's window: error rate at %s confidence over the rollout (%d judgements, α = %s each), Duration p99 within +%s; a step that cannot tell yet holds, judged at most %d more times",
			d.stable, cfg.Confidence, n, compare.Prob(compare.PerJudgement(float64(cfg.Confidence)/100, n)), cfg.MaxLatencyIncrease, rollout.ExtraLooks))
	}
	return lines
}

// logDecision says in the log what was judged and decided.
func logDecision(log Logger, cfg config.Config, fs []facts, rd releaseDecision) {
	for i, d := range rd.fns {
		who := ""
		if len(fs) > 1 {
			who = fs[i].name() + ": "
		}
		logFunction(log, cfg, who, d)
	}
	if cfg.DryRun && len(rd.steps) > 0 {
		log.Group("Plan (dry run: nothing is changed)")
		for _, l := range rd.steps {
			log.Infof("%s", l)
		}
		log.EndGroup()
	}
}

// logFunction says in the log what was judged and decided of one function.
func logFunction(log Logger, cfg config.Config, who string, d decision) {
	for _, c := range d.checks {
		mark := "ok"
		if !c.OK {
			mark = "FAILED"
		}
		log.Infof("%scheck %s: %s (%s)", who, c.Name, mark, c.Detail)
		if !c.OK && c.Name == outcome.CheckAliasPermission && d.create {
			log.Warningf("API Gateway cannot invoke %s until a permission is added: %s", cfg.Alias, c.Fix)
		}
	}
	logPaths(log, cfg, who, d)
	for _, n := range d.notes {
		log.Infof("%s%s", who, n)
	}
	for _, w := range d.warnings {
		log.Warningf("%s%s", who, w)
	}
}

// releaseDecision is what the whole run will do: each function's decision
// and the one schedule the moving aliases walk together.
type releaseDecision struct {
	fns      []decision
	plan     rollout.Plan
	strategy string
	rollback bool
	steps    []string
	detach   *detachment // the detached rollout all the moving aliases share
}

// splits reports whether an alias shares its traffic between two versions.
func splits(a alias.State) bool {
	_, _, ok := a.Split()
	return ok
}

// decideRelease decides for every function, and settles the schedule they
// share: the aliases of a release move together, so they must stand at the
// same point of it.
func decideRelease(cfg config.Config, fs []facts) (releaseDecision, error) {
	rd := releaseDecision{rollback: cfg.Rollback}
	several := len(fs) > 1
	var errs []error
	var moving []int // functions whose alias exists: they walk the schedule
	for i, f := range fs {
		d, err := decide(cfg, f)
		if err != nil {
			if several {
				err = fmt.Errorf("%s: %w", f.name(), err)
			}
			errs = append(errs, err)
		}
		rd.fns = append(rd.fns, d)
		if !d.create {
			moving = append(moving, i)
		}
	}
	if len(fs) > 0 {
		rd.plan, rd.strategy = rd.fns[0].plan, rd.fns[0].strategy
	}
	if len(moving) > 0 {
		first := rd.fns[moving[0]]
		rd.plan, rd.strategy, rd.detach = first.plan, first.strategy, first.detach
		for _, i := range moving[1:] {
			d := rd.fns[i]
			if (d.detach == nil) != (first.detach == nil) || d.detach != nil && (d.detach.encoded != first.detach.encoded || d.detach.step != first.detach.step) {
				errs = append(errs, fmt.Errorf("the aliases of the release are not at the same step of a detached rollout (%s: %s, %s: %s); roll the release back (rollback: true) and start it again", fs[moving[0]].name(), aliasAt(fs[moving[0]]), fs[i].name(), aliasAt(fs[i])))
				break
			}
		}
		for _, i := range moving[1:] {
			if d := rd.fns[i]; len(d.plan.Steps) != len(first.plan.Steps) && !cfg.Rollback {
				errs = append(errs, fmt.Errorf("the aliases of the release stand at different points of the rollout (%s: %s, %s: %s); a release moves together, so finalize or roll back the canaries first", fs[moving[0]].name(), aliasAt(fs[moving[0]]), fs[i].name(), aliasAt(fs[i])))
				break
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return rd, err
	}
	if !several {
		rd.steps = rd.fns[0].steps
		return rd, nil
	}
	for i, d := range rd.fns {
		for _, l := range d.steps {
			if !strings.HasPrefix(l, "  ") {
				rd.steps = append(rd.steps, fs[i].name()+": "+l)
			}
		}
	}
	if len(moving) > 0 && !cfg.Rollback {
		rd.steps = append(rd.steps, fmt.Sprintf("all %d aliases reach each step before it bakes; the release goes on only while every function is healthy:", len(moving)))
		for _, l := range rd.plan.Describe() {
			rd.steps = append(rd.steps, "  "+l)
		}
	}
	return rd, nil
}

// aliasAt says where an alias stands, for messages.
func aliasAt(f facts) string {
	if f.alias == nil {
		return "no alias"
	}
	return f.alias.String()
}

// finishOrUndoNext says what to do with finishOrUndoInputs where a canary in
// progress stands in the way.
const finishOrUndoNext = "finish the canary or undo it first: start the workflow with one of these inputs, then promote again:"

// finishOrUndoInputs are the workflow inputs that finish a canary of extra or
// undo it, back onto stable: a choice, one comment line each.
func finishOrUndoInputs(extra, stable string) string {
	return fmt.Sprintf("# either finish: all traffic on %s\nversion: %q\ntraffic-weight: 100\n# or undo: all traffic back on %s\nrollback: true", extra, extra, stable)
}

// finishOrUndo is what to run to end a split by hand, either way, clearing
// the alias's description (the record of lambda-promote in it is out of
// date or cannot be read).
func finishOrUndo(function, aliasName, extra, stable string) string {
	return strings.Join([]string{
		"# either finish: all traffic on " + extra,
		cmdMoveClear(function, aliasName, extra),
		"# or undo: all traffic back on " + stable,
		cmdMoveClear(function, aliasName, stable),
	}, "\n")
}

// versionsThenMove lists the function's versions, then puts the alias on the
// one the reader chooses (N), clearing its description when asked.
func versionsThenMove(function, aliasName string, clear bool) string {
	move := cmdMove(function, aliasName, "N")
	if clear {
		move = cmdMoveClear(function, aliasName, "N")
	}
	return strings.Join([]string{
		"# the versions to choose from",
		fix.AWS("lambda", "list-versions-by-function", "--function-name", function, "--query", "Versions[].[Version,Description]"),
		"# then, N the version you choose",
		move,
	}, "\n")
}
