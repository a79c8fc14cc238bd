package container

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/testenv/runner"
)

// Where the runner mounts a step's folders in an action's container
// (actions/runner, src/Runner.Worker/Handlers/ContainerActionHandler.cs).
const (
	HomeDir         = "/github/home"
	WorkflowDir     = "/github/workflow"
	FileCommandsDir = "/github/file_commands"
	WorkspaceDir    = "/github/workspace"
	dockerSocket    = "/var/run/docker.sock"
)

// Label marks the containers this package runs, as the runner marks its own
// with a label of its instance.
const Label = "lambda-promote-test"

// Step is one step of a job on the host: RUNNER_TEMP with the folders the
// runner mounts into the container, the workspace, and the variables the
// container gets, with paths as seen inside it.
type Step struct {
	Temp      string // RUNNER_TEMP on the host
	Workspace string // GITHUB_WORKSPACE on the host
	// Env are the step's variables, NAME=VALUE: what the runner hands to
	// `docker run` in its environment and names with -e NAME.
	Env []string
	// Network is given to --network: the runner gives one only to jobs with
	// services or a job container; "host" lets the container reach a server
	// on the host's 127.0.0.1.
	Network string

	// The file commands on the host, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY
	// inside.
	Output, Summary string
}

// NewStep lays out a step in dir as the runner does: RUNNER_TEMP/_github_home,
// RUNNER_TEMP/_github_workflow/event.json (a push to main),
// RUNNER_TEMP/_runner_file_commands with the empty set_output_GUID,
// step_summary_GUID, set_env_GUID, add_path_GUID and save_state_GUID files,
// and the workspace. Its variables are runner.Env's (an INPUT_ variable for
// every input of action.yml, its default unless given in inputs; GITHUB_*)
// with the paths translated to the container's, HOME=/github/home, and env
// after them (e.g. the AWS variables of an earlier step).
func NewStep(dir string, inputs map[string]string, env []string) (*Step, error) {
	s := &Step{
		Temp:      filepath.Join(dir, "_temp"),
		Workspace: filepath.Join(dir, "workspace"),
		Network:   "host",
	}
	for _, d := range []string{s.homeDir(), s.workflowDir(), s.fileCommandsDir(), s.Workspace} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}

	// runner.Env writes its own output, summary and event files; they stay
	// in a folder that is not mounted, and only the event is kept.
	scratch, err := os.MkdirTemp(dir, "runner-env-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)
	base, host, err := runner.Env(scratch, inputs)
	if err != nil {
		return nil, err
	}
	event, err := os.ReadFile(host.Event)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(s.workflowDir(), "event.json"), event, 0o644); err != nil {
		return nil, err
	}

	guid, err := newGUID()
	if err != nil {
		return nil, err
	}
	files := map[string]string{ // variable → file in _runner_file_commands
		"GITHUB_OUTPUT":       "set_output_" + guid,
		"GITHUB_STEP_SUMMARY": "step_summary_" + guid,
		"GITHUB_ENV":          "set_env_" + guid,
		"GITHUB_PATH":         "add_path_" + guid,
		"GITHUB_STATE":        "save_state_" + guid,
	}
	translated := map[string]string{
		"GITHUB_EVENT_PATH": WorkflowDir + "/event.json",
		"GITHUB_WORKSPACE":  WorkspaceDir,
		"HOME":              HomeDir,
		// Not under a mounted folder, so the runner leaves it as it is.
		"RUNNER_TEMP": s.Temp,
	}
	for name, file := range files {
		if err := os.WriteFile(filepath.Join(s.fileCommandsDir(), file), nil, 0o666); err != nil {
			return nil, err
		}
		translated[name] = FileCommandsDir + "/" + file
	}
	s.Output = filepath.Join(s.fileCommandsDir(), files["GITHUB_OUTPUT"])
	s.Summary = filepath.Join(s.fileCommandsDir(), files["GITHUB_STEP_SUMMARY"])

	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if _, ok := translated[name]; ok {
			continue
		}
		s.Env = append(s.Env, kv)
	}
	for _, name := range slices.Sorted(maps.Keys(translated)) {
		s.Env = append(s.Env, name+"="+translated[name])
	}
	s.Env = append(s.Env, "RUNNER_OS=Linux")
	s.Env = append(s.Env, env...)
	return s, nil
}

