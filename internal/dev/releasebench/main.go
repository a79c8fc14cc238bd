// Command releasebench is the releases part of `make bench`: it promotes
// releases of several functions with the built binary, run as the GitHub
// runner runs it, on moto behind a fault proxy with the realism layer's
// defaults (faultproxy.DefaultRealism), which answers each of Lambda's
// request quotas (the control plane's 15 requests per second,
// GetFunction's 100, GetPolicy's 15) with 429 as AWS does.
//
// For each size (1, 10 and 50 functions by default) it promotes a service
// of that many functions behind one REST API stage, all at once and in
// three steps (10,50,100 every 1s), each with the pacing of before (one
// bucket for every Lambda call, reads with GetFunctionConfiguration) and
// today's (a bucket per quota), and measures the wall time, the requests
// (all, Lambda's, and each quota's), each quota's busiest second the proxy
// saw and the 429s it answered. Then it cancels a rollout of the largest
// release at 10% as the runner cancels a job (SIGINT, SIGTERM 7.5 s later,
// the process tree killed 2.5 s after that) and measures the time from
// SIGINT to the last alias moved back.
//
// It prints a table, judges the goals of the issue, and writes
// testdata/bench/releases/results.md and results.json.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/dev/figures"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := realMain(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "releasebench:", err)
		os.Exit(1)
	}
}

// options are the command line of the bench.
type options struct {
	bin      string
	sizes    []int
	n        int
	out      string
	steps    string
	interval time.Duration
	// cancelInterval is the interval of the cancelled rollout: long, so
	// that it sits at 10% when the signal comes.
	cancelInterval time.Duration
	cancels        int
	noReleases     bool
	// before runs each release with the pacing of before too.
	before bool
}

func parseFlags(args []string) (options, error) {
	o := options{}
	var sizes string
	fs := flag.NewFlagSet("releasebench", flag.ContinueOnError)
	fs.StringVar(&o.bin, "bin", "bin/lambda-promote", "the built lambda-promote binary (make build)")
	fs.StringVar(&sizes, "sizes", "1,10,50", "numbers of functions of the releases, comma-separated; the first is the single-function baseline and must be 1")
	fs.IntVar(&o.n, "n", 1, "timed runs of each release")
	fs.StringVar(&o.steps, "steps", "10,50,100", "the steps input of the gradual releases")
	fs.DurationVar(&o.interval, "interval", time.Second, "the interval input of the gradual releases")
	fs.DurationVar(&o.cancelInterval, "cancel-interval", time.Minute, "the interval input of the cancelled rollout")
	fs.IntVar(&o.cancels, "cancels", 3, "cancelled rollouts of the largest release (0 for none)")
	fs.BoolVar(&o.noReleases, "no-releases", false, "leave out the releases, run only the cancelled rollouts")
	fs.BoolVar(&o.before, "before", true, "run each release with the pacing of before too (one bucket for every Lambda call), for the comparison")
	fs.StringVar(&o.out, "out", filepath.Join("testdata", "bench", "releases"), "directory for results.md and results.json; empty for none")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var errs []error
	for f := range strings.SplitSeq(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("-sizes %q: %q is not a number of functions", sizes, f))
			continue
		}
		o.sizes = append(o.sizes, n)
	}
	if len(o.sizes) > 0 && o.sizes[0] != 1 {
		errs = append(errs, fmt.Errorf("-sizes %q: the first size must be 1, the baseline the others are judged against", sizes))
	}
	if len(o.sizes) > 0 && !slices.IsSorted(o.sizes) {
		errs = append(errs, fmt.Errorf("-sizes %q: sizes must ascend", sizes))
	}
	if o.cancels < 0 {
		errs = append(errs, fmt.Errorf("-cancels %d: must not be negative", o.cancels))
	}
	if o.n < 1 {
		errs = append(errs, fmt.Errorf("-n %d: at least 1 run is needed", o.n))
	}
	if o.interval <= 0 || o.cancelInterval <= 0 {
		errs = append(errs, errors.New("-interval and -cancel-interval must be positive"))
	}
	return o, errors.Join(errs...)
}

// budget is the pacer's default pace, the max-requests-per-second input's
// default: the runs leave the input at it.
func budget() (float64, error) {
	for _, in := range config.Inputs() {
		if in.Name == config.InMaxRPS {
			return strconv.ParseFloat(in.Default, 64)
		}
	}
	return 0, fmt.Errorf("no %s input", config.InMaxRPS)
}

