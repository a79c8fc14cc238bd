// Package report renders a promotion's outcome for people and for the
// runner: the job summary, the pull-request comment, and the step outputs.
//
// Everything that comes from outside the program (names, descriptions, AWS
// error messages) goes through Escape or into a fenced code block, so that it
// can neither format the page, nor mention anyone, nor leave a table cell.
// Renderers read no clock: every time shown comes from the Result.
package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// summaryBudget is what Summary aims to stay under: the runner's limit less
// room for anything else the step appends.
const summaryBudget = SummaryLimit - 64<<10

// Limits on what a report shows, in runes or items. They keep the summary
// readable and, with the timeline trimmed to fit, under summaryBudget.
const (
	maxName      = 200  // function, alias, version, strategy, stage names
	maxError     = 4000 // the error
	maxSentence  = 2000 // AliasState, Next
	maxDetail    = 1000 // a check's Detail
	maxFix       = 4000 // a check's Fix
	maxChecks    = 50   // checks listed
	maxPlanStep  = 500  // one step of the plan
	maxPlanSteps = 200  // steps listed
	maxNote      = 300  // a timeline note
	maxGateText  = 200  // a gate's name or detail
	maxGates     = 8    // gates shown per timeline row
	maxTimeline  = 500  // timeline rows shown, before the byte budget
)

// Summary renders r as the job summary: what happened, where the alias is
// now, what to do next, the checks, the traffic timeline, the plan of a dry
// run and the links. It stays under the runner's 1 MiB summary limit by
// trimming the timeline (first and last rows kept) and long texts.
func Summary(r outcome.Result, l Links) string {
	var head strings.Builder
	head.WriteString("### " + title(r) + "\n\n")
	writeSituation(&head, r, maxError, maxSentence)
	writeTable(&head, r)
	writeChecks(&head, r.Checks)

	var tail strings.Builder
	if r.Status == outcome.DryRun {
		writePlan(&tail, r.Plan)
	}
	writeLinks(&tail, r, l)

	var timeline string
	if len(r.Timeline) > 1 {
		timeline = renderTimeline(r.Timeline, summaryBudget-head.Len()-tail.Len())
	}
	return head.String() + timeline + tail.String()
}

// title is the one-line status badge shared by the summary and the comment.
func title(r outcome.Result) string {
	fn, alias := text(r.FunctionName, maxName), text(r.Alias, maxName)
	to := version(target(r))
	switch r.Status {
	case outcome.Promoted:
		return fmt.Sprintf("✅ %s: %s → %s promoted", fn, alias, to)
	case outcome.Canary:
		return fmt.Sprintf("🟡 %s: %s canary holds %s%% on %s", fn, alias, r.TrafficWeight.Number(), to)
	case outcome.Unchanged:
		return fmt.Sprintf("✅ %s: %s already serves %s (unchanged)", fn, alias, text(r.Version, maxName))
	case outcome.RolledBack:
		return fmt.Sprintf("↩️ %s: %s rolled back to %s (%s not promoted)", fn, alias, version(r.Version), to)
	case outcome.Failed:
		return fmt.Sprintf("❌ %s: %s → %s failed", fn, alias, to)
	case outcome.DryRun:
		return fmt.Sprintf("📝 %s: %s → %s dry run (nothing changed)", fn, alias, to)
	}
	return fmt.Sprintf("❔ %s: %s → %s %s", fn, alias, to, text(string(r.Status), maxName))
}

// version is an escaped version, or "none" when there is none.
func version(v string) string {
	if v == "" {
		return "none"
	}
	return text(v, maxName)
}

// writeSituation writes the error, where the alias is now and what to run
// next, each when set: the first thing the person on call reads.
func writeSituation(b *strings.Builder, r outcome.Result, maxErr, maxSent int) {
	if r.Error != "" {
		b.WriteString("**Error:** " + text(r.Error, maxErr) + "\n\n")
	}
	if r.AliasState != "" {
		b.WriteString("**Alias now:** " + text(r.AliasState, maxSent) + "\n\n")
	}
	if r.Next != "" {
		b.WriteString("**Next:** " + text(r.Next, maxSent) + "\n\n")
	}
}

func writeTable(b *strings.Builder, r outcome.Result) {
	row := func(k, v string) { b.WriteString("| " + k + " | " + v + " |\n") }
	b.WriteString("| | |\n|---|---|\n")
	row("Function", text(r.FunctionName, maxName))
	alias := text(r.Alias, maxName)
	if r.AliasCreated {
		alias += " (created by this run)"
	}
	row("Alias", alias)
	row("Version", versionChange(r))
	row("Now serves", serves(r))
	row("Status", text(string(r.Status), maxName))
	row("Traffic on new version", r.TrafficWeight.Number()+"%")
	if r.Strategy != "" {
		row("Strategy", text(r.Strategy, maxName))
	}
	if s := stage(r); s != "" {
		row("Stage", s)
	}
	if r.Region != "" {
		row("Region", text(r.Region, maxName))
	}
	row("Duration", duration(r))
	b.WriteString("\n")
}

