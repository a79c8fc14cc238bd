package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambda-promote/lambda-promote/internal/pace"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// A release of several functions, run by the built binary through the
// realism layer: every function of a service behind one stage, promoted
// together, all or nothing.

// service seeds n functions behind one REST API stage (moto.SeedService),
// with names of their own for this run.
func service(t *testing.T, n int) (*moto.Server, moto.Service) {
	t.Helper()
	srv := sharedMoto(t)
	svc, err := srv.SeedService(context.Background(), unique("svc"), n)
	if err != nil {
		t.Fatal(err)
	}
	return srv, svc
}

func releaseInputs(svc moto.Service, more ...string) map[string]string {
	in := map[string]string{
		"function-name": strings.Join(svc.Functions, "\n"),
		"alias":         svc.Alias,
		"api-id":        svc.RESTAPIID,
		"stage":         svc.Stage,
	}
	for i := 0; i+1 < len(more); i += 2 {
		in[more[i]] = more[i+1]
	}
	return in
}

// routes is every function's alias, in order.
func routes(t *testing.T, srv *moto.Server, svc moto.Service) []string {
	t.Helper()
	out := make([]string, len(svc.Functions))
	for i, fn := range svc.Functions {
		out[i] = aliasRoute(t, srv, fn, svc.Alias)
	}
	return out
}

func wantRoutes(t *testing.T, srv *moto.Server, svc moto.Service, want string) {
	t.Helper()
	for i, got := range routes(t, srv, svc) {
		if got != want {
			t.Errorf("%s routes %s, want %s", svc.Functions[i], got, want)
		}
	}
}

// functionsOutput reads the functions output.
func functionsOutput(t *testing.T, r Run) []map[string]string {
	t.Helper()
	var fns []map[string]string
	if err := json.Unmarshal([]byte(r.Outputs["functions"]), &fns); err != nil {
		t.Fatalf("functions output %q: %v", r.Outputs["functions"], err)
	}
	return fns
}

func TestReleaseAllAtOnce(t *testing.T) {
	t.Parallel()
	srv, svc := service(t, 5)
	r := runAction(t, srv, releaseInputs(svc), Options{})
	if r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "promoted", "traffic-weight": "100", "version": ""})
	wantRoutes(t, srv, svc, "2")
	fns := functionsOutput(t, r)
	if len(fns) != 5 {
		t.Fatalf("functions output has %d entries, want 5", len(fns))
	}
	for i, f := range fns {
		if f["function"] != svc.Functions[i] || f["version"] != "2" || f["previous-version"] != "1" || f["status"] != "promoted" {
			t.Errorf("functions[%d] = %v", i, f)
		}
	}
	if !strings.Contains(r.Summary, "release of 5 functions") {
		t.Errorf("summary does not name the release:\n%s", r.Summary)
	}
}

// In steps, every alias reaches a step's weight before any goes further.
func TestReleaseInSteps(t *testing.T) {
	t.Parallel()
	srv, svc := service(t, 5)
	r := runAction(t, srv, releaseInputs(svc, "steps", "10,50,100", "interval", "2s"), Options{})
	if r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	wantRoutes(t, srv, svc, "2")
	got := moves(t, r.Proxy)
	want := slices.Concat(slices.Repeat([]string{"1+2@0.1"}, 5), slices.Repeat([]string{"1+2@0.5"}, 5), slices.Repeat([]string{"2"}, 5))
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("moves in order %v, want every alias at each step before the next:\n%v", got, want)
	}
}

