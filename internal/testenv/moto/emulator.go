// Package emulator runs moto's server as a stand-in for AWS and seeds it with
// the world lambda-promote works in: a function, its versions and aliases, an
// API Gateway stage that calls an alias, alarms and Lambda metrics.
//
// It is used by tests (StartT), by `make demo` and by benchmarks, so its
// functions return errors instead of failing a test.
package moto

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambda-promote/lambda-promote/internal/gate"
)

// The region and account moto answers for.
const (
	Region    = "us-east-1"
	AccountID = "123456789012"
)

// ErrNoMoto means python3 or its moto package (with the server extra) is not
// installed. Start wraps it.
var ErrNoMoto = errors.New("moto server not available (install it with: pip install 'moto[server]')")

// readyTimeout bounds the wait for a freshly started server to answer.
const readyTimeout = 20 * time.Second

// Server is one running moto server, listening on 127.0.0.1.
type Server struct {
	URL       string // e.g. http://127.0.0.1:41234
	Region    string // us-east-1
	AccountID string // 123456789012

	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has been waited for
	output *tailBuffer

	stopOnce sync.Once
	stopErr  error

	codeSeq atomic.Int64 // makes every UpdateCode different

	clientsOnce sync.Once
	lambda      *lambda.Client
	rest        *apigateway.Client
	http        *apigatewayv2.Client
	cw          *cloudwatch.Client
}

// Start runs `python3 -m moto.server` on a free port of 127.0.0.1 in its own
// process group, waits until it answers, and configures Lambda to run without
// Docker (Invoke then echoes the payload). Call Stop when done.
func Start(ctx context.Context) (*Server, error) { return StartWith(ctx, Options{}) }

// Options change how StartWith runs moto.
type Options struct {
	// Env is added to the server's environment, e.g.
	// INITIAL_NO_AUTH_ACTION_COUNT to have moto enforce IAM.
	Env []string
	// Script, when set, is Python run with `python3 -c` in place of
	// `python3 -m moto.server`; it gets the same arguments (-H, -p) and must
	// start moto's server with them.
	Script string
}

// StartWith is Start with options.
func StartWith(ctx context.Context, o Options) (*Server, error) {
	python, err := exec.LookPath("python3")
	if err != nil {
		return nil, fmt.Errorf("start moto: %w: %w", ErrNoMoto, err)
	}
	var lastErr error
	// A port found free may be taken before moto binds it; try a few.
	for range 3 {
		s, err := start(ctx, python, o)
		if err == nil {
			return s, nil
		}
		if errors.Is(err, ErrNoMoto) || ctx.Err() != nil {
			return nil, err
		}
		lastErr = err
	}
	return nil, lastErr
}

func start(ctx context.Context, python string, o Options) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("start moto: find a free port: %w", err)
	}
	s := &Server{
		URL:       "http://127.0.0.1:" + strconv.Itoa(port),
		Region:    Region,
		AccountID: AccountID,
		exited:    make(chan struct{}),
		output:    &tailBuffer{max: 4096},
	}
	// Not exec.CommandContext: the server outlives the context that started
	// it; Stop ends it.
	launch := []string{"-m", "moto.server"}
	if o.Script != "" {
		launch = []string{"-c", o.Script}
	}
	s.cmd = exec.Command(python, append(launch, "-H", "127.0.0.1", "-p", strconv.Itoa(port))...)
	s.cmd.Stdout = s.output
	s.cmd.Stderr = s.output
	s.cmd.Env = append(append(os.Environ(), "PYTHONUNBUFFERED=1"), o.Env...)
	setProcessGroup(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()

	if err := s.waitReady(ctx); err != nil {
		_ = s.Stop()
		return nil, err
	}
	// Configuring moto resets its state, so it comes before anything else.
	if err := s.post(ctx, "/moto-api/config", `{"lambda":{"use_docker":false}}`); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("start moto: configure lambda: %w", err)
	}
	return s, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/moto-api/", nil)
		if err != nil {
			return fmt.Errorf("start moto: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			out := s.output.String()
			if strings.Contains(out, "No module named") {
				return fmt.Errorf("start moto: %w: %s", ErrNoMoto, lastLine(out))
			}
			return fmt.Errorf("start moto: server exited before answering: %s", lastLine(out))
		case <-ctx.Done():
			return fmt.Errorf("start moto: no answer on %s within %s: %w", s.URL, readyTimeout, ctx.Err())
		case <-tick.C:
		}
	}
}

func (s *Server) post(ctx context.Context, path, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// Stop ends the server and every process it started, and waits for it. It is
// safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if s.cmd == nil || s.cmd.Process == nil {
			return
		}
		select {
		case <-s.exited:
			return
		default:
		}
		if err := terminate(s.cmd); err != nil {
			s.stopErr = fmt.Errorf("stop moto: %w", err)
		}
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			_ = kill(s.cmd)
			<-s.exited
		}
		// Children that ignored the signal to the group.
		_ = kill(s.cmd)
	})
	return s.stopErr
}

// PID is the process id of the server (the leader of its process group).
func (s *Server) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// AWSConfig is an SDK configuration that talks to this server with static
// test credentials and the SDK's default retries.
func (s *Server) AWSConfig() aws.Config {
	return aws.Config{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "emulator"}, nil
		}),
	}
}

// Env is the environment that points the built binary, or the aws CLI, at
// this server. Append it to os.Environ() for a child process.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + s.URL,
		"AWS_REGION=" + s.Region,
		"AWS_DEFAULT_REGION=" + s.Region,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// StartT starts a server for a test and stops it when the test ends. When
// moto is not installed the test is skipped, or fails when CI=true.
func StartT(t testing.TB) *Server {
	t.Helper()
	s, err := Start(context.Background())
	required(t, err)
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop moto: %v", err)
		}
	})
	return s
}

// Clients made from AWSConfig, built once.
func (s *Server) clients() {
	s.clientsOnce.Do(func() {
		cfg := s.AWSConfig()
		s.lambda = lambda.NewFromConfig(cfg)
		s.rest = apigateway.NewFromConfig(cfg)
		s.http = apigatewayv2.NewFromConfig(cfg)
		s.cw = gate.NewCloudWatch(cfg)
	})
}

// Lambda is a Lambda client for this server.
func (s *Server) Lambda() *lambda.Client { s.clients(); return s.lambda }

// APIGateway is an API Gateway (REST API) client for this server.
func (s *Server) APIGateway() *apigateway.Client { s.clients(); return s.rest }

// APIGatewayV2 is an API Gateway V2 (HTTP API) client for this server.
func (s *Server) APIGatewayV2() *apigatewayv2.Client { s.clients(); return s.http }

// CloudWatch is a CloudWatch client for this server (AWS JSON 1.0, see
// gate.NewCloudWatch).
func (s *Server) CloudWatch() *cloudwatch.Client { s.clients(); return s.cw }

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "no output"
	}
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// required ends the test when the server could not start: a skip when moto
// is not installed, a failure when CI=true, where it must be.
func required(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrNoMoto) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("moto is required in CI: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
}
