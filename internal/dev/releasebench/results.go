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
	"github.com/lambda-promote/lambda-promote/internal/pace"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
)

// The goals of the issue.
const (
	// timeSlack is the 1.2 of time(N) ≤ 1.2 × the slowest quota's
	// requests(N) ÷ its budget + time(1).
	timeSlack = 1.2
	// cancelGoal bounds the time from SIGINT to the last alias moved back.
	cancelGoal = 5 * time.Second
)

// caseRuns are the runs of one release: a number of functions, a plan and
// a pacing.
type caseRuns struct {
	functions int
	plan      plan
	pacing    pacing
	runs      []runResult
}

// results are the figures of one run of the bench, as written to
// results.json.
type results struct {
	figures.Machine
	Runs int `json:"runs"`
	// LoadStart and LoadEnd are the machine's load average over a minute
	// when the bench started and ended: the machine is shared.
	LoadStart float64 `json:"load_average_1m_at_start"`
	LoadEnd   float64 `json:"load_average_1m_at_end"`
	// Budget is the max-requests-per-second default the runs leave the
	// input at; Quotas each quota's budget with each pacing, and the
	// requests per second the proxy answers before it answers 429.
	Budget float64       `json:"max_requests_per_second"`
	Quotas []quotaBudget `json:"quotas"`

	Cases   []caseResult   `json:"releases"`
	Cancels []cancelResult `json:"cancelled_releases"`
	Goals   []goal         `json:"goals"`
}

// quotaBudget is one quota: AWS's (as the proxy answers it) and the pacer's
// budget in it with a bucket per quota.
type quotaBudget struct {
	Quota  string  `json:"quota"`
	AWS    int     `json:"proxy_quota_per_second"`
	Budget float64 `json:"budget_per_second"`
}

// caseResult is one release's figures: the median wall time, and the most
// any run counted of the rest.
type caseResult struct {
	Functions    int     `json:"functions"`
	Schedule     string  `json:"schedule"`
	Pacing       string  `json:"pacing"`
	MedianWallMS float64 `json:"median_wall_ms"`

	Requests          int          `json:"requests"`
	Lambda            int          `json:"lambda_requests"`
	LambdaPerFunction float64      `json:"lambda_requests_per_function"`
	Quotas            []quotaCount `json:"quotas"`
	BusiestLambda     int          `json:"busiest_second_lambda"`
	Throttled         int          `json:"throttled_429"`
	// ByOp is the requests of the first run by operation.
	ByOp map[string]int `json:"requests_by_operation"`

	// For a release of several functions, judged against the release of
	// one with the same schedule and pacing: the bound on its time and how
	// it was reckoned, and the requests beyond N times the single
	// function's, by operation.
	BoundMS float64        `json:"time_bound_ms,omitempty"`
	BoundOf string         `json:"time_bound_of,omitempty"`
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
		Cancels: cancels,
	}
	aws := faultproxy.DefaultRealism()
	proxy := map[pace.Quota]int{pace.ControlPlane: aws.ControlPlaneRate, pace.GetFunction: aws.GetFunctionRate, pace.GetPolicy: aws.GetPolicyRate}
	budgets := perQuota.budgets(budget)
	for _, q := range pace.Quotas {
		r.Quotas = append(r.Quotas, quotaBudget{Quota: q.String(), AWS: proxy[q], Budget: figures.Round3(budgets[q])})
	}
	type key struct{ schedule, pacing string }
	single := map[key]caseResult{}
	for _, c := range cases {
		cr := caseResult{Functions: c.functions, Schedule: c.plan.name, Pacing: c.pacing.Name, Runs: c.runs, ByOp: c.runs[0].ByOp}
		var walls []float64
		for _, run := range c.runs {
			walls = append(walls, run.WallMS)
			cr.Requests = max(cr.Requests, run.Requests)
			cr.Lambda = max(cr.Lambda, run.Lambda)
			cr.BusiestLambda = max(cr.BusiestLambda, run.BusiestLambda)
			cr.Throttled = max(cr.Throttled, run.Throttled)
			if cr.Quotas == nil {
				cr.Quotas = slices.Clone(run.Quotas)
			}
			for i, q := range run.Quotas {
				cr.Quotas[i].Requests = max(cr.Quotas[i].Requests, q.Requests)
				cr.Quotas[i].Busiest = max(cr.Quotas[i].Busiest, q.Busiest)
				cr.Quotas[i].Throttled = max(cr.Quotas[i].Throttled, q.Throttled)
			}
		}
		cr.MedianWallMS = figures.Median(walls)
		cr.LambdaPerFunction = figures.Round3(float64(cr.Lambda) / float64(c.functions))
		k := key{cr.Schedule, cr.Pacing}
		if c.functions == 1 {
			single[k] = cr
		} else if one, ok := single[k]; ok {
			cr.BoundMS, cr.BoundOf = bound(cr, c.pacing.budgets(budget), c.pacing == oneBucket, one.MedianWallMS)
			cr.Beyond = beyond(cr.ByOp, one.ByOp, c.functions)
		}
		r.Cases = append(r.Cases, cr)
	}
	r.Goals = goals(r.Cases, func(cr caseResult) (caseResult, bool) {
		one, ok := single[key{cr.Schedule, cr.Pacing}]
		return one, ok
	}, cancels, budgets)
	return r
}

