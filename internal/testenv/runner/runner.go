// Package runner sets up a run of the action the way the GitHub runner starts
// a container action: the GITHUB_* variables with the output, summary and
// event files, and an INPUT_* variable for every input of action.yml, its
// default unless given. The end-to-end tests and the benchmark run the built
// binary with it.
package runner

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lambda-promote/lambda-promote/internal/config"
)

// Step is where one run's files are.
type Step struct {
	Output  string // GITHUB_OUTPUT
	Summary string // GITHUB_STEP_SUMMARY
	Event   string // GITHUB_EVENT_PATH
}

// Env creates the step's files in dir (an empty output and summary file, a
// push event) and returns the variables the runner would set. Comment and
// deployment are off unless given, and github-token is empty, so no GitHub
// is reached by default; GITHUB_API_URL points where nothing listens.
func Env(dir string, inputs map[string]string) ([]string, Step, error) {
	st := Step{
		Output:  filepath.Join(dir, "output"),
		Summary: filepath.Join(dir, "summary"),
		Event:   filepath.Join(dir, "event.json"),
	}
	files := map[string]string{st.Output: "", st.Summary: "", st.Event: `{"ref":"refs/heads/main"}`}
	for path, content := range files {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return nil, Step{}, err
		}
	}
	env := []string{
		"GITHUB_ACTIONS=true",
		"GITHUB_OUTPUT=" + st.Output,
		"GITHUB_STEP_SUMMARY=" + st.Summary,
		"GITHUB_EVENT_PATH=" + st.Event,
		"GITHUB_EVENT_NAME=push",
		"GITHUB_REPOSITORY=acme/orders",
		"GITHUB_SHA=0123456789abcdef0123456789abcdef01234567",
		"GITHUB_RUN_ID=42",
		// The runner sets these in every step, and the action reads them
		// (the run's link, who started it); act runs showed them missing
		// here (internal/testenv/act).
		"GITHUB_RUN_ATTEMPT=1",
		"GITHUB_ACTOR=octocat",
		"GITHUB_TRIGGERING_ACTOR=octocat",
		"GITHUB_SERVER_URL=https://github.com",
		"GITHUB_API_URL=http://127.0.0.1:1/api/v3",
	}
	given := map[string]string{config.InComment: "false", config.InDeployment: "false"}
	maps.Copy(given, inputs)
	declared := map[string]bool{}
	for _, in := range config.Inputs() {
		declared[in.Name] = true
		v := in.Default
		if in.ActionDefault != "" {
			v = "" // ${{ github.token }} is empty unless given
		}
		if g, ok := given[in.Name]; ok {
			v = g
		}
		env = append(env, config.ActionEnv(in.Name)+"="+v)
	}
	// An input action.yml does not declare reaches the action all the
	// same, as the runner passes every with: key (and warns "Unexpected
	// input(s)") and act does: the action must not read it.
	for _, name := range slices.Sorted(maps.Keys(inputs)) {
		if !declared[name] {
			env = append(env, config.ActionEnv(name)+"="+inputs[name])
		}
	}
	return env, st, nil
}

// ParseOutputs reads a GITHUB_OUTPUT file: name=value lines and
// name<<DELIMITER blocks. A value may be of any length (no line limit, as
// the runner has none).
func ParseOutputs(s string) map[string]string {
	out := map[string]string{}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		if name, delim, ok := strings.Cut(lines[i], "<<"); ok {
			var val []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				val = append(val, lines[i])
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		if name, val, ok := strings.Cut(lines[i], "="); ok {
			out[name] = val
		}
	}
	return out
}