func realMain(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	perSecond, err := budget()
	if err != nil {
		return err
	}
	loadStart := load1()
	bin, err := figures.ActionBinary(o.bin)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "lambda-promote-releasebench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	fmt.Fprintln(stdout, "==> starting moto")
	srv, err := moto.Start(ctx)
	if err != nil {
		return err
	}
	defer srv.Stop()

	b := &bench{srv: srv, bin: bin, tmp: tmp}
	b.base, err = baseEnv(tmp)
	if err != nil {
		return err
	}
	services := map[int]moto.Service{}
	for _, n := range o.sizes {
		start := time.Now()
		svc, err := srv.SeedService(ctx, fmt.Sprintf("rel%d", n), n)
		if err != nil {
			return err
		}
		services[n] = svc
		fmt.Fprintf(stdout, "==> seeded a service of %d functions behind REST API %s in %.1f s\n", n, svc.RESTAPIID, time.Since(start).Seconds())
	}

	plans := []plan{
		{name: allAtOnce},
		{name: fmt.Sprintf("steps %s every %s", o.steps, o.interval), steps: o.steps, interval: o.interval},
	}
	var cases []*caseRuns
	if !o.noReleases {
		fmt.Fprintln(stdout, "==> one warm-up release of 1 function, untimed (moto loads each service's code on first use)")
		if _, err := b.release(ctx, services[o.sizes[0]], plans[0], perQuota, nil); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		pacings := []pacing{perQuota}
		if o.before {
			pacings = []pacing{oneBucket, perQuota}
		}
		for _, p := range plans {
			for _, n := range o.sizes {
				for _, pc := range pacings {
					cases = append(cases, &caseRuns{functions: n, plan: p, pacing: pc})
				}
			}
		}
	}
	for i := range o.n {
		for _, c := range cases {
			fmt.Fprintf(stdout, "==> run %d/%d: %d functions, %s, paced %s (load %.2f)\n", i+1, o.n, c.functions, c.plan.name, c.pacing.Name, load1())
			m, err := b.release(ctx, services[c.functions], c.plan, c.pacing, nil)
			if err != nil {
				return fmt.Errorf("%d functions, %s, paced %s, run %d: %w", c.functions, c.plan.name, c.pacing.Name, i+1, err)
			}
			r := measure(m)
			fmt.Fprintf(stdout, "    %.1f s, %d requests (%d Lambda; %s), %d answered 429\n",
				r.WallMS/1000, r.Requests, r.Lambda, quotaLine(r.Quotas), r.Throttled)
			c.runs = append(c.runs, r)
		}
	}

	var cancels []cancelResult
	n := o.sizes[len(o.sizes)-1]
	cp := plan{name: fmt.Sprintf("steps %s every %s", o.steps, o.cancelInterval), steps: o.steps, interval: o.cancelInterval}
	for i := range o.cancels {
		fmt.Fprintf(stdout, "==> cancel %d/%d: a release of %d functions, %s, cancelled once every alias is at its first step\n", i+1, o.cancels, n, cp.name)
		c, err := b.cancel(ctx, services[n], cp)
		if err != nil {
			return fmt.Errorf("cancelled release %d: %w", i+1, err)
		}
		fmt.Fprintf(stdout, "    SIGINT → first move back %.2f s, last move answered %.2f s, exit %.2f s; %d of %d back on stable\n",
			c.FirstMoveMS/1000, c.LastMoveMS/1000, c.ExitMS/1000, c.Functions-len(c.NotBack), c.Functions)
		cancels = append(cancels, c)
	}

	res := summarize(cases, cancels, perSecond, o, time.Now())
	res.LoadStart, res.LoadEnd = loadStart, load1()
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, res.text())
	if o.out == "" {
		return nil
	}
	return figures.Write(stdout, o.out, res.markdown(), res)
}

// baseEnv is the environment of every run: the caller's (PATH), none of
// its AWS or GitHub settings, and an empty HOME (no shared AWS files).
func baseEnv(tmp string) ([]string, error) {
	home := filepath.Join(tmp, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "GITHUB_") && !strings.HasPrefix(kv, "INPUT_") &&
			!strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "RUNNER_") && kv != "CI=true" {
			base = append(base, kv)
		}
	}
	return append(base, "HOME="+home), nil
}
