package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/dev/figures"
)

// The targets of the issue. MB is 10^6 bytes.
const (
	targetVsCLI   = 0.1
	targetVsFloor = 1.0
	targetRSSKiB  = 40_000_000 / 1024
	targetSize    = 20_000_000
)

// minOp is a request a promotion cannot do without, and why.
type minOp struct {
	Op  string `json:"op"`
	Why string `json:"why"`
}

// minimum is the fewest requests of an all-at-once promotion with api-id and
// stage: the steps every way does.
var minimum = []minOp{
	{"lambda.GetFunction", "is $LATEST Active/Successful (the wait); it also gives the function ARN, code hash and revision that PublishVersion is made conditional on (the configuration GetFunctionConfiguration gives, on GetFunction's own quota)"},
	{"lambda.PublishVersion", "publish $LATEST as a new version"},
	{"apigateway.GetStage", "the stage variable lambdaAlias must equal the alias"},
	{"lambda.GetPolicy", "the alias's resource policy must let apigateway.amazonaws.com invoke it from this API"},
	{"lambda.UpdateAlias", "move the alias, with its weights cleared"},
}

// contract are the reads the action's contract (SPEC.md) adds to the
// minimum, which the CLI script and the floor skip.
var contract = []minOp{
	{"lambda.GetAlias", "the previous-version output and the rollback record; its revision makes UpdateAlias refuse when someone else moved the alias; a missing alias is created instead"},
	{"apigateway.GetResources", "\"make sure the stage really calls the alias\": the integration URI must name the function through ${stageVariables.lambdaAlias}"},
	{"apigateway.GetAuthorizers", "an authorizer that calls the function is invoked by API Gateway too: the alias permission must allow its source ARN (APIID/authorizers/ID)"},
	{"lambda.ListEventSourceMappings", "what calls the function besides the alias (require-alias-traffic): the event source mappings of the Region, each judged by its FunctionArn"},
	{"lambda.GetFunctionUrlConfig (404)", "what calls the function: the function URL of $LATEST (404: the bench's function has none)"},
	{"lambda.GetFunctionUrlConfig (404)", "what calls the function: the function URL of the alias (404: none)"},
	{"lambda.GetPolicy", "what calls the function: the unqualified function's resource policy, whose grants may invoke $LATEST"},
}

// results are the figures of one `make bench`, as written to results.json.
type results struct {
	figures.Machine
	AWSCLI     string `json:"aws_cli,omitempty"`
	Runs       int    `json:"runs"`
	WarmupRuns int    `json:"warmup_runs"`
	// LatencyMS is the delay the proxy added to every request; 0 for none.
	LatencyMS float64 `json:"added_latency_ms"`

	Ways []wayResult `json:"ways"`

	ActionVsCLI   float64 `json:"action_vs_cli"`
	ActionVsFloor float64 `json:"action_vs_floor"`

	Minimum         []minOp  `json:"minimum_requests"`
	ContractReads   []minOp  `json:"contract_reads"`
	ActionRequests  []string `json:"action_requests"`
	BeyondMinimum   []string `json:"action_requests_beyond_minimum"`
	BeyondContract  []string `json:"action_requests_beyond_contract"`
	RequestsVaryTo  int      `json:"action_requests_max"`
	BinaryBytes     int64    `json:"action_binary_bytes"`
	BinaryNote      string   `json:"action_binary_note"`
	FloorBinaryByte int64    `json:"floor_binary_bytes"`

	Targets []target `json:"targets"`

	// Startup is, for the action and the floor, where the time to the
	// first request went in one run with GODEBUG=inittrace=1.
	Startup map[string]startup `json:"startup_inittrace"`
}

type wayResult struct {
	Key           string    `json:"key"`
	Title         string    `json:"title"`
	Function      string    `json:"function"`
	MedianMS      float64   `json:"median_ms"`
	MinMS         float64   `json:"min_ms"`
	MaxMS         float64   `json:"max_ms"`
	WallMS        []float64 `json:"wall_ms"`
	FirstReqMS    float64   `json:"median_first_request_ms"`
	MaxRSSKiB     int64     `json:"peak_rss_kib"`
	Requests      int       `json:"requests"`
	RequestsOrder []string  `json:"request_order"`
	// Timeline is when each request of the median run reached the proxy.
	Timeline []Arrival `json:"median_run_timeline"`
	// MedianRunMS is the wall time of that run, for reading the timeline.
	MedianRunMS float64 `json:"median_run_ms"`
}

type target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

