package report

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lambda-promote/lambda-promote/internal/compare"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// t0 is the fixed clock of every fixture.
var t0 = time.Date(2025, 3, 14, 2, 0, 0, 0, time.UTC)

// testRun is the workflow run of every fixture.
var testRun = Run{
	ServerURL:  "https://github.com",
	Repository: "acme/api",
	ID:         123456,
	Attempt:    2,
	SHA:        "0123456789abcdef0123456789abcdef01234567",
	Actor:      "octocat",
}

func base() outcome.Result {
	return outcome.Result{
		FunctionName:    "orders-api",
		FunctionARN:     "arn:aws:lambda:eu-west-1:123456789012:function:orders-api",
		Region:          "eu-west-1",
		Alias:           "prod",
		AliasARN:        "arn:aws:lambda:eu-west-1:123456789012:function:orders-api:prod",
		PreviousVersion: "6",
		NewVersion:      "7",
		Version:         "7",
		TrafficWeight:   100,
		Strategy:        "all-at-once",
		APIID:           "a1b2c3d4e5",
		Stage:           "prod",
		StageURL:        "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod",
		Checks: []outcome.Check{
			{Name: "function state", OK: true, Detail: "Active, last update Successful"},
			{Name: "stage variable", OK: true, Detail: "lambdaAlias = prod"},
			{Name: "alias permission", OK: true, Detail: "apigateway.amazonaws.com may invoke orders-api:prod for API a1b2c3d4e5"},
		},
		Paths: []outcome.Path{
			{Function: "orders-api", Kind: outcome.PathRoute, Source: "ANY / of stage prod of REST API a1b2c3d4e5", Invokes: "orders-api:prod (the alias promoted)", Covered: true, Detail: "through stage variable lambdaAlias"},
			{Function: "orders-api", Kind: outcome.PathMapping, Source: "SQS queue orders-jobs (mapping 6b1f0c52-3c4e-4a8e-9a47-2f0d1a2b3c4d)", Invokes: "orders-api:prod (the alias promoted)", Covered: true, Detail: "state Enabled"},
		},
		PathsRead: true,
		Started:   t0,
		Finished:  t0.Add(2*time.Minute + 5*time.Second),
	}
}

// alarm and rate are gate readings as promote records them.
func alarm(ok bool) outcome.Gate {
	g := outcome.Gate{Kind: outcome.GateAlarm, Name: "orders-api-5xx", OK: ok, Detail: "OK"}
	if !ok {
		g.Detail = "ALARM"
	}
	return g
}

func rate(errors, invocations float64) outcome.Gate {
	g := outcome.Gate{Kind: outcome.GateErrorRate, Name: "error rate", Errors: errors, Invocations: invocations,
		Rate: percent.Of(errors, invocations), Max: 2}
	g.OK = g.Rate <= g.Max
	g.Detail = fmt.Sprintf("%g errors / %g invocations = %s", errors, invocations, g.Rate.Fixed())
	return g
}

// comparison is a judgement of 7 against 6 as promote records it, at look
// of a canary's three, with the default confidence and tolerance.
func comparison(look int, newer, stable compare.Sample) outcome.Gate {
	rule := compare.Rule{Alpha: compare.PerJudgement(0.95, 3), MaxLatencyIncrease: 0.2}
	j := compare.Judge(newer, stable, rule)
	call := "advance"
	switch {
	case j.Verdict == compare.Worse:
		call = "roll back"
	case j.Verdict == compare.CannotTell && look < 2:
		call = "hold"
	}
	side := func(v string, s compare.Sample) outcome.Side {
		return outcome.Side{Version: v, Errors: s.Errors, Invocations: s.Invocations, Rate: percent.Of(s.Errors, s.Invocations), P99: s.P99, HasP99: s.HasP99}
	}
	c := &outcome.Comparison{
		New: side("7", newer), Stable: side("6", stable), Verdict: string(j.Verdict), Call: call,
		Look: look, Looks: 3, Alpha: rule.Alpha, PValue: j.Errors.PValue, MaxLatencyIncrease: 20,
		Why: j.Errors.Why + "; " + j.Latency.Why,
	}
	detail := fmt.Sprintf("%s: 7 at %s against 6 at %s: %s", c.Verdict, c.New.Rate.Fixed(), c.Stable.Rate.Fixed(), c.Why)
	return outcome.Gate{Kind: outcome.GateCompare, Name: "comparison", OK: j.Verdict != compare.Worse, Detail: detail, Compare: c}
}

