// Package container runs lambda-promote's image the way the GitHub runner
// runs a `runs.using: docker` action, with podman: it builds images (a
// FROM-scratch image of a built binary, or the repository's Dockerfile with
// local stand-ins for its base images), lays out a step's folders and file
// commands as the runner does, and runs the container with the runner's
// `docker run` command line.
//
// It serves the container contract test (make test, make image) and the
// start-up benchmark (make bench). podman is called itself, not through the
// docker CLI: the docker CLI against podman 4.3's API socket reports exit 0
// for a container that exited 1.
package container

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ErrNoEngine means podman is not installed. New wraps it.
var ErrNoEngine = errors.New("podman not found on PATH (install it with: apt-get install -y --no-install-recommends podman runc; under CI=true, make test installs it)")

// ImageEnv names the variable that makes the contract test run a given
// image (e.g. the one `make image` built from the Dockerfile) instead of
// building a FROM-scratch image of the current source.
const ImageEnv = "LAMBDA_PROMOTE_IMAGE"

// Engine is podman with the configuration this machine needs.
type Engine struct {
	path string
	// env is the environment of every podman process, before a step's
	// variables are added: the caller's, with CONTAINERS_CONF naming the
	// private containers.conf.
	env []string
	// Config is the containers.conf podman reads (CONTAINERS_CONF).
	Config string
}

// New finds podman and writes a containers.conf with the fixes this host
// needs (see ConfigFor) into dir, which podman then reads through
// CONTAINERS_CONF, so that command lines stay the runner's. When
// CONTAINERS_CONF is already set, that file is used as it is.
func New(dir string) (*Engine, error) {
	path, err := exec.LookPath("podman")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoEngine, err)
	}
	e := &Engine{path: path, Config: os.Getenv("CONTAINERS_CONF")}
	if e.Config == "" {
		e.Config = filepath.Join(dir, "containers.conf")
		if err := os.WriteFile(e.Config, []byte(ConfigFor(probeHost())), 0o644); err != nil {
			return nil, fmt.Errorf("write containers.conf: %w", err)
		}
	}
	e.env = podmanEnv(os.Environ(), e.Config)
	return e, nil
}

// NewT is New for a test, with the configuration in a temporary folder. A
// missing podman skips the test, or fails it when CI=true (where make test
// installs podman first).
func NewT(t testing.TB) *Engine {
	t.Helper()
	e, err := New(t.TempDir())
	if errors.Is(err, ErrNoEngine) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("podman is required when CI=true: %v", err)
		}
		t.Skipf("skipping the container test: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// podmanEnv is the environment of a podman process. A step's variables are
// added to it later, HOME=/github/home among them, as the runner hands them
// to `docker run`; rootless podman finds its storage and configuration
// through HOME unless XDG_DATA_HOME and XDG_CONFIG_HOME say where, so they
// are pinned here to where the caller's HOME puts them.
func podmanEnv(environ []string, conf string) []string {
	env := make([]string, 0, len(environ)+3)
	var home, dataHome, configHome string
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		switch name {
		case "CONTAINERS_CONF":
			continue
		case "HOME":
			home = value
		case "XDG_DATA_HOME":
			dataHome = value
		case "XDG_CONFIG_HOME":
			configHome = value
		}
		env = append(env, kv)
	}
	env = append(env, "CONTAINERS_CONF="+conf)
	if home != "" && dataHome == "" {
		env = append(env, "XDG_DATA_HOME="+filepath.Join(home, ".local", "share"))
	}
	if home != "" && configHome == "" {
		env = append(env, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	}
	return env
}

// Command is a podman command with the engine's environment. It ends podman
// when ctx is done and does not wait for its output past that.
func (e *Engine) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, e.path, args...)
	cmd.Env = append([]string(nil), e.env...)
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// Output runs podman with args and returns its standard output, trimmed. The
// error carries what podman printed.
func (e *Engine) Output(ctx context.Context, args ...string) (string, error) {
	cmd := e.Command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("podman %s: %w: %s", strings.Join(args, " "), err, lastLines(stderr.String(), 20))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// ImageExists reports whether image is in podman's local storage.
func (e *Engine) ImageExists(ctx context.Context, image string) (bool, error) {
	err := e.Command(ctx, "image", "exists", image).Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		return false, nil
	default:
		return false, fmt.Errorf("podman image exists %s: %w", image, err)
	}
}

// RemoveImages removes the images (every name given; an image goes when its
// last name does). Images that are not there are not an error.
func (e *Engine) RemoveImages(ctx context.Context, images ...string) error {
	var errs []error
	for _, image := range images {
		ok, err := e.ImageExists(ctx, image)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue
		}
		if _, err := e.Output(ctx, "rmi", image); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ImageSize is the unpacked size of image in local storage, in bytes.
func (e *Engine) ImageSize(ctx context.Context, image string) (int64, error) {
	out, err := e.Output(ctx, "image", "inspect", "--format", "{{.Size}}", image)
	if err != nil {
		return 0, err
	}
	var n int64
	if _, err := fmt.Sscan(out, &n); err != nil {
		return 0, fmt.Errorf("podman image inspect %s: size %q: %w", image, out, err)
	}
	return n, nil
}

// lastLines is the end of s, at most n lines, for error messages.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
