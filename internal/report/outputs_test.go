package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

func TestOutputs(t *testing.T) {
	t.Parallel()
	r := fixtures()["canary"]
	r.Functions = []outcome.FunctionResult{{
		FunctionName: "orders-api", AliasARN: r.AliasARN, Version: "7", PreviousVersion: "6",
		Status: outcome.Canary, TrafficWeight: 10,
	}}
	r.NextStepAt = time.Date(2026, 11, 30, 12, 5, 0, 0, time.FixedZone("CET", 3600))
	want := []Output{
		{"version", "6"},
		{"previous-version", "6"},
		{"alias-arn", "arn:aws:lambda:eu-west-1:123456789012:function:orders-api:prod"},
		{"status", "canary"},
		{"traffic-weight", "10"},
		{"stage-url", "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod"},
		{"functions", `[{"function":"orders-api","alias-arn":"arn:aws:lambda:eu-west-1:123456789012:function:orders-api:prod","version":"7","previous-version":"6","status":"canary","traffic-weight":"10"}]`},
		{"next-step-at", "2026-11-30T11:05:00Z"},
	}
	if diff := cmp.Diff(want, Outputs(r)); diff != "" {
		t.Errorf("Outputs (-want +got):\n%s", diff)
	}
}

// parseOutputs reads a GITHUB_OUTPUT file the way the runner does.
func parseOutputs(t *testing.T, data string) []Output {
	t.Helper()
	var outs []Output
	lines := strings.Split(data, "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] == "" {
			continue
		}
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("line %d is not in the delimiter form: %q", i+1, lines[i])
		}
		var value []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			value = append(value, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("delimiter %q of %s is never closed", delim, name)
		}
		outs = append(outs, Output{name, strings.Join(value, "\n")})
	}
	return outs
}

func TestWriteOutputs(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "output")
	if err := os.WriteFile(path, []byte("earlier<<EOF\nkept\nEOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	outs := append(Outputs(fixtures()["promoted"]), Output{"multi", "line one\nname<<x\nghadelimiter_\n"})
	if err := WriteOutputs(path, outs); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]Output{{"earlier", "kept"}}, outs...)
	if diff := cmp.Diff(want, parseOutputs(t, string(data))); diff != "" {
		t.Errorf("outputs read back (-want +got):\n%s", diff)
	}
}

func TestWriteOutputsErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name     string
		path     string
		outs     []Output
		contains []string
	}{
		{"not set", "", nil, []string{"GITHUB_OUTPUT is not set"}},
		{"a directory", dir, []Output{{"status", "promoted"}}, []string{"GITHUB_OUTPUT", dir}},
		{"missing folder", filepath.Join(dir, "no", "such"), []Output{{"status", "promoted"}}, []string{"GITHUB_OUTPUT", filepath.Join(dir, "no", "such")}},
		{"bad name", filepath.Join(dir, "out"), []Output{{"a\nb", "x"}}, []string{"invalid output name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := WriteOutputs(tc.path, tc.outs)
			if err == nil {
				t.Fatal("WriteOutputs succeeded, want an error")
			}
			for _, s := range tc.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestAppendSummary(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "summary")
	for _, md := range []string{"# one", "two\n"} {
		if err := AppendSummary(path, md); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("# one\ntwo\n", string(data)); diff != "" {
		t.Errorf("summary file (-want +got):\n%s", diff)
	}

	if err := AppendSummary(path, strings.Repeat("x", SummaryLimit)); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("AppendSummary past the limit: error %v, want one about the limit", err)
	}
	dir := t.TempDir()
	if err := AppendSummary(dir, "x"); err == nil || !strings.Contains(err.Error(), "GITHUB_STEP_SUMMARY ("+dir+")") {
		t.Errorf("AppendSummary to a directory: error %v, want one naming GITHUB_STEP_SUMMARY and the path", err)
	}
	if err := AppendSummary("", "x"); err == nil || !strings.Contains(err.Error(), "GITHUB_STEP_SUMMARY is not set") {
		t.Errorf("AppendSummary without a path: error %v", err)
	}
}

func TestOutputsOrder(t *testing.T) {
	t.Parallel()
	var names []string
	for _, o := range Outputs(outcome.Result{}) {
		names = append(names, o.Name)
	}
	want := []string{"version", "previous-version", "alias-arn", "status", "traffic-weight", "stage-url", "functions"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("output names (-want +got):\n%s", diff)
	}
}
