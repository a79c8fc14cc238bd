package act

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/testenv/container"
)

// Service is podman's Docker-compatible API (`podman system service`) on a
// Unix socket of its own, with the engine's configuration (its
// containers.conf), for act to talk to as it talks to dockerd.
type Service struct {
	Socket string // the socket's path
	cmd    *exec.Cmd
	done   chan error
	log    *tail
}

// StartService starts podman's API service on dir/podman.sock and waits
// until it answers /_ping. Stop ends it.
func StartService(ctx context.Context, eng *container.Engine, dir string) (*Service, error) {
	s := &Service{Socket: filepath.Join(dir, "podman.sock"), done: make(chan error, 1), log: &tail{}}
	// --time=0: no idle timeout; the service lives until Stop.
	s.cmd = eng.Command(context.WithoutCancel(ctx), "system", "service", "--time=0", "unix://"+s.Socket)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("podman system service: %w", err)
	}
	go func() { s.done <- s.cmd.Wait() }()

	client := unixClient(s.Socket)
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://podman/_ping", nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			s.done <- err
			return nil, fmt.Errorf("podman system service exited before it answered: %v: %s", err, s.log)
		case <-ctx.Done():
			return nil, errors.Join(ctx.Err(), s.Stop())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, errors.Join(fmt.Errorf("podman system service did not answer /_ping on %s within 30s: %s", s.Socket, s.log), s.Stop())
		}
	}
}

// Stop ends the service (SIGTERM, then SIGKILL after 10 s) and waits for it.
func (s *Service) Stop() error {
	if s.cmd.Process == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return nil
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("podman system service did not stop on SIGTERM within 10s; killed: %s", s.log)
	}
}

// unixClient is an HTTP client whose every connection goes to socket.
func unixClient(socket string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}}
}

// tail keeps the last few KB written to it, for error messages.
type tail struct {
	mu sync.Mutex
	b  []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 8<<10 {
		t.b = t.b[len(t.b)-8<<10:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
