// Package config reads the action's inputs (from the runner's INPUT_*
// variables or from command-line flags), validates all of them at once and
// turns them into a Config.
package config

import (
	"time"

	"github.com/lambda-promote/lambda-promote/internal/percent"
)

// Version values with a meaning of their own.
const (
	VersionPublish = "publish"
	VersionLatest  = "$LATEST"
)

// StrategyAllAtOnce is the default strategy.
const StrategyAllAtOnce = "all-at-once"

// Config is the validated input of one run. Every field is in its parsed form;
// nothing here needs checking again.
type Config struct {
	FunctionName string   // the first function, as given: name, partial ARN or full ARN
	Functions    []string // every function of the release, as given, in order
	Alias        string
	Version      string // VersionPublish, VersionLatest or a published version number ("7")
	SourceAlias  string // promote the version this alias serves; "" when not set
	Description  string // description for a published version; "" means the default

	// Traffic shifting.
	Strategy       string            // StrategyAllAtOnce or a CodeDeploy name without the "CodeDeployDefault.Lambda" prefix
	Steps          []percent.Percent // custom schedule on the new version, ascending, last one 100; nil when not set
	Interval       time.Duration     // time between custom steps
	TrafficWeight  *percent.Percent  // weight to hold at; nil when not set
	Alarms         []string          // CloudWatch alarm names
	MaxErrorRate   *percent.Percent  // nil when not set
	MinInvocations int               // a step is healthy only once the new version served this many
	// Comparison with the stable version over the same window.
	CompareToStable    bool
	Confidence         percent.Percent // of the comparison over the whole rollout, 50 < Confidence ≤ 99.99
	MaxLatencyIncrease percent.Percent // largest accepted rise of the p99 over the stable's
	SmokePayload       []byte          // valid JSON; nil when not set
	Rollback           bool

	// API Gateway stage check.
	APIID           string
	Stage           string
	StageVariable   string
	CheckPermission bool

	// RequireAliasTraffic fails preflight on any path into the function
	// that bypasses the alias, and on any read of them that was refused.
	RequireAliasTraffic bool

	DryRun bool

	Detach bool // do what is due and exit; a rollout goes on in later runs
	// CarryOnOnly is set for a detached run that a schedule started: it
	// carries a rollout in progress on and never starts one.
	CarryOnOnly  bool
	MaxRPS       float64       // requests per second to Lambda's control plane
	RoleToAssume string        // IAM role ARN to assume with the GitHub OIDC token; "" for none
	WaitTimeout  time.Duration // longest wait for an update in progress or a Pending version

	// GitHub reporting.
	GitHubToken string
	Comment     bool
	Deployment  bool
	Environment string // "" means the stage, else the alias

	Region string // "" means the SDK's usual environment
}
