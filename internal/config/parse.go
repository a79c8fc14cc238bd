package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
	"github.com/lambda-promote/lambda-promote/internal/rollout"
)

// Limits of the inputs, from the services that take them.
const (
	MaxDescription  = 256       // Lambda's limit on a version description
	MaxEnvironment  = 255       // GitHub's limit on an environment name
	MaxAlarmName    = 255       // CloudWatch's limit on an alarm name
	MaxAlarms       = 100       // CloudWatch DescribeAlarms takes at most 100 names
	MaxSmokePayload = 256 << 10 // 256 KiB
	MaxAliasName    = 128
)

// InputError is one bad input: which input, the value given (after trimming)
// and what is accepted.
type InputError struct {
	Input    string // input name, kebab-case
	Value    string // the value given; "" when it was missing
	Accepted string // what is accepted, or why the value is not
}

// Error is `input "steps": "50,10" is not accepted: percentages must increase,
// e.g. "10,50,100"`. The value of github-token is shown as "***", and a very
// long value is cut short.
func (e *InputError) Error() string {
	return fmt.Sprintf("input %q: %s is not accepted: %s", e.Input, showValue(e.Input, e.Value), e.Accepted)
}

const maxShown = 80 // runes of a value shown in an error

func showValue(input, v string) string {
	if input == InGitHubToken && v != "" {
		return `"***"`
	}
	if utf8.RuneCountInString(v) <= maxShown {
		return strconv.Quote(v)
	}
	r := []rune(v)
	return fmt.Sprintf("%q… (%d bytes)", string(r[:maxShown-20]), len(v))
}

// InputErrors returns the InputErrors in err, in order: those that Parse,
// FromAction or FromFlags joined, or err itself. It returns nil when err holds
// none.
func InputErrors(err error) []*InputError {
	if err == nil {
		return nil
	}
	var out []*InputError
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			out = append(out, InputErrors(e)...)
		}
		return out
	}
	var ie *InputError
	if errors.As(err, &ie) {
		out = append(out, ie)
	}
	return out
}

// The patterns use + rather than counted repetition ({1,64}): Go compiles a
// counted repetition into that many copies, which costs milliseconds at every
// start of the binary. Lengths are checked by maxLen instead.
var (
	functionNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	partialARNRE   = regexp.MustCompile(`^[0-9]+:function:([a-zA-Z0-9_-]+)$`)
	// A name or partial ARN followed by a qualifier; full ARNs are parsed
	// by lambdaarn.
	qualifiedRE = regexp.MustCompile(`^(?:[a-zA-Z0-9_-]+|[0-9]+:function:[a-zA-Z0-9_-]+):([^:]+)$`)

	aliasRE   = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	digitsRE  = regexp.MustCompile(`^[0-9]+$`)
	versionRE = regexp.MustCompile(`^[1-9][0-9]*$`)
	apiIDRE   = regexp.MustCompile(`^[a-z0-9]+$`)
	// A stage name: letters, digits, "-" and "_", or an HTTP API's
	// $default (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html).
	stageRE         = regexp.MustCompile(`^(?:[a-zA-Z0-9_-]+|\$default)$`)
	stageVariableRE = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
	// The shape of every partition's region names: us-east-1, cn-north-1,
	// us-gov-west-1, eusc-de-east-1, us-isob-east-1. Which partitions
	// exist is the SDK's business, not a list here.
	regionRE = regexp.MustCompile(`^[a-z]+(-[a-z]+)+-[0-9]+$`)
	// The shape of partition names: aws, aws-cn, aws-us-gov, aws-eusc,
	// aws-iso-b…
	partitionRE = regexp.MustCompile(`^aws(-[a-z]+)*$`)
)

// Lengths the patterns above do not check.
const (
	maxFunctionName = 64
	maxVersion      = 16
	maxAPIID        = 32
	maxStage        = 128
	accountDigits   = 12
)

// lastName is the function name at the end of a name or partial ARN.
func lastName(fn string) string { return fn[strings.LastIndex(fn, ":")+1:] }

const functionNameAccepted = `a function name (letters, digits, "-" and "_", at most 64), ` +
	`a partial ARN "123456789012:function:NAME" or a full ARN "arn:PARTITION:lambda:REGION:123456789012:function:NAME", ` +
	`e.g. "arn:aws:lambda:eu-west-1:123456789012:function:orders-api"`

