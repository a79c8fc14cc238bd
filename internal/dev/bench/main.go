// Command bench is `make bench`: on one moto server it times the same
// all-at-once promotion (wait for the function, publish $LATEST, check the
// REST API stage variable and the alias permission, move the alias) done
// three ways, alternating A, B, C, A, B, C …:
//
//   - action: the built binary, run as the GitHub runner runs a container
//     action (INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files);
//   - cli: peer-cli.sh, the AWS CLI script users write by hand;
//   - floor: floor/main.go, the same SDK calls one after another with no
//     checks and no reporting.
//
// Each way promotes its own function (bench-action, bench-cli, bench-floor,
// each seeded like the demo with its own REST API stage and permission), so
// runs never interfere; before every run new code is put on $LATEST, untimed,
// so every run publishes a new version and moves the alias. Every request goes
// through a recording proxy in front of moto, which counts the requests and
// stamps the first one. It prints a table and writes it to
// testdata/bench/results.md and results.json.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/dev/figures"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

//go:embed peer-cli.sh
var peerScript []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := realMain(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the command line of the bench.
type options struct {
	bin    string
	n      int
	warmup int
	out    string
	// latency is added by the proxy to every request, to see how the ways
	// compare when a request costs what it does across a network.
	latency time.Duration
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&o.bin, "bin", "bin/lambda-promote", "the built lambda-promote binary (make build: stripped, -trimpath)")
	fs.IntVar(&o.n, "n", 7, "timed runs of each way")
	fs.IntVar(&o.warmup, "warmup", 1, "untimed runs of each way first (moto loads a service's code on its first call)")
	fs.DurationVar(&o.latency, "latency", 0, "delay the proxy adds before passing each request to moto (e.g. 20ms, like a request to a nearby AWS region)")
	fs.StringVar(&o.out, "out", filepath.Join("testdata", "bench"), "directory for results.md and results.json; empty for none")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var errs []error
	if o.n < 1 {
		errs = append(errs, fmt.Errorf("-n %d: at least 1 run is needed", o.n))
	}
	if o.latency < 0 {
		errs = append(errs, fmt.Errorf("-latency %s: must not be negative", o.latency))
	}
	if o.warmup < 0 {
		errs = append(errs, fmt.Errorf("-warmup %d: must not be negative", o.warmup))
	}
	return o, errors.Join(errs...)
}

func realMain(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	bin, err := figures.ActionBinary(o.bin)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "lambda-promote-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	fmt.Fprintln(stdout, "==> building the floor program and measuring the stripped binary")
	floor, err := buildFloor(ctx, tmp)
	if err != nil {
		return err
	}
	size, sizeNote, err := strippedSize(ctx, bin, tmp)
	if err != nil {
		return err
	}
	floorSize, _, err := strippedSize(ctx, floor, tmp)
	if err != nil {
		return err
	}
	script := filepath.Join(tmp, "peer-cli.sh")
	if err := os.WriteFile(script, peerScript, 0o755); err != nil {
		return err
	}

	fmt.Fprintln(stdout, "==> starting moto and a recording proxy in front of it")
	srv, err := moto.Start(ctx)
	if err != nil {
		return err
	}
	defer srv.Stop()
	proxy, err := faultproxy.New(srv.URL)
	if err != nil {
		return err
	}
	defer proxy.Close()
	rec := newArrivals(proxy)
	if o.latency > 0 {
		for _, op := range allOps() {
			proxy.Inject(op, faultproxy.Every, faultproxy.Delay(o.latency))
		}
	}

	b := &bench{srv: srv, proxy: proxy, rec: rec, tmp: tmp}
	if err := b.seed(ctx, bin, script, floor); err != nil {
		return err
	}

	if o.latency > 0 {
		fmt.Fprintf(stdout, "==> the proxy delays every request by %s\n", o.latency)
	}
	fmt.Fprintf(stdout, "==> %d warm-up and %d timed runs of each way, alternating %s\n", o.warmup, o.n, b.order())
	for i := range o.warmup + o.n {
		for _, w := range b.ways {
			s, err := b.once(ctx, w)
			if err != nil {
				return fmt.Errorf("%s, run %d: %w", w.key, i+1, err)
			}
			if i >= o.warmup {
				w.samples = append(w.samples, s)
			}
		}
	}

	// One more run of the action and of the floor, untimed, to see where
	// their time to the first request goes.
	traces := map[string]startup{}
	for _, w := range b.ways {
		if w.key == wayCLI {
			continue
		}
		st, err := b.traceStartup(ctx, w)
		if err != nil {
			return fmt.Errorf("%s, run with GODEBUG=inittrace=1: %w", w.key, err)
		}
		traces[w.key] = st
	}

	res := summarize(b.ways, o, size, sizeNote, floorSize, time.Now())
	res.Startup = traces
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, res.text())
	if o.out == "" {
		return nil
	}
	return figures.Write(stdout, o.out, res.markdown(), res)
}

// buildFloor builds floor/main.go the way the action is built.
func buildFloor(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "floor")
	if err := goBuild(ctx, out, "github.com/lambda-promote/lambda-promote/internal/dev/bench/floor"); err != nil {
		return "", fmt.Errorf("build the floor program: %w", err)
	}
	return out, nil
}

func goBuild(ctx context.Context, out, pkg string) error {
	cmd := execCommand(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(msg)))
	}
	return nil
}
