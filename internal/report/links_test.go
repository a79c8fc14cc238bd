package report

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

func TestRunURLs(t *testing.T) {
	t.Parallel()
	const sha = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
	tests := []struct {
		name            string
		run             Run
		wantRun, commit string
	}{
		{"github.com, attempt 2", Run{ServerURL: "https://github.com", Repository: "acme/api", ID: 99, Attempt: 2, SHA: sha},
			"https://github.com/acme/api/actions/runs/99/attempts/2", "https://github.com/acme/api/commit/" + sha},
		{"GHES, trailing slash, no attempt", Run{ServerURL: "https://ghe.example.com/", Repository: "acme/api", ID: 7},
			"https://ghe.example.com/acme/api/actions/runs/7", ""},
		{"no server", Run{Repository: "acme/api", ID: 7, SHA: sha},
			"https://github.com/acme/api/actions/runs/7", "https://github.com/acme/api/commit/" + sha},
		{"a terminal", Run{}, "", ""},
		{"no run id", Run{Repository: "acme/api"}, "", ""},
		{"a bad repository", Run{Repository: "acme/api/x", ID: 7, SHA: sha}, "", ""},
		{"a repository with a space", Run{Repository: "acme/a b", ID: 7}, "", ""},
		{"a bad commit", Run{Repository: "acme/api", ID: 7, SHA: "main"}, "https://github.com/acme/api/actions/runs/7", ""},
	}
	for _, tc := range tests {
		if got := tc.run.URL(); got != tc.wantRun {
			t.Errorf("%s: URL() = %q, want %q", tc.name, got, tc.wantRun)
		}
		if got := tc.run.CommitURL(); got != tc.commit {
			t.Errorf("%s: CommitURL() = %q, want %q", tc.name, got, tc.commit)
		}
	}
}

func TestLinksFor(t *testing.T) {
	t.Parallel()
	r := fixtures()["rolled-back"]
	l := linksFor(r)
	const cw = "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1"
	want := links{
		Logs:    cw + "#logsV2:log-groups/log-group/$252Faws$252Flambda$252Forders-api$3FlogStreamNameFilter$3D$255B7$255D",
		Alarms:  []namedURL{{"orders-api-5xx", cw + "#alarmsV2:alarm/orders-api-5xx"}},
		Metrics: l.Metrics, // checked below
		Alias:   "https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions/orders-api/aliases/prod",
	}
	if diff := cmp.Diff(want, l, cmp.AllowUnexported(links{})); diff != "" {
		t.Errorf("linksFor (-want +got):\n%s", diff)
	}
	for _, part := range []string{
		cw + "#metricsV2:graph=~(metrics~(~(~'AWS*2fLambda~'Errors~'FunctionName~'orders-api~'Resource~'orders-api*3aprod~'ExecutedVersion~'7~(stat~'Sum))",
		"~(~'AWS*2fLambda~'Invocations~'FunctionName~'orders-api~'Resource~'orders-api*3aprod~'ExecutedVersion~'7~(stat~'Sum))",
		"~region~'eu-west-1~stat~'Sum~period~60",
		"~start~'2025-03-14T01*3a55*3a00.000Z~end~'2025-03-14T02*3a12*3a00.000Z)",
	} {
		if !strings.Contains(l.Metrics, part) {
			t.Errorf("metrics link %q lacks %q", l.Metrics, part)
		}
	}
	if !balanced(l.Metrics) || safeURL(l.Metrics) != l.Metrics {
		t.Errorf("metrics link %q does not survive safeURL", l.Metrics)
	}
}

// TestLinksPartitions checks that console links use the partition's own
// console domain, and that a partition without a public console gets none.
func TestLinksPartitions(t *testing.T) {
	t.Parallel()
	tests := []struct{ arn, console string }{
		{"arn:aws:lambda:eu-west-1:1:function:f", "https://eu-west-1.console.aws.amazon.com"},
		{"arn:aws-cn:lambda:cn-north-1:1:function:f", "https://cn-north-1.console.amazonaws.cn"},
		{"arn:aws-us-gov:lambda:us-gov-west-1:1:function:f", "https://us-gov-west-1.console.amazonaws-us-gov.com"},
		{"arn:aws-iso:lambda:us-iso-east-1:1:function:f", ""},
		{"not an arn", ""},
	}
	for _, tc := range tests {
		r := outcome.Result{FunctionARN: tc.arn, FunctionName: "f", Alias: "prod", NewVersion: "2", Status: outcome.Promoted,
			Timeline: []outcome.Event{{Weight: 100, Gates: []outcome.Gate{{Kind: outcome.GateAlarm, Name: "a"}}}}}
		l := linksFor(r)
		got := []string{l.Alias, l.Logs, l.Metrics}
		for _, a := range l.Alarms {
			got = append(got, a.URL)
		}
		if tc.console == "" {
			if diff := cmp.Diff([]string{"", "", ""}, got); diff != "" {
				t.Errorf("%s: console links where there is no console (-want +got):\n%s", tc.arn, diff)
			}
			continue
		}
		if len(got) != 4 {
			t.Errorf("%s: %d links, want 4: %q", tc.arn, len(got), got)
		}
		for _, u := range got {
			if !strings.HasPrefix(u, tc.console+"/") {
				t.Errorf("%s: link %q is not in %s", tc.arn, u, tc.console)
			}
		}
	}
	// The alias ARN stands in for a missing function ARN.
	l := linksFor(outcome.Result{AliasARN: "arn:aws:lambda:us-east-2:1:function:f:dev", Alias: "dev"})
	if want := "https://us-east-2.console.aws.amazon.com/lambda/home?region=us-east-2#/functions/f/aliases/dev"; l.Alias != want {
		t.Errorf("alias link from the alias ARN %q, want %q", l.Alias, want)
	}
}

func TestLogsEscape(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/aws/lambda/orders-api": "$252Faws$252Flambda$252Forders-api",
		"[7]":                    "$255B7$255D",
		"[$LATEST]":              "$255B$2524LATEST$255D",
		"a b":                    "a$2520b",
	} {
		if got := logsEscape(in); got != want {
			t.Errorf("logsEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJSURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"AWS/Lambda":      "~'AWS*2fLambda",
		"orders-api:prod": "~'orders-api*3aprod",
		"$LATEST":         "~'!LATEST",
		"a b(c)'~":        "~'a*20b*28c*29*27*7e",
		"é":               "~'*e9",
		"→":               "~'**2192",
		"😀":               "~'**d83d**de00",
	} {
		if got := jsurl(in); got != want {
			t.Errorf("jsurl(%q) = %q, want %q", in, got, want)
		}
	}
}
