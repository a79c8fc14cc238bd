package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/percent"
)

var update = flag.Bool("update", false, "rewrite golden files")

func ptr(f percent.Percent) *percent.Percent { return &f }

// defaults is the Config of the two required inputs and nothing else.
func defaults() Config {
	return Config{
		FunctionName:       "my-func",
		Functions:          []string{"my-func"},
		Alias:              "prod",
		Version:            VersionPublish,
		Strategy:           StrategyAllAtOnce,
		Interval:           time.Minute,
		WaitTimeout:        5 * time.Minute,
		MaxRPS:             10,
		StageVariable:      "lambdaAlias",
		CheckPermission:    true,
		Comment:            true,
		Deployment:         true,
		Confidence:         95,
		MaxLatencyIncrease: 20,
	}
}

// envOf turns inputs into the runner's INPUT_* variables.
func envOf(inputs map[string]string) func(string) string {
	env := map[string]string{}
	for k, v := range inputs {
		env[ActionEnv(k)] = v
	}
	return func(k string) string { return env[k] }
}

// argsOf turns inputs into --name=value flags, in a stable order.
func argsOf(inputs map[string]string) []string {
	var args []string
	for k, v := range inputs {
		args = append(args, "--"+k+"="+v)
	}
	sort.Strings(args)
	return args
}

