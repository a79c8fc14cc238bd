package config

// Input is one input of the action, which is also a flag of the CLI.
type Input struct {
	Name     string // kebab-case, as in action.yml and on the command line
	Default  string // the value used when the input is empty; "" when there is none
	Required bool
	Bool     bool // "true" or "false"; a bare --flag on the command line means "true"

	// ActionDefault is the default written in action.yml when it is not a
	// plain value, e.g. "${{ github.token }}"; "" means Default.
	ActionDefault string

	Description string // one line
}

// Names of the inputs, for Parse's raw map and InputError.Input.
const (
	InFunctionName       = "function-name"
	InAlias              = "alias"
	InVersion            = "version"
	InSourceAlias        = "source-alias"
	InDescription        = "description"
	InStrategy           = "strategy"
	InSteps              = "steps"
	InInterval           = "interval"
	InTrafficWeight      = "traffic-weight"
	InAlarms             = "alarms"
	InMaxErrorRate       = "max-error-rate"
	InMinInvocations     = "min-invocations"
	InCompareToStable    = "compare-to-stable"
	InConfidence         = "confidence"
	InMaxLatencyIncrease = "max-latency-increase"
	InSmokeTestPayload   = "smoke-test-payload"
	InRollback           = "rollback"
	InAPIID              = "api-id"
	InStage              = "stage"
	InStageVariable      = "stage-variable"
	InCheckPermission    = "check-permission"
	InDryRun             = "dry-run"
	InDetach             = "detach"
	InMaxRPS             = "max-requests-per-second"
	InRoleToAssume       = "role-to-assume"
	InWaitTimeout        = "wait-timeout"
	InGitHubToken        = "github-token"
	InComment            = "comment"
	InDeployment         = "deployment"
	InEnvironment        = "environment"
	InAWSRegion          = "aws-region"
)

// InRequireAliasTraffic is the name of the require-alias-traffic input.
const InRequireAliasTraffic = "require-alias-traffic"

// DefaultInterval is the default of the interval input.
const DefaultInterval = "1m"

// DefaultWaitTimeout is the default of the wait-timeout input.
const DefaultWaitTimeout = "5m"

// Defaults of the comparison with the stable version.
const (
	DefaultConfidence         = "95%"
	DefaultMaxLatencyIncrease = "20%"
)

// inputs is the single list of inputs: FromAction reads them, FromFlags
// defines them as flags, Usage prints them, Parse checks that no other name
// is given. The order is the README's.
var inputs = []Input{
	{Name: InFunctionName, Required: true, Description: "function name, partial ARN or full ARN; several (newline- or comma-separated) are promoted as one release, all or nothing"},
	{Name: InAlias, Required: true, Description: "alias to move; created when it does not exist yet"},
	{Name: InVersion, Default: VersionPublish, Description: `"publish" (publish a version from $LATEST), a published version number, or "$LATEST" (no weights)`},
	{Name: InSourceAlias, Description: `promote the version this alias points to, e.g. "staging"; only with version "publish"`},
	{Name: InDescription, Description: "description of the published version (default: the commit and the run)"},
	{Name: InStrategy, Default: StrategyAllAtOnce, Description: `"all-at-once" or a CodeDeploy configuration name, e.g. "Canary10Percent5Minutes", "Linear10PercentEvery1Minute"`},
	{Name: InSteps, Description: `custom schedule: percentages on the new version ending at 100, e.g. "10,25,50,100"`},
	{Name: InInterval, Default: DefaultInterval, Description: `time between the steps of "steps", a Go duration, e.g. "30s", "5m"`},
	{Name: InTrafficWeight, Description: `percent on the new version, 0-100 ("10", "10%", "0.5"); alone it moves that slice and holds`},
	{Name: InAlarms, Description: "CloudWatch alarm names, comma- or newline-separated; one in ALARM while traffic shifts rolls back"},
	{Name: InMaxErrorRate, Description: `e.g. "2%": the new version's Errors / Invocations above it rolls back`},
	{Name: InMinInvocations, Default: "0", Description: "a step is judged healthy only once the new version has served at least this many invocations"},
	{Name: InCompareToStable, Default: "false", Bool: true, Description: "judge each step by comparing the new version with the stable one over the same window: error rate (one-sided test at \"confidence\") and Duration p99 (within \"max-latency-increase\")"},
	{Name: InConfidence, Default: DefaultConfidence, Description: `confidence of the comparison over the whole rollout, above 50% and at most 99.99%, e.g. "95%"`},
	{Name: InMaxLatencyIncrease, Default: DefaultMaxLatencyIncrease, Description: `largest accepted increase of the new version's Duration p99 over the stable one's, e.g. "20%"`},
	{Name: InSmokeTestPayload, Description: "JSON to invoke the new version with before any traffic moves; a function error stops the promotion"},
	{Name: InRollback, Default: "false", Bool: true, Description: "put the alias back on its stable version with no weights"},
	{Name: InAPIID, Description: "API Gateway REST or HTTP API id whose stage is checked"},
	{Name: InStage, Description: `stage name; required with "api-id"`},
	{Name: InStageVariable, Default: "lambdaAlias", Description: `the stage variable that must equal "alias"`},
	{Name: InCheckPermission, Default: "true", Bool: true, Description: `with "api-id": the alias's resource policy must let API Gateway invoke it for this API`},
	{Name: InRequireAliasTraffic, Default: "false", Bool: true, Description: "fail when an event source mapping, a function URL, a resource-policy grant or an API route reaches the function without the alias; otherwise each is a warning"},
	{Name: InDryRun, Default: "false", Bool: true, Description: "read everything, print the plan, change nothing"},
	{Name: InDetach, Default: "false", Bool: true, Description: "do what is due and exit: a gradual rollout goes on in later runs (a schedule), its state kept on the alias"},
	{Name: InMaxRPS, Default: "10", Description: "pace of calls to Lambda's control plane (AWS allows 15 per second per account and region, shared); GetFunction and GetPolicy, with quotas of their own, are paced at the same share of theirs"},
	{Name: InRoleToAssume, Description: "IAM role to assume with the job's GitHub OIDC token (needs id-token: write); credentials are refreshed for long rollouts"},
	{Name: InWaitTimeout, Default: DefaultWaitTimeout, Description: `longest wait for Lambda to finish an update in progress or for a new version to become Active, a Go duration, e.g. "5m"`},
	{Name: InGitHubToken, ActionDefault: "${{ github.token }}", Description: "token for the pull-request comment and the deployment"},
	{Name: InComment, Default: "true", Bool: true, Description: "keep one comment per function and alias up to date on the pull request"},
	{Name: InDeployment, Default: "true", Bool: true, Description: "on events other than pull requests, record a GitHub deployment with its statuses"},
	{Name: InEnvironment, Description: "GitHub environment name of the deployment (default: the stage, else the alias)"},
	{Name: InAWSRegion, Description: "region override (default: from the environment, or the region of a full function ARN)"},
}

// Inputs returns every input of the action, in the README's order.
func Inputs() []Input {
	return append([]Input(nil), inputs...)
}

func lookupInput(name string) (Input, bool) {
	for _, in := range inputs {
		if in.Name == name {
			return in, true
		}
	}
	return Input{}, false
}
