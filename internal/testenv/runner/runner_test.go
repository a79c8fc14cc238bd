package runner

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseOutputs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file string
		want       map[string]string
	}{
		{"delimited and plain", "status<<ghadelimiter_1\npromoted\nghadelimiter_1\nversion=7\n",
			map[string]string{"status": "promoted", "version": "7"}},
		{"a value of several lines", "functions<<EOF\n[1,\n2]\nEOF\nstatus=canary\n",
			map[string]string{"functions": "[1,\n2]", "status": "canary"}},
		{"a value with = in it", "next=aws lambda update-alias --routing-config AdditionalVersionWeights={}\n",
			map[string]string{"next": "aws lambda update-alias --routing-config AdditionalVersionWeights={}"}},
		{"empty", "", map[string]string{}},
		{"a line longer than bufio.Scanner's 64 KiB", "functions<<EOF\n" + strings.Repeat("x", 100_000) + "\nEOF\n",
			map[string]string{"functions": strings.Repeat("x", 100_000)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, ParseOutputs(tc.file)); diff != "" {
				t.Errorf("ParseOutputs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEnvInputs: every input of action.yml is set, given or its default,
// and a name action.yml does not declare is passed on as the runner and
// act pass it.
func TestEnvInputs(t *testing.T) {
	t.Parallel()
	env, _, err := Env(t.TempDir(), map[string]string{"alias": "prod", "function_name": "orders-api"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"INPUT_ALIAS=prod", "INPUT_FUNCTION-NAME=", "INPUT_STRATEGY=all-at-once", "INPUT_FUNCTION_NAME=orders-api", "GITHUB_ACTOR=octocat", "GITHUB_RUN_ATTEMPT=1"} {
		if !slices.Contains(env, want) {
			t.Errorf("Env lacks %s", want)
		}
	}
}
