package act_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/testenv/act"
	"github.com/lambda-promote/lambda-promote/internal/testenv/container"
)

// The differences between the action's container as act makes it and as
// the runner emulation (container.NewStep and Step.RunArgs) makes it, each
// with the reason it may stay. NOTES-act.md says, for each, which of the
// two matches GitHub's documentation. A difference not listed here fails
// TestAct: it is a new finding, to fix or to write down.
var (
	// onlyAct are variables act sets and the emulation does not.
	onlyAct = map[string]string{
		"ACT":                "act's mark of itself; not a GitHub variable",
		"ImageOS":            "a variable of GitHub's hosted runner images, which act copies; the action does not read it",
		"RUNNER_PERFLOG":     "a variable of the runner's own process, which act copies; the action does not read it",
		"RUNNER_TRACKING_ID": "a variable of the runner's own process, which act copies; the action does not read it",
	}
	// defaultsNotRead are default variables GitHub sets in every step
	// (docs: variables reference) that act sets too, and the emulation
	// leaves out because the action reads none of them.
	defaultsNotRead = []string{
		"GITHUB_ACTION", "GITHUB_ACTION_PATH", "GITHUB_ACTION_REF", "GITHUB_ACTION_REPOSITORY",
		"GITHUB_BASE_REF", "GITHUB_GRAPHQL_URL", "GITHUB_HEAD_REF", "GITHUB_JOB",
		"GITHUB_REF", "GITHUB_REF_NAME", "GITHUB_REF_TYPE", "GITHUB_REPOSITORY_OWNER",
		"GITHUB_RETENTION_DAYS", "GITHUB_RUN_NUMBER", "GITHUB_WORKFLOW",
		"RUNNER_ARCH", "RUNNER_TOOL_CACHE",
	}
	// onlyEmulation are variables the emulation sets and act does not.
	onlyEmulation = map[string]string{
		"HOME":                    "the runner sets HOME=/github/home, its mounted RUNNER_TEMP/_github_home; act leaves the image's (/root)",
		"GITHUB_TRIGGERING_ACTOR": "a default variable GitHub sets (docs: variables reference) and act does not; the summary names the actor who started a re-run with it",
	}
	// valueDiffers are variables both set to values of their own.
	valueDiffers = map[string]string{
		"GITHUB_WORKSPACE":    "/github/workspace on GitHub; act keeps the checkout's host path",
		"GITHUB_EVENT_PATH":   "/github/workflow/event.json on GitHub; act: /var/run/act/workflow/event.json",
		"GITHUB_OUTPUT":       "a file of the step's own on GitHub (/github/file_commands/set_output_GUID); act: one /var/run/act/workflow/outputcmd.txt, emptied before each step",
		"GITHUB_STEP_SUMMARY": "likewise: step_summary_GUID; act: /var/run/act/workflow/SUMMARY.md",
		"GITHUB_ENV":          "likewise: set_env_GUID; act: /var/run/act/workflow/envs.txt",
		"GITHUB_PATH":         "likewise: add_path_GUID; act: /var/run/act/workflow/pathcmd.txt",
		"GITHUB_STATE":        "likewise: save_state_GUID; act: /var/run/act/workflow/statecmd.txt",
		"RUNNER_TEMP":         "the runner's temporary folder on the host (not mounted); act: /tmp in the container",
		"GITHUB_SHA":          "the commit of the run",
		"GITHUB_RUN_ID":       "the run",
		"GITHUB_ACTOR":        "who started the run",
		// runner.Env turns these off unless a test asks for them, so that
		// a test reaches GitHub only on purpose; the runner, act and
		// GitHub's docs use action.yml's default (true).
		"INPUT_COMMENT":    "runner.Env's choice: off unless given",
		"INPUT_DEPLOYMENT": "runner.Env's choice: off unless given",
		// action.yml's default is ${{ github.token }}, which act and the
		// runner evaluate; runner.Env has no token unless a test gives one.
		"INPUT_GITHUB-TOKEN": "runner.Env's choice: no token unless given",
	}
)

// actionContainer is the container act created for `uses: ./`.
func actionContainer(t *testing.T, creates []act.Create) act.Create {
	t.Helper()
	for _, c := range creates {
		if strings.HasPrefix(c.Config.Image, "act-dockeraction:") {
			return c
		}
	}
	t.Fatalf("act created no container of the action's image among %d", len(creates))
	return act.Create{}
}

