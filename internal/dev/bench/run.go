package main

import (
	"bytes"
	"cmp"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/dev/figures"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
	"github.com/lambda-promote/lambda-promote/internal/testenv/runner"
)

// runTimeout bounds one run of one way.
const runTimeout = 2 * time.Minute

// The keys of the three ways, in the order they take turns.
const (
	wayAction = "action"
	wayCLI    = "cli"
	wayFloor  = "floor"
)

// way is one way of promoting and what its runs measured.
type way struct {
	key   string // action, cli, floor
	title string
	world moto.World // its own function, alias, stage and permission
	// command is the process of one run.
	command func(ctx context.Context) *exec.Cmd

	samples []sample
}

// sample is what one timed run measured.
type sample struct {
	Wall     time.Duration // process start to exit
	FirstReq time.Duration // process start to the proxy seeing its first request
	MaxRSS   int64         // peak resident set, KiB (with the children it waited for)
	Ops      []string      // the requests, service.Operation, in order of arrival
	Version  string        // the version the alias moved to
	Timeline []Arrival     // when each request reached the proxy
}

// bench is one run of `make bench`.
type bench struct {
	srv   *moto.Server
	proxy *faultproxy.Proxy
	rec   *arrivals
	tmp   string
	ways  []*way
}

// seed makes each way's function and stage and binds the way's command.
func (b *bench) seed(ctx context.Context, bin, script, floor string) error {
	home := filepath.Join(b.tmp, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	// Every way gets the same environment: the caller's (PATH, the CLI's
	// Python), none of its AWS or GitHub settings, an empty HOME (no shared
	// AWS files), and the proxy as the AWS endpoint.
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "GITHUB_") && !strings.HasPrefix(kv, "INPUT_") &&
			!strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "RUNNER_") && kv != "CI=true" {
			base = append(base, kv)
		}
	}
	base = append(base, "HOME="+home)
	base = b.proxy.Env(append(base, b.srv.Env()...))

	b.ways = []*way{
		{key: wayAction, title: "lambda-promote (action)"},
		{key: wayCLI, title: "AWS CLI v1 script"},
		{key: wayFloor, title: "SDK floor (sequential)"},
	}
	for _, w := range b.ways {
		world, err := b.srv.Demo(ctx, "bench-"+w.key)
		if err != nil {
			return err
		}
		w.world = world
	}
	action, cli, fl := b.ways[0], b.ways[1], b.ways[2]

	actionDir := filepath.Join(b.tmp, "action")
	if err := os.MkdirAll(actionDir, 0o755); err != nil {
		return err
	}
	stepEnv, _, err := runner.Env(actionDir, map[string]string{
		config.InFunctionName: action.world.Function,
		config.InAlias:        action.world.Alias,
		config.InAPIID:        action.world.RESTAPIID,
		config.InStage:        action.world.Stage,
	})
	if err != nil {
		return err
	}
	actionEnv := append(slices.Clone(base), stepEnv...)
	action.command = func(ctx context.Context) *exec.Cmd {
		cmd := execCommand(ctx, bin)
		cmd.Env = actionEnv
		return cmd
	}
	cli.command = func(ctx context.Context) *exec.Cmd {
		cmd := execCommand(ctx, "bash", script, cli.world.Function, cli.world.Alias, cli.world.RESTAPIID, cli.world.Stage)
		cmd.Env = base
		return cmd
	}
	fl.command = func(ctx context.Context) *exec.Cmd {
		cmd := execCommand(ctx, floor, "-function-name", fl.world.Function, "-alias", fl.world.Alias,
			"-api-id", fl.world.RESTAPIID, "-stage", fl.world.Stage)
		cmd.Env = base
		return cmd
	}
	return nil
}

func (b *bench) order() string {
	var keys []string
	for range 2 {
		for _, w := range b.ways {
			keys = append(keys, w.key)
		}
	}
	return strings.Join(keys, ", ") + ", …"
}

// once puts new code on the way's function (untimed), runs the way once, and
// checks the alias moved to a new version with no weights.
func (b *bench) once(ctx context.Context, w *way) (sample, error) {
	s, _, err := b.run(ctx, w, nil)
	return s, err
}

