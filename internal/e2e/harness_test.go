package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
	"github.com/lambda-promote/lambda-promote/internal/testenv/parallel"
	"github.com/lambda-promote/lambda-promote/internal/testenv/runner"
)

// binary is the lambda-promote binary under test: built once for the
// package, or the one LAMBDA_PROMOTE_E2E_BINARY names, to run a test
// against an earlier build and see it fail before its fix.
var binary string

// binaryEnv names a prebuilt binary to test instead of building one.
const binaryEnv = "LAMBDA_PROMOTE_E2E_BINARY"

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

// concurrency is how many tests run at once unless -parallel says
// otherwise. They wait on moto and on the clock (bakes, CloudWatch's next
// minute), not on the CPU, so more than the cores (the default) keeps the
// package's time near that of its longest test.
const concurrency = 12

func testMain(m *testing.M) int {
	if err := parallel.Default(concurrency); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if prebuilt := os.Getenv(binaryEnv); prebuilt != "" {
		binary = prebuilt
		fmt.Fprintf(os.Stderr, "e2e: testing %s (from %s), not a build of this tree\n", prebuilt, binaryEnv)
	} else {
		dir, err := os.MkdirTemp("", "lambda-promote-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "lambda-promote")
		_, here, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(here), "..", "..")
		build := exec.Command("go", "build", "-o", binary, ".")
		build.Dir = root
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build lambda-promote: %v\n%s", err, out)
			return 1
		}
	}
	return moto.Main(m)
}

// Run is one run of the binary as the runner runs it.
type Run struct {
	Code    int
	Stdout  string
	Stderr  string
	Outputs map[string]string
	Summary string
	// Proxy is the proxy the run went through: Options.Proxy, or the one
	// with the realism layer runAction put in front of AWS; nil for a bare
	// run.
	Proxy *faultproxy.Proxy
}

// Options of one run besides the inputs.
type Options struct {
	Endpoint string   // AWS endpoint; default the moto server
	Env      []string // more variables, e.g. GITHUB_EVENT_NAME
	// Wait is called once the process has started, in its own goroutine;
	// ctx ends when the process has exited. runAction returns once Wait
	// has.
	Wait func(ctx context.Context, cmd *exec.Cmd)

	// Proxy, when set, stands between the binary and AWS: AWS_ENDPOINT_URL
	// points at it, whatever Endpoint and Env say. Without it, runAction
	// puts one of its own with the realism layer (realProxy) in front of
	// Endpoint, or of the moto server: every run meets what AWS does and
	// moto does not, unless it says why not in Bare.
	Proxy *faultproxy.Proxy
	// Bare, when set, runs the binary straight against AWS, without the
	// realism layer; it says why.
	Bare string
	// Timeout bounds the run instead of runTimeout, for a run that waits
	// for several of CloudWatch's minutes.
	Timeout time.Duration
}

// runTimeout bounds one run of the binary: a gated step waits up to a
// minute and a half for CloudWatch's next minute, and a rollback that AWS
// keeps refusing is tried for two minutes.
const runTimeout = 4 * time.Minute

// runAction runs the binary as the runner runs it (runner.Env): every input
// of action.yml with its default, overridden by inputs. It runs through the
// realism layer unless the options say otherwise, and fails the test when
// the run gave traffic to a version Lambda would not yet invoke, or sent a
// request (or was given an answer by the proxy) that AWS's API model does
// not allow.
func runAction(t *testing.T, srv *moto.Server, inputs map[string]string, o Options) Run {
	t.Helper()
	p := o.Proxy
	if p == nil && o.Bare == "" {
		target := o.Endpoint
		if target == "" && srv != nil {
			target = srv.URL
		}
		if target != "" {
			p = realProxy(t, target)
		}
	}
	dir := t.TempDir()
	stepEnv, step, err := runner.Env(dir, inputs)
	if err != nil {
		t.Fatal(err)
	}
	outPath, sumPath := step.Output, step.Summary
	env := append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, stepEnv...)
	if srv != nil {
		env = append(env, srv.Env()...)
	}
	if o.Endpoint != "" {
		env = append(env, "AWS_ENDPOINT_URL="+o.Endpoint)
	}
	env = append(env, o.Env...)
	if p != nil {
		env = p.Env(env)
	}

	timeout := runTimeout
	if o.Timeout > 0 {
		timeout = o.Timeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	exited, markExited := context.WithCancel(context.Background())
	if o.Wait != nil {
		wg.Go(func() { o.Wait(exited, cmd) })
	}
	err = cmd.Wait()
	markExited()
	wg.Wait()
	r := Run{Stdout: stdout.String(), Stderr: stderr.String(), Proxy: p}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.Code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run: %v", err)
	}
	out, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	r.Outputs = runner.ParseOutputs(string(out))
	sum, err := os.ReadFile(sumPath)
	if err != nil {
		t.Fatal(err)
	}
	r.Summary = string(sum)
	t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	if p != nil {
		for _, v := range p.RealismStats().Violations {
			t.Errorf("%s gave version %s of %s %.0f%% of alias %s's traffic while it was Pending, which Lambda does not invoke", v.Op, v.Version, v.Function, v.Weight*100, v.Alias)
		}
		// Every request of the run, and every answer the realism layer or
		// a fault gave it, against AWS's API models (faultproxy's judge).
		for _, v := range p.TakeModelViolations() {
			t.Errorf("%s", v)
		}
	}
	return r
}

// realProxy is a proxy in front of target with every behaviour of the
// realism layer on (faultproxy.DefaultRealism): metrics that reach
// CloudWatch late, new versions Pending for a while, functions busy after
// an update, session credentials that expire, Lambda's request quotas.
func realProxy(t *testing.T, target string) *faultproxy.Proxy {
	t.Helper()
	p := faultproxy.NewT(t, target)
	p.SetRealism(faultproxy.DefaultRealism())
	return p
}

// unique is name with a number of its own, so that every run of a test
// (go test -count=N) seeds resources of its own in the shared moto server.
func unique(name string) string { return moto.Unique(name) }

// aliasRoute reads an alias from moto as "version" or "version+extra@weight".
func aliasRoute(t *testing.T, srv *moto.Server, fn, alias string) string {
	t.Helper()
	v, w, err := srv.Alias(context.Background(), fn, alias)
	if err != nil {
		return "missing"
	}
	for extra, weight := range w {
		if weight > 0 {
			v += fmt.Sprintf("+%s@%g", extra, weight)
		}
	}
	return v
}

// versions lists the published versions of a function.
func versions(t *testing.T, srv *moto.Server, fn string) int {
	t.Helper()
	n := 0
	p := lambda.NewListVersionsByFunctionPaginator(srv.Lambda(), &lambda.ListVersionsByFunctionInput{FunctionName: &fn})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			if v.Version != nil && *v.Version != "$LATEST" {
				n++
			}
		}
	}
	return n
}

func wantOutputs(t *testing.T, r Run, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := r.Outputs[k]; got != v {
			t.Errorf("output %s = %q, want %q", k, got, v)
		}
	}
}

// recorder is an AWS endpoint that answers nothing useful and counts every
// request that reaches it: runs that must not touch AWS point at it.
type recorder struct {
	URL string
	mu  sync.Mutex
	n   int
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.n++
		rec.mu.Unlock()
		http.Error(w, `{"message":"recorder: no AWS here"}`, http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

func (r *recorder) env() []string {
	return []string{"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true"}
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}
