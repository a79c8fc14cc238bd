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
	r := run{
		start: start, exit: start.Add(2500 * time.Millisecond),
		records: []faultproxy.Record{
			lambda("GetFunctionConfiguration"), lambda("GetAlias"), lambda("GetPolicy"), lambda("UpdateAlias"),
			{Op: faultproxy.Op{Service: "apigateway", Name: "GetStage"}},
		},
		stats: faultproxy.RealismStats{
			Throttled: 1,
			Seconds: []faultproxy.SecondCount{
				{Start: start, ControlPlane: 2, GetPolicy: 1},
				{Start: start.Add(time.Second), ControlPlane: 3},
			},
			BusiestSecond: faultproxy.SecondCount{Start: start.Add(time.Second), ControlPlane: 3},
		},
	}
	got := measure(r)
	want := runResult{
		WallMS: 2500, Requests: 5, Lambda: 4, ControlPlane: 3,
		ByOp:                map[string]int{"lambda.GetFunctionConfiguration": 1, "lambda.GetAlias": 1, "lambda.GetPolicy": 1, "lambda.UpdateAlias": 1, "apigateway.GetStage": 1},
		BusiestControlPlane: 3, BusiestLambda: 3, BusiestAtMS: 1000, Throttled: 1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("measure (-want +got):\n%s", diff)
	}
}

// The goals are judged from the figures: each can be missed.
func TestGoals(t *testing.T) {
	t.Parallel()
	run := func(wall float64, lambda, busiest, throttled int, byOp map[string]int) runResult {
		return runResult{WallMS: wall, Lambda: lambda, BusiestControlPlane: busiest, Throttled: throttled, ByOp: byOp}
	}
	single := map[string]int{"lambda.GetAlias": 1, "lambda.UpdateAlias": 1}
	cases := []*caseRuns{
		{functions: 1, plan: plan{name: allAtOnce}, runs: []runResult{run(2000, 2, 2, 0, single)}},
		// 20 Lambda requests at 10/s: bound 1.2 × 2 s + 2 s = 4.4 s.
		{functions: 10, plan: plan{name: allAtOnce}, runs: []runResult{run(4000, 20, 10, 0, map[string]int{"lambda.GetAlias": 10, "lambda.UpdateAlias": 10})}},
		{functions: 50, plan: plan{name: allAtOnce}, runs: []runResult{run(20000, 110, 11, 2, map[string]int{"lambda.GetAlias": 60, "lambda.UpdateAlias": 50})}},
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
		"1 function, all-at-once: busiest second":                 true,
		"1 function, all-at-once: 429 answered":                   true,
		"10 functions, all-at-once: busiest second":               true,
		"10 functions, all-at-once: 429 answered":                 true,
		"10 functions, all-at-once: time":                         true,
		"10 functions, all-at-once: requests per function":        true,
		"50 functions, all-at-once: busiest second":               false,
		"50 functions, all-at-once: 429 answered":                 false,
		"50 functions, all-at-once: time":                         false, // 20 s > 1.2 × 11 s + 2 s
		"50 functions, all-at-once: requests per function":        false, // 10 GetAlias beyond
		"cancelled release of 50: SIGINT → last alias moved back": false,
		"cancelled release of 50: aliases back on stable":         false,
	}
	if diff := cmp.Diff(want, met); diff != "" {
		t.Errorf("goals met (-want +got):\n%s", diff)
	}
	if got := res.Cases[2].Beyond; !cmp.Equal(got, map[string]int{"lambda.GetAlias": 10}) {
		t.Errorf("requests beyond 50 × one: %v, want 10 GetAlias", got)
	}
	if got := res.Cases[1].BoundMS; got != 4400 {
		t.Errorf("time bound of 10 functions: %v ms, want 4400", got)
	}
	for _, out := range []string{res.text(), res.markdown()} {
		if !strings.Contains(out, "| MISSED |") && !strings.Contains(out, "MISSED  50 functions, all-at-once: time") {
			t.Errorf("the table does not say what was missed:\n%s", out)
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