func (s *Step) homeDir() string         { return filepath.Join(s.Temp, "_github_home") }
func (s *Step) workflowDir() string     { return filepath.Join(s.Temp, "_github_workflow") }
func (s *Step) fileCommandsDir() string { return filepath.Join(s.Temp, "_runner_file_commands") }

// newGUID is a random GUID in the runner's format (Guid.ToString()).
func newGUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// RunArgs is the runner's `docker run` for image in step s, after the
// command's name (actions/runner, DockerCommandManager.DockerRun): the
// container's name and the runner's label, the working directory, --rm, -e
// NAME for each of the step's variables (the values come from the
// environment of the process), the GitHub Actions watermark and CI=true,
// the network when one is given, the mounts, and the image. The Docker socket
// is mounted when the host has one, as the runner always does.
func (s *Step) RunArgs(name, image string) []string {
	args := []string{"run", "--name", name, "--label", Label, "--workdir", WorkspaceDir, "--rm"}
	ci := false
	for _, kv := range s.Env {
		n, _, _ := strings.Cut(kv, "=")
		args = append(args, "-e", n)
		ci = ci || n == "CI"
	}
	args = append(args, "-e", "GITHUB_ACTIONS=true")
	if !ci {
		args = append(args, "-e", "CI=true")
	}
	if s.Network != "" {
		args = append(args, "--network", s.Network)
	}
	if _, err := os.Stat(dockerSocket); err == nil {
		args = append(args, "-v", dockerSocket+":"+dockerSocket)
	}
	args = append(args,
		"-v", s.homeDir()+":"+HomeDir,
		"-v", s.workflowDir()+":"+WorkflowDir,
		"-v", s.fileCommandsDir()+":"+FileCommandsDir,
		"-v", s.Workspace+":"+WorkspaceDir,
		image)
	return args
}

// Result is what one container run left.
type Result struct {
	Args     []string // podman's arguments
	Code     int      // exit code of `podman run`: the container's, or 125–127 when podman could not run it
	Stdout   string
	Stderr   string
	Outputs  map[string]string // GITHUB_OUTPUT, read back from the mounted folder
	Summary  string            // GITHUB_STEP_SUMMARY, likewise
	Duration time.Duration     // `podman run`, start to exit
}

// RunAction runs image in step s with the runner's command line (RunArgs)
// and the step's variables added to podman's environment, from the
// workspace, and reads back the outputs and the summary. An exit code other
// than 0 is in Result, not an error.
func (e *Engine) RunAction(ctx context.Context, image string, s *Step) (*Result, error) {
	suffix, err := newGUID()
	if err != nil {
		return nil, err
	}
	name := "lambda-promote-" + suffix[:8]
	r := &Result{Args: s.RunArgs(name, image)}
	cmd := e.Command(ctx, r.Args...)
	cmd.Env = append(cmd.Env, s.Env...)
	cmd.Dir = s.Workspace
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	r.Duration = time.Since(start)
	r.Stdout, r.Stderr = stdout.String(), stderr.String()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		// podman was killed; its container may still run.
		rm, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = e.Output(rm, "rm", "--force", "--ignore", name)
		return r, fmt.Errorf("podman run %s: %w", image, ctx.Err())
	case errors.As(err, &exit):
		r.Code = exit.ExitCode()
	default:
		return r, fmt.Errorf("podman run %s: %w", image, err)
	}
	out, err := os.ReadFile(s.Output)
	if err != nil {
		return r, err
	}
	r.Outputs = runner.ParseOutputs(string(out))
	sum, err := os.ReadFile(s.Summary)
	if err != nil {
		return r, err
	}
	r.Summary = string(sum)
	return r, nil
}