func summarize(ways []*way, o options, size int64, sizeNote string, floorSize int64, now time.Time) results {
	r := results{
		Machine:         figures.ThisMachine(now),
		AWSCLI:          figures.AWSCLIVersion(),
		Runs:            o.n,
		WarmupRuns:      o.warmup,
		LatencyMS:       figures.MS(o.latency),
		Minimum:         minimum,
		ContractReads:   contract,
		BinaryBytes:     size,
		BinaryNote:      sizeNote,
		FloorBinaryByte: floorSize,
	}
	byKey := map[string]wayResult{}
	var action *way
	for _, w := range ways {
		wr := wayResult{Key: w.key, Title: w.title, Function: w.world.Function}
		var walls, firsts []time.Duration
		for _, s := range w.samples {
			walls = append(walls, s.Wall)
			firsts = append(firsts, s.FirstReq)
			wr.WallMS = append(wr.WallMS, figures.MS(s.Wall))
			wr.MaxRSSKiB = max(wr.MaxRSSKiB, s.MaxRSS)
			wr.Requests = max(wr.Requests, len(s.Ops))
		}
		wr.MedianMS = figures.MS(figures.Median(walls))
		wr.MinMS = figures.MS(slices.Min(walls))
		wr.MaxMS = figures.MS(slices.Max(walls))
		wr.FirstReqMS = figures.MS(figures.Median(firsts))
		wr.RequestsOrder = w.samples[0].Ops
		mid := medianSample(w.samples)
		wr.Timeline, wr.MedianRunMS = mid.Timeline, figures.MS(mid.Wall)
		r.Ways = append(r.Ways, wr)
		byKey[w.key] = wr
		if w.key == wayAction {
			action = w
		}
	}
	a, c, f := byKey[wayAction], byKey[wayCLI], byKey[wayFloor]
	r.ActionVsCLI = figures.Round3(a.MedianMS / c.MedianMS)
	r.ActionVsFloor = figures.Round3(a.MedianMS / f.MedianMS)
	r.ActionRequests = a.RequestsOrder
	r.RequestsVaryTo = a.Requests
	r.BeyondMinimum = beyond(a.RequestsOrder, minimum)
	r.BeyondContract = beyond(a.RequestsOrder, append(slices.Clone(minimum), contract...))
	for _, s := range action.samples {
		// Every run must make the same requests, in whatever order.
		if len(s.Ops) != len(a.RequestsOrder) {
			r.BeyondContract = append(r.BeyondContract, fmt.Sprintf("(a run made %d requests)", len(s.Ops)))
			break
		}
	}

	r.Targets = []target{
		{"action vs AWS CLI script", fmt.Sprintf("≤ %.1f×", targetVsCLI), fmt.Sprintf("%.3f×", r.ActionVsCLI), r.ActionVsCLI <= targetVsCLI},
		{"action vs sequential SDK floor", fmt.Sprintf("≤ %.1f×", targetVsFloor), fmt.Sprintf("%.3f×", r.ActionVsFloor), r.ActionVsFloor <= targetVsFloor},
		{"action requests beyond the minimum", fmt.Sprintf("0 (minimum %d + %d contract reads = %d)", len(minimum), len(contract), len(minimum)+len(contract)),
			fmt.Sprintf("%d requests, %d beyond: %s", a.Requests, len(r.BeyondContract), listOrNone(r.BeyondContract)), len(r.BeyondContract) == 0},
		{"action peak RSS", "≤ 40 MB", fmt.Sprintf("%.1f MB", float64(a.MaxRSSKiB)*1024/1e6), a.MaxRSSKiB <= targetRSSKiB},
		{"stripped action binary", "≤ 20 MB", fmt.Sprintf("%.1f MB", float64(size)/1e6), size <= targetSize},
	}
	return r
}

// allOps is every operation a way makes, by name.
func allOps() []string {
	var out []string
	for _, m := range append(slices.Clone(minimum), contract...) {
		out = append(out, m.Op)
	}
	return append(out, "apigateway.GetRestApi", "apigatewayv2.GetApi", "apigatewayv2.GetStage", "apigatewayv2.GetIntegrations", "lambda.CreateAlias")
}