// A failure at function k at step s puts every alias back on stable.
func TestReleaseFailureRollsEveryAliasBack(t *testing.T) {
	t.Parallel()
	refused := faultproxy.APIError(400, "InvalidParameterValueException", "refused by the test")
	for i, tc := range []struct {
		k, s     int
		fault    faultproxy.Fault
		attempts int // how many attempts of the move fail
		what     string
	}{
		{2, 2, refused, 1, "refused"},
		{2, 2, faultproxy.ServerError, 5, "500 on every attempt"},
		{0, 1, faultproxy.ServerError, 5, "500 on every attempt"},
		{4, 3, faultproxy.ServerError, 5, "500 on every attempt"},
		{1, 2, faultproxy.ServerError, 5, "500 on every attempt"},
	} {
		t.Run(fmt.Sprintf("function %d step %d %s", tc.k+1, tc.s, tc.what), func(t *testing.T) {
			t.Parallel()
			if i > 0 {
				skipLong(t, "the SDK's retries of a persistent 500 take their backoff")
			}
			srv, svc := service(t, 5)
			p := realProxy(t, srv.URL)
			// The step's move fails on every attempt the SDK makes (a
			// refusal is not retried).
			for a := range tc.attempts {
				p.InjectFor(svc.Functions[tc.k], "UpdateAlias", tc.s+a, tc.fault)
			}
			r := runAction(t, srv, releaseInputs(svc, "steps", "10,50,100", "interval", "1s"), Options{Proxy: p})
			if r.Code != 1 {
				t.Fatalf("exit %d, want 1", r.Code)
			}
			wantOutputs(t, r, map[string]string{"status": "rolled-back", "traffic-weight": "0"})
			wantRoutes(t, srv, svc, "1")
			if !strings.Contains(r.Summary, svc.Functions[tc.k]) {
				t.Errorf("summary does not name %s", svc.Functions[tc.k])
			}
		})
	}
}

// Someone moves one alias by hand: the others go back, that one is left as
// found and named.
func TestReleaseDriftLeavesThatAlias(t *testing.T) {
	t.Parallel()
	srv, svc := service(t, 4)
	p := realProxy(t, srv.URL)
	moved := svc.Functions[2]
	// On the proxy's goroutine: t.Errorf, not t.Fatal.
	ran := afterMove(p, "GetAlias", func() {
		if err := raceMove(srv, moved, "2", nil); err != nil {
			t.Errorf("move by hand: %v", err)
		}
	})
	r := runAction(t, srv, releaseInputs(svc, "steps", "10,50,100", "interval", "2s"), Options{Proxy: p})
	if !ran() {
		t.Fatal("the hand move never ran")
	}
	if r.Code != 1 || r.Outputs["status"] != "failed" {
		t.Fatalf("exit %d, status %q; want 1, failed", r.Code, r.Outputs["status"])
	}
	for i, got := range routes(t, srv, svc) {
		want := "1"
		if svc.Functions[i] == moved {
			want = "2"
		}
		if got != want {
			t.Errorf("%s routes %s, want %s", svc.Functions[i], got, want)
		}
	}
	if !strings.Contains(r.Summary, moved) || !strings.Contains(r.Summary, "left it as it is") {
		t.Errorf("summary does not name %s as left as found", moved)
	}
}

// A check failing on one function: nothing published anywhere.
func TestReleaseCheckFailsNothingPublished(t *testing.T) {
	t.Parallel()
	srv, svc := service(t, 4)
	bad := svc.Functions[3]
	// Its alias lacks the permission for the stage.
	_, err := srv.Lambda().RemovePermission(context.Background(), &lambda.RemovePermissionInput{
		FunctionName: aws.String(bad), Qualifier: aws.String(svc.Alias), StatementId: aws.String("apigateway-" + svc.RESTAPIID + "-" + svc.Alias),
	})
	must(t, err)
	r := runAction(t, srv, releaseInputs(svc, "strategy", "Canary10Percent5Minutes"), Options{})
	if r.Code != 1 || r.Outputs["status"] != "failed" {
		t.Fatalf("exit %d, status %q", r.Code, r.Outputs["status"])
	}
	for _, fn := range svc.Functions {
		if n := versions(t, srv, fn); n != 1 {
			t.Errorf("%s has %d versions, want 1: nothing may be published", fn, n)
		}
	}
	if ch := r.Proxy.Changing(); len(ch) != 0 {
		t.Errorf("%d changing calls reached AWS, first %s", len(ch), ch[0].Op)
	}
	if !strings.Contains(r.Stdout, bad) {
		t.Errorf("the log does not name %s", bad)
	}
}

