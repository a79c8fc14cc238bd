package promote

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
	"github.com/lambda-promote/lambda-promote/internal/rollout"
	"github.com/lambda-promote/lambda-promote/internal/stage"
)

// decide is pure: each case is the facts preflight would have read.
func TestDecide(t *testing.T) {
	t.Parallel()
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:api"
	latest := alias.Function{Name: "api", ARN: arn, Version: alias.Latest, State: "Active", Role: "role", CodeSHA: "new", Config: "new"}
	version := func(v, code string) *alias.Function {
		return &alias.Function{Name: "api", ARN: arn, Version: v, State: "Active", Role: "role", CodeSHA: code, Config: code}
	}
	on := func(v string, weights map[string]percent.Percent, desc string) *alias.State {
		return &alias.State{Name: "prod", ARN: arn + ":prod", Version: v, Weights: weights, Description: desc}
	}
	steps := func(c *config.Config) { c.Steps = []percent.Percent{10, 50, 100} }
	// A REST stage prod of API a1b2 whose one method calls the function
	// through the stage variable.
	rest := &stage.Stage{
		Kind: stage.KindREST, APIID: "a1b2", Name: "prod",
		Variables:    map[string]string{"lambdaAlias": "prod"},
		Routes:       []stage.Route{{Method: "ANY", Path: "/", IntegrationID: "ANY /"}},
		Integrations: []stage.Integration{{ID: "ANY /", URI: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + arn + ":${stageVariables.lambdaAlias}/invocations"}},
	}
	tests := []struct {
		name    string
		cfg     func(*config.Config)
		facts   facts
		want    decision // compared on the fields below
		wantErr string   // "" for none
	}{
		{
			name:  "publish over a whole alias",
			facts: facts{fn: latest, alias: on("1", nil, "")},
			want:  decision{publish: true, stable: "1", strategy: "all-at-once"},
		},
		{
			name:  "first deploy goes all at once",
			cfg:   steps,
			facts: facts{fn: latest},
			want:  decision{publish: true, create: true, strategy: "all-at-once (first deploy: nothing to shift from)"},
		},
		{
			name:    "first deploy cannot hold a slice",
			cfg:     func(c *config.Config) { c.TrafficWeight = ptr(10) },
			facts:   facts{fn: latest},
			wantErr: "does not exist yet, so there is no stable version",
		},
		{
			name:    "no weights with an alias on $LATEST",
			cfg:     steps,
			facts:   facts{fn: latest, alias: on(alias.Latest, nil, "")},
			wantErr: "cannot share traffic between $LATEST",
		},
		{
			name:    "weighted routing needs the same role",
			cfg:     steps,
			facts:   facts{fn: latest, alias: on("1", nil, ""), stable: &alias.Function{Version: "1", Role: "old-role"}},
			wantErr: "same execution role",
		},
		{
			name:  "weighted routing checks the source alias's version",
			cfg:   func(c *config.Config) { steps(c); c.SourceAlias = "staging" },
			facts: facts{fn: latest, alias: on("1", nil, ""), source: on("2", nil, ""), stable: version("1", "a"), target: version("2", "b")},
			want:  decision{target: alias.Function{Name: "api", ARN: arn, Version: "2"}, stable: "1", strategy: "steps 10,50,100 every 1m"},
		},
		{
			name:    "a source alias that splits serves no single version",
			cfg:     func(c *config.Config) { c.SourceAlias = "staging" },
			facts:   facts{fn: latest, alias: on("1", nil, ""), source: on("2", map[string]percent.Percent{"3": 10}, "")},
			wantErr: "splits traffic (10% on 3)",
		},
		{
			name:    "a canary of another version holds",
			cfg:     func(c *config.Config) { c.Version = "3" },
			facts:   facts{fn: latest, alias: on("1", map[string]percent.Percent{"2": 10}, ""), version: version("3", "c")},
			wantErr: "canary of version 2 in progress at 10%",
		},
		{
			name:    "new code while a canary holds is refused before publishing",
			facts:   facts{fn: latest, alias: on("1", map[string]percent.Percent{"2": 10}, ""), canary: version("2", "old")},
			wantErr: "$LATEST holds other code or configuration",
		},
		{
			name:    "a configuration change while a canary holds is refused before publishing",
			facts:   facts{fn: latest, alias: on("1", map[string]percent.Percent{"2": 10}, ""), canary: &alias.Function{Version: "2", CodeSHA: "new", Config: "new, with 512 MB"}},
			wantErr: "$LATEST holds other code or configuration",
		},
		{
			name:  "a canary continues past its weight",
			cfg:   steps,
			facts: facts{fn: latest, alias: on("1", map[string]percent.Percent{"2": 10}, ""), canary: version("2", "new"), stable: version("1", "a")},
			want:  decision{publish: true, stable: "1", strategy: "steps 10,50,100 every 1m", plan: rollout.Plan{Name: "steps 10,50,100 every 1m", Steps: []rollout.Step{{Weight: 50, Bake: 60e9}, {Weight: 100}}}},
		},
		{
			name:    "an alarm already firing stops the run",
			facts:   facts{fn: latest, alias: on("1", nil, ""), alarms: []outcome.Gate{{Name: "api-5xx", Detail: "ALARM"}}},
			wantErr: "alarm api-5xx is ALARM before any traffic moved",
		},
		{
			name:    "a function whose last update failed",
			facts:   facts{fn: alias.Function{Name: "api", ARN: arn, Version: alias.Latest, Update: "Failed", UpdateWhy: "bad zip"}, alias: on("1", nil, "")},
			wantErr: "the last update of function api failed: bad zip",
		},
		{
			name:    "no permission for API Gateway",
			cfg:     func(c *config.Config) { c.APIID, c.Stage = "a1b2", "prod" },
			facts:   facts{fn: latest, alias: on("1", nil, ""), stage: rest, policyRead: true},
			wantErr: `check "alias permission" failed`,
		},
		{
			name:  "a first deploy does not wait for the permission of an alias it creates",
			cfg:   func(c *config.Config) { c.APIID, c.Stage = "a1b2", "prod" },
			facts: facts{fn: latest, stage: rest, policyRead: true},
			want:  decision{publish: true, create: true, strategy: "all-at-once"},
		},
		{
			name:    "a rollout longer than the credentials last is refused",
			cfg:     func(c *config.Config) { c.Strategy = "Linear10PercentEvery10Minutes" },
			facts:   facts{fn: latest, alias: on("1", nil, ""), stable: version("1", "a"), now: t0, creds: Credentials{Expires: t0.Add(time.Hour), Session: true}},
			wantErr: "the AWS credentials expire at 11:00:00 UTC, in 1h0m0s, but this rollout can take up to 1h30m0s",
		},
		{
			name:  "renewable credentials last any rollout",
			cfg:   func(c *config.Config) { c.Strategy = "Linear10PercentEvery10Minutes" },
			facts: facts{fn: latest, alias: on("1", nil, ""), stable: version("1", "a"), now: t0, creds: Credentials{Expires: t0.Add(time.Hour), Session: true, Renewable: true}},
			want:  decision{publish: true, stable: "1", strategy: "Linear10PercentEvery10Minutes"},
		},
		{
			name:    "the waits for CloudWatch count too",
			cfg:     func(c *config.Config) { c.Strategy, c.MaxErrorRate = "Canary10Percent30Minutes", ptr(1) },
			facts:   facts{fn: latest, alias: on("1", nil, ""), stable: version("1", "a"), now: t0, longest: 3 * time.Minute, creds: Credentials{Expires: t0.Add(35 * time.Minute), Session: true}},
			wantErr: "can take up to 36m0s",
		},
		{
			name:    "no $LATEST on an alias with provisioned concurrency",
			cfg:     func(c *config.Config) { c.Version = config.VersionLatest },
			facts:   facts{fn: latest, alias: on("1", nil, ""), provisioned: &alias.Provisioned{Requested: 20, Status: "READY"}},
			wantErr: "Lambda does not provision concurrency for $LATEST",
		},
		{
			name:    "provisioned concurrency that failed to allocate",
			cfg:     steps,
			facts:   facts{fn: latest, alias: on("1", nil, ""), stable: version("1", "a"), provisioned: &alias.Provisioned{Requested: 20, Status: "FAILED", Reason: "account concurrency limit"}},
			wantErr: `check "provisioned concurrency" failed: alias prod asks for 20 provisioned concurrency and its allocation failed: account concurrency limit`,
		},
		{
			name:  "a canary on an alias with provisioned concurrency",
			cfg:   steps,
			facts: facts{fn: latest, alias: on("1", nil, ""), stable: version("1", "a"), provisioned: &alias.Provisioned{Requested: 20, Allocated: 20, Status: "READY"}},
			want:  decision{publish: true, stable: "1", strategy: "steps 10,50,100 every 1m"},
		},
		{
			name:  "rollback of a held canary",
			cfg:   func(c *config.Config) { c.Rollback = true },
			facts: facts{fn: latest, alias: on("1", map[string]percent.Percent{"2": 10}, "")},
			want:  decision{rollback: true, stable: "1", target: alias.Function{Version: "2"}, strategy: "rollback"},
		},
		{
			name:  "rollback to the recorded version",
			cfg:   func(c *config.Config) { c.Rollback = true },
			facts: facts{fn: latest, alias: on("2", nil, "lambda-promote: previous version 1")},
			want:  decision{rollback: true, stable: "1", target: alias.Function{Version: "2"}, strategy: "rollback"},
		},
		{
			name:    "rollback without a record",
			cfg:     func(c *config.Config) { c.Rollback = true },
			facts:   facts{fn: latest, alias: on("2", nil, "hand made")},
			wantErr: "records no earlier promotion",
		},
		{
			name:    "rollback of an alias that does not exist",
			cfg:     func(c *config.Config) { c.Rollback = true },
			facts:   facts{fn: latest},
			wantErr: "does not exist, so there is nothing to roll back",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := base()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			got, err := decide(cfg, tc.facts)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("decide() error %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("decide() error %v, want one saying %q", err, tc.wantErr)
			case tc.wantErr != "":
				return
			}
			type shape struct {
				Target                            string
				Publish, Create, Rollback, Latest bool
				Stable, Strategy                  string
			}
			want := shape{tc.want.target.Version, tc.want.publish, tc.want.create, tc.want.rollback, tc.want.latest, tc.want.stable, tc.want.strategy}
			have := shape{got.target.Version, got.publish, got.create, got.rollback, got.latest, got.stable, got.strategy}
			if diff := cmp.Diff(want, have); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
			if tc.want.plan.Steps != nil {
				if diff := cmp.Diff(tc.want.plan, got.plan); diff != "" {
					t.Errorf("plan (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestDecideWarnsOfSessionCredentials(t *testing.T) {
	t.Parallel()
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:api"
	f := facts{
		fn:     alias.Function{Name: "api", ARN: arn, Version: alias.Latest, State: "Active", Role: "role"},
		alias:  &alias.State{Name: "prod", Version: "1"},
		stable: &alias.Function{Version: "1", Role: "role"},
		creds:  Credentials{Session: true}, // lifetime unknown, as with configure-aws-credentials
	}
	for strategy, warned := range map[string]bool{"Linear10PercentEvery10Minutes": true, "Canary10Percent30Minutes": false} {
		cfg := base()
		cfg.Strategy = strategy
		d, err := decide(cfg, f)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(d.warnings) == 1 && strings.Contains(d.warnings[0], "role-to-assume"); got != warned {
			t.Errorf("%s: warnings %q, want a warning: %v", strategy, d.warnings, warned)
		}
	}
}
