package moto

import (
	"strings"
	"testing"
)

// A fix of several lines fails at its first failing line, as set -e makes
// it: the lines after it do not run, and the exit code is not the last
// line's.
func TestRunCLIStopsAtAFailingLine(t *testing.T) {
	t.Parallel()
	var s Server // RunCLIAt needs no server to run a shell
	out, err := s.RunCLIAt(t.Context(), "http://127.0.0.1:1", t.TempDir(), "echo first\nfalse\necho after")
	if err == nil {
		t.Fatalf("a failing line in the middle: no error, output %q", out)
	}
	if !strings.Contains(out, "first") || strings.Contains(out, "after") {
		t.Errorf("output %q, want the first line's and not the line's after the failure", out)
	}
}