// parser collects the problems of one Parse, at most one per input.
type parser struct {
	raw  map[string]string // trimmed, empty values left out
	errs map[string]*InputError
}

// given reports whether the input has a non-empty value.
func (p *parser) given(name string) bool {
	_, ok := p.raw[name]
	return ok
}

// value is the trimmed value of the input, or its default.
func (p *parser) value(name string) string {
	if v, ok := p.raw[name]; ok {
		return v
	}
	in, _ := lookupInput(name)
	return in.Default
}

// fail records a problem with the input, unless it already has one.
func (p *parser) fail(name, accepted string) {
	if p.errs[name] != nil {
		return
	}
	p.errs[name] = &InputError{Input: name, Value: p.raw[name], Accepted: accepted}
}

func (p *parser) ok(name string) bool { return p.errs[name] == nil }

func (p *parser) bool(name string) bool {
	switch strings.ToLower(p.value(name)) {
	case "true":
		return true
	case "false":
		return false
	}
	p.fail(name, `"true" or "false"`)
	return false
}

// Parse checks every input and returns the Config they make. raw maps input
// names to values as given; values are trimmed and an empty value means the
// default. When any input is bad, Parse returns all the problems joined with
// errors.Join, one *InputError per bad input, in the order of Inputs.
func Parse(raw map[string]string) (Config, error) {
	p := &parser{raw: map[string]string{}, errs: map[string]*InputError{}}
	var unknown []string
	for name, v := range raw {
		if _, ok := lookupInput(name); !ok {
			unknown = append(unknown, name)
			continue
		}
		if v = strings.TrimSpace(v); v != "" {
			p.raw[name] = v
		}
	}

	var c Config
	fnRegion := p.functionName(&c)
	p.alias(&c)
	p.version(&c)
	p.sourceAlias(&c)
	p.traffic(&c)
	p.gates(&c)
	p.rollback(&c)
	p.stage(&c)
	p.github(&c)
	p.region(&c, fnRegion)
	p.run(&c)
	p.compare(&c)
	if d := p.value(InDescription); utf8.RuneCountInString(d) > MaxDescription {
		p.fail(InDescription, fmt.Sprintf("at most %d characters (Lambda's limit on a version description)", MaxDescription))
	} else {
		c.Description = d
	}
	c.DryRun = p.bool(InDryRun)

	if len(c.Functions) > 1 && versionRE.MatchString(c.Version) {
		p.fail(InVersion, fmt.Sprintf(`"publish" or "source-alias" with several functions: a version number (%q) names a version of one function`, c.Version))
	}
	var errs []error
	for _, in := range inputs {
		if e := p.errs[in.Name]; e != nil {
			errs = append(errs, e)
		}
	}
	slices.Sort(unknown)
	for _, name := range unknown {
		errs = append(errs, &InputError{Input: name, Value: showUnknown(name, raw[name]), Accepted: "not an input of this action; run with --help to list the inputs"})
	}
	if len(errs) > 0 {
		if token := p.raw[InGitHubToken]; token != "" {
			for _, e := range errs {
				hideToken(e.(*InputError), token)
			}
		}
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

// hideToken replaces the token wherever it shows in e, in case it was given
// as the value of another input too.
func hideToken(e *InputError, token string) {
	e.Value = strings.ReplaceAll(e.Value, token, "***")
	e.Accepted = strings.ReplaceAll(e.Accepted, token, "***")
}

// showUnknown keeps the value of an unknown input out of errors when its name
// suggests a secret.
func showUnknown(name, v string) string {
	n := strings.ToLower(name)
	for _, s := range []string{"token", "secret", "key", "password"} {
		if strings.Contains(n, s) {
			return "***"
		}
	}
	return strings.TrimSpace(v)
}

// functionName checks function-name and returns the region of a full ARN.
func (p *parser) functionName(c *Config) string {
	given := p.value(InFunctionName)
	if given == "" {
		p.fail(InFunctionName, "required: "+functionNameAccepted)
		return ""
	}
	names := splitList(given)
	if len(names) > MaxFunctions {
		p.fail(InFunctionName, fmt.Sprintf("at most %d functions in one release", MaxFunctions))
		return ""
	}
	var (
		problems []string
		region   string
		seen     = map[string]string{}
	)
	several := len(names) > 1
	for _, fn := range names {
		r, problem := checkFunction(fn)
		if problem == "" {
			if other, dup := seen[lambdaarn.NameOf(fn)]; dup {
				problem = fmt.Sprintf("the same function as %q; name each function once", other)
			}
			seen[lambdaarn.NameOf(fn)] = fn
		}
		if problem == "" && r != "" && region != "" && r != region {
			problem = fmt.Sprintf("in region %s, and %q is in %s; the functions of one release share a region", r, names[0], region)
		}
		if problem != "" {
			if several {
				problem = fmt.Sprintf("function %q: %s", fn, problem)
			}
			problems = append(problems, problem)
			continue
		}
		if region == "" {
			region = r
		}
		c.Functions = append(c.Functions, fn)
	}
	if len(problems) > 0 {
		c.Functions = nil
		p.fail(InFunctionName, strings.Join(problems, "; "))
		return ""
	}
	c.FunctionName = c.Functions[0]
	return region
}

// splitList splits a list input on commas and newlines, trims the items
// and drops empty ones; repeats are kept, for the caller to judge.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// MaxFunctions is the most functions one release promotes.
const MaxFunctions = 100

// checkFunction checks one function of function-name and returns the region
// of a full ARN, or what is wrong with it.
func checkFunction(fn string) (region, problem string) {
	switch {
	case strings.HasPrefix(fn, "arn:"):
		return functionARN(fn)
	case len(lastName(fn)) > maxFunctionName:
		return "", functionNameAccepted
	case functionNameRE.MatchString(fn):
		return "", ""
	case partialARNRE.MatchString(fn) && strings.Index(fn, ":") == accountDigits:
		return "", ""
	case qualifiedRE.MatchString(fn):
		return "", qualifiedProblem(qualifiedRE.FindStringSubmatch(fn)[1])
	default:
		return "", functionNameAccepted
	}
}

// functionARN checks a full function ARN, in any partition, and returns its
// region.
func functionARN(s string) (region, problem string) {
	fn, qualifier, err := lambdaarn.Parse(s)
	switch {
	case err != nil:
		return "", functionNameAccepted
	case qualifier != "":
		return "", qualifiedProblem(qualifier)
	case !partitionRE.MatchString(fn.Partition), !regionRE.MatchString(fn.Region),
		len(fn.Account) != accountDigits || !digitsRE.MatchString(fn.Account),
		len(fn.Name) > maxFunctionName || !functionNameRE.MatchString(fn.Name):
		return "", functionNameAccepted
	}
	return fn.Region, ""
}

func qualifiedProblem(qualifier string) string {
	return fmt.Sprintf(`a function without a qualifier (%q here); give the version in "version" and the alias in "alias"`, ":"+qualifier)
}

// aliasProblem says what is wrong with an alias name, or "".
func aliasProblem(a string) string {
	switch {
	case a == VersionLatest:
		return `"$LATEST" is a version, not an alias; name an alias such as "prod" (to point it at $LATEST, use "version: $LATEST")`
	case digitsRE.MatchString(a):
		return `an alias name that is not only digits (Lambda reads those as a version), e.g. "prod" or "v2"`
	case utf8.RuneCountInString(a) > MaxAliasName:
		return fmt.Sprintf(`an alias name of at most %d characters`, MaxAliasName)
	case !aliasRE.MatchString(a):
		return `an alias name of letters, digits, "-" and "_", e.g. "prod"`
	}
	return ""
}

func (p *parser) alias(c *Config) {
	a := p.value(InAlias)
	if a == "" {
		p.fail(InAlias, `required: an alias name of letters, digits, "-" and "_", e.g. "prod"`)
		return
	}
	if problem := aliasProblem(a); problem != "" {
		p.fail(InAlias, problem)
		return
	}
	c.Alias = a
}

func (p *parser) version(c *Config) {
	v := p.value(InVersion)
	switch {
	case v == VersionPublish, v == VersionLatest, versionRE.MatchString(v) && len(v) <= maxVersion:
		c.Version = v
	case strings.EqualFold(v, "LATEST"), strings.EqualFold(v, VersionLatest):
		p.fail(InVersion, `"$LATEST" with the dollar sign and in capitals; in a shell, quote it as '$LATEST'`)
	default:
		p.fail(InVersion, `"publish", "$LATEST" or a published version number without leading zeros, e.g. "7"`)
	}
}

func (p *parser) sourceAlias(c *Config) {
	if !p.given(InSourceAlias) {
		return
	}
	s := p.value(InSourceAlias)
	if problem := aliasProblem(s); problem != "" {
		p.fail(InSourceAlias, problem)
		return
	}
	if s == p.value(InAlias) {
		p.fail(InSourceAlias, fmt.Sprintf(`an alias other than "alias" (%q) to promote from, e.g. "staging"`, s))
		return
	}
	if v := p.value(InVersion); v != VersionPublish {
		p.fail(InSourceAlias, fmt.Sprintf(`not together with "version" %q; give either the version or the alias to take it from`, v))
		return
	}
	c.SourceAlias = s
}

// strategy returns the canonical strategy name and whether it is valid.
func strategy(s string) (string, bool) {
	if s == StrategyAllAtOnce {
		return s, true
	}
	plan, ok := rollout.Preset(s)
	if !ok {
		return "", false
	}
	return plan.Name, true
}

func strategyAccepted(s string) string {
	names := append([]string{StrategyAllAtOnce}, rollout.PresetNames()...)
	accepted := fmt.Sprintf(`one of %s, with or without the %q prefix (names are case-sensitive)`, strings.Join(names, ", "), rollout.PresetPrefix)
	bare := strings.TrimPrefix(s, rollout.PresetPrefix)
	best, bestDist := "", 4
	for _, name := range names {
		if strings.EqualFold(bare, name) {
			best, bestDist = name, 0
			break
		}
		if d := levenshtein(strings.ToLower(bare), strings.ToLower(name)); d < bestDist {
			best, bestDist = name, d
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q? %s", best, accepted)
	}
	return accepted
}

// levenshtein is the edit distance between a and b, in bytes.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// traffic checks strategy, steps, interval and traffic-weight, and how they
// go together and with version.
func (p *parser) traffic(c *Config) {
	strat, ok := strategy(p.value(InStrategy))
	if ok {
		c.Strategy = strat
	} else {
		p.fail(InStrategy, strategyAccepted(p.value(InStrategy)))
	}
	// weighted: a strategy that moves traffic in steps (an invalid strategy
	// is left to its own error).
	weighted := ok && strat != StrategyAllAtOnce

	if p.given(InSteps) {
		steps, err := rollout.ParseSteps(p.value(InSteps))
		if err != nil {
			p.fail(InSteps, err.Error())
		}
		c.Steps = steps
		if weighted {
			p.fail(InSteps, fmt.Sprintf(`not together with "strategy" %q; give a strategy or custom steps, not both`, strat))
		}
		if p.given(InTrafficWeight) {
			p.fail(InSteps, `not together with "traffic-weight"; "steps" walks to 100, "traffic-weight" moves one slice and holds`)
		}
	}

	interval, err := rollout.ParseInterval(p.value(InInterval))
	if err != nil {
		p.fail(InInterval, err.Error())
	} else {
		c.Interval = interval
		if def, _ := rollout.ParseInterval(DefaultInterval); p.given(InInterval) && !p.given(InSteps) && interval != def {
			p.fail(InInterval, `only used with "steps"; add "steps" or leave "interval" out (presets have their own timing)`)
		}
	}

	if p.given(InTrafficWeight) {
		w, err := rollout.ParseWeight(p.value(InTrafficWeight))
		if err != nil {
			p.fail(InTrafficWeight, err.Error())
		} else {
			c.TrafficWeight = &w
		}
		if weighted {
			p.fail(InTrafficWeight, fmt.Sprintf(`not together with "strategy" %q; give a strategy or a weight to hold, not both`, strat))
		}
	}

	if p.value(InVersion) == VersionLatest {
		var with []string
		if weighted {
			with = append(with, fmt.Sprintf("strategy %q", strat))
		}
		if p.given(InSteps) {
			with = append(with, `"steps"`)
		}
		if p.given(InTrafficWeight) {
			with = append(with, `"traffic-weight"`)
		}
		if len(with) > 0 {
			p.fail(InVersion, fmt.Sprintf(`not together with %s: Lambda cannot route weighted traffic to $LATEST; use "publish" or a version number`, strings.Join(with, " or ")))
		}
	}
}

// gates checks alarms, max-error-rate and smoke-test-payload.
func (p *parser) gates(c *Config) {
	if p.given(InAlarms) {
		alarms := rollout.ParseAlarms(p.value(InAlarms))
		switch {
		case len(alarms) > MaxAlarms:
			p.fail(InAlarms, fmt.Sprintf("at most %d alarm names", MaxAlarms))
		default:
			for _, a := range alarms {
				if utf8.RuneCountInString(a) > MaxAlarmName {
					p.fail(InAlarms, fmt.Sprintf("alarm names of at most %d characters, comma- or newline-separated", MaxAlarmName))
				}
			}
		}
		if p.ok(InAlarms) {
			c.Alarms = alarms
		}
	}
	if p.given(InMaxErrorRate) {
		r, err := rollout.ParsePercent(p.value(InMaxErrorRate))
		if err != nil {
			p.fail(InMaxErrorRate, err.Error())
		} else {
			c.MaxErrorRate = &r
		}
	}
	if p.given(InSmokeTestPayload) {
		payload := p.value(InSmokeTestPayload)
		switch {
		case len(payload) > MaxSmokePayload:
			p.fail(InSmokeTestPayload, "a JSON document of at most 256 KiB")
		case !json.Valid([]byte(payload)):
			p.fail(InSmokeTestPayload, `a valid JSON document, e.g. {"path": "/health"}`)
		default:
			c.SmokePayload = []byte(payload)
		}
	}
}

func (p *parser) rollback(c *Config) {
	c.Rollback = p.bool(InRollback)
	if !c.Rollback {
		return
	}
	var with []string
	if v := p.value(InVersion); v != VersionPublish {
		with = append(with, fmt.Sprintf("version %q", v))
	}
	for _, name := range []string{InSourceAlias, InSteps, InTrafficWeight} {
		if p.given(name) {
			with = append(with, strconv.Quote(name))
		}
	}
	if strat, ok := strategy(p.value(InStrategy)); ok && strat != StrategyAllAtOnce {
		with = append(with, fmt.Sprintf("strategy %q", strat))
	}
	if len(with) > 0 {
		p.fail(InRollback, fmt.Sprintf(`not together with %s; a rollback only puts the alias back on its stable version`, strings.Join(with, ", ")))
	}
}

// stage checks api-id, stage, stage-variable and check-permission.
func (p *parser) stage(c *Config) {
	if p.given(InAPIID) {
		if id := p.value(InAPIID); apiIDRE.MatchString(id) && len(id) <= maxAPIID {
			c.APIID = id
		} else {
			p.fail(InAPIID, `an API Gateway API id: lowercase letters and digits, e.g. "a1b2c3d4e5"`)
		}
	}
	switch {
	case p.given(InAPIID) && !p.given(InStage):
		p.fail(InStage, `required with "api-id": the stage name, e.g. "prod"`)
	case !p.given(InAPIID) && p.given(InStage):
		p.fail(InStage, `only used with "api-id"; give the API id too, or leave "stage" out`)
	case p.given(InStage):
		if s := p.value(InStage); stageRE.MatchString(s) && len(s) <= maxStage {
			c.Stage = s
		} else {
			p.fail(InStage, `a stage name of letters, digits, "-" and "_", at most 128, e.g. "prod", or an HTTP API's "$default"`)
		}
	}
	if v := p.value(InStageVariable); stageVariableRE.MatchString(v) {
		c.StageVariable = v
	} else {
		p.fail(InStageVariable, `a stage variable name of letters, digits and "_", e.g. "lambdaAlias"`)
	}
	c.CheckPermission = p.bool(InCheckPermission)
	c.RequireAliasTraffic = p.bool(InRequireAliasTraffic)
}

func (p *parser) github(c *Config) {
	c.GitHubToken = p.value(InGitHubToken)
	c.Comment = p.bool(InComment)
	c.Deployment = p.bool(InDeployment)
	if e := p.value(InEnvironment); utf8.RuneCountInString(e) > MaxEnvironment {
		p.fail(InEnvironment, fmt.Sprintf("an environment name of at most %d characters", MaxEnvironment))
	} else {
		c.Environment = e
	}
}

// region checks aws-region against the region of a full function ARN, and
// takes the ARN's region when no region is given.
func (p *parser) region(c *Config, fnRegion string) {
	if !p.given(InAWSRegion) {
		c.Region = fnRegion
		return
	}
	r := p.value(InAWSRegion)
	switch {
	case !regionRE.MatchString(r):
		p.fail(InAWSRegion, `an AWS region, e.g. "us-east-1", "eu-west-2" or "eusc-de-east-1"`)
	case fnRegion != "" && r != fnRegion:
		p.fail(InAWSRegion, fmt.Sprintf(`the region of the function ARN in "function-name" (%q), or leave it empty`, fnRegion))
	default:
		c.Region = r
	}
}