// fixtures has one Result per status, the golden files' inputs, and a
// detached rollout between two runs.
func fixtures() map[string]outcome.Result {
	promoted := base()
	promoted.Status = outcome.Promoted
	promoted.Strategy = "steps 10,50,100 every 1m"
	promoted.AliasState = "prod serves 7 with no weights"
	promoted.Timeline = []outcome.Event{
		{At: t0.Add(5 * time.Second), Weight: 10, Note: "shifted", Gates: []outcome.Gate{alarm(true), rate(0, 0)}},
		{At: t0.Add(65 * time.Second), Weight: 50, Note: "shifted", Gates: []outcome.Gate{alarm(true), rate(1, 212)}},
		{At: t0.Add(125 * time.Second), Weight: 100, Note: "promoted", Gates: []outcome.Gate{alarm(true), rate(2, 1180)}},
	}

	canary := base()
	canary.Status = outcome.Canary
	canary.Version = "6"
	canary.TrafficWeight = 10
	canary.Strategy = "traffic-weight 10"
	canary.AliasState = "prod serves 6 on 90% and 7 on 10%"
	canary.Next = "finish the canary or undo it: start the workflow again with one of these inputs (a re-run would reuse this run's inputs)"
	canary.NextCode = "# either finish: all traffic on 7\nversion: \"7\"\ntraffic-weight: 100\n# or undo: all traffic back on 6\nrollback: true"
	canary.Timeline = []outcome.Event{
		{At: t0.Add(30 * time.Second), Weight: 0, Note: "smoke test passed", Gates: []outcome.Gate{{Kind: outcome.GateSmoke, Name: "smoke test", OK: true, Detail: "200 in 84ms"}}},
		{At: t0.Add(40 * time.Second), Weight: 10, Note: "shifted", Gates: []outcome.Gate{alarm(true), rate(0, 0)}},
		{At: t0.Add(125 * time.Second), Weight: 10, Note: "holds", Gates: []outcome.Gate{alarm(true), rate(0, 57)}},
	}

	detached := canary
	detached.Strategy = "Linear10PercentEvery10Minutes"
	detached.TrafficWeight = 20
	detached.AliasState = "prod serves 6 on 80% and 7 on 20%"
	detached.Next = "the scheduled workflow takes the next step; to stop the rollout now, run it with this input"
	detached.NextCode = "rollback: true"
	detached.NextStepAt = t0.Add(12*time.Minute + 5*time.Second)
	detached.Timeline = []outcome.Event{
		{At: t0.Add(5 * time.Second), Weight: 20, Note: "shifted", Gates: []outcome.Gate{alarm(true), rate(0, 96)}},
	}

	unchanged := base()
	unchanged.Status = outcome.Unchanged
	unchanged.PreviousVersion = "7"
	unchanged.Finished = t0.Add(4 * time.Second)

	rolledBack := base()
	rolledBack.Status = outcome.RolledBack
	rolledBack.Version = "6"
	rolledBack.TrafficWeight = 0
	rolledBack.Strategy = "Canary10Percent5Minutes"
	rolledBack.Error = "alarm orders-api-5xx went to ALARM at 10% (Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0))"
	rolledBack.AliasState = "prod serves 6 with no weights"
	rolledBack.Next = "version 7 takes no traffic; read its logs and the alarm (linked below), fix it and promote again"
	rolledBack.Timeline = []outcome.Event{
		{At: t0.Add(20 * time.Second), Weight: 10, Note: "shifted", Gates: []outcome.Gate{alarm(true), rate(0, 212)}},
		{At: t0.Add(80 * time.Second), Weight: 10, Note: "healthy", Gates: []outcome.Gate{alarm(true), rate(1, 498)}},
		{At: t0.Add(140 * time.Second), Weight: 10, Note: "gate failed", Gates: []outcome.Gate{alarm(false), rate(31, 740)}},
		{At: t0.Add(141 * time.Second), Weight: 0, Note: "rolled back"},
	}

	failed := base()
	failed.Status = outcome.Failed
	failed.Version = "6"
	failed.TrafficWeight = 0
	failed.Checks[1] = outcome.Check{
		Name:   "stage variable",
		Detail: `stage prod has lambdaAlias = "dev", want "prod"`,
		Fix:    "aws apigateway update-stage --rest-api-id a1b2c3d4e5 --stage-name prod \\\n  --patch-operations op=replace,path=/variables/lambdaAlias,value=prod",
	}
	failed.Error = "preflight: 1 check failed: stage variable"
	failed.AliasState = "prod serves 6 with no weights; nothing was changed"
	failed.Next = "run the fix below, then run the workflow again"
	failed.Finished = t0.Add(3 * time.Second)

	dryRun := base()
	dryRun.Status = outcome.DryRun
	dryRun.Version = "6"
	dryRun.NewVersion = "7"
	dryRun.TrafficWeight = 0
	dryRun.Strategy = "steps 10,50,100 every 1m"
	dryRun.Plan = []string{
		"publish version 7 from $LATEST (code changed)",
		"shift prod: 10% on 7, wait 1m, check alarms orders-api-5xx",
		"shift prod: 50% on 7, wait 1m, check alarms orders-api-5xx",
		"move prod to 7 with no weights",
	}
	dryRun.Finished = t0.Add(2 * time.Second)

	// Paths around the alias, refused by require-alias-traffic.
	bypassed := base()
	bypassed.Status = outcome.Failed
	bypassed.Version = "6"
	bypassed.TrafficWeight = 0
	bypassed.Error = "require-alias-traffic: event source mapping SQS queue orders-legacy (mapping 0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e) invokes $LATEST (unqualified ARN), not alias prod, so the canary and the gates do not see its traffic; its fix is under \"What calls this function\" in the summary and in the warning above\n" +
		"require-alias-traffic: function URL https://abcdefghij.lambda-url.eu-west-1.on.aws/ invokes $LATEST (unqualified ARN), not alias prod, so the canary and the gates do not see its traffic; its fix is under \"What calls this function\" in the summary and in the warning above\n" +
		"require-alias-traffic: resource-policy grants: not checked (AccessDenied on lambda:GetPolicy), so a path around alias prod cannot be ruled out; grant that action to the job's role (see the README's permissions) or set require-alias-traffic: false"
	bypassed.AliasState = "prod still serves 6; nothing was changed"
	bypassed.Next = "point each path at the alias with the commands in the warnings above, also under \"What calls this function\" in the summary (or set require-alias-traffic: false to let them be warnings), then run the workflow again"
	bypassed.Paths = append(bypassed.Paths,
		outcome.Path{Function: "orders-api", Kind: outcome.PathMapping, Source: "SQS queue orders-legacy (mapping 0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e)", Invokes: "$LATEST (unqualified ARN)", Bypass: true, Detail: "state Enabled",
			Fixes: []outcome.Fix{{Choice: "point the mapping at the alias", Commands: "aws lambda update-event-source-mapping --uuid 0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e --function-name orders-api:prod"}}},
		outcome.Path{Function: "orders-api", Kind: outcome.PathURL, Source: "https://abcdefghij.lambda-url.eu-west-1.on.aws/", Invokes: "$LATEST (unqualified ARN)", Bypass: true, Detail: "auth type AWS_IAM",
			Fixes: []outcome.Fix{
				{Choice: "serve the URL from the alias", Commands: "aws lambda create-function-url-config --function-name orders-api --qualifier prod --auth-type AWS_IAM\n# the alias's URL has an address of its own (create-function-url-config prints it): move the clients to it, then\naws lambda delete-function-url-config --function-name orders-api"},
				{Choice: "delete the URL, if nothing calls it", Commands: "aws lambda delete-function-url-config --function-name orders-api"},
			}},
		outcome.Path{Function: "orders-api", Kind: outcome.PathMapping, Source: "Kinesis stream orders-audit (mapping 7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910)", Invokes: "orders-api:dev (another alias)", Detail: "state Enabled"},
	)
	bypassed.PathsNotChecked = []string{"resource-policy grants: not checked (AccessDenied on lambda:GetPolicy)"}
	bypassed.Finished = t0.Add(3 * time.Second)

	// A canary judged against the stable version: it cannot tell yet at
	// the end of the bake, holds, and is worse at the next look.
	compared := base()
	compared.Status = outcome.RolledBack
	compared.Version = "6"
	compared.TrafficWeight = 0
	compared.Strategy = "Canary10Percent5Minutes"
	held := comparison(0, compare.Sample{Errors: 4, Invocations: 410, P99: 212.4, HasP99: true}, compare.Sample{Errors: 17, Invocations: 3690, P99: 198.7, HasP99: true})
	worse := comparison(1, compare.Sample{Errors: 15, Invocations: 1230, P99: 224.9, HasP99: true}, compare.Sample{Errors: 52, Invocations: 11070, P99: 201.3, HasP99: true})
	compared.Error = "health gate failed: comparison: " + worse.Detail
	compared.AliasState = "prod serves 6 with no weights"
	compared.Next = "version 7 takes no traffic; read its logs (linked below), fix it and promote again"
	compared.Finished = t0.Add(7*time.Minute + 10*time.Second)
	compared.Timeline = []outcome.Event{
		{At: t0.Add(20 * time.Second), Weight: 10, Note: "10% on 7", Gates: []outcome.Gate{alarm(true)}},
		{At: t0.Add(6*time.Minute + 2*time.Second), Weight: 10, Note: "held: the comparison cannot tell yet; judged again at 02:07:02 UTC (2 of 3)", Gates: []outcome.Gate{alarm(true), held}},
		{At: t0.Add(7*time.Minute + 5*time.Second), Weight: 10, Note: "gate failed", Gates: []outcome.Gate{alarm(true), worse}},
		{At: t0.Add(7*time.Minute + 6*time.Second), Weight: 0, Note: "rolled back"},
	}

	return map[string]outcome.Result{
		"bypassed":    bypassed,
		"compared":    compared,
		"promoted":    promoted,
		"canary":      canary,
		"detached":    detached,
		"unchanged":   unchanged,
		"rolled-back": rolledBack,
		"failed":      failed,
		"dry-run":     dryRun,
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for name, r := range fixtures() {
		for kind, render := range map[string]func(outcome.Result, Run) string{
			"summary": Summary,
			"comment": Comment,
		} {
			t.Run(name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				golden(t, filepath.Join("testdata", name+"."+kind+".golden"), render(r, testRun))
			})
		}
	}
}

