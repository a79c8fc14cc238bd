package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// SummaryLimit is the most the runner accepts in one step's
// GITHUB_STEP_SUMMARY file; a larger summary is dropped.
const SummaryLimit = 1 << 20

// summaryBudget is what Summary aims to stay under: the runner's limit less
// room for anything else the step appends.
const summaryBudget = SummaryLimit - 64<<10

// Summary renders r as the job summary of run: the title, the lead (error,
// alias now, next), the facts, the links, the checks (failed first), the
// plan of a dry run, the traffic timeline with a chart of the rollout, and
// the run, commit and actor. It stays under the runner's 1 MiB summary limit
// by trimming the timeline (first and last rows kept) and long texts.
func Summary(r outcome.Result, run Run) string {
	var head strings.Builder
	head.WriteString("### " + title(r) + "\n\n")
	writeLead(&head, r, summaryLead)
	writeFunctions(&head, r)
	writeFactsTable(&head, [][]fact{facts(r)})
	if items := linkItems(r, linksFor(r)); len(items) > 0 {
		head.WriteString("- " + strings.Join(items, "\n- ") + "\n\n")
	}
	writeChecks(&head, r.Checks)
	writePaths(&head, r)
	if r.Status == outcome.DryRun {
		writePlan(&head, r.Plan)
	}

	var tail string
	if f := footer(run); f != "" {
		tail = f + "\n"
	}
	var timeline string
	if len(r.Timeline) > 1 {
		timeline = renderTimeline(r.Timeline, target(r), r.Error, summaryBudget-head.Len()-len(tail))
	}
	return head.String() + timeline + tail
}

// writeChecks writes the checks, failed ones first and all marked; when all
// passed, folded.
func writeChecks(b *strings.Builder, checks []outcome.Check) {
	if len(checks) == 0 {
		return
	}
	ordered := append(failedChecks(checks), passedChecks(checks)...)
	shown := ordered[:min(len(ordered), maxChecks)]
	var t strings.Builder
	t.WriteString("| Check | Found |\n|---|---|\n")
	for _, c := range shown {
		fmt.Fprintf(&t, "| %s %s | %s |\n", mark(c.OK), text(c.Name, maxName), text(c.Detail, maxDetail))
	}
	if n := len(checks) - len(shown); n > 0 {
		fmt.Fprintf(&t, "| %d more checks | not shown |\n", n)
	}
	failed := len(checks) - len(passedChecks(checks))
	if failed > 0 {
		fmt.Fprintf(b, "#### Checks: %d of %d failed\n\n%s\n", failed, len(checks), t.String())
		return
	}
	fmt.Fprintf(b, "<details><summary>✅ All %d checks passed</summary>\n\n%s\n</details>\n\n", len(checks), t.String())
}

func passedChecks(checks []outcome.Check) []outcome.Check {
	var passed []outcome.Check
	for _, c := range checks {
		if c.OK {
			passed = append(passed, c)
		}
	}
	return passed
}

// renderTimeline renders the traffic timeline of version v in at most
// budget bytes and maxTimeline rows: a folded chart of the rollout, then one
// row per event with every gate reading and its numbers. A note that repeats
// the run's error (errText) leaves it out: the error is said once, at the
// top. When rows must go,
// the first and the last are kept, rows are taken alternately from both
// ends, and a row in the middle says how many were left out.
func renderTimeline(events []outcome.Event, v, errText string, budget int) string {
	rate, other := false, false
	for _, e := range events {
		for _, g := range e.Gates {
			if g.Kind == outcome.GateErrorRate {
				rate = true
			} else {
				other = true
			}
		}
	}
	cols := []string{"Time (UTC)", "Weight"}
	if rate {
		cols = append(cols, "Error rate")
	}
	if other {
		cols = append(cols, "Gates")
	}
	cols = append(cols, "Note")
	header := "#### Traffic timeline\n\n" + rolloutChart(events, v) +
		"| " + strings.Join(cols, " | ") + " |\n|" + strings.Repeat("---|", len(cols)) + "\n"
	gapRow := "| … |" + strings.Repeat(" |", len(cols)-2) + " %d rows left out |\n"
	const gapNote = "%d of %d timeline rows left out to keep the summary short.\n\n"
	budget -= len(header) + len(gapRow) + len(gapNote) + 64
	row := func(e outcome.Event) string { return timelineRow(e, errText, rate, other) }

	var head, tail []string
	used := 0
	for i, j := 0, len(events)-1; i <= j && len(head)+len(tail) < maxTimeline; {
		var r string
		fromHead := len(head) <= len(tail)
		if fromHead {
			r = row(events[i])
		} else {
			r = row(events[j])
		}
		if used+len(r) > budget {
			break
		}
		used += len(r)
		if fromHead {
			head = append(head, r)
			i++
		} else {
			tail = append(tail, r)
			j--
		}
	}
	var b strings.Builder
	b.Grow(len(header) + used + 256)
	b.WriteString(header)
	for _, r := range head {
		b.WriteString(r)
	}
	left := len(events) - len(head) - len(tail)
	if left > 0 {
		fmt.Fprintf(&b, gapRow, left)
	}
	for i := len(tail) - 1; i >= 0; i-- {
		b.WriteString(tail[i])
	}
	b.WriteString("\n")
	if left > 0 {
		fmt.Fprintf(&b, gapNote, left, len(events))
	}
	return b.String()
}