// versionChange is "6 → 7", or "7 (unchanged)".
func versionChange(r outcome.Result) string {
	if r.Status == outcome.Unchanged {
		return version(r.Version) + " (unchanged)"
	}
	from := version(r.PreviousVersion)
	if r.PreviousVersion == "" && r.AliasCreated {
		from = "none (new alias)"
	}
	change := from + " → " + version(target(r))
	if (r.Status == outcome.Failed || r.Status == outcome.RolledBack) && r.Version != target(r) {
		change += " (not promoted)"
	}
	return change
}

// serves says which versions take the alias's traffic at the end.
func serves(r outcome.Result) string {
	if r.Status == outcome.Canary && r.PreviousVersion != "" && r.NewVersion != "" {
		return fmt.Sprintf("%s on %s%%, %s on %s%%",
			version(r.NewVersion), r.TrafficWeight.Number(),
			version(r.PreviousVersion), (100 - r.TrafficWeight).Number())
	}
	return version(r.Version)
}

// stage is "API/stage", linked to the stage URL when there is one.
func stage(r outcome.Result) string {
	if r.APIID == "" && r.Stage == "" {
		if r.StageURL == "" {
			return ""
		}
		return link(r.StageURL, r.StageURL)
	}
	name := truncate(r.APIID, maxName) + "/" + truncate(r.Stage, maxName)
	return link(name, r.StageURL)
}

func duration(r outcome.Result) string {
	if r.Started.IsZero() || r.Finished.IsZero() {
		return "unknown"
	}
	d := r.Duration().Round(time.Second)
	return d.String() + ", started " + r.Started.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

func writeChecks(b *strings.Builder, checks []outcome.Check) {
	if len(checks) == 0 {
		return
	}
	b.WriteString("#### Checks\n\n| | Check | Found |\n|---|---|---|\n")
	shown := checks[:min(len(checks), maxChecks)]
	for _, c := range shown {
		fmt.Fprintf(b, "| %s | %s | %s |\n", mark(c.OK), text(c.Name, maxName), text(c.Detail, maxDetail))
	}
	if n := len(checks) - len(shown); n > 0 {
		fmt.Fprintf(b, "| | %d more checks not shown | |\n", n)
	}
	b.WriteString("\n")
	for _, c := range shown {
		if c.OK || c.Fix == "" {
			continue
		}
		b.WriteString("**Fix for " + text(c.Name, maxName) + ":**\n\n")
		b.WriteString(codeBlock(truncate(c.Fix, maxFix), "sh") + "\n")
	}
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

// renderTimeline renders the traffic timeline in at most budget bytes and
// maxTimeline rows. When rows must go, the first and the last are kept,
// rows are taken alternately from both ends, and a row in the middle says how
// many were left out.
func renderTimeline(events []outcome.Event, budget int) string {
	const header = "#### Traffic timeline\n\n| Time (UTC) | Weight | Gates | Note |\n|---|---|---|---|\n"
	const gapRow = "| … | | | %d rows left out |\n"
	const gapNote = "%d of %d timeline rows left out to keep the summary short.\n\n"
	budget -= len(header) + len(gapRow) + len(gapNote) + 64
	var head, tail []string
	used := 0
	for i, j := 0, len(events)-1; i <= j && len(head)+len(tail) < maxTimeline; {
		var row string
		fromHead := len(head) <= len(tail)
		if fromHead {
			row = timelineRow(events[i])
		} else {
			row = timelineRow(events[j])
		}
		if used+len(row) > budget {
			break
		}
		used += len(row)
		if fromHead {
			head = append(head, row)
			i++
		} else {
			tail = append(tail, row)
			j--
		}
	}
	var b strings.Builder
	b.Grow(len(header) + used + 256)
	b.WriteString(header)
	for _, row := range head {
		b.WriteString(row)
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

func timelineRow(e outcome.Event) string {
	at := "unknown"
	if !e.At.IsZero() {
		at = e.At.UTC().Format("15:04:05")
	}
	return "| " + at + " | " + e.Weight.Number() + "% | " + gates(e.Gates) + " | " + text(e.Note, maxNote) + " |\n"
}

func gates(gs []outcome.Gate) string {
	parts := make([]string, 0, min(len(gs), maxGates)+1)
	for _, g := range gs[:min(len(gs), maxGates)] {
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

func writePlan(b *strings.Builder, plan []string) {
	b.WriteString("#### Plan\n\n")
	if len(plan) == 0 {
		b.WriteString("Nothing to do.\n\n")
		return
	}
	shown := plan[:min(len(plan), maxPlanSteps)]
	for i, step := range shown {
		fmt.Fprintf(b, "%d. %s\n", i+1, text(step, maxPlanStep))
	}
	if n := len(plan) - len(shown); n > 0 {
		fmt.Fprintf(b, "\n%d more steps not shown.\n", n)
	}
	b.WriteString("\n")
}

func writeLinks(b *strings.Builder, r outcome.Result, l Links) {
	var items []string
	if u := safeURL(r.StageURL); u != "" {
		items = append(items, "- Stage: "+link(r.StageURL, u))
	}
	if u := safeURL(l.ConsoleURL); u != "" {
		items = append(items, "- ["+"Lambda console"+"]("+u+")")
	}
	if u := safeURL(l.RunURL); u != "" {
		items = append(items, "- [Workflow run]("+u+")")
	}
	if len(items) == 0 {
		return
	}
	b.WriteString("#### Links\n\n" + strings.Join(items, "\n") + "\n")
}
