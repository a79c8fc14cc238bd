package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
)

// The bench's own arithmetic, parsing and judging; no timing is asserted.

func TestBeyond(t *testing.T) {
	t.Parallel()
	one := map[string]int{"lambda.GetAlias": 1, "lambda.GetFunctionConfiguration": 4, "apigateway.GetStage": 1}
	for _, tc := range []struct {
		name string
		got  map[string]int
		want map[string]int
	}{
		{"equal", map[string]int{"lambda.GetAlias": 10, "lambda.GetFunctionConfiguration": 40, "apigateway.GetStage": 1}, nil},
		{"fewer", map[string]int{"lambda.GetAlias": 10, "lambda.GetFunctionConfiguration": 20}, nil},
		{"retries and a new operation", map[string]int{"lambda.GetAlias": 13, "lambda.UpdateAlias": 2},
			map[string]int{"lambda.GetAlias": 3, "lambda.UpdateAlias": 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, beyond(tc.got, one, 10)); diff != "" {
				t.Errorf("beyond (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseFunctions(t *testing.T) {
	t.Parallel()
	got, err := parseFunctions(`[{"function":"a","alias-arn":"arn:a:prod","version":"3","previous-version":"2","status":"promoted","traffic-weight":"100"},` +
		`{"function":"b","version":"2","previous-version":"2","status":"rolled-back","traffic-weight":"0","error":"x"}]`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]functionOutput{
		"a": {Function: "a", Version: "3", Previous: "2", Status: "promoted", TrafficWeight: "100"},
		"b": {Function: "b", Version: "2", Previous: "2", Status: "rolled-back", TrafficWeight: "0"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseFunctions (-want +got):\n%s", diff)
	}
	if _, err := parseFunctions(""); err == nil {
		t.Error("parseFunctions of an empty output: no error")
	}
}

func TestFirstStepWeight(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		steps string
		want  float64
		ok    bool
	}{
		{"10,50,100", 0.1, true},
		{"2.5,100", 0.025, true},
		{"100", 0, false},
		{"", 0, false},
	} {
		got, err := firstStepWeight(tc.steps)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("firstStepWeight(%q) = %v, %v; want %v, ok %t", tc.steps, got, err, tc.want, tc.ok)
		}
	}
}

func TestNewWeight(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body string
		want float64
		ok   bool
	}{
		{`{"FunctionVersion":"3","RoutingConfig":{"AdditionalVersionWeights":{"4":0.1}}}`, 0.1, true},
		{`{"FunctionVersion":"3","RoutingConfig":{"AdditionalVersionWeights":{}}}`, 0, false},
		{`{"FunctionVersion":"3"}`, 0, false},
		{`not json`, 0, false},
	} {
		got, ok := newWeight([]byte(tc.body))
		if ok != tc.ok || got != tc.want {
			t.Errorf("newWeight(%s) = %v, %t; want %v, %t", tc.body, got, ok, tc.want, tc.ok)
		}
	}
}

func TestMeasure(t *testing.T) {
	t.Parallel()
	start := time.Unix(1000, 0)
	lambda := func(name string) faultproxy.Record {
		return faultproxy.Record{Op: faultproxy.Op{Service: "lambda", Name: name}}
	}
	throttled := lambda("GetPolicy")
	throttled.Realism = "QuotaExceeded"
	r := run{
		start: start, exit: start.Add(2500 * time.Millisecond), load1: 1.5,
		records: []faultproxy.Record{
			lambda("GetFunction"), lambda("GetFunctionConfiguration"), lambda("GetAlias"), lambda("GetPolicy"), throttled,
			lambda("UpdateAlias"), lambda("Invoke"),
			{Op: faultproxy.Op{Service: "apigateway", Name: "GetStage"}},
		},
		stats: faultproxy.RealismStats{
			Throttled: 1,
			Seconds: []faultproxy.SecondCount{
				{Start: start, ControlPlane: 2, GetFunction: 1, GetPolicy: 2, Throttled: 1},
				{Start: start.Add(time.Second), ControlPlane: 3},
			},
			BusiestSecond: faultproxy.SecondCount{Start: start.Add(time.Second), ControlPlane: 3},
		},
	}
	got := measure(r)
	want := runResult{
		WallMS: 2500, Load1: 1.5, Requests: 8, Lambda: 7,
		ByOp: map[string]int{"lambda.GetFunction": 1, "lambda.GetFunctionConfiguration": 1, "lambda.GetAlias": 1, "lambda.GetPolicy": 2,
			"lambda.UpdateAlias": 1, "lambda.Invoke": 1, "apigateway.GetStage": 1},
		Quotas: []quotaCount{
			{Quota: "control plane", Requests: 3, Busiest: 3, BusiestAtMS: 1000},
			{Quota: "GetFunction", Requests: 1, Busiest: 1},
			{Quota: "GetPolicy", Requests: 2, Busiest: 2, Throttled: 1},
		},
		BusiestLambda: 5, Throttled: 1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("measure (-want +got):\n%s", diff)
	}
}

// The goals are judged from the figures: each can be missed. The releases
// paced as before are measured, not judged.
func TestGoals(t *testing.T) {
	t.Parallel()
	run := func(wall float64, lambda, cp, gf, gp, busiestCP, busiestGF, throttled int, byOp map[string]int) runResult {
		return runResult{WallMS: wall, Lambda: lambda, Throttled: throttled, ByOp: byOp, Quotas: []quotaCount{
			{Quota: "control plane", Requests: cp, Busiest: busiestCP},
			{Quota: "GetFunction", Requests: gf, Busiest: busiestGF},
			{Quota: "GetPolicy", Requests: gp},
		}}
	}
	single := map[string]int{"lambda.GetAlias": 1, "lambda.UpdateAlias": 1, "lambda.GetFunction": 2}
	all := plan{name: allAtOnce}
	cases := []*caseRuns{
		{functions: 1, plan: all, pacing: oneBucket, runs: []runResult{run(1000, 4, 2, 2, 0, 2, 2, 0, single)}},
		{functions: 1, plan: all, pacing: perQuota, runs: []runResult{run(2000, 4, 2, 2, 0, 2, 2, 0, single)}},
		// One bucket: 40 Lambda requests at 10/s, bound 1.2 × 4 s + 1 s.
		{functions: 10, plan: all, pacing: oneBucket, runs: []runResult{run(9000, 40, 20, 20, 0, 12, 0, 1, map[string]int{"lambda.GetAlias": 12})}},
		// Per quota: 20 control-plane requests at 10/s and 20 GetFunction
		// at 66.7/s: bound 1.2 × 2 s + 2 s = 4.4 s.
		{functions: 10, plan: all, pacing: perQuota, runs: []runResult{run(4000, 40, 20, 20, 0, 10, 20, 0,
			map[string]int{"lambda.GetAlias": 10, "lambda.UpdateAlias": 10, "lambda.GetFunction": 20})}},
		// 1.2 × 11 s + 2 s = 15.2 s < 20 s; 70 GetFunction in a second.
		{functions: 50, plan: all, pacing: perQuota, runs: []runResult{run(20000, 210, 110, 100, 0, 10, 70, 2,
			map[string]int{"lambda.GetAlias": 60, "lambda.UpdateAlias": 50, "lambda.GetFunction": 100})}},
	}
	cancels := []cancelResult{
		{Functions: 50, LastMoveMS: 3400, RollbackMoves: 50, Status: "rolled-back"},
		{Functions: 50, LastMoveMS: 5200, RollbackMoves: 50, Status: "rolled-back", NotBack: []string{"f-007"}},
	}
	res := summarize(cases, cancels, 10, options{n: 1}, time.Unix(0, 0))
	met := map[string]bool{}
	for _, g := range res.Goals {
		met[g.Name] = g.Met
	}
	want := map[string]bool{
		"1 function, all-at-once: busiest second of each quota":   true,
		"1 function, all-at-once: 429 answered":                   true,
		"10 functions, all-at-once: busiest second of each quota": true,
		"10 functions, all-at-once: 429 answered":                 true,
		"10 functions, all-at-once: time":                         true,
		"10 functions, all-at-once: requests per function":        true,
		"50 functions, all-at-once: busiest second of each quota": false, // 70 GetFunction > 66.7
		"50 functions, all-at-once: 429 answered":                 false,
		"50 functions, all-at-once: time":                         false,
		"50 functions, all-at-once: requests per function":        false, // 10 GetAlias beyond
		"cancelled release of 50: SIGINT → last alias moved back": false,
		"cancelled release of 50: aliases back on stable":         false,
	}
	if diff := cmp.Diff(want, met); diff != "" {
		t.Errorf("goals met (-want +got):\n%s", diff)
	}
	if got := res.Cases[4].Beyond; !cmp.Equal(got, map[string]int{"lambda.GetAlias": 10}) {
		t.Errorf("requests beyond 50 × one: %v, want 10 GetAlias", got)
	}
	for i, want := range map[int]float64{2: 5800, 3: 4400, 4: 15200} {
		if got := res.Cases[i].BoundMS; got != want {
			t.Errorf("time bound of %d functions paced %s: %v ms (%s), want %v", res.Cases[i].Functions, res.Cases[i].Pacing, got, res.Cases[i].BoundOf, want)
		}
	}
	for _, out := range []string{res.text(), res.markdown()} {
		if !strings.Contains(out, "| MISSED |") && !strings.Contains(out, "MISSED  50 functions, all-at-once: time") {
			t.Errorf("the table does not say what was missed:\n%s", out)
		}
		for _, pacing := range []string{"one bucket", "per quota"} {
			if !strings.Contains(out, pacing) {
				t.Errorf("the table does not show the releases paced %s:\n%s", pacing, out)
			}
		}
	}
	if !strings.Contains(res.text(), "not back: f-007") {
		t.Errorf("the table does not name the alias left off stable:\n%s", res.text())
	}
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"-sizes", "1,5,20", "-n", "3"}, true},
		{[]string{"-sizes", "10,50"}, false},
		{[]string{"-sizes", "1,50,10"}, false},
		{[]string{"-sizes", "1,x"}, false},
		{[]string{"-n", "0"}, false},
		{[]string{"-cancels", "-1"}, false},
		{[]string{"-interval", "0s"}, false},
	} {
		_, err := parseFlags(tc.args)
		if (err == nil) != tc.ok {
			t.Errorf("parseFlags(%q): %v, want ok %t", tc.args, err, tc.ok)
		}
	}
}
