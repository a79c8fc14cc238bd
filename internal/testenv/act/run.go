package act

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// Run is one run of act: a workflow file for one event, in a repository.
type Run struct {
	Act      string // the act binary
	Dir      string // the repository (act -C)
	Workflow string // the workflow file (act -W)
	Event    string // push, workflow_dispatch, …
	// EventPath is the event's payload (act -e); act makes one when empty.
	EventPath string
	// DockerHost is the Docker API act uses (DOCKER_HOST).
	DockerHost string
	// Platform is the image act runs ubuntu-latest jobs in.
	Platform string
	Home     string // act's HOME: no ~/.actrc of the caller's is read
	Env      map[string]string
	Vars     map[string]string
	Secrets  map[string]string
	Inputs   map[string]string
	// Flags are more of act's flags.
	Flags []string
}

// Args are act's arguments for r. Every run: no pull (no registry here),
// no cache server (nothing uses it), the Docker socket not mounted into the
// containers (nothing uses it either), and the containers removed after a
// failure too.
func (r Run) Args() []string {
	args := []string{r.Event,
		"-C", r.Dir, "-W", r.Workflow,
		"-P", "ubuntu-latest=" + r.Platform,
		"--pull=false", "--no-cache-server", "--container-daemon-socket", "-", "--rm",
		"--action-cache-path", r.Home + "/.cache/act",
	}
	if r.EventPath != "" {
		args = append(args, "-e", r.EventPath)
	}
	pairs := func(flag string, m map[string]string) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			args = append(args, flag, k+"="+m[k])
		}
	}
	pairs("--env", r.Env)
	pairs("--var", r.Vars)
	pairs("--input", r.Inputs)
	// Secrets by name only: act reads their values from its environment,
	// so that they are not on a command line.
	for _, k := range slices.Sorted(maps.Keys(r.Secrets)) {
		args = append(args, "-s", k)
	}
	return append(args, r.Flags...)
}

// Result is what a run of act left.
type Result struct {
	Args     []string
	Code     int    // act's exit code: 0 when every job succeeded
	Log      string // stdout and stderr, as act printed them
	Duration time.Duration
}

// Exec runs act and waits for it. An exit code other than 0 is in Result.
func (r Run) Exec(ctx context.Context) (*Result, error) {
	res := &Result{Args: r.Args()}
	cmd := exec.CommandContext(ctx, r.Act, res.Args...)
	cmd.Dir = r.Dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + r.Home,
		"DOCKER_HOST=" + r.DockerHost,
		"NO_COLOR=1",
	}
	for _, k := range slices.Sorted(maps.Keys(r.Secrets)) {
		cmd.Env = append(cmd.Env, k+"="+r.Secrets[k])
	}
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	res.Duration = time.Since(start)
	res.Log = out.String()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return res, fmt.Errorf("act %s: %w", r.Workflow, ctx.Err())
	case errors.As(err, &exit):
		res.Code = exit.ExitCode()
	default:
		return res, fmt.Errorf("act %s: %w", r.Workflow, err)
	}
	return res, nil
}

// Job is what act's log says of one job.
type Job struct {
	Name string // WORKFLOW/JOB, as act prefixes its lines
	// Lines are the job's lines of act's log, prefix cut.
	Lines []string
	// Output are the lines the job's steps printed (act's "| " lines).
	Output []string
	// Outputs are the step outputs act read from GITHUB_OUTPUT (its
	// "::set-output:: NAME=VALUE" lines), the last value of each name.
	Outputs map[string]string
	// Summaries are the job summaries act read from GITHUB_STEP_SUMMARY,
	// one per step that wrote one.
	Summaries []string
	// Succeeded: act's last word on the job was "Job succeeded".
	Succeeded, Failed bool
	// Failures are the steps act reported as failed ("❌  Failure - …").
	Failures []string
}

// Jobs reads act's text log (not --json) into its jobs, by the
// "[WORKFLOW/JOB] " prefix of each line.
func (res *Result) Jobs() map[string]*Job {
	jobs := map[string]*Job{}
	var cur *Job // a summary goes on over several lines
	inSummary := false
	for line := range strings.SplitSeq(res.Log, "\n") {
		name, rest, ok := jobLine(line)
		if !ok {
			if inSummary && cur != nil {
				cur.Summaries[len(cur.Summaries)-1] += "\n" + line
			}
			continue
		}
		inSummary = false
		j := jobs[name]
		if j == nil {
			j = &Job{Name: name, Outputs: map[string]string{}}
			jobs[name] = j
		}
		cur = j
		j.Lines = append(j.Lines, rest)
		trimmed := strings.TrimSpace(rest)
		switch {
		case strings.HasPrefix(rest, "  | "):
			j.Output = append(j.Output, strings.TrimPrefix(rest, "  | "))
		case strings.HasPrefix(trimmed, "⚙  ::set-output:: "):
			kv := strings.TrimPrefix(trimmed, "⚙  ::set-output:: ")
			k, v, _ := strings.Cut(kv, "=")
			j.Outputs[k] = v
		case strings.HasPrefix(trimmed, "⚙  Summary - "):
			j.Summaries = append(j.Summaries, strings.TrimPrefix(trimmed, "⚙  Summary - "))
			inSummary = true
		case strings.HasPrefix(trimmed, "❌  Failure - "):
			step := strings.TrimPrefix(trimmed, "❌  Failure - ")
			if i := strings.LastIndex(step, " ["); i >= 0 && strings.HasSuffix(step, "]") {
				step = step[:i] // the step's duration
			}
			j.Failures = append(j.Failures, step)
		case strings.HasPrefix(trimmed, "🏁  Job succeeded"):
			j.Succeeded = true
		case strings.HasPrefix(trimmed, "🏁  Job failed"):
			j.Failed = true
		}
	}
	return jobs
}

// jobLine splits "[WORKFLOW/JOB] REST"; act pads the names of a run's jobs
// to one width.
func jobLine(line string) (name, rest string, ok bool) {
	if !strings.HasPrefix(line, "[") {
		return "", "", false
	}
	name, rest, ok = strings.Cut(line[1:], "] ")
	if !ok || !strings.Contains(name, "/") {
		return "", "", false
	}
	return strings.TrimRight(name, " "), rest, true
}
