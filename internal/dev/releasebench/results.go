package main

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/dev/figures"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
)

// The goals of the issue.
const (
	// timeSlack is the 1.2 of time(N) ≤ 1.2 × requests(N) ÷ budget + time(1).
	timeSlack = 1.2
	// cancelGoal bounds the time from SIGINT to the last alias moved back.
	cancelGoal = 5 * time.Second
)

// caseRuns are the runs of one release: a number of functions and a plan.
type caseRuns struct {
	functions int
	plan      plan
	runs      []runResult
}

// results are the figures of one run of the bench, as written to
// results.json.
type results struct {
	figures.Machine
	Runs int `json:"runs"`
	// Budget is the pacer's pace (the max-requests-per-second default);
	// Quota the control-plane requests per second the proxy answers
	// before it answers 429.
	Budget float64 `json:"pacer_budget_per_second"`
	Quota  int     `json:"proxy_control_plane_quota_per_second"`

	Cases   []caseResult   `json:"releases"`
	Cancels []cancelResult `json:"cancelled_releases"`
	Goals   []goal         `json:"goals"`
}

// caseResult is one release's figures: the median wall time, and the most
// any run counted of the rest.
type caseResult struct {
	Functions    int     `json:"functions"`
	Schedule     string  `json:"schedule"`
	MedianWallMS float64 `json:"median_wall_ms"`

	Requests            int     `json:"requests"`
	Lambda              int     `json:"lambda_requests"`
	ControlPlane        int     `json:"control_plane_requests"`
	LambdaPerFunction   float64 `json:"lambda_requests_per_function"`
	BusiestControlPlane int     `json:"busiest_second_control_plane"`
	BusiestLambda       int     `json:"busiest_second_lambda"`
	Throttled           int     `json:"throttled_429"`
	// ByOp is the requests of the first run by operation.
	ByOp map[string]int `json:"requests_by_operation"`

	// For a release of several functions, judged against the release of
	// one with the same schedule: the bound on its time, and the requests
	// beyond N times the single function's, by operation.
	BoundMS float64        `json:"time_bound_ms,omitempty"`
	Beyond  map[string]int `json:"requests_beyond_n_times_one,omitempty"`

	Runs []runResult `json:"runs"`
}

// goal is one goal of the issue and how this run met it.
type goal struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

func summarize(cases []*caseRuns, cancels []cancelResult, budget float64, o options, now time.Time) results {
	r := results{
		Machine: figures.ThisMachine(now),
		Runs:    o.n,
		Budget:  budget,
		Quota:   faultproxy.DefaultRealism().ControlPlaneRate,
		Cancels: cancels,
	}
	single := map[string]caseResult{}
	for _, c := range cases {
		cr := caseResult{Functions: c.functions, Schedule: c.plan.name, Runs: c.runs, ByOp: c.runs[0].ByOp}
		var walls []float64
		for _, run := range c.runs {
			walls = append(walls, run.WallMS)
			cr.Requests = max(cr.Requests, run.Requests)
			cr.Lambda = max(cr.Lambda, run.Lambda)
			cr.ControlPlane = max(cr.ControlPlane, run.ControlPlane)
			cr.BusiestControlPlane = max(cr.BusiestControlPlane, run.BusiestControlPlane)
			cr.BusiestLambda = max(cr.BusiestLambda, run.BusiestLambda)
			cr.Throttled = max(cr.Throttled, run.Throttled)
		}
		cr.MedianWallMS = figures.Median(walls)
		cr.LambdaPerFunction = figures.Round3(float64(cr.Lambda) / float64(c.functions))
		if c.functions == 1 {
			single[cr.Schedule] = cr
		} else if one, ok := single[cr.Schedule]; ok {
			cr.BoundMS = figures.Round3(timeSlack*float64(cr.Lambda)/budget*1000 + one.MedianWallMS)
			cr.Beyond = beyond(cr.ByOp, one.ByOp, c.functions)
		}
		r.Cases = append(r.Cases, cr)
	}
	r.Goals = goals(r.Cases, single, cancels, budget)
	return r
}