// timelineRow is one event: its time, the weight, the error-rate reading
// with its numbers (when the timeline has a rate column), the other gates
// (when it has a gates column) and the note.
func timelineRow(e outcome.Event, errText string, rateCol, gatesCol bool) string {
	at := "unknown"
	if !e.At.IsZero() {
		at = e.At.UTC().Format("15:04:05")
	}
	cells := []string{at, e.Weight.String()}
	var others []outcome.Gate
	var reading *outcome.Gate
	for i, g := range e.Gates {
		if g.Kind == outcome.GateErrorRate && reading == nil {
			reading = &e.Gates[i]
			continue
		}
		others = append(others, g)
	}
	if rateCol {
		cell := "—"
		if reading != nil {
			cell = rateReading(*reading)
		}
		cells = append(cells, cell)
	}
	if gatesCol {
		cells = append(cells, gates(others))
	}
	cells = append(cells, text(note(e.Note, errText), maxNote))
	return "| " + strings.Join(cells, " | ") + " |\n"
}

// note is a timeline note without the run's error in it: "rolled back:
// ERROR" reads "rolled back (see Error)".
func note(n, errText string) string {
	if errText == "" || !strings.Contains(n, errText) {
		return n
	}
	n = strings.TrimRight(strings.TrimSpace(strings.Replace(n, errText, "", 1)), ":;,- ")
	if n == "" {
		return "see Error"
	}
	return n + " (see Error)"
}

// rateReading is an error-rate reading with its numbers:
// "✅ 0.00% (0 errors / 212 invocations), within max 2.00%".
func rateReading(g outcome.Gate) string {
	if g.Invocations == 0 {
		return mark(g.OK) + " no invocations yet"
	}
	s := fmt.Sprintf("%s %s (%s / %s)", mark(g.OK), g.Rate.Fixed(), count(g.Errors, "error"), count(g.Invocations, "invocation"))
	if g.Max > 0 {
		cmp := ", within"
		if g.Rate > g.Max {
			cmp = ", above"
		}
		s += cmp + " max " + g.Max.Fixed()
	}
	return s
}

// count is a metric sum as a plain number with its unit: "1 error",
// "212 invocations", "2.5 errors".
func count(f float64, unit string) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if f != 1 {
		unit += "s"
	}
	return s + " " + unit
}

// gates are the readings of gates other than the error rate: "✅ name: detail".
func gates(gs []outcome.Gate) string {
	if len(gs) == 0 {
		return "—"
	}
	parts := make([]string, 0, min(len(gs), maxGates)+1)
	for _, g := range gs[:min(len(gs), maxGates)] {
		if g.Compare != nil {
			parts = append(parts, compareReading(g))
			continue
		}
		s := mark(g.OK) + " " + text(g.Name, maxGateText)
		if g.Detail != "" {
			s += ": " + text(g.Detail, maxGateText)
		}
		parts = append(parts, s)
	}
	if n := len(gs) - maxGates; n > 0 {
		parts = append(parts, "+"+strconv.Itoa(n)+" more")
	}
	return strings.Join(parts, "; ")
}