// A cancelled job puts every alias back, whether the signal comes while
// the step bakes or while the run reads the aliases (the drift check before
// a gate reading): the calls the cancel cuts short are not failures of
// their own, so the run says once that the job was cancelled, and the
// functions output holds every function.
func TestReleaseCancelRollsEveryAliasBack(t *testing.T) {
	t.Parallel()
	const n = 6
	for _, when := range []string{"baking", "reading"} {
		t.Run(when, func(t *testing.T) {
			t.Parallel()
			if when == "reading" {
				skipLong(t, "the first drift check comes some seconds into the bake")
			}
			srv, svc := service(t, n)
			p := realProxy(t, srv.URL)
			var (
				updates atomic.Int64
				reading = make(chan struct{})
				once    sync.Once
				// written by Wait, which runAction waits for
				signalled time.Time
			)
			p.OnRequest(func(op faultproxy.Op, _ int) {
				switch {
				case op.Service != "lambda":
				case op.Name == "UpdateAlias":
					updates.Add(1)
				case op.Name == "GetAlias" && updates.Load() >= n:
					once.Do(func() { close(reading) })
				}
			})
			cancel := func(ctx context.Context, cmd *exec.Cmd) {
				if when == "baking" {
					if _, ok := p.Answered(ctx, "UpdateAlias", n); !ok {
						return
					}
				} else {
					select {
					case <-reading:
					case <-ctx.Done():
						return
					}
				}
				signalled = cancelJob(cmd)
			}
			r := runAction(t, srv, releaseInputs(svc, "steps", "10,100", "interval", "5m"), Options{Proxy: p, Wait: cancel})
			if signalled.IsZero() {
				t.Fatal("the release never reached 10%")
			}
			if r.Code != 1 || r.Outputs["status"] != "rolled-back" {
				t.Fatalf("exit %d, status %q; want 1, rolled-back", r.Code, r.Outputs["status"])
			}
			wantRoutes(t, srv, svc, "1")
			fns := functionsOutput(t, r)
			if len(fns) != n {
				t.Fatalf("functions output has %d entries, want %d", len(fns), n)
			}
			for i, f := range fns {
				if f["status"] != "rolled-back" || f["version"] != "1" {
					t.Errorf("functions[%d] = %v", i, f)
				}
			}
			var errLine string
			for _, l := range strings.Split(r.Stdout, "\n") {
				if strings.HasPrefix(l, "::error::") && !strings.HasPrefix(l, "::error::alias now") && !strings.HasPrefix(l, "::error::next") {
					errLine = l
					break
				}
			}
			if !strings.Contains(errLine, "cancelled") || strings.Count(errLine, "context canceled") > 1 || strings.Contains(errLine, "read alias") {
				t.Errorf("the error should say once that the job was cancelled, got (%d chars):\n%.600s", len(errLine), errLine)
			}
		})
	}
}