// run is once with more environment variables, returning what the process
// printed too.
func (b *bench) run(ctx context.Context, w *way, extraEnv []string) (sample, string, error) {
	fn, aliasName := w.world.Function, w.world.Alias
	if err := b.srv.UpdateCode(ctx, fn); err != nil {
		return sample{}, "", err
	}
	before, _, err := b.srv.Alias(ctx, fn, aliasName)
	if err != nil {
		return sample{}, "", err
	}
	if w.key == wayAction {
		// The runner gives every step fresh, empty files.
		for _, name := range []string{"output", "summary"} {
			if err := os.WriteFile(filepath.Join(b.tmp, "action", name), nil, 0o644); err != nil {
				return sample{}, "", err
			}
		}
	}

	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := w.command(ctx)
	cmd.Env = append(slices.Clone(cmd.Env), extraEnv...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	b.proxy.Reset()
	b.rec.reset()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, "", err
	}
	err = cmd.Wait()
	wall := time.Since(start)
	if err != nil {
		return sample{}, "", fmt.Errorf("%w\n%s", err, out.String())
	}
	timeline := b.rec.since(start)
	if len(timeline) == 0 {
		return sample{}, "", fmt.Errorf("no request reached the proxy: does the process honour AWS_ENDPOINT_URL?\n%s", out.String())
	}
	s := sample{
		Wall:     wall,
		FirstReq: time.Duration(timeline[0].AtMS * float64(time.Millisecond)),
		MaxRSS:   maxRSS(cmd.ProcessState),
		Timeline: timeline,
	}
	for _, r := range b.proxy.Requests() {
		op := r.Op.String()
		switch {
		case r.Upstream/100 == 2:
		case r.Upstream/100 == 4:
			// Asked and answered, e.g. a lookup that found nothing.
			op += fmt.Sprintf(" (%d)", r.Upstream)
		default:
			return sample{}, "", fmt.Errorf("request %s: moto answered %d %s\n%s", r.Op, r.Upstream, r.Err, out.String())
		}
		s.Ops = append(s.Ops, op)
	}

	after, weights, err := b.srv.Alias(ctx, fn, aliasName)
	if err != nil {
		return sample{}, "", err
	}
	if after == before || len(weights) > 0 {
		return sample{}, "", fmt.Errorf("alias %s of %s was on %s and is now on %s with weights %v; want a new version and no weights\n%s",
			aliasName, fn, before, after, weights, out.String())
	}
	s.Version = after
	if w.key == wayAction {
		if err := checkOutputs(filepath.Join(b.tmp, "action", "output"), after); err != nil {
			return sample{}, "", fmt.Errorf("%w\n%s", err, out.String())
		}
	}
	return s, out.String(), nil
}

// checkOutputs checks the action said what it did in GITHUB_OUTPUT.
func checkOutputs(path, version string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	got := runner.ParseOutputs(string(data))
	for name, want := range map[string]string{"status": "promoted", "version": version} {
		if got[name] != want {
			return fmt.Errorf("GITHUB_OUTPUT has %s=%q, want %q:\n%s", name, got[name], want, data)
		}
	}
	return nil
}

// arrivals stamps the requests as they reach the proxy, before they reach
// moto.
type arrivals struct {
	mu   sync.Mutex
	list []arrival
}

type arrival struct {
	op string
	at time.Time
}

func newArrivals(p *faultproxy.Proxy) *arrivals {
	a := &arrivals{}
	p.OnRequest(func(op faultproxy.Op, _ int) {
		now := time.Now()
		a.mu.Lock()
		a.list = append(a.list, arrival{op: op.String(), at: now})
		a.mu.Unlock()
	})
	return a
}

func (a *arrivals) reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.list = nil
}

// since is the arrivals sorted by time, as offsets from start.
func (a *arrivals) since(start time.Time) []Arrival {
	a.mu.Lock()
	defer a.mu.Unlock()
	l := slices.SortedFunc(slices.Values(a.list), func(x, y arrival) int { return x.at.Compare(y.at) })
	out := make([]Arrival, len(l))
	for i, x := range l {
		out[i] = Arrival{Op: x.op, AtMS: figures.MS(x.at.Sub(start))}
	}
	return out
}