// parseAll runs the inputs through FromAction, FromFlags and Parse and fails
// the test when they disagree. It returns Parse's answer.
func parseAll(t *testing.T, inputs map[string]string) (Config, error) {
	t.Helper()
	fromParse, parseErr := Parse(inputs)
	fromAction, actionErr := FromAction(envOf(inputs))
	var stderr bytes.Buffer
	fromFlags, flagsErr := FromFlags(argsOf(inputs), &stderr)
	if diff := cmp.Diff(fromParse, fromAction); diff != "" {
		t.Errorf("FromAction and Parse differ (-Parse +FromAction):\n%s", diff)
	}
	if diff := cmp.Diff(fromParse, fromFlags); diff != "" {
		t.Errorf("FromFlags and Parse differ (-Parse +FromFlags):\n%s", diff)
	}
	if errText(parseErr) != errText(actionErr) || errText(parseErr) != errText(flagsErr) {
		t.Errorf("errors differ:\nParse:      %v\nFromAction: %v\nFromFlags:  %v", parseErr, actionErr, flagsErr)
	}
	if stderr.Len() > 0 {
		t.Errorf("FromFlags wrote to stderr: %q", stderr.String())
	}
	return fromParse, parseErr
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestValid(t *testing.T) {
	t.Parallel()
	arn := "arn:aws:lambda:eu-west-1:123456789012:function:my-func"
	tests := []struct {
		name   string
		inputs map[string]string
		want   func(*Config)
	}{
		{"only the required inputs", map[string]string{}, func(c *Config) {}},
		{"values are trimmed", map[string]string{"function-name": "  my-func\n", "alias": " prod "}, func(c *Config) {}},
		{"empty means default", map[string]string{"version": "", "strategy": " ", "interval": "", "rollback": ""}, func(c *Config) {}},
		{"partial ARN", map[string]string{"function-name": "123456789012:function:my-func"}, func(c *Config) {
			c.FunctionName = "123456789012:function:my-func"
		}},
		{"full ARN gives the region", map[string]string{"function-name": arn}, func(c *Config) {
			c.FunctionName = arn
			c.Region = "eu-west-1"
		}},
		{"full ARN with the same aws-region", map[string]string{"function-name": arn, "aws-region": "eu-west-1"}, func(c *Config) {
			c.FunctionName = arn
			c.Region = "eu-west-1"
		}},
		{"GovCloud ARN", map[string]string{"function-name": "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f_1"}, func(c *Config) {
			c.FunctionName = "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f_1"
			c.Region = "us-gov-west-1"
		}},
		{"EU sovereign cloud ARN", map[string]string{"function-name": "arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:f"}, func(c *Config) {
			c.FunctionName = "arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:f"
			c.Region = "eusc-de-east-1"
		}},
		{"ISO-B ARN with its aws-region", map[string]string{"function-name": "arn:aws-iso-b:lambda:us-isob-east-1:123456789012:function:f", "aws-region": "us-isob-east-1"}, func(c *Config) {
			c.FunctionName = "arn:aws-iso-b:lambda:us-isob-east-1:123456789012:function:f"
			c.Region = "us-isob-east-1"
		}},
		{"aws-region", map[string]string{"aws-region": "ap-southeast-2"}, func(c *Config) { c.Region = "ap-southeast-2" }},
		{"compare-to-stable with steps", map[string]string{"compare-to-stable": "true", "steps": "10,100"}, func(c *Config) {
			c.CompareToStable = true
			c.Steps = []percent.Percent{10, 100}
		}},
		{"compare-to-stable with a preset, its confidence and tolerance", map[string]string{"compare-to-stable": "TRUE", "strategy": "Canary10Percent5Minutes", "confidence": "99.99%", "max-latency-increase": "150 %"}, func(c *Config) {
			c.CompareToStable = true
			c.Strategy = "Canary10Percent5Minutes"
			c.Confidence, c.MaxLatencyIncrease = 99.99, 150
		}},
		{"compare-to-stable with a held canary, no latency tolerance", map[string]string{"compare-to-stable": "true", "traffic-weight": "10", "max-latency-increase": "0%"}, func(c *Config) {
			c.CompareToStable = true
			c.TrafficWeight = ptr(10)
			c.MaxLatencyIncrease = 0
		}},
		{"the comparison's defaults, as the runner passes them", map[string]string{"compare-to-stable": "false", "confidence": "95%", "max-latency-increase": "20%"}, func(c *Config) {}},
		{"aws-region of the EU sovereign cloud", map[string]string{"aws-region": "eusc-de-east-1"}, func(c *Config) { c.Region = "eusc-de-east-1" }},
		{"HTTP API $default stage", map[string]string{"api-id": "a1b2c3", "stage": "$default"}, func(c *Config) {
			c.APIID = "a1b2c3"
			c.Stage = "$default"
		}},
		{"version number", map[string]string{"version": "42"}, func(c *Config) { c.Version = "42" }},
		{"version $LATEST", map[string]string{"version": "$LATEST", "alias": "dev"}, func(c *Config) {
			c.Version = VersionLatest
			c.Alias = "dev"
		}},
		{"$LATEST all at once", map[string]string{"version": "$LATEST", "strategy": "AllAtOnce"}, func(c *Config) { c.Version = VersionLatest }},
		{"source-alias", map[string]string{"source-alias": "staging", "version": "publish"}, func(c *Config) { c.SourceAlias = "staging" }},
		{"alias with digits and letters", map[string]string{"alias": "2024-v2_x"}, func(c *Config) { c.Alias = "2024-v2_x" }},
		{"canary preset", map[string]string{"strategy": "Canary10Percent5Minutes"}, func(c *Config) { c.Strategy = "Canary10Percent5Minutes" }},
		{"preset with prefix", map[string]string{"strategy": "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes"}, func(c *Config) {
			c.Strategy = "Linear10PercentEvery10Minutes"
		}},
		{"AllAtOnce", map[string]string{"strategy": "AllAtOnce"}, func(c *Config) {}},
		{"AllAtOnce with prefix", map[string]string{"strategy": "CodeDeployDefault.LambdaAllAtOnce"}, func(c *Config) {}},
		{"steps and interval", map[string]string{"steps": "10, 50 ,100", "interval": "30s"}, func(c *Config) {
			c.Steps = []percent.Percent{10, 50, 100}
			c.Interval = 30 * time.Second
		}},
		{"steps with all-at-once", map[string]string{"steps": "10,100", "strategy": "all-at-once"}, func(c *Config) { c.Steps = []percent.Percent{10, 100} }},
		{"default interval without steps", map[string]string{"interval": "60s"}, func(c *Config) {}},
		{"traffic-weight percent", map[string]string{"traffic-weight": "10%"}, func(c *Config) { c.TrafficWeight = ptr(10) }},
		{"traffic-weight half", map[string]string{"traffic-weight": "0.5"}, func(c *Config) { c.TrafficWeight = ptr(0.5) }},
		{"traffic-weight 0", map[string]string{"traffic-weight": "0"}, func(c *Config) { c.TrafficWeight = ptr(0) }},
		{"traffic-weight 100", map[string]string{"traffic-weight": "100"}, func(c *Config) { c.TrafficWeight = ptr(100) }},
		{"gates", map[string]string{"alarms": "api-5xx, api-latency\napi-5xx\n\n", "max-error-rate": "2%", "smoke-test-payload": `{"path": "/health"}`}, func(c *Config) {
			c.Alarms = []string{"api-5xx", "api-latency"}
			c.MaxErrorRate = ptr(2)
			c.SmokePayload = []byte(`{"path": "/health"}`)
		}},
		{"rollback", map[string]string{"rollback": "TRUE", "strategy": "all-at-once", "version": "publish"}, func(c *Config) { c.Rollback = true }},
		{"stage check", map[string]string{"api-id": "a1b2c3d4e5", "stage": "prod", "stage-variable": "fn_alias", "check-permission": "False"}, func(c *Config) {
			c.APIID = "a1b2c3d4e5"
			c.Stage = "prod"
			c.StageVariable = "fn_alias"
			c.CheckPermission = false
		}},
		{"require-alias-traffic", map[string]string{"require-alias-traffic": "True"}, func(c *Config) { c.RequireAliasTraffic = true }},
		{"github", map[string]string{"github-token": "ghs_secret", "comment": "false", "deployment": "false", "environment": "production (eu)", "dry-run": "true"}, func(c *Config) {
			c.GitHubToken = "ghs_secret"
			c.Comment = false
			c.Deployment = false
			c.Environment = "production (eu)"
			c.DryRun = true
		}},
		{"description", map[string]string{"description": strings.Repeat("é", MaxDescription)}, func(c *Config) {
			c.Description = strings.Repeat("é", MaxDescription)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inputs := map[string]string{"function-name": "my-func", "alias": "prod"}
			for k, v := range tt.inputs {
				inputs[k] = v
			}
			want := defaults()
			tt.want(&want)
			if len(want.Functions) == 1 {
				want.Functions = []string{want.FunctionName}
			}
			got, err := parseAll(t, inputs)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Config (-want +got):\n%s", diff)
			}
		})
	}
}