// goals judges each release and the cancelled one against the issue's
// goals.
func goals(cases []caseResult, single map[string]caseResult, cancels []cancelResult, budget float64) []goal {
	var out []goal
	for _, cr := range cases {
		what := fmt.Sprintf("%d %s, %s", cr.Functions, plural(cr.Functions, "function"), cr.Schedule)
		out = append(out,
			goal{what + ": busiest second", fmt.Sprintf("≤ %g control-plane requests (the pacer's budget)", budget),
				fmt.Sprintf("%d (%d Lambda requests of any kind)", cr.BusiestControlPlane, cr.BusiestLambda), float64(cr.BusiestControlPlane) <= budget},
			goal{what + ": 429 answered", "0", fmt.Sprint(cr.Throttled), cr.Throttled == 0},
		)
		one, ok := single[cr.Schedule]
		if cr.Functions == 1 || !ok {
			continue
		}
		out = append(out,
			goal{what + ": time", fmt.Sprintf("≤ %g × %d Lambda requests ÷ %g/s + time(1) %.1f s = %.1f s", timeSlack, cr.Lambda, budget, one.MedianWallMS/1000, cr.BoundMS/1000),
				fmt.Sprintf("%.1f s", cr.MedianWallMS/1000), cr.MedianWallMS <= cr.BoundMS},
			goal{what + ": requests per function", fmt.Sprintf("the single function's: %d Lambda, none beyond %d × its requests", one.Lambda, cr.Functions),
				fmt.Sprintf("%.2f Lambda per function; beyond: %s", cr.LambdaPerFunction, beyondLine(cr.Beyond)), len(cr.Beyond) == 0},
		)
	}
	if len(cancels) > 0 {
		// The slowest run decides, and every run must leave every alias
		// back.
		worst := slices.MaxFunc(cancels, func(a, b cancelResult) int { return cmp.Compare(a.LastMoveMS, b.LastMoveMS) })
		back, total, moved := 0, 0, true
		var statuses []string
		for _, c := range cancels {
			back += c.Functions - len(c.NotBack)
			total += c.Functions
			moved = moved && c.RollbackMoves > 0
			statuses = append(statuses, c.Status)
		}
		n := cancels[0].Functions
		out = append(out,
			goal{fmt.Sprintf("cancelled release of %d: SIGINT → last alias moved back", n), fmt.Sprintf("≤ %g s", cancelGoal.Seconds()),
				fmt.Sprintf("%.2f s, the slowest of %d (%s)", worst.LastMoveMS/1000, len(cancels), cancelTimes(cancels)),
				worst.LastMoveMS <= figures.MS(cancelGoal) && moved},
			goal{fmt.Sprintf("cancelled release of %d: aliases back on stable", n), fmt.Sprintf("all %d, no weights, in each run", n),
				fmt.Sprintf("%d of %d (status %s)", back, total, strings.Join(slices.Compact(statuses), ", ")), back == total},
		)
	}
	return out
}

