package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/command"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/dev/figures"
	"github.com/lambda-promote/lambda-promote/internal/pace"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
	"github.com/lambda-promote/lambda-promote/internal/testenv/runner"
)

// runTimeout bounds one run of the binary.
const runTimeout = 5 * time.Minute

// allAtOnce is the name of the plan with no steps.
const allAtOnce = "all-at-once"

// plan is how a release moves: all at once, or the steps input every
// interval.
type plan struct {
	name     string
	steps    string // "" for all at once
	interval time.Duration
}

// bench is one run of the release bench.
type bench struct {
	srv  *moto.Server
	bin  string
	tmp  string
	base []string
}

// run is what one run of the binary left: how long it took, what the
// proxy saw and what the action wrote.
type run struct {
	start, exit time.Time
	exitCode    int
	records     []faultproxy.Record
	stats       faultproxy.RealismStats
	outputs     map[string]string
	out         string // stdout and stderr
	stable      map[string]string
	load1       float64 // the machine's load average over a minute at the start
}

// wall is the run's wall time, process start to exit.
func (r run) wall() time.Duration { return r.exit.Sub(r.start) }

// release puts new code on every function of svc (untimed), then runs the
// binary once to promote them all as p says, through a new proxy with
// the realism layer's defaults in front of moto. When watch is nil it
// checks the release promoted every alias to a new version with no
// weights; otherwise watch is set up before the process starts (to signal
// it through proc), the function it returns is called once the process
// has exited, and the caller checks the end.
func (b *bench) release(ctx context.Context, svc moto.Service, p plan, pc pacing, watch func(*faultproxy.Proxy, *atomic.Pointer[os.Process]) (exited func())) (run, error) {
	if err := b.srv.UpdateCodeAll(ctx, svc.Functions); err != nil {
		return run{}, err
	}
	stable := map[string]string{}
	for _, fn := range svc.Functions {
		v, w, err := b.srv.Alias(ctx, fn, svc.Alias)
		if err != nil {
			return run{}, err
		}
		if w != nil {
			return run{}, fmt.Errorf("alias %s of %s has weights %v before the run", svc.Alias, fn, w)
		}
		stable[fn] = v
	}

	proxy, err := faultproxy.New(b.srv.URL)
	if err != nil {
		return run{}, err
	}
	defer proxy.Close()
	proxy.SetRealism(faultproxy.DefaultRealism())

	dir, err := os.MkdirTemp(b.tmp, "step-")
	if err != nil {
		return run{}, err
	}
	inputs := map[string]string{
		config.InFunctionName: strings.Join(svc.Functions, "\n"),
		config.InAlias:        svc.Alias,
		config.InAPIID:        svc.RESTAPIID,
		config.InStage:        svc.Stage,
	}
	if p.steps != "" {
		inputs[config.InSteps] = p.steps
		inputs[config.InInterval] = p.interval.String()
	}
	stepEnv, step, err := runner.Env(dir, inputs)
	if err != nil {
		return run{}, err
	}
	env := proxy.Env(append(append(slices.Clone(b.base), b.srv.Env()...), stepEnv...))
	if pc.env != "" {
		env = append(env, command.PacingEnv+"="+pc.env)
	}

	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.bin)
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	var proc atomic.Pointer[os.Process]
	exited := func() {}
	if watch != nil {
		exited = watch(proxy, &proc)
	}
	r := run{stable: stable, load1: load1()}
	r.start = time.Now()
	if err := cmd.Start(); err != nil {
		exited()
		return run{}, err
	}
	proc.Store(cmd.Process)
	err = cmd.Wait()
	r.exit = time.Now()
	exited()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.exitCode = exit.ExitCode()
	case err != nil:
		return run{}, fmt.Errorf("%w\n%s", err, out.String())
	}
	r.records = proxy.Requests()
	r.stats = proxy.RealismStats()
	r.out = out.String()
	data, err := os.ReadFile(step.Output)
	if err != nil {
		return run{}, err
	}
	r.outputs = runner.ParseOutputs(string(data))
	if len(r.records) == 0 {
		return r, fmt.Errorf("no request reached the proxy: does the binary honour AWS_ENDPOINT_URL?\n%s", r.out)
	}
	if watch != nil {
		return r, nil
	}
	if err := b.checkPromoted(ctx, svc, r); err != nil {
		return r, fmt.Errorf("%w\n%s", err, tail(r.out, 40))
	}
	return r, nil
}

// checkPromoted checks a run ended promoted, every alias on a new version
// with no weights, as its functions output says.
func (b *bench) checkPromoted(ctx context.Context, svc moto.Service, r run) error {
	if r.exitCode != 0 || r.outputs["status"] != "promoted" {
		return fmt.Errorf("exit %d, status %q; want 0 and promoted", r.exitCode, r.outputs["status"])
	}
	fns, err := parseFunctions(r.outputs["functions"])
	if err != nil {
		return err
	}
	var errs []error
	for _, fn := range svc.Functions {
		v, w, err := b.srv.Alias(ctx, fn, svc.Alias)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got := fns[fn]
		if v == r.stable[fn] || w != nil || got.Status != "promoted" || got.Version != v {
			errs = append(errs, fmt.Errorf("alias %s of %s was on %s and is now on %s with weights %v; the functions output says %+v; want a new version, no weights, promoted",
				svc.Alias, fn, r.stable[fn], v, w, got))
		}
	}
	if len(fns) != len(svc.Functions) {
		errs = append(errs, fmt.Errorf("the functions output has %d functions, want %d", len(fns), len(svc.Functions)))
	}
	return errors.Join(errs...)
}