// badCase is one case of testdata/config/bad-inputs.json, which the
// end-to-end test of the binary reads too.
type badCase struct {
	Name   string            `json:"name"`
	Inputs map[string]string `json:"inputs"`
	Errors []string          `json:"errors"`
}

func loadBadCases(t testing.TB) []badCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "config", "bad-inputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []badCase
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cases); err != nil {
		t.Fatalf("bad-inputs.json: %v", err)
	}
	return cases
}

// Several functions make one release: names, partial and full ARNs, separated
// by commas or newlines.
func TestSeveralFunctions(t *testing.T) {
	t.Parallel()
	c, err := Parse(map[string]string{
		"function-name": "orders,\n  payments\narn:aws:lambda:eu-west-1:123456789012:function:users\n\n",
		"alias":         "prod",
		"source-alias":  "staging",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"orders", "payments", "arn:aws:lambda:eu-west-1:123456789012:function:users"}
	if diff := cmp.Diff(want, c.Functions); diff != "" || c.FunctionName != "orders" || c.Region != "eu-west-1" {
		t.Errorf("Functions (-want +got):\n%s; FunctionName %q, Region %q", diff, c.FunctionName, c.Region)
	}
	_, err = Parse(map[string]string{"function-name": "orders\npay ments\nusers, users", "alias": "prod"})
	if err == nil {
		t.Fatal("bad functions accepted")
	}
	for _, part := range []string{`function "pay ments": a function name`, `function "users": the same function as "users"`} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q lacks %q", err, part)
		}
	}
	if n := len(InputErrors(err)); n != 1 {
		t.Errorf("%d errors, want one for function-name", n)
	}
}

func TestBadInputs(t *testing.T) {
	t.Parallel()
	cases := loadBadCases(t)
	if len(cases) < 45 {
		t.Fatalf("bad-inputs.json has %d cases, want at least 45", len(cases))
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.Name] {
			t.Errorf("case name %q repeated", tc.Name)
		}
		seen[tc.Name] = true
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			got, err := parseAll(t, tc.Inputs)
			if err == nil {
				t.Fatalf("Parse accepted the inputs: %+v", got)
			}
			if diff := cmp.Diff(Config{}, got); diff != "" {
				t.Errorf("Parse returned a Config with the error:\n%s", diff)
			}
			ies := InputErrors(err)
			var names []string
			for _, ie := range ies {
				names = append(names, ie.Input)
			}
			if diff := cmp.Diff(tc.Errors, names); diff != "" {
				t.Errorf("failing inputs (-want +got):\n%s\nerror:\n%v", diff, err)
			}
			if n := len(strings.Split(err.Error(), "\n")); n != len(ies) {
				t.Errorf("error has %d lines for %d bad inputs:\n%v", n, len(ies), err)
			}
			for _, ie := range ies {
				checkMessage(t, ie, tc.Inputs)
			}
		})
	}
}

