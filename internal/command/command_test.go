package command

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// env is an Env of a step as the runner sets it up, with the given inputs.
type env struct {
	vars           map[string]string
	output, sum    string
	stdout, stderr bytes.Buffer
}

func newEnv(t *testing.T, inputs map[string]string) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{vars: map[string]string{}, output: filepath.Join(dir, "output"), sum: filepath.Join(dir, "summary")}
	for _, p := range []string{e.output, e.sum} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.vars["GITHUB_ACTIONS"] = "true"
	e.vars["GITHUB_OUTPUT"] = e.output
	e.vars["GITHUB_STEP_SUMMARY"] = e.sum
	for _, in := range config.Inputs() {
		e.vars[config.ActionEnv(in.Name)] = in.Default
	}
	e.vars[config.ActionEnv(config.InComment)] = "false"
	e.vars[config.ActionEnv(config.InDeployment)] = "false"
	for k, v := range inputs {
		e.vars[config.ActionEnv(k)] = v
	}
	return e
}

func (e *env) run(t *testing.T, args ...string) error {
	t.Helper()
	return Run(context.Background(), Env{
		Args:    args,
		Getenv:  func(k string) string { return e.vars[k] },
		Stdout:  &e.stdout,
		Stderr:  &e.stderr,
		Version: "v9.9.9",
	})
}

func (e *env) outputs(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(e.output)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Run's ends: exit codes (a nil error is exit 0), outputs and what is shown.
// The AWS SDK reads its settings from the process environment, so this test
// sets it (and is not parallel).
func TestRun(t *testing.T) {
	srv := moto.StartT(t)
	w, err := srv.Demo(t.Context(), "cmd-run")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	// Through a proxy without the realism layer: AWS's API models judge
	// every request of the runs (and the test fails on a mismatch).
	for _, kv := range faultproxy.NewT(t, srv.URL).Env(srv.Env()) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	noRegion := func(*env) {
		os.Unsetenv("AWS_REGION")
		os.Unsetenv("AWS_DEFAULT_REGION")
	}
	tests := []struct {
		name       string
		inputs     map[string]string
		setup      func(*env)
		wantErr    bool
		wantStatus string // in GITHUB_OUTPUT; "" for none written
		wantOut    string // in stdout
	}{
		{
			name:       "bad inputs are each reported and nothing reaches AWS",
			inputs:     map[string]string{"function-name": "", "alias": "123", "steps": "50,10"},
			wantErr:    true,
			wantStatus: "failed",
			wantOut:    `::error::input "alias": "123" is not accepted`,
		},
		{
			name:       "no region: AWS is not reached",
			inputs:     map[string]string{"function-name": "cmd-run", "alias": "prod"},
			setup:      noRegion,
			wantErr:    true,
			wantStatus: "failed",
			wantOut:    "no AWS region",
		},
		{
			name:       "a dry run",
			inputs:     map[string]string{"function-name": w.Function, "alias": w.Alias, "dry-run": "true"},
			wantStatus: "dry-run",
		},
		{
			name:       "a promotion",
			inputs:     map[string]string{"function-name": w.Function, "alias": w.Alias, "api-id": w.RESTAPIID, "stage": w.Stage},
			wantStatus: "promoted",
		},
		{
			name:       "a failed check exits non-zero",
			inputs:     map[string]string{"function-name": w.Function, "alias": "staging", "api-id": w.RESTAPIID, "stage": w.Stage},
			wantErr:    true,
			wantStatus: "failed",
			wantOut:    `check "stage variable" failed`,
		},
		{
			// The log's next step ends on the command it names.
			name:       "a missing function: the log says what to run next",
			inputs:     map[string]string{"function-name": w.Function + "-typo", "alias": w.Alias},
			wantErr:    true,
			wantStatus: "failed",
			wantOut:    "list functions with:\n    aws lambda list-functions --query 'Functions[].FunctionName'\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.inputs)
			if tc.setup != nil {
				t.Setenv("AWS_REGION", srv.Region) // restored after the case
				t.Setenv("AWS_DEFAULT_REGION", srv.Region)
				tc.setup(e)
			}
			err := e.run(t)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Run() error %v, want error %v\nstdout:\n%s", err, tc.wantErr, e.stdout.String())
			}
			if err != nil && !Reported(err) {
				t.Errorf("Run() error %v was not shown to the user", err)
			}
			if got := e.outputs(t); !strings.Contains(got, "status<<") || !strings.Contains(got, "\n"+tc.wantStatus+"\n") {
				t.Errorf("outputs lack status %q:\n%s", tc.wantStatus, got)
			}
			if !strings.Contains(e.stdout.String(), tc.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tc.wantOut, e.stdout.String())
			}
		})
	}
}

// From a terminal: --help and --version end at once with exit 0.
func TestRunFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args       []string
		wantOut    string
		wantStderr string
		wantErr    bool
	}{
		{args: []string{"--version"}, wantOut: "lambda-promote v9.9.9"},
		{args: []string{"--help"}, wantStderr: "Usage: lambda-promote"},
		{args: []string{"--function-name", "f", "stray"}, wantErr: true, wantStderr: `unexpected argument "stray"`},
	} {
		e := &env{vars: map[string]string{}}
		err := e.run(t, tc.args...)
		if (err != nil) != tc.wantErr {
			t.Errorf("%v: error %v, want error %v", tc.args, err, tc.wantErr)
		}
		if !strings.Contains(e.stdout.String(), tc.wantOut) || !strings.Contains(e.stderr.String(), tc.wantStderr) {
			t.Errorf("%v: stdout %q, stderr %q; want %q and %q", tc.args, e.stdout.String(), e.stderr.String(), tc.wantOut, tc.wantStderr)
		}
	}
}
