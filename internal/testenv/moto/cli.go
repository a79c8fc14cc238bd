package moto

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// RunCLI runs command, POSIX shell command lines such as a fix the action
// prints (`aws lambda add-permission …`), with sh -e -c and the environment
// that points the AWS CLI at this server, and returns what it printed. A
// command that exits non-zero is an error that carries its output; with
// -e, so is a fix of several lines whose line before the last fails (the
// lines after it do not run).
func (s *Server) RunCLI(ctx context.Context, command string) (string, error) {
	return s.RunCLIAt(ctx, s.URL, "", command)
}

// RunCLIAt is RunCLI with the AWS CLI pointed at endpoint (such as a fault
// proxy in front of this server, so that its requests meet what the
// action's met), run in directory dir ("" for the current one), with env
// added last (credentials of the caller's own, say).
func (s *Server) RunCLIAt(ctx context.Context, endpoint, dir, command string, env ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "sh", "-e", "-c", command)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), s.Env()...)
	cmd.Env = append(cmd.Env, "AWS_ENDPOINT_URL="+endpoint, "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s: %w\n%s", command, err, out.String())
	}
	return out.String(), nil
}

// RequireCLI skips the test when the AWS CLI is not installed, or fails it
// under CI=true, as a missing moto does.
func RequireCLI(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the AWS CLI (aws) is required in CI: %v", err)
		}
		t.Skipf("skipping: the AWS CLI (aws) is not installed: %v", err)
	}
}