// Fifty functions under Lambda's quotas: the pacer keeps every second of
// each quota within its budget (max-requests-per-second for the control
// plane, the same share of GetFunction's and GetPolicy's). What the test
// asserts is at the proxy, where a loaded machine's scheduling can bunch
// requests: the release is promoted, each quota's busiest 5 s holds at
// most the budget's 6 s of turns, and GetFunction's requests never come
// closer together than its bucket lets them out (with 0.4 s for the
// bunching). The realism layer answers 429 past each quota as Lambda does;
// a 429 the bunching causes is absorbed by the pacer and the SDK's
// retries, and logged, not failed (make bench's goal, on an idle machine,
// is none).
func TestReleaseOfFiftyWithinTheQuota(t *testing.T) {
	t.Parallel()
	skipLong(t, "a release of 50 functions")
	srv, svc := service(t, 50)
	r := runAction(t, srv, releaseInputs(svc, "steps", "10,100", "interval", "1s"), Options{})
	if r.Code != 0 || r.Outputs["status"] != "promoted" {
		t.Fatalf("exit %d, status %q", r.Code, r.Outputs["status"])
	}
	wantRoutes(t, srv, svc, "2")
	// The pace of each quota, as the proxy saw the requests arrive. The
	// pacer keeps every second of its own turns within the budget (its
	// tests show it on a fake clock, and make bench on an idle machine
	// shows it at the proxy); between a turn and the proxy's handler lie
	// the transport and two processes' scheduling, which on a loaded
	// machine can bunch a second's requests into the next. So the check
	// here is the pace over 5 seconds, which such jitter cannot hide: at
	// most the budget's 6 seconds of turns (a second of jitter), where
	// calls that bypassed their bucket would arrive all at once (50
	// functions: 100 GetPolicy, 200 GetFunction within a second or two).
	// A 429 the bunching may cause is absorbed (the run promoted) and
	// logged.
	st := r.Proxy.RealismStats()
	if st.Throttled != 0 {
		t.Logf("Lambda's quota answered %d requests 429, absorbed by the pacer and the SDK's retries", st.Throttled)
	}
	const span = 5 * time.Second
	secs := slices.SortedFunc(slices.Values(st.Seconds), func(a, b faultproxy.SecondCount) int { return a.Start.Compare(b.Start) })
	p := pace.New(10)
	for _, q := range pace.Quotas {
		busiest := 0
		for i, first := range secs {
			n := 0
			for _, sec := range secs[i:] {
				if sec.Start.Sub(first.Start) >= span {
					break
				}
				n += map[pace.Quota]int{pace.ControlPlane: sec.ControlPlane, pace.GetFunction: sec.GetFunction, pace.GetPolicy: sec.GetPolicy}[q]
			}
			busiest = max(busiest, n)
		}
		if most := p.Budget(q) * (span.Seconds() + 1); float64(busiest) > most {
			t.Errorf("the busiest %v held %d %v requests, more than %.0f, the budget's %.0f/s over it and a second more", span, busiest, q, most, p.Budget(q))
		}
		t.Logf("%v: the busiest %v held %d requests (budget %.1f/s)", q, span, busiest, p.Budget(q))
	}
	// GetFunction's reads come in waves of one per function (the first
	// wave of preflight's reads, then the second), each within the
	// second's budget of 66, so the busiest seconds cannot tell whether
	// they were paced. Within a span, though, its bucket lets out at most
	// its burst and the budget's turns over the span: a wave of 50 takes
	// 0.6 s. Reads that bypassed it arrive all at once. The bound allows
	// each span 0.4 s more for the bunching of a loaded machine, which
	// grows with the load while a wave that bypassed the bucket stays
	// tight. On 2 cores, paced, the densest run was bunched by 0.01 s at
	// load 8 (18 within 0.1 s), 0.11 s at load 10 beside TestFixes (30
	// within 0.19 s) and 0.15 s at load 15 (23 within 42 ms); with a build
	// whose GetFunction bypassed its bucket, 50 arrived within 11 to 16 ms
	// at loads 8 to 18, 12 over the bound.
	const bunching = 400 * time.Millisecond
	var gets []time.Time
	for _, rec := range r.Proxy.Requests() {
		if rec.Op.Service == "lambda" && rec.Op.Name == "GetFunction" {
			gets = append(gets, rec.Arrived)
		}
	}
	slices.SortFunc(gets, time.Time.Compare)
	budget := p.Budget(pace.GetFunction)
	var worst struct {
		n        int
		span     time.Duration
		over     float64
		from, to int
	}
	for i := range gets {
		for j := i; j < len(gets); j++ {
			n, span := j-i+1, gets[j].Sub(gets[i])
			if over := float64(n) - (pace.Burst + budget*(span+bunching).Seconds()); over > worst.over || worst.n == 0 {
				worst.n, worst.span, worst.over, worst.from, worst.to = n, span, over, i, j
			}
		}
	}
	if worst.over > 0 {
		t.Errorf("GetFunction requests %d to %d of %d (%d of them) arrived within %v; its bucket lets out at most %.0f in that span (a burst of %d and %.1f/s over the span and %v of bunching): they were not paced",
			worst.from+1, worst.to+1, len(gets), worst.n, worst.span.Round(time.Millisecond), float64(worst.n)-worst.over, pace.Burst, budget, bunching)
	}
	t.Logf("GetFunction: %d requests; the densest run, %d within %v, against its bucket's bound of %.1f", len(gets), worst.n, worst.span.Round(time.Millisecond), float64(worst.n)-worst.over)
	if n := len(functionsOutput(t, r)); n != 50 {
		t.Errorf("functions output has %d entries, want 50", n)
	}
}