// checkMessage checks the shape of one error: names the input, quotes the
// value given, says what is accepted, lowercase, no trailing period.
func checkMessage(t *testing.T, ie *InputError, inputs map[string]string) {
	t.Helper()
	msg := ie.Error()
	if want := "input " + strconv.Quote(ie.Input) + ": "; !strings.HasPrefix(msg, want) {
		t.Errorf("%q does not start with %q", msg, want)
	}
	if want := strings.TrimSpace(inputs[ie.Input]); ie.Value != want {
		t.Errorf("%s: Value = %q, want the value given %q", ie.Input, ie.Value, want)
	}
	if len(ie.Value) <= 60 && !strings.Contains(msg, strconv.Quote(ie.Value)+" is not accepted: ") {
		t.Errorf("%q does not quote the value %q", msg, ie.Value)
	}
	if ie.Accepted == "" || unicode.IsUpper([]rune(ie.Accepted)[0]) {
		t.Errorf("%q: accepted part empty or capitalised", msg)
	}
	if strings.HasSuffix(msg, ".") || strings.HasSuffix(msg, " ") {
		t.Errorf("%q ends with punctuation or space", msg)
	}
}

func TestManyErrors(t *testing.T) {
	t.Parallel()
	inputs := map[string]string{
		"function-name":      "arn:aws:lambda:us-east-1:123456789012:function:f:1",
		"alias":              "007",
		"version":            "v1",
		"strategy":           "Canary",
		"steps":              "10,50",
		"interval":           "-1m",
		"traffic-weight":     "200",
		"alarms":             strings.Repeat("x", 300),
		"max-error-rate":     "0.02",
		"smoke-test-payload": "{",
		"rollback":           "nope",
		"api-id":             "x-y-z",
		"stage":              "a b",
		"stage-variable":     "a-b",
		"check-permission":   "no",
		"dry-run":            "no",
		"comment":            "no",
		"deployment":         "no",
		"environment":        strings.Repeat("e", 300),
		"aws-region":         "us_east_1",
		"description":        strings.Repeat("d", 300),
	}
	inputs["require-alias-traffic"] = "yes"
	_, err := parseAll(t, inputs)
	var got []string
	for _, ie := range InputErrors(err) {
		got = append(got, ie.Input)
	}
	var want []string
	for _, in := range Inputs() {
		if _, ok := inputs[in.Name]; ok {
			want = append(want, in.Name)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failing inputs (-want +got):\n%s\n%v", diff, err)
	}
	for _, name := range want {
		if !strings.Contains(err.Error(), "input "+strconv.Quote(name)+": ") {
			t.Errorf("error does not name %q", name)
		}
	}
}

func TestTokenNeverShown(t *testing.T) {
	t.Parallel()
	const token = "ghp_S3cr3tT0k3nValue"
	for _, inputs := range []map[string]string{
		{"github-token": token},
		{"github-token": token, "function-name": token, "alias": "1"},
		{"github-token": token + "\n", "steps": "x", "comment": token, "environment": strings.Repeat(token, 20)},
		{"github-token": " " + token + " ", "function-name": "f", "alias": "a", "unknown-token": token},
		{"github-token": token, "function-name": "f", "alias": "a", "source-alias": token + "!", "version": token, "rollback": "true"},
	} {
		_, err := Parse(inputs)
		if err == nil {
			t.Fatalf("Parse(%v) accepted", inputs)
		}
		if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "S3cr3t") {
			t.Errorf("error shows the token:\n%v", err)
		}
	}
	// An InputError about the token itself shows "***".
	ie := &InputError{Input: InGitHubToken, Value: token, Accepted: "x"}
	if strings.Contains(ie.Error(), token) || !strings.Contains(ie.Error(), `"***"`) {
		t.Errorf("InputError on the token: %q", ie.Error())
	}
	c, err := Parse(map[string]string{"function-name": "f", "alias": "a", "github-token": token})
	if err != nil {
		t.Fatal(err)
	}
	red := c.Redacted()
	if red[InGitHubToken] != "***" {
		t.Errorf("Redacted token = %q, want ***", red[InGitHubToken])
	}
	for k, v := range red {
		if strings.Contains(v, token) {
			t.Errorf("Redacted()[%q] shows the token", k)
		}
	}
}