// golden compares got with the file at path, or rewrites the file with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// TestGoldenStatuses makes sure every status has a fixture.
func TestGoldenStatuses(t *testing.T) {
	t.Parallel()
	f := fixtures()
	for _, s := range []outcome.Status{outcome.Promoted, outcome.Canary, outcome.Unchanged, outcome.RolledBack, outcome.Failed, outcome.DryRun} {
		r, ok := f[string(s)]
		if !ok || r.Status != s {
			t.Errorf("no fixture for status %q", s)
		}
	}
}

const evil = "</details><img src=x onerror=alert(1)> @octocat | col | ` ``` \n# heading\r\n<!-- x --> [link](javascript:alert(1)) *bold* ~~gone~~ $x$ \u202eevil &amp; #12 "

// TestMaliciousInput renders attacker-controlled text everywhere a Result
// carries text and checks that none of it escapes its place.
func TestMaliciousInput(t *testing.T) {
	t.Parallel()
	r := fixtures()["failed"]
	r.FunctionName = "fn<!-- x -->" + evil
	r.Alias = "prod-->" + evil
	r.Strategy = evil
	r.NewVersion = evil
	r.PreviousVersion = evil
	r.APIID = evil
	r.Stage = evil
	r.StageURL = "https://example.com/prod) <img src=x>|`"
	r.Error = evil
	r.AliasState = evil
	r.Next = evil
	r.Checks = append(r.Checks, outcome.Check{Name: evil, Detail: evil, Fix: evil + "\n```\n" + evil})
	r.NextCode = evil + "\n```\n" + evil
	r.Plan = []string{evil, "1. " + evil}
	r.Timeline = []outcome.Event{
		{At: t0, Weight: 10, Note: evil, Gates: []outcome.Gate{
			{Kind: outcome.GateAlarm, Name: evil, Detail: evil},
			{Kind: outcome.GateErrorRate, Name: evil, Detail: evil, Errors: 3, Invocations: 7, Rate: percent.Of(3, 7), Max: 2},
			{Name: evil, Detail: evil},
			{Kind: outcome.GateCompare, Name: evil, Detail: evil, Compare: &outcome.Comparison{
				New: outcome.Side{Version: evil, Errors: 1, Invocations: 2}, Stable: outcome.Side{Version: evil}, Verdict: evil, Call: evil, Why: evil,
			}},
		}},
		{At: t0.Add(time.Minute), Weight: 0, Note: evil},
	}
	r.NextStepAt = t0.Add(time.Hour)
	run := Run{ServerURL: "javascript:alert(1)//", Repository: "acme/" + evil, ID: 1, SHA: evil, Actor: evil, TriggeringActor: "@" + evil}

	for _, status := range []outcome.Status{outcome.Failed, outcome.DryRun, outcome.Canary, outcome.RolledBack} {
		r.Status = status
		for kind, md := range map[string]string{
			"summary": Summary(r, run),
			"comment": Comment(r, run),
		} {
			t.Run(string(status)+"/"+kind, func(t *testing.T) {
				t.Parallel()
				checkSafe(t, md, kind == "comment")
				checkStructure(t, md)
			})
		}
	}
}

