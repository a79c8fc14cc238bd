package command

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/callers"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/gate"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/promote"
	"github.com/lambda-promote/lambda-promote/internal/stage"
)

// requestTimeout bounds one AWS request, retries aside, so a hung connection
// cannot hold a rollout (and the alias) in the middle of a step.
const requestTimeout = 20 * time.Second

// loadAWS loads the SDK configuration the usual way (environment, shared
// files, web identity for OIDC, AWS_ENDPOINT_URL), with the region input (or
// the function ARN's region) as an override.
func loadAWS(ctx context.Context, cfg config.Config) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(requestTimeout)),
		awsconfig.WithRetryMaxAttempts(5),
	}
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	ac, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if ac.Region == "" {
		return aws.Config{}, fmt.Errorf("no AWS region: set the aws-region input or AWS_REGION (aws-actions/configure-aws-credentials sets it)")
	}
	return ac, nil
}

// awsDeps builds the real clients and binds them to promote's needs.
func awsDeps(ctx context.Context, cfg config.Config, getenv func(string) string, log *logger) (promote.Deps, error) {
	// Every call to Lambda, retries included, goes through one pacer, in
	// the bucket of the quota AWS counts it in: the quotas are per account
	// and Region, and shared.
	pacer, reads, err := pacing(cfg.MaxRPS, getenv(PacingEnv))
	if err != nil {
		return promote.Deps{}, err
	}
	ac, err := loadAWS(ctx, cfg)
	if err != nil {
		return promote.Deps{}, err
	}
	if cfg.RoleToAssume != "" {
		if ac.Credentials, err = assumeRole(ac, cfg.RoleToAssume, getenv("GITHUB_RUN_ID"), getenv, log); err != nil {
			return promote.Deps{}, err
		}
	}
	// AWS may echo a key id in an error message: mask the credentials the
	// run uses, wherever they come from (environment, OIDC, profiles), and
	// again whenever they are refreshed during a long rollout.
	ac.Credentials = maskingProvider{inner: ac.Credentials, log: log}
	creds, err := ac.Credentials.Retrieve(ctx)
	if err != nil {
		return promote.Deps{}, fmt.Errorf("get AWS credentials: %w", err)
	}
	lc := lambda.NewFromConfig(ac, func(o *lambda.Options) {
		o.HTTPClient = pacer.Client(o.HTTPClient)
	})
	cw := gate.NewCloudWatch(ac)
	clients := stage.Clients{REST: apigateway.NewFromConfig(ac), HTTP: apigatewayv2.NewFromConfig(ac)}
	// The stage match hands its finding, per function, to the policy
	// judge: the permission is judged for the routes the stage really calls
	// the function from. promote matches before it judges.

	return promote.Deps{
		Lambda: reads(lc),
		Log:    log,
		Stage: func(ctx context.Context, apiID, stageName string) (stage.Stage, error) {
			return stage.Read(ctx, clients, apiID, stageName)
		},
		Policy: func(ctx context.Context, function, aliasName string) (string, error) {
			return stage.ReadPolicy(ctx, lc, function, aliasName)
		},
		Mappings: func(ctx context.Context) (callers.Mappings, error) {
			return callers.ReadMappings(ctx, lc)
		},
		Callers: func(ctx context.Context, function, aliasName string) (callers.Function, error) {
			return callers.ReadFunction(ctx, lc, function, aliasName)
		},
		Provisioned: func(ctx context.Context, function, aliasName string) (*alias.Provisioned, error) {
			return alias.ReadProvisioned(ctx, lc, function, aliasName)
		},
		Alarms: func(ctx context.Context, names []string) ([]outcome.Gate, error) {
			return gate.CheckAlarms(ctx, cw, names)
		},
		Metrics: func(ctx context.Context, function, aliasName, version string, start, end time.Time) (gate.Series, error) {
			return gate.ReadMetrics(ctx, cw, function, aliasName, version, start, end)
		},
		Pair: func(ctx context.Context, function, aliasName, newVersion, stableVersion string, start, end time.Time) (gate.Pair, error) {
			return gate.ReadPair(ctx, cw, function, aliasName, newVersion, stableVersion, start, end)
		},
		Smoke: func(ctx context.Context, function, version string, payload []byte, timeout time.Duration) outcome.Gate {
			return gate.Smoke(ctx, lc, function, version, payload, timeout)
		},
		Credentials: lifetime(creds, cfg.RoleToAssume != ""),
		WaitMax:     cfg.WaitTimeout,
		Urgent:      pacer.Urgent,
	}, nil
}

// maskingProvider masks every set of credentials it hands out. The SDK's
// provider it wraps caches them, so this is called per request cheaply.
type maskingProvider struct {
	inner aws.CredentialsProvider
	log   *logger
}

func (m maskingProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := m.inner.Retrieve(ctx)
	if err == nil {
		m.log.mask(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
	}
	return c, err
}