func TestUnknownInput(t *testing.T) {
	t.Parallel()
	_, err := Parse(map[string]string{"function-name": "f", "alias": "a", "function": "x", "aws-secret": "hunter2"})
	ies := InputErrors(err)
	if len(ies) != 2 || ies[0].Input != "aws-secret" || ies[1].Input != "function" {
		t.Fatalf("errors = %v", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error shows a secret-looking value: %v", err)
	}
}

func TestLongValueCut(t *testing.T) {
	t.Parallel()
	big := `{"a": "` + strings.Repeat("x", MaxSmokePayload) + `"}`
	_, err := Parse(map[string]string{"function-name": "f", "alias": "a", "smoke-test-payload": big})
	ies := InputErrors(err)
	if len(ies) != 1 || ies[0].Input != InSmokeTestPayload || !strings.Contains(ies[0].Accepted, "256 KiB") {
		t.Fatalf("error = %v", err)
	}
	if len(err.Error()) > 300 {
		t.Errorf("error is %d bytes long; the value should be cut", len(err.Error()))
	}
	// Just under the limit is fine.
	ok := `"` + strings.Repeat("x", MaxSmokePayload-2) + `"`
	if _, err := Parse(map[string]string{"function-name": "f", "alias": "a", "smoke-test-payload": ok}); err != nil {
		t.Errorf("payload of exactly 256 KiB: %v", err)
	}
}

func TestMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		inputs map[string]string
		want   string
	}{
		{map[string]string{"steps": "50,10"}, `input "steps": "50,10" is not accepted: percentages must increase, e.g. "10,50,100"`},
		{map[string]string{"alias": "123"}, `input "alias": "123" is not accepted: an alias name that is not only digits`},
		{map[string]string{"function-name": "f:prod"}, `give the version in "version" and the alias in "alias"`},
		{map[string]string{"strategy": "Canary10Percent5Minute"}, `did you mean "Canary10Percent5Minutes"? one of all-at-once, Canary10Percent5Minutes,`},
		{map[string]string{"strategy": "allatonce"}, `did you mean "AllAtOnce"?`},
		{map[string]string{"strategy": "all_at_once"}, `did you mean "all-at-once"?`},
		{map[string]string{"strategy": "CodeDeployDefault.Lambdacanary10percent5minutes"}, `did you mean "Canary10Percent5Minutes"?`},
		{map[string]string{"function-name": "arn:aws:lambda:us-east-1:123456789012:function:f", "aws-region": "eu-west-1"}, `input "aws-region": "eu-west-1" is not accepted: the region of the function ARN in "function-name" ("us-east-1")`},
		{map[string]string{"api-id": "a1b2c3d4e5"}, `input "stage": "" is not accepted: required with "api-id"`},
		{map[string]string{"version": "$LATEST", "traffic-weight": "10"}, `Lambda cannot route weighted traffic to $LATEST`},
		{map[string]string{"rollback": "true", "steps": "10,100", "version": "3"}, `input "rollback": "true" is not accepted: not together with version "3", "steps"`},
	}
	for _, tt := range tests {
		inputs := map[string]string{"function-name": "f", "alias": "a"}
		for k, v := range tt.inputs {
			inputs[k] = v
		}
		_, err := Parse(inputs)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%v) error:\n%v\nwant it to contain:\n%s", tt.inputs, err, tt.want)
		}
	}
}