// checkSafe fails when md carries raw HTML, a mention, a comment other than a
// leading marker, an unescaped backtick outside code blocks, or a table row
// with the wrong number of cells.
func checkSafe(t *testing.T, md string, marker bool) {
	t.Helper()
	body := md
	if marker {
		first, rest, _ := strings.Cut(md, "\n")
		if !strings.HasPrefix(first, "<!-- lambda-promote:") || strings.Count(first, "-->") != 1 || !strings.HasSuffix(first, " -->") {
			t.Errorf("first line is not one marker: %q", first)
		}
		body = rest
	}
	prose := withoutCodeBlocks(t, body)
	for _, bad := range []string{"<img", "<!--", "-->", "@octocat", "#12", "\u202e", "\r"} {
		if strings.Contains(prose, bad) {
			t.Errorf("output outside code blocks contains %q:\n%s", bad, md)
		}
	}
	for _, m := range linkDest.FindAllStringSubmatch(prose, -1) {
		if !strings.HasPrefix(m[2], "https://") {
			t.Errorf("output has a link to %q", m[2])
		}
	}
	allowedTags := regexp.MustCompile(`<details><summary>|</summary>|</details>`)
	if s := allowedTags.ReplaceAllString(prose, ""); strings.ContainsAny(s, "<>") {
		t.Errorf("output outside code blocks contains < or >:\n%s", md)
	}
	if n := unescaped(prose, '`'); n > 0 {
		t.Errorf("output outside code blocks has %d unescaped backticks:\n%s", n, md)
	}
	var cells int
	for _, line := range strings.Split(prose, "\n") {
		if !strings.HasPrefix(line, "|") {
			cells = 0
			continue
		}
		n := unescaped(line, '|') - 1
		if cells == 0 {
			cells = n
		}
		if n != cells || !strings.HasSuffix(line, " |") && !strings.HasSuffix(line, "|") {
			t.Errorf("table row has %d cells, want %d: %q", n, cells, line)
		}
	}
}

