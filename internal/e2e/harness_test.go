package e2e

import (
	"bufio"
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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
	"github.com/lambda-promote/lambda-promote/internal/testenv/runner"
)

// binary is the lambda-promote binary built once for the package.
var binary string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
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
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop moto:", err)
		}
	}
	return code
}

// Run is one run of the binary as the runner runs it.
type Run struct {
	Code    int
	Stdout  string
	Stderr  string
	Outputs map[string]string
	Summary string
}

// Options of one run besides the inputs.
type Options struct {
	Endpoint string   // AWS endpoint; default the moto server
	Env      []string // more variables, e.g. GITHUB_EVENT_NAME
	Start    func(*exec.Cmd)
	Wait     func(*exec.Cmd) // called after Start, before Wait, in its own goroutine

	// Proxy, when set, stands between the binary and AWS: AWS_ENDPOINT_URL
	// points at it, whatever Endpoint and Env say. A proxy made with
	// faultproxy.NewT(t, srv.URL) and p.SetRealism(faultproxy.DefaultRealism())
	// runs the binary in the realism layer; the test reads p.RealismStats().
	Proxy *faultproxy.Proxy
}

// runAction runs the binary as the runner runs it (runner.Env): every input
// of action.yml with its default, overridden by inputs.
func runAction(t *testing.T, srv *moto.Server, inputs map[string]string, o Options) Run {
	t.Helper()
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
	if o.Proxy != nil {
		env = o.Proxy.Env(env)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	if o.Wait != nil {
		wg.Go(func() { o.Wait(cmd) })
	}
	err = cmd.Wait()
	wg.Wait()
	r := Run{Stdout: stdout.String(), Stderr: stderr.String()}
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
	r.Outputs = parseOutputs(t, string(out))
	sum, err := os.ReadFile(sumPath)
	if err != nil {
		t.Fatal(err)
	}
	r.Summary = string(sum)
	t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	return r
}

// parseOutputs reads a GITHUB_OUTPUT file: name=value lines and
// name<<DELIMITER blocks.
func parseOutputs(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok {
			var val []string
			for sc.Scan() && sc.Text() != delim {
				val = append(val, sc.Text())
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		if name, val, ok := strings.Cut(line, "="); ok {
			out[name] = val
		}
	}
	return out
}

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