func TestFromFlags(t *testing.T) {
	t.Parallel()
	base := []string{"--function-name", "my-func", "--alias", "prod"}
	tests := []struct {
		name    string
		args    []string
		want    func(*Config)
		wantErr string
		is      error
	}{
		{name: "space-separated values", args: base, want: func(*Config) {}},
		{name: "single dash", args: []string{"-function-name=my-func", "-alias=prod"}, want: func(*Config) {}},
		{name: "bare boolean", args: append(slices.Clone(base), "--dry-run", "--rollback"), want: func(c *Config) { c.DryRun, c.Rollback = true, true }},
		{name: "boolean with =true", args: append(slices.Clone(base), "--dry-run=true"), want: func(c *Config) { c.DryRun = true }},
		{name: "boolean with =false", args: append(slices.Clone(base), "--comment=false"), want: func(c *Config) { c.Comment = false }},
		{name: "version as an input", args: append(slices.Clone(base), "--version", "7"), want: func(c *Config) { c.Version = "7" }},
		{name: "version as an input with =", args: append(slices.Clone(base), "--version=$LATEST"), want: func(c *Config) { c.Version = VersionLatest }},
		{name: "repeated alarms add up", args: append(slices.Clone(base), "--alarms", "a", "--alarms", "b,c"), want: func(c *Config) { c.Alarms = []string{"a", "b", "c"} }},
		{name: "last value wins", args: append(slices.Clone(base), "--alias", "dev"), want: func(c *Config) { c.Alias = "dev" }},
		{name: "bad boolean value", args: append(slices.Clone(base), "--dry-run=maybe"), wantErr: `input "dry-run": "maybe" is not accepted: "true" or "false"`},
		{name: "boolean value after a space", args: append(slices.Clone(base), "--dry-run", "false"), wantErr: `unexpected argument "false"`},
		{name: "positional", args: append([]string{"promote"}, base...), wantErr: `unexpected argument "promote"`},
		{name: "positional after flags", args: append(slices.Clone(base), "extra"), wantErr: `unexpected argument "extra"`},
		{name: "unknown flag", args: append(slices.Clone(base), "--functionname", "x"), wantErr: "flag provided but not defined: -functionname"},
		{name: "missing value", args: append(slices.Clone(base), "--steps"), wantErr: "flag needs an argument: -steps"},
		{name: "version alone", args: []string{"--version"}, is: ErrVersion},
		{name: "version at the end", args: append(slices.Clone(base), "--version"), is: ErrVersion},
		{name: "version before a flag", args: []string{"-version", "--alias", "prod"}, is: ErrVersion},
		{name: "version after a value", args: []string{"--description", "--version"}, wantErr: `input "function-name"`},
		{name: "help", args: []string{"--help"}, is: flag.ErrHelp},
		{name: "-h", args: append(slices.Clone(base), "-h"), is: flag.ErrHelp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			got, err := FromFlags(tt.args, &stderr)
			switch {
			case tt.is != nil:
				if !errors.Is(err, tt.is) {
					t.Fatalf("FromFlags(%q) = %v, want %v", tt.args, err, tt.is)
				}
				if tt.is == flag.ErrHelp && !strings.Contains(stderr.String(), "--function-name value") {
					t.Errorf("--help wrote %q", stderr.String())
				}
				return
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("FromFlags(%q) = %v, want error containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromFlags(%q): %v", tt.args, err)
			}
			want := defaults()
			tt.want(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Config (-want +got):\n%s", diff)
			}
			if stderr.Len() > 0 {
				t.Errorf("stderr: %q", stderr.String())
			}
		})
	}
}

func TestHelpGolden(t *testing.T) {
	var stderr bytes.Buffer
	if _, err := FromFlags([]string{"--help"}, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("FromFlags(--help) = %v, want flag.ErrHelp", err)
	}
	got := stderr.Bytes()
	golden := filepath.Join("testdata", "help.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("--help output (-golden +got), run go test -update if intended:\n%s", diff)
	}
	for _, in := range Inputs() {
		if !strings.Contains(string(got), "--"+in.Name) || !strings.Contains(string(got), in.Description) {
			t.Errorf("--help does not list %q with its description", in.Name)
		}
		if in.Default != "" && !strings.Contains(string(got), strconv.Quote(in.Default)) {
			t.Errorf("--help does not show the default of %q", in.Name)
		}
	}
}