// Arrival is a request reaching the proxy, AtMS after the process started.
type Arrival struct {
	Op   string  `json:"op"`
	AtMS float64 `json:"at_ms"`
}

// strippedSize is the size of bin when it is stripped of its symbol table
// and DWARF (-ldflags='-s -w', as `make build` builds it); otherwise the size
// of a copy of the same main package built that way into dir.
func strippedSize(ctx context.Context, bin, dir string) (int64, string, error) {
	st, err := os.Stat(bin)
	if err != nil {
		return 0, "", err
	}
	if isStripped(bin) {
		return st.Size(), "as built", nil
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return 0, "", fmt.Errorf("read the build information of %s: %w", filepath.Base(bin), err)
	}
	out := filepath.Join(dir, "stripped-"+filepath.Base(bin))
	if err := goBuild(ctx, out, info.Path); err != nil {
		return 0, "", fmt.Errorf("build a stripped %s: %w", info.Path, err)
	}
	if st, err = os.Stat(out); err != nil {
		return 0, "", err
	}
	return st.Size(), "rebuilt with -trimpath -ldflags='-s -w'", nil
}

// isStripped reports whether bin is an ELF file with no symbol table and no
// DWARF sections. (-trimpath keeps -ldflags out of the build information,
// so the file itself is read.)
func isStripped(bin string) bool {
	f, err := elf.Open(bin)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, s := range f.Sections {
		if s.Name == ".symtab" || strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
			return false
		}
	}
	return true
}

// execCommand is exec.CommandContext that ends the process when ctx is done
// and does not wait for its output pipes past that.
func execCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// startup is where the time to the first request goes, from one extra,
// untimed run with GODEBUG=inittrace=1.
type startup struct {
	InitEndMS  float64   `json:"init_end_ms"`  // the runtime and every package init done
	InitMS     float64   `json:"init_ms"`      // the sum of the package inits' clock
	InitAllocB int64     `json:"init_alloc_b"` // bytes they allocated
	FirstReqMS float64   `json:"first_request_ms"`
	Top        []initPkg `json:"top_inits"`
}

type initPkg struct {
	Pkg     string  `json:"pkg"`
	ClockMS float64 `json:"clock_ms"`
	Bytes   int64   `json:"bytes"`
}

// traceStartup runs w once with GODEBUG=inittrace=1 and reads the trace.
func (b *bench) traceStartup(ctx context.Context, w *way) (startup, error) {
	s, out, err := b.run(ctx, w, []string{"GODEBUG=inittrace=1"})
	if err != nil {
		return startup{}, err
	}
	st := parseInitTrace(out)
	st.FirstReqMS = figures.MS(s.FirstReq)
	return st, nil
}

// parseInitTrace reads lines like
// "init internal/config @15 ms, 3.6 ms clock, 513208 bytes, 5134 allocs".
func parseInitTrace(out string) startup {
	var st startup
	for _, line := range strings.Split(out, "\n") {
		var (
			pkg            string
			at, clock      float64
			bytes, nallocs int64
		)
		if _, err := fmt.Sscanf(line, "init %s @%g ms, %g ms clock, %d bytes, %d allocs", &pkg, &at, &clock, &bytes, &nallocs); err != nil {
			continue
		}
		st.InitEndMS = max(st.InitEndMS, at+clock)
		st.InitMS += clock
		st.InitAllocB += bytes
		st.Top = append(st.Top, initPkg{Pkg: pkg, ClockMS: clock, Bytes: bytes})
	}
	slices.SortStableFunc(st.Top, func(x, y initPkg) int { return cmp.Compare(y.ClockMS, x.ClockMS) })
	st.Top = st.Top[:min(len(st.Top), 5)]
	st.InitMS = figures.Round3(st.InitMS)
	st.InitEndMS = figures.Round3(st.InitEndMS)
	return st
}