// bound is the time a release should take at most: timeSlack × the
// slowest bucket's requests ÷ its budget, plus the time of the release of
// one (time1). With one bucket for all, that bucket holds every Lambda
// request; with a bucket per quota, each quota's requests.
func bound(cr caseResult, budgets map[pace.Quota]float64, one bool, time1 float64) (float64, string) {
	if one {
		b := budgets[pace.ControlPlane]
		return figures.Round3(timeSlack*float64(cr.Lambda)/b*1000 + time1),
			fmt.Sprintf("%g × %d Lambda requests ÷ %g/s + time(1) %.1f s", timeSlack, cr.Lambda, b, time1/1000)
	}
	slowest, of := 0.0, ""
	var parts []string
	for _, q := range cr.Quotas {
		quota, _ := quotaNamed(q.Quota)
		b := budgets[quota]
		parts = append(parts, fmt.Sprintf("%s %d ÷ %.3g/s", q.Quota, q.Requests, b))
		if t := float64(q.Requests) / b; t > slowest || of == "" {
			slowest, of = t, q.Quota
		}
	}
	return figures.Round3(timeSlack*slowest*1000 + time1),
		fmt.Sprintf("%g × max(%s) (%s) + time(1) %.1f s", timeSlack, strings.Join(parts, ", "), of, time1/1000)
}

// quotaNamed is the quota whose String is name.
func quotaNamed(name string) (pace.Quota, bool) {
	for _, q := range pace.Quotas {
		if q.String() == name {
			return q, true
		}
	}
	return 0, false
}

