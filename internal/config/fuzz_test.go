package config

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
	"github.com/lambda-promote/lambda-promote/internal/rollout"
)

func FuzzParse(f *testing.F) {
	// function-name, alias, version, source-alias, strategy, steps, interval,
	// traffic-weight, max-error-rate, alarms, smoke-test-payload, rollback,
	// api-id, stage, aws-region
	f.Add("my-func", "prod", "", "", "", "", "", "", "", "", "", "", "", "", "")
	f.Add("arn:aws:lambda:us-east-1:123456789012:function:f", "prod", "7", "", "Canary10Percent5Minutes", "", "", "", "2%", "a,b", `{"x":1}`, "false", "a1b2c3d4e5", "prod", "us-east-1")
	f.Add("f", "live", "publish", "staging", "all-at-once", "10, 50 ,100", "30s", "", "0.5%", "a\nb\na", "[]", "", "", "", "")
	f.Add("f", "a", "$LATEST", "", "", "", "", "10", "", "", "", "", "", "", "")
	f.Add("f:1", "123", "007", "a", "Bogus", "50,10", "0s", "101", "2", strings.Repeat("x", 256), "{", "yes", "ABC", "", "eu-west-1")
	f.Add("123456789012:function:f", "a", "", "", "CodeDeployDefault.LambdaLinear10PercentEvery1Minute", "", "", "", "", "", "", "", "", "", "")
	f.Add("f", "a", "", "", "", "", "", "100%", "100%", "", "null", "TRUE", "", "", "")
	f.Add("f", "a", "3", "", "", "", "", "", "", "", "", "true", "", "", "")
	f.Add("arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:f", "a", "", "", "", "", "", "", "", "", "", "", "x1", "$default", "")
	f.Add("arn:aws-iso-b:lambda:us-isob-east-1:123456789012:function:f:7", "a", "", "", "", "", "", "", "", "", "", "", "x1", "$dev", "us-isob-east-1")
	f.Fuzz(func(t *testing.T, fn, alias, version, sourceAlias, strategy, steps, interval, weight, rate, alarms, payload, rollback, apiID, stage, region string) {
		const token = "ghs_fuzzTokenValue123"
		raw := map[string]string{
			InFunctionName: fn, InAlias: alias, InVersion: version, InSourceAlias: sourceAlias,
			InStrategy: strategy, InSteps: steps, InInterval: interval, InTrafficWeight: weight,
			InMaxErrorRate: rate, InAlarms: alarms, InSmokeTestPayload: payload, InRollback: rollback,
			InAPIID: apiID, InStage: stage, InAWSRegion: region, InGitHubToken: token,
		}
		c, err := Parse(raw)
		if err != nil {
			if strings.Contains(err.Error(), token) {
				t.Fatalf("error shows the token: %v", err)
			}
			ies := InputErrors(err)
			if len(ies) == 0 {
				t.Fatalf("error without an InputError: %v", err)
			}
			seen := map[string]bool{}
			for _, ie := range ies {
				if _, ok := lookupInput(ie.Input); !ok || seen[ie.Input] {
					t.Fatalf("error for unknown or repeated input %q: %v", ie.Input, err)
				}
				seen[ie.Input] = true
			}
			return
		}
		checkInvariants(t, raw, c)
	})
}

func checkInvariants(t *testing.T, raw map[string]string, c Config) {
	t.Helper()
	if c.FunctionName == "" || c.Alias == "" || aliasProblem(c.Alias) != "" {
		t.Fatalf("accepted function %q alias %q", c.FunctionName, c.Alias)
	}
	if c.Version != VersionPublish && c.Version != VersionLatest && !versionRE.MatchString(c.Version) {
		t.Fatalf("accepted version %q", c.Version)
	}
	if c.SourceAlias != "" && (c.SourceAlias == c.Alias || c.Version != VersionPublish) {
		t.Fatalf("accepted source-alias %q with alias %q version %q", c.SourceAlias, c.Alias, c.Version)
	}
	if _, ok := rollout.Preset(c.Strategy); !ok || strings.HasPrefix(c.Strategy, rollout.PresetPrefix) || c.Strategy == "AllAtOnce" {
		t.Fatalf("strategy %q not canonical", c.Strategy)
	}
	if c.Steps != nil {
		if c.Steps[len(c.Steps)-1] != 100 || c.Strategy != StrategyAllAtOnce || c.TrafficWeight != nil {
			t.Fatalf("accepted steps %v with strategy %q weight %v", c.Steps, c.Strategy, c.TrafficWeight)
		}
		for i := 1; i < len(c.Steps); i++ {
			if c.Steps[i] <= c.Steps[i-1] {
				t.Fatalf("steps %v not ascending", c.Steps)
			}
		}
		if c.Steps[0] <= 0 {
			t.Fatalf("steps %v start at or below 0", c.Steps)
		}
	}
	if c.Interval <= 0 {
		t.Fatalf("interval %v", c.Interval)
	}
	if w := c.TrafficWeight; w != nil && (math.IsNaN(float64(*w)) || *w < 0 || *w > 100 || c.Strategy != StrategyAllAtOnce) {
		t.Fatalf("accepted traffic-weight %v with strategy %q", *w, c.Strategy)
	}
	weighted := c.Steps != nil || c.TrafficWeight != nil || c.Strategy != StrategyAllAtOnce
	if c.Version == VersionLatest && weighted {
		t.Fatalf("accepted $LATEST with weights")
	}
	if c.Rollback && (weighted || c.Version != VersionPublish || c.SourceAlias != "") {
		t.Fatalf("accepted rollback with %+v", c)
	}
	if r := c.MaxErrorRate; r != nil && (math.IsNaN(float64(*r)) || *r < 0 || *r > 100) {
		t.Fatalf("max-error-rate %v", *r)
	}
	if c.SmokePayload != nil && !json.Valid(c.SmokePayload) {
		t.Fatalf("invalid payload accepted")
	}
	for i, a := range c.Alarms {
		if a == "" || a != strings.TrimSpace(a) || strings.ContainsAny(a, ",\n") || slices.Contains(c.Alarms[:i], a) {
			t.Fatalf("alarms %q", c.Alarms)
		}
	}
	if (c.APIID == "") != (c.Stage == "") {
		t.Fatalf("api-id %q with stage %q", c.APIID, c.Stage)
	}
	if fn, _, err := lambdaarn.Parse(c.FunctionName); err == nil && c.Region != fn.Region {
		t.Fatalf("region %q for ARN %q", c.Region, c.FunctionName)
	}
	if raw[InAWSRegion] == "" && !strings.HasPrefix(c.FunctionName, "arn:") && c.Region != "" {
		t.Fatalf("region %q from nowhere", c.Region)
	}
	if got := c.Plan(); len(got.Steps) == 0 {
		t.Fatalf("empty plan for %+v", c)
	}

	// What Redacted shows parses back to the same Config, token aside.
	back := c.Redacted()
	delete(back, InGitHubToken)
	c2, err := Parse(back)
	if err != nil {
		t.Fatalf("Redacted() %v does not parse back: %v", back, err)
	}
	c.GitHubToken = ""
	if diff := cmp.Diff(c, c2, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Fatalf("Redacted round trip (-want +got):\n%s", diff)
	}
}