// linkDest matches the destination of a markdown link or image.
var linkDest = regexp.MustCompile(`(^|[^\\])\]\(([^)\s]*)`)

// withoutCodeBlocks removes fenced code blocks, failing if one is not closed
// by a fence at least as long as its opening.
func withoutCodeBlocks(t *testing.T, md string) string {
	t.Helper()
	var out []string
	fence := ""
	for _, line := range strings.Split(md, "\n") {
		if fence == "" {
			if strings.HasPrefix(line, "```") {
				fence = line[:strings.LastIndex(line, "`")+1]
				fence = fence[:len(fence)-len(strings.TrimLeft(fence, "`"))]
				continue
			}
			out = append(out, line)
			continue
		}
		if strings.TrimRight(line, " ") == fence || strings.HasPrefix(line, fence) && strings.Trim(line, "`") == "" {
			fence = ""
		}
	}
	if fence != "" {
		t.Errorf("code block opened with %s is never closed", fence)
	}
	return strings.Join(out, "\n")
}

// unescaped counts occurrences of c not preceded by an odd number of
// backslashes.
func unescaped(s string, c byte) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] != c {
			continue
		}
		bs := 0
		for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
			bs++
		}
		if bs%2 == 0 {
			n++
		}
	}
	return n
}

func TestSummaryHugeTimeline(t *testing.T) {
	t.Parallel()
	r := fixtures()["rolled-back"]
	const rows = 100_000
	r.Timeline = make([]outcome.Event, rows)
	for i := range r.Timeline {
		r.Timeline[i] = outcome.Event{
			At:     t0.Add(time.Duration(i) * time.Second),
			Weight: percent.Percent(i%100) + 0.5,
			Note:   strings.Repeat("note ", 200),
			Gates:  []outcome.Gate{{Name: "orders-api-5xx", OK: true, Detail: strings.Repeat("d", 1000)}},
		}
	}
	r.Timeline[0].Note = "first row"
	r.Timeline[rows-1].Note = "last row"
	r.Error = strings.Repeat("e", 1<<20)
	r.Next = strings.Repeat("n", 1<<20)

	md := Summary(r, testRun)
	if len(md) > summaryBudget {
		t.Errorf("summary is %d bytes, want at most %d", len(md), summaryBudget)
	}
	for _, want := range []string{"first row", "last row", "rows left out", "…"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary does not contain %q", want)
		}
	}
	checkSafe(t, md, false)
}