// goals judges the releases paced per quota and the cancelled ones against
// the goals; the releases paced as before are there to compare.
func goals(cases []caseResult, single func(caseResult) (caseResult, bool), cancels []cancelResult, budgets map[pace.Quota]float64) []goal {
	var out []goal
	for _, cr := range cases {
		if cr.Pacing != perQuota.Name {
			continue
		}
		what := fmt.Sprintf("%d %s, %s", cr.Functions, plural(cr.Functions, "function"), cr.Schedule)
		var want, got []string
		within := true
		for _, q := range cr.Quotas {
			quota, _ := quotaNamed(q.Quota)
			want = append(want, fmt.Sprintf("%s ≤ %.3g", q.Quota, budgets[quota]))
			got = append(got, fmt.Sprintf("%s %d", q.Quota, q.Busiest))
			within = within && float64(q.Busiest) <= budgets[quota]
		}
		out = append(out,
			goal{what + ": busiest second of each quota", strings.Join(want, ", ") + " (the pacer's budgets)", strings.Join(got, ", "), within},
			goal{what + ": 429 answered", "0", fmt.Sprint(cr.Throttled), cr.Throttled == 0},
		)
		one, ok := single(cr)
		if cr.Functions == 1 || !ok {
			continue
		}
		out = append(out,
			goal{what + ": time", fmt.Sprintf("≤ %s = %.1f s", cr.BoundOf, cr.BoundMS/1000),
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

// quotaLine is "control plane 150 (busiest second 10), GetFunction ...".
func quotaLine(qs []quotaCount) string {
	var parts []string
	for _, q := range qs {
		parts = append(parts, fmt.Sprintf("%s %d (busiest second %d)", q.Quota, q.Requests, q.Busiest))
	}
	return strings.Join(parts, ", ")
}

// cell is a quota's figures in a table: "150 · 10", its requests and its
// busiest second, with its 429s when there were any.
func cell(q quotaCount) string {
	s := fmt.Sprintf("%d · %d", q.Requests, q.Busiest)
	if q.Throttled > 0 {
		s += fmt.Sprintf(" (%d × 429)", q.Throttled)
	}
	return s
}

// text is the table printed on the terminal.
func (r results) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s, %d cores, load %.2f at the start and %.2f at the end, %d timed %s of each release; max-requests-per-second %g; %s\n\n",
		r.Date, r.GoVersion, r.Cores, r.LoadStart, r.LoadEnd, r.Runs, plural(r.Runs, "run"), r.Budget, r.budgetLine())
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "functions\tschedule\tpacing\twall\tbound\trequests\tLambda\tLambda/function\t")
	for _, q := range r.Quotas {
		fmt.Fprintf(tw, "%s\t", q.Quota)
	}
	fmt.Fprintln(tw, "429\tload\t")
	for _, c := range r.Cases {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.1f s\t%s\t%d\t%d\t%.2f\t", c.Functions, c.Schedule, c.Pacing, c.MedianWallMS/1000, boundCell(c),
			c.Requests, c.Lambda, c.LambdaPerFunction)
		for _, q := range c.Quotas {
			fmt.Fprintf(tw, "%s\t", cell(q))
		}
		fmt.Fprintf(tw, "%d\t%.2f\t\n", c.Throttled, c.Runs[0].Load1)
	}
	tw.Flush()
	fmt.Fprintf(&b, "(each quota: its requests · its busiest second, as the proxy counted them; bound: %g × the slowest bucket's requests ÷ its budget + time(1))\n", timeSlack)
	for _, c := range r.Cases {
		fmt.Fprintf(&b, "\n%d %s, %s, paced %s: %s", c.Functions, plural(c.Functions, "function"), c.Schedule, c.Pacing, opsLine(c.ByOp))
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

// budgetLine is "budgets per quota: control plane 10/s of 15, ...".
func (r results) budgetLine() string {
	var parts []string
	for _, q := range r.Quotas {
		parts = append(parts, fmt.Sprintf("%s %.3g/s of %d", q.Quota, q.Budget, q.AWS))
	}
	return "budgets per quota: " + strings.Join(parts, ", ")
}

func boundCell(c caseResult) string {
	if c.BoundMS == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f s", c.BoundMS/1000)
}

// markdown is results.md.
func (r results) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- written by `make bench` (internal/dev/releasebench); do not edit -->\n")
	fmt.Fprintf(&b, "### Benchmark: releases of several functions, within Lambda's quotas\n\n")
	fmt.Fprintf(&b, "%s · `%s` · %d cores", r.Date, r.GoVersion, r.Cores)
	if r.CPU != "" {
		fmt.Fprintf(&b, " (%s)", r.CPU)
	}
	fmt.Fprintf(&b, ", shared: load average %.2f at the start, %.2f at the end · %d timed %s of each release, median wall time\n\n", r.LoadStart, r.LoadEnd, r.Runs, plural(r.Runs, "run"))
	fmt.Fprintf(&b, "Each release promotes N functions behind one REST API stage (api-id and stage set, so each function's integration and permission are checked), with new code on `$LATEST` of each before the run, by the built binary run as the runner runs it, through a proxy in front of moto with the realism layer's defaults: each of Lambda's request quotas answered 429 beyond it, new versions Pending for a while, alias revisions. `max-requests-per-second` is left at its default, %g. Each release runs twice: paced *one bucket*, as before (every Lambda call in one bucket at %g per second, functions read with `GetFunctionConfiguration`), and paced *per quota* (a bucket per quota, functions read with `GetFunction`):\n\n", r.Budget, r.Budget)
	fmt.Fprintf(&b, "| quota | AWS (the proxy) | budget per quota |\n|---|--:|--:|\n")
	for _, q := range r.Quotas {
		fmt.Fprintf(&b, "| %s | %d/s | %.3g/s |\n", q.Quota, q.AWS, q.Budget)
	}
	fmt.Fprintf(&b, "\nEach quota's cell is its requests · its busiest second, as the proxy counted them. *Bound* is %g × the slowest bucket's requests ÷ its budget + time(1) of the same schedule and pacing: one bucket holds every Lambda request.\n\n", timeSlack)
	if len(r.Cases) > 0 {
		fmt.Fprint(&b, "| functions | schedule | pacing | wall | bound | requests | Lambda | Lambda per function |")
		for _, q := range r.Quotas {
			fmt.Fprintf(&b, " %s |", q.Quota)
		}
		fmt.Fprint(&b, " 429 | load |\n|--:|---|---|--:|--:|--:|--:|--:|")
		for range r.Quotas {
			fmt.Fprint(&b, "--:|")
		}
		fmt.Fprint(&b, "--:|--:|\n")
	}
	for _, c := range r.Cases {
		fmt.Fprintf(&b, "| %d | %s | %s | %.1f s | %s | %d | %d | %.2f |", c.Functions, c.Schedule, c.Pacing, c.MedianWallMS/1000, boundCell(c),
			c.Requests, c.Lambda, c.LambdaPerFunction)
		for _, q := range c.Quotas {
			fmt.Fprintf(&b, " %s |", cell(q))
		}
		fmt.Fprintf(&b, " %d | %.2f |\n", c.Throttled, c.Runs[0].Load1)
	}
	if len(r.Cancels) > 0 {
		c := r.Cancels[0]
		fmt.Fprintf(&b, "\n**Cancelled releases.** %d functions, %s, paced per quota, %d times. SIGINT on %s, with every alias at the first step; SIGTERM 7.5 s and the kill 10 s after it if still running, as the runner does. Times are from the SIGINT; the last move is when the proxy answered the last UpdateAlias.\n\n",
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
		fmt.Fprintf(&b, "- %d %s, %s, paced %s: %s\n", c.Functions, plural(c.Functions, "function"), c.Schedule, c.Pacing, codeOps(c.ByOp))
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