// compareStep compares the action's container as act created it with the
// step the runner emulation lays out for the same inputs (the step's with:
// block, as act evaluated it) and the same AWS variables: every variable
// either both set, to the same value, or listed above with its reason.
func compareStep(t *testing.T, c act.Create, with map[string]string) {
	t.Helper()
	got := envMap(c.Config.Env)
	var extra []string // what earlier steps and act's flags added
	for k, v := range got {
		if strings.HasPrefix(k, "AWS_") || k == "GITHUB_API_URL" {
			extra = append(extra, k+"="+v)
		}
	}
	step, err := container.NewStep(t.TempDir(), with, extra)
	if err != nil {
		t.Fatal(err)
	}
	ours := envMap(step.Env)
	for _, kv := range []string{"GITHUB_ACTIONS=true", "CI=true"} { // RunArgs' -e NAME=VALUE
		k, v, _ := strings.Cut(kv, "=")
		ours[k] = v
	}

	diffs := compareEnv(got, ours)
	bare := map[string]bool{}
	for _, in := range config.Inputs() {
		bare[in.Name] = true
	}
	for name := range with {
		bare[name] = true
	}
	var unexplained []string
	for _, d := range diffs {
		switch {
		case d.ours == nil && bare[d.name]:
			// act also sets each input under its own name (see NOTES-act.md).
		case d.ours == nil && (onlyAct[d.name] != "" || slices.Contains(defaultsNotRead, d.name)):
		case d.act == nil && onlyEmulation[d.name] != "":
		case d.act != nil && d.ours != nil && valueDiffers[d.name] != "":
		default:
			unexplained = append(unexplained, d.String())
		}
	}
	if len(unexplained) > 0 {
		t.Errorf("act and the runner emulation disagree on the action's environment, and the disagreement is not listed in compare_test.go (fix the emulation or the action, or list it with GitHub's word on it in NOTES-act.md):\n%s", strings.Join(unexplained, "\n"))
	}

	if c.Config.WorkingDir != got["GITHUB_WORKSPACE"] {
		t.Errorf("act's working directory %s is not its GITHUB_WORKSPACE %s", c.Config.WorkingDir, got["GITHUB_WORKSPACE"])
	}
	if len(c.Config.Entrypoint) > 0 || len(c.Config.Cmd) > 0 {
		t.Errorf("act runs the action with entrypoint %q and command %q; the runner, with none (the image's ENTRYPOINT)", c.Config.Entrypoint, c.Config.Cmd)
	}
}

// envDiff is one variable act and the emulation do not agree on; a nil
// value is one not set.
type envDiff struct {
	name      string
	act, ours *string
}

func (d envDiff) String() string {
	show := func(v *string) string {
		if v == nil {
			return "not set"
		}
		return "=" + *v
	}
	return d.name + ": act " + show(d.act) + ", emulation " + show(d.ours)
}

// compareEnv lists the variables set in only one of the two, or to
// different values, by name.
func compareEnv(act, ours map[string]string) []envDiff {
	var out []envDiff
	names := slices.Sorted(maps.Keys(act))
	for k := range ours {
		if _, ok := act[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		a, aok := act[k]
		o, ook := ours[k]
		if aok && ook && a == o {
			continue
		}
		d := envDiff{name: k}
		if aok {
			d.act = &a
		}
		if ook {
			d.ours = &o
		}
		out = append(out, d)
	}
	return out
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v // the last wins, as in exec and docker
	}
	return m
}

// TestCompareEnv: the comparison sees a variable set in one only, a value
// that differs, and nothing else.
func TestCompareEnv(t *testing.T) {
	t.Parallel()
	got := compareEnv(
		map[string]string{"INPUT_ALIAS": "prod", "INPUT_STAGE": "prod", "ONLY_ACT": "1"},
		map[string]string{"INPUT_ALIAS": "prod", "INPUT_STAGE": "dev", "ONLY_OURS": ""},
	)
	var names []string
	for _, d := range got {
		names = append(names, d.String())
	}
	want := []string{"INPUT_STAGE: act =prod, emulation =dev", "ONLY_ACT: act =1, emulation not set", "ONLY_OURS: act not set, emulation ="}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("compareEnv (-want +got):\n%s", diff)
	}
}