func TestSummaryTimelineShownOnlyWithSeveralEvents(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		events int
		want   bool
	}{{0, false}, {1, false}, {2, true}} {
		r := base()
		r.Status = outcome.Promoted
		for i := range tc.events {
			r.Timeline = append(r.Timeline, outcome.Event{At: t0.Add(time.Duration(i) * time.Minute), Weight: 100})
		}
		if got := strings.Contains(Summary(r, Run{}), "Traffic timeline"); got != tc.want {
			t.Errorf("%d events: timeline shown = %v, want %v", tc.events, got, tc.want)
		}
	}
}

func TestEscape(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"orders-api", "orders-api"},
		{"a|b", `a\|b`},
		{"<img src=x>", "&lt;img src=x&gt;"},
		{"a & b", "a &amp; b"},
		{"`code`", "\\`code\\`"},
		{"*x* _y_ ~z~", `\*x\* \_y\_ \~z\~`},
		{"[t](u) ![i](u)", `\[t\](u) \!\[i\](u)`},
		{"@octocat hi", "@\u200boctocat hi"},
		{"mail a@b.c", "mail a@\u200bb.c"},
		{"@ alone", "@ alone"},
		{"see #12", "see #\u200b12"},
		{"# title", `\# title`},
		{"- item", `\- item`},
		{"+ item", `\+ item`},
		{"1. item", `1\. item`},
		{"2) item", `2\) item`},
		{"v1.2-3", "v1.2-3"},
		{"line1\nline2\r\n\tline3", "line1 line2 line3"},
		{"  padded  ", "padded"},
		{"$LATEST", `\$LATEST`},
		{`back\slash`, `back\\slash`},
		{"bidi\u202etxt\x00\x1b", "biditxt"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{evil, "@a", "#1", "1. x", "a|b", "`", "<!--", "\n\n- x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Escape(s)
		if strings.ContainsAny(got, "<>\n\r") {
			t.Errorf("Escape(%q) = %q has < > or a newline", s, got)
		}
		if unescaped(got, '|') > 0 || unescaped(got, '`') > 0 {
			t.Errorf("Escape(%q) = %q has an unescaped | or `", s, got)
		}
		if regexp.MustCompile(`[@#][\pL\pN_-]`).MatchString(got) {
			t.Errorf("Escape(%q) = %q has a mention or reference", s, got)
		}
	})
}