// functionOutput is one function's entry in the functions output.
type functionOutput struct {
	Function      string `json:"function"`
	Version       string `json:"version"`
	Previous      string `json:"previous-version"`
	Status        string `json:"status"`
	TrafficWeight string `json:"traffic-weight"`
}

// parseFunctions reads the functions output, by function name.
func parseFunctions(s string) (map[string]functionOutput, error) {
	var list []functionOutput
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("the functions output %q: %w", s, err)
	}
	out := map[string]functionOutput{}
	for _, f := range list {
		out[f.Function] = f
	}
	return out, nil
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// pacing is how the binary paces its Lambda calls in a run.
type pacing struct {
	Name string `json:"name"`
	env  string // command.PacingEnv's value
}

// The pacings the bench compares: the pacer of before (one bucket for
// every Lambda call, functions read with GetFunctionConfiguration), and
// today's (a bucket per quota, functions read with GetFunction).
var (
	oneBucket = pacing{Name: "one bucket", env: command.OneBucketPacing}
	perQuota  = pacing{Name: "per quota"}
)

// budgets are the requests per second a pacing allows in each quota at
// max-requests-per-second perSecond; one bucket's is the same for all,
// and shared.
func (p pacing) budgets(perSecond float64) map[pace.Quota]float64 {
	pc := pace.New(perSecond)
	if p == oneBucket {
		pc = pace.OneBucket(perSecond)
	}
	out := map[pace.Quota]float64{}
	for _, q := range pace.Quotas {
		out[q] = pc.Budget(q)
	}
	return out
}

// runResult is what one run measured.
type runResult struct {
	WallMS float64 `json:"wall_ms"`
	// Load1 is the machine's load average over the last minute as the run
	// started: the machine is shared.
	Load1 float64 `json:"load_average_1m_at_start"`
	// Requests counts every AWS request that reached the proxy; Lambda
	// those to Lambda, every one paced.
	Requests int            `json:"requests"`
	Lambda   int            `json:"lambda_requests"`
	ByOp     map[string]int `json:"requests_by_operation"`
	// Quotas are the Lambda requests of each quota, in pace.Quotas' order.
	Quotas []quotaCount `json:"quotas"`
	// BusiestLambda is the most Lambda requests of any kind the proxy
	// counted in one second.
	BusiestLambda int `json:"busiest_second_lambda"`
	// Throttled counts the 429s the proxy answered for the quotas.
	Throttled       int `json:"throttled_429"`
	StaleRevisions  int `json:"stale_revisions_412"`
	UpdateConflicts int `json:"update_conflicts_409"`
	Violations      int `json:"pending_violations"`
}

// quotaCount is what one run made of one quota: its requests (those
// answered 429 included), the most the proxy counted in one second and
// when, and the 429s answered.
type quotaCount struct {
	Quota       string  `json:"quota"`
	Requests    int     `json:"requests"`
	Busiest     int     `json:"busiest_second"`
	BusiestAtMS float64 `json:"busiest_second_at_ms"`
	Throttled   int     `json:"throttled_429"`
}

// inSecond is the requests of quota q the proxy counted in second s.
func inSecond(s faultproxy.SecondCount, q pace.Quota) int {
	switch q {
	case pace.GetFunction:
		return s.GetFunction
	case pace.GetPolicy:
		return s.GetPolicy
	}
	return s.ControlPlane
}

// measure reads a run's records and the realism layer's counts. A
// request's quota is the one the pacer picks for it (pace.Of); the
// busiest seconds are the proxy's, which counts them as Lambda does.
func measure(r run) runResult {
	res := runResult{WallMS: figures.MS(r.wall()), Load1: r.load1, ByOp: map[string]int{}}
	for _, q := range pace.Quotas {
		res.Quotas = append(res.Quotas, quotaCount{Quota: q.String()})
	}
	for _, rec := range r.records {
		res.Requests++
		res.ByOp[rec.Op.String()]++
		if rec.Op.Service != "lambda" {
			continue
		}
		res.Lambda++
		if q, ok := pace.Of(rec.Op.Name); ok {
			res.Quotas[q].Requests++
			if rec.Realism == "QuotaExceeded" {
				res.Quotas[q].Throttled++
			}
		}
	}
	for _, s := range r.stats.Seconds {
		for _, q := range pace.Quotas {
			if n := inSecond(s, q); n > res.Quotas[q].Busiest {
				res.Quotas[q].Busiest = n
				res.Quotas[q].BusiestAtMS = figures.MS(s.Start.Sub(r.start))
			}
		}
		res.BusiestLambda = max(res.BusiestLambda, s.ControlPlane+s.GetFunction+s.GetPolicy)
	}
	res.Throttled = r.stats.Throttled
	res.StaleRevisions = r.stats.StaleRevisions
	res.UpdateConflicts = r.stats.UpdateConflicts
	res.Violations = len(r.stats.Violations)
	return res
}

// opsLine is "lambda.GetAlias 3, lambda.UpdateAlias 1" in name order.
func opsLine(byOp map[string]int) string {
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(byOp)) {
		parts = append(parts, fmt.Sprintf("%s %d", op, byOp[op]))
	}
	return strings.Join(parts, ", ")
}

// load1 is the machine's load average over the last minute, from
// /proc/loadavg; 0 where it cannot be read.
func load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _, _ := strings.Cut(string(b), " ")
	v, _ := strconv.ParseFloat(f, 64)
	return v
}