func TestInputs(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, in := range Inputs() {
		if seen[in.Name] {
			t.Errorf("input %q listed twice", in.Name)
		}
		seen[in.Name] = true
		if in.Name != strings.ToLower(in.Name) || strings.ContainsAny(in.Name, " _") {
			t.Errorf("input %q is not kebab-case", in.Name)
		}
		if in.Description == "" || strings.Contains(in.Description, "\n") {
			t.Errorf("input %q needs a one-line description", in.Name)
		}
		if in.Bool && in.Default != "true" && in.Default != "false" {
			t.Errorf("boolean input %q has default %q", in.Name, in.Default)
		}
	}
	if len(seen) != 32 {
		t.Errorf("%d inputs, want the 32 of SPEC.md", len(seen))
	}
	// Every default is itself accepted.
	raw := map[string]string{"function-name": "f", "alias": "a"}
	for _, in := range Inputs() {
		if in.Default != "" {
			raw[in.Name] = in.Default
		}
	}
	if _, err := Parse(raw); err != nil {
		t.Errorf("defaults are not accepted: %v", err)
	}
}

func TestRedacted(t *testing.T) {
	t.Parallel()
	c, err := Parse(map[string]string{
		"function-name": "f", "alias": "prod", "steps": "10,50,100", "interval": "90s",
		"max-error-rate": "0.5%", "alarms": "a\nb", "github-token": "tok",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := c.Redacted()
	want := map[string]string{
		"function-name": "f", "alias": "prod", "version": "publish", "source-alias": "", "description": "",
		"strategy": "all-at-once", "steps": "10,50,100", "interval": "1m30s", "traffic-weight": "",
		"alarms": "a,b", "max-error-rate": "0.5%", "smoke-test-payload": "", "rollback": "false",
		"api-id": "", "stage": "", "stage-variable": "lambdaAlias", "check-permission": "true", "require-alias-traffic": "false",
		"dry-run": "false", "github-token": "***", "comment": "true", "deployment": "true",
		"environment": "", "aws-region": "", "min-invocations": "0", "role-to-assume": "", "wait-timeout": "5m",
		"detach": "false", "max-requests-per-second": "10",
		"compare-to-stable": "false", "confidence": "95%", "max-latency-increase": "20%",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Redacted (-want +got):\n%s", diff)
	}
	// What Redacted shows parses back to the same Config, token aside.
	back := map[string]string{}
	for k, v := range got {
		if k != InGitHubToken {
			back[k] = v
		}
	}
	c2, err := Parse(back)
	if err != nil {
		t.Fatalf("Redacted does not parse back: %v", err)
	}
	c.GitHubToken = ""
	if diff := cmp.Diff(c, c2); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		inputs map[string]string
		want   string
		steps  int
	}{
		{map[string]string{}, "all-at-once", 1},
		{map[string]string{"strategy": "CodeDeployDefault.LambdaCanary10Percent30Minutes"}, "Canary10Percent30Minutes", 2},
		{map[string]string{"steps": "10,50,100"}, "steps 10,50,100 every 1m", 3},
		{map[string]string{"traffic-weight": "10%"}, "hold at 10%", 1},
		{map[string]string{"traffic-weight": "100"}, "all-at-once", 1},
	}
	for _, tt := range tests {
		inputs := map[string]string{"function-name": "f", "alias": "a"}
		for k, v := range tt.inputs {
			inputs[k] = v
		}
		c, err := Parse(inputs)
		if err != nil {
			t.Fatal(err)
		}
		p := c.Plan()
		if p.Name != tt.want || len(p.Steps) != tt.steps {
			t.Errorf("Plan() for %v = %q with %d steps, want %q with %d", tt.inputs, p.Name, len(p.Steps), tt.want, tt.steps)
		}
	}
}

func TestFromActionEnvNames(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"INPUT_FUNCTION-NAME":  " my-func ",
		"INPUT_ALIAS":          "prod",
		"INPUT_TRAFFIC-WEIGHT": "10%",
		"INPUT_DRY-RUN":        "true",
		"INPUT_AWS-REGION":     "eu-west-1",
		"INPUT_VERSION":        "",   // empty: the default
		"INPUT_FUNCTION_NAME":  "no", // underscores are not how the runner names it
		"INPUT_STRATEGY":       "",
	}
	var asked []string
	c, err := FromAction(func(k string) string {
		asked = append(asked, k)
		return env[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	want := defaults()
	want.TrafficWeight = ptr(10)
	want.DryRun = true
	want.Region = "eu-west-1"
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("Config (-want +got):\n%s", diff)
	}
	if len(asked) != len(Inputs()) || !slices.Contains(asked, "INPUT_SMOKE-TEST-PAYLOAD") || !slices.Contains(asked, "INPUT_GITHUB-TOKEN") {
		t.Errorf("FromAction read %q", asked)
	}
}