// beyond is, by operation, the requests of a release of n functions beyond
// n times those of the release of one.
func beyond(got, one map[string]int, n int) map[string]int {
	out := map[string]int{}
	for op, k := range got {
		if extra := k - n*one[op]; extra > 0 {
			out[op] = extra
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func beyondLine(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	return opsLine(m)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// text is the table printed on the terminal.
func (r results) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s, %d cores, %d timed %s of each release; pacer %g/s, proxy quota %d/s\n\n",
		r.Date, r.GoVersion, r.Cores, r.Runs, plural(r.Runs, "run"), r.Budget, r.Quota)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "functions\tschedule\twall\tbound\trequests\tLambda\tcontrol plane\tLambda/function\tbusiest second\t429\t")
	for _, c := range r.Cases {
		fmt.Fprintf(tw, "%d\t%s\t%.1f s\t%s\t%d\t%d\t%d\t%.2f\t%d (%d)\t%d\t\n", c.Functions, c.Schedule, c.MedianWallMS/1000, bound(c),
			c.Requests, c.Lambda, c.ControlPlane, c.LambdaPerFunction, c.BusiestControlPlane, c.BusiestLambda, c.Throttled)
	}
	tw.Flush()
	fmt.Fprintf(&b, "(busiest second: control-plane requests, and in brackets Lambda requests of any kind, in the busiest second the proxy counted; bound: %g × Lambda requests ÷ budget + time(1))\n", timeSlack)
	for _, c := range r.Cases {
		fmt.Fprintf(&b, "\n%d %s, %s: %s", c.Functions, plural(c.Functions, "function"), c.Schedule, opsLine(c.ByOp))
	}
	fmt.Fprintln(&b)
	for i, c := range r.Cancels {
		fmt.Fprintf(&b, "\ncancelled release %d: %d functions, %s; SIGINT at %.2f s on %s, with %d aliases at the first step\n",
			i+1, c.Functions, c.Schedule, c.SignalAtMS/1000, c.Trigger, c.MovedBefore)
		fmt.Fprintf(&b, "  after SIGINT: first move back at %.2f s, last move answered at %.2f s, exit at %.2f s; %d moves, busiest second %d control-plane requests, %d answered 429\n",
			c.FirstMoveMS/1000, c.LastMoveMS/1000, c.ExitMS/1000, c.RollbackMoves, c.BusiestControlPlane, c.Throttled)
		fmt.Fprintf(&b, "  requests after SIGINT: %s\n", opsLine(c.AfterSignal))
		fmt.Fprintf(&b, "  still running at SIGTERM (7.5 s): %t, at the kill (10 s): %t; exit %d, status %s; back on stable: %d of %d\n",
			c.SIGTERM, c.Killed, c.ExitCode, c.Status, c.Functions-len(c.NotBack), c.Functions)
		for _, nb := range c.NotBack {
			fmt.Fprintf(&b, "    not back: %s\n", nb)
		}
	}
	fmt.Fprintf(&b, "\ngoals:\n")
	for _, g := range r.Goals {
		fmt.Fprintf(&b, "  %-7s %s: want %s, got %s\n", figures.Met(g.Met), g.Name, g.Want, g.Got)
	}
	return b.String()
}

func bound(c caseResult) string {
	if c.BoundMS == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f s", c.BoundMS/1000)
}

// markdown is results.md.
func (r results) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- written by `make bench` (internal/dev/releasebench); do not edit -->\n")
	fmt.Fprintf(&b, "### Benchmark: releases of several functions, within Lambda's quota\n\n")
	fmt.Fprintf(&b, "%s · `%s` · %d cores", r.Date, r.GoVersion, r.Cores)
	if r.CPU != "" {
		fmt.Fprintf(&b, " (%s)", r.CPU)
	}
	fmt.Fprintf(&b, " · %d timed %s of each release, median wall time\n\n", r.Runs, plural(r.Runs, "run"))
	fmt.Fprintf(&b, "Each release promotes N functions behind one REST API stage (api-id and stage set, so each function's integration and permission are checked), with new code on `$LATEST` of each before the run, by the built binary run as the runner runs it, through a proxy in front of moto with the realism layer's defaults: Lambda's control-plane quota of %d requests per second answered 429 beyond it, new versions Pending for a while, alias revisions. The pacer's budget is the `max-requests-per-second` default, %g per second. *Busiest second* is the most control-plane requests the proxy counted in one second (in brackets: Lambda requests of any kind, GetPolicy included); *bound* is %g × Lambda requests ÷ budget + time(1).\n\n", r.Quota, r.Budget, timeSlack)
	if len(r.Cases) > 0 {
		fmt.Fprintf(&b, "| functions | schedule | wall | bound | requests | Lambda | control plane | Lambda per function | busiest second | 429 |\n|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	}
	for _, c := range r.Cases {
		fmt.Fprintf(&b, "| %d | %s | %.1f s | %s | %d | %d | %d | %.2f | %d (%d) | %d |\n", c.Functions, c.Schedule, c.MedianWallMS/1000, bound(c),
			c.Requests, c.Lambda, c.ControlPlane, c.LambdaPerFunction, c.BusiestControlPlane, c.BusiestLambda, c.Throttled)
	}
	if len(r.Cancels) > 0 {
		c := r.Cancels[0]
		fmt.Fprintf(&b, "\n**Cancelled releases.** %d functions, %s, %d times. SIGINT on %s, with every alias at the first step; SIGTERM 7.5 s and the kill 10 s after it if still running, as the runner does. Times are from the SIGINT; the last move is when the proxy answered the last UpdateAlias.\n\n",
			c.Functions, c.Schedule, len(r.Cancels), c.Trigger)
		fmt.Fprintf(&b, "| run | SIGINT at | first move back | last move answered | exit | moves back | busiest second | 429 | running at SIGTERM | back on stable |\n|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|\n")
		for i, c := range r.Cancels {
			fmt.Fprintf(&b, "| %d | %.2f s | %.2f s | **%.2f s** | %.2f s | %d | %d | %d | %s | %d of %d |\n", i+1, c.SignalAtMS/1000,
				c.FirstMoveMS/1000, c.LastMoveMS/1000, c.ExitMS/1000, c.RollbackMoves, c.BusiestControlPlane, c.Throttled, yesNo(c.SIGTERM),
				c.Functions-len(c.NotBack), c.Functions)
		}
		fmt.Fprintf(&b, "\nRequests after SIGINT (first run): %s.\n", opsLine(c.AfterSignal))
	}
	fmt.Fprintf(&b, "\n| goal | want | got | |\n|---|---|---|---|\n")
	for _, g := range r.Goals {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", g.Name, g.Want, g.Got, figures.Met(g.Met))
	}
	if len(r.Cases) > 0 {
		fmt.Fprintf(&b, "\nRequests by operation (first run of each release):\n\n")
	}
	for _, c := range r.Cases {
		fmt.Fprintf(&b, "- %d %s, %s: %s\n", c.Functions, plural(c.Functions, "function"), c.Schedule, codeOps(c.ByOp))
	}
	return b.String()
}

func codeOps(m map[string]int) string {
	var parts []string
	for _, op := range slices.SortedFunc(maps.Keys(m), cmp.Compare) {
		parts = append(parts, fmt.Sprintf("`%s` %d", op, m[op]))
	}
	return strings.Join(parts, ", ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// cancelTimes is "4.27 s, 3.90 s, 4.02 s": each run's SIGINT to last move.
func cancelTimes(cs []cancelResult) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%.2f s", c.LastMoveMS/1000))
	}
	return strings.Join(parts, ", ")
}