// beyond is the requests of ops not covered by allowed, each allowed op
// covering one request.
func beyond(ops []string, allowed []minOp) []string {
	left := map[string]int{}
	for _, m := range allowed {
		left[m.Op]++
	}
	var out []string
	for _, op := range ops {
		if left[op] > 0 {
			left[op]--
			continue
		}
		out = append(out, op)
	}
	return out
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// medianSample is the run whose wall time is the median (the lower middle
// one when the count is even).
func medianSample(s []sample) sample {
	sorted := slices.SortedFunc(slices.Values(s), func(x, y sample) int { return cmp.Compare(x.Wall, y.Wall) })
	return sorted[(len(sorted)-1)/2]
}

// text is the table printed on the terminal.
func (r results) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s, %d cores, %d timed runs of each way (alternating, after %d warm-up)", r.Date, r.GoVersion, r.Cores, r.Runs, r.WarmupRuns)
	if r.LatencyMS > 0 {
		fmt.Fprintf(&b, ", %g ms added to every request", r.LatencyMS)
	}
	fmt.Fprint(&b, "\n\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "way\tmedian\tmin\tmax\tfirst request\tpeak RSS\trequests\t")
	for _, w := range r.Ways {
		fmt.Fprintf(tw, "%s\t%.1f ms\t%.1f ms\t%.1f ms\t%.1f ms\t%.1f MB\t%d\t\n",
			w.Title, w.MedianMS, w.MinMS, w.MaxMS, w.FirstReqMS, float64(w.MaxRSSKiB)*1024/1e6, w.Requests)
	}
	tw.Flush()
	fmt.Fprintf(&b, "\naction / CLI script: %.3f   action / floor: %.3f   stripped binary: %.1f MB (%s; floor %.1f MB)\n",
		r.ActionVsCLI, r.ActionVsFloor, float64(r.BinaryBytes)/1e6, r.BinaryNote, float64(r.FloorBinaryByte)/1e6)
	fmt.Fprintf(&b, "\naction requests (first timed run, in order of arrival): %s\n", strings.Join(r.ActionRequests, ", "))
	fmt.Fprintf(&b, "minimum: %s\n", opNames(r.Minimum))
	fmt.Fprintf(&b, "contract reads: %s\n", opNames(r.ContractReads))
	fmt.Fprintf(&b, "beyond minimum + contract: %s\n", listOrNone(r.BeyondContract))
	fmt.Fprintf(&b, "\nrequest timeline of each way's median run (ms after process start, when the proxy got it):\n")
	for _, w := range r.Ways {
		fmt.Fprintf(&b, "  %-7s", w.Key)
		for _, a := range w.Timeline {
			fmt.Fprintf(&b, " %s@%.1f", strings.TrimSuffix(strings.SplitN(a.Op, ".", 2)[1], " (404)"), a.AtMS)
		}
		fmt.Fprintf(&b, " exit@%.1f\n", w.MedianRunMS)
	}
	fmt.Fprintf(&b, "\nstartup (one extra run each with GODEBUG=inittrace=1):\n")
	for _, key := range []string{wayAction, wayFloor} {
		st, ok := r.Startup[key]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "  %-7s package inits done @%.1f ms (%.1f ms of init clock, %.1f MB allocated), first request @%.1f ms; largest:",
			key, st.InitEndMS, st.InitMS, float64(st.InitAllocB)/1e6, st.FirstReqMS)
		for _, p := range st.Top {
			fmt.Fprintf(&b, " %s %.1f ms;", p.Pkg, p.ClockMS)
		}
		fmt.Fprintln(&b)
	}
	fmt.Fprintf(&b, "\ntargets:\n")
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "  %-7s %s: want %s, got %s\n", figures.Met(t.Met), t.Name, t.Want, t.Got)
	}
	return b.String()
}

// markdown is results.md, for the README to include.
func (r results) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- written by `make bench` (internal/dev/bench); do not edit -->\n")
	fmt.Fprintf(&b, "### Benchmark: an all-at-once promotion against moto\n\n")
	fmt.Fprintf(&b, "%s · `%s` · %d cores", r.Date, r.GoVersion, r.Cores)
	if r.CPU != "" {
		fmt.Fprintf(&b, " (%s)", r.CPU)
	}
	if r.AWSCLI != "" {
		fmt.Fprintf(&b, " · %s", r.AWSCLI)
	}
	fmt.Fprintf(&b, " · median of %d runs of each way, alternating, after %d warm-up", r.Runs, r.WarmupRuns)
	if r.LatencyMS > 0 {
		fmt.Fprintf(&b, " · the proxy added %g ms to every request", r.LatencyMS)
	}
	fmt.Fprint(&b, "\n\n")
	fmt.Fprintf(&b, "Each way waits for the function, publishes `$LATEST`, checks the REST API stage variable `lambdaAlias` and the alias permission, and moves the alias, on its own function, with new code on `$LATEST` before every run. Requests are counted by a proxy in front of moto; *first request* is the time from process start to the first request reaching it.\n\n")
	fmt.Fprintf(&b, "| way | median | min | max | first request | peak RSS | requests |\n|---|--:|--:|--:|--:|--:|--:|\n")
	for _, w := range r.Ways {
		fmt.Fprintf(&b, "| %s | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f MB | %d |\n",
			w.Title, w.MedianMS, w.MinMS, w.MaxMS, w.FirstReqMS, float64(w.MaxRSSKiB)*1024/1e6, w.Requests)
	}
	fmt.Fprintf(&b, "\n| target | want | got | |\n|---|---|---|---|\n")
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.Name, t.Want, t.Got, figures.Met(t.Met))
	}
	fmt.Fprintf(&b, "\nThe action's requests (one run, in order of arrival): %s.\n\n", figures.Code(r.ActionRequests))
	fmt.Fprintf(&b, "The minimum, what every way does:\n\n")
	for _, m := range r.Minimum {
		fmt.Fprintf(&b, "- `%s`: %s\n", m.Op, m.Why)
	}
	fmt.Fprintf(&b, "\nReads the action's contract adds, which the script and the floor skip:\n\n")
	for _, m := range r.ContractReads {
		fmt.Fprintf(&b, "- `%s`: %s\n", m.Op, m.Why)
	}
	fmt.Fprintf(&b, "\nPeak RSS of the CLI script is that of the largest process it waited for (one `aws` run). The stripped action binary is %.1f MB (%s); the floor, built the same way, is %.1f MB.\n",
		float64(r.BinaryBytes)/1e6, r.BinaryNote, float64(r.FloorBinaryByte)/1e6)
	return b.String()
}

func opNames(ops []minOp) string {
	var s []string
	for _, o := range ops {
		s = append(s, o.Op)
	}
	return strings.Join(s, ", ")
}