func TestCodeBlock(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"aws x", "```sh\naws x\n```\n"},
		{"a\n```\nb", "````sh\na\n```\nb\n````\n"},
		{"a\r\nb\n\n", "```sh\na\nb\n```\n"},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, codeBlock(tc.in, "sh")); diff != "" {
			t.Errorf("codeBlock(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestMarker(t *testing.T) {
	t.Parallel()
	tests := []struct{ function, alias, want string }{
		{"orders-api", "prod", "<!-- lambda-promote:orders-api:prod -->"},
		{"my_fn", "$LATEST", "<!-- lambda-promote:my_fn:$LATEST -->"},
		{"fn<!-- x -->", "prod", "<!-- lambda-promote:fn%3C%21%2D-%20x%20%2D%2D%3E:prod -->"},
		{"a:b", "c", "<!-- lambda-promote:a%3Ab:c -->"},
		{"a", "b:c", "<!-- lambda-promote:a:b%3Ac -->"},
		{"a--", "b->", "<!-- lambda-promote:a%2D-:b%2D%3E -->"},
		{"100%", "x", "<!-- lambda-promote:100%25:x -->"},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		got := Marker(tc.function, tc.alias)
		if got != tc.want {
			t.Errorf("Marker(%q, %q) = %q, want %q", tc.function, tc.alias, got, tc.want)
		}
		if inner := strings.TrimSuffix(strings.TrimPrefix(got, "<!--"), "-->"); strings.Contains(inner, "--") || strings.ContainsAny(inner, "<>\n") {
			t.Errorf("Marker(%q, %q) = %q can end the comment early", tc.function, tc.alias, got)
		}
		if seen[got] {
			t.Errorf("Marker(%q, %q) = %q is shared with another pair", tc.function, tc.alias, got)
		}
		seen[got] = true
	}
	if m, other := Marker("fn", "prod"), Marker("fn", "prod2"); strings.Contains(other, m) {
		t.Errorf("%q contains %q", other, m)
	}
}

func TestCommentStartsWithMarker(t *testing.T) {
	t.Parallel()
	for name, r := range fixtures() {
		if got := Comment(r, testRun); !strings.HasPrefix(got, Marker(r.FunctionName, r.Alias)+"\n") {
			t.Errorf("%s: comment does not start with the marker:\n%s", name, got)
		}
	}
}

func TestSafeURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions/f/aliases/prod", "https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions/f/aliases/prod"},
		{"https://x.example/a b(c)|d", "https://x.example/a%20b%28c%29%7Cd"},
		{"https://x.example/a)b(", "https://x.example/a%29b%28"},
		{"https://x.example/#g=~(a~'b)", "https://x.example/#g=~(a~'b)"},
		{"https://user:pw@x.example/", ""},
		{"https://", ""},
		{"javascript:alert(1)", ""},
		{"/relative", ""},
		{"", ""},
	}
	for _, tc := range tests {
		if got := safeURL(tc.in); got != tc.want {
			t.Errorf("safeURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNoteLeavesOutTheError(t *testing.T) {
	t.Parallel()
	const e = "health gate failed: error rate: 5 errors / 10 invocations = 50.00% > 2.00%"
	for _, tc := range []struct{ note, err, want string }{
		{"rolled back: " + e, e, "rolled back (see Error)"},
		{e, e, "see Error"},
		{"shifted", e, "shifted"},
		{"rolled back: x", "", "rolled back: x"},
	} {
		if got := note(tc.note, tc.err); got != tc.want {
			t.Errorf("note(%q, %q) = %q, want %q", tc.note, tc.err, got, tc.want)
		}
	}
}
