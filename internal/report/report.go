// Package report renders a promotion's outcome for people and for the
// runner: the job summary, the pull-request comment, and the step outputs.
//
// Both the summary and the comment lead with what the person on call needs:
// the title, the error, where the alias is now and what to run next (the
// exact command, and the fix of every failed check), then the facts and the
// links that lead somewhere (the new version's logs, the alarms, the
// metrics, the alias, the run, the commit). The summary adds the checks, the
// plan of a dry run and the traffic timeline with a chart of the rollout;
// the comment stays text, since it is also read in e-mail.
//
// Everything that comes from outside the program (names, descriptions, AWS
// error messages, inputs) goes through Escape or into a fenced code block,
// so that it can neither format the page, nor mention anyone, nor leave a
// table cell. Renderers read no clock: every time shown comes from the
// Result. They render what they are given: the caller redacts secrets first.
package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// Limits on what a report shows, in runes or items. They keep the summary
// readable and, with the timeline trimmed to fit, under summaryBudget.
const (
	maxName       = 200  // function, alias, version, strategy, stage names
	maxError      = 4000 // the error
	maxSentence   = 2000 // AliasState, Next
	maxCode       = 4000 // NextCode, a check's Fix
	maxDetail     = 1000 // a check's Detail
	maxChecks     = 50   // checks listed
	maxPlanStep   = 500  // one step of the plan
	maxPlanSteps  = 200  // steps listed
	maxNote       = 300  // a timeline note
	maxGateText   = 200  // a gate's name or detail
	maxGates      = 8    // gates shown per timeline row
	maxTimeline   = 500  // timeline rows shown, before the byte budget
	maxAlarmLinks = 10   // alarms linked
)

// leadLimits bound the lead of a report: the comment's are tighter, since a
// comment is read in a pull request's conversation and must stay well under
// GitHub's 65,536-character limit.
type leadLimits struct{ err, sentence, code, checks int }

var (
	summaryLead = leadLimits{err: maxError, sentence: maxSentence, code: maxCode, checks: maxChecks}
	commentLead = leadLimits{err: 1500, sentence: 1000, code: 1500, checks: 10}
)

// title is the one-line status of one function's promotion, shared by the
// summary and the comment: the function, the alias, the version change and
// how it ended. Each status has its own mark, so that unchanged does not
// read as promoted.
func title(r outcome.Result) string {
	if r.Release() {
		return releaseTitle(r)
	}
	fn, alias := text(r.FunctionName, maxName), text(r.Alias, maxName)
	change := versionChange(r)
	switch r.Status {
	case outcome.Promoted:
		return fmt.Sprintf("✅ %s: %s %s promoted", fn, alias, change)
	case outcome.Canary:
		return fmt.Sprintf("🟡 %s: %s %s canary holds %s", fn, alias, change, r.TrafficWeight)
	case outcome.Unchanged:
		return fmt.Sprintf("➖ %s: %s unchanged, still serves %s", fn, alias, version(r.Version))
	case outcome.RolledBack:
		return fmt.Sprintf("↩️ %s: %s %s rolled back", fn, alias, change)
	case outcome.Failed:
		return fmt.Sprintf("❌ %s: %s %s failed", fn, alias, change)
	case outcome.DryRun:
		return fmt.Sprintf("📝 %s: %s %s dry run, nothing changed", fn, alias, change)
	}
	return fmt.Sprintf("❔ %s: %s %s %s", fn, alias, change, text(string(r.Status), maxName))
}

// releaseTitle is the title of a release of several functions.
func releaseTitle(r outcome.Result) string {
	what := fmt.Sprintf("release of %d functions: %s", len(r.Functions), text(r.Alias, maxName))
	switch r.Status {
	case outcome.Promoted:
		return "✅ " + what + " promoted"
	case outcome.Canary:
		return fmt.Sprintf("🟡 %s canary holds %s", what, r.TrafficWeight)
	case outcome.Unchanged:
		return "➖ " + what + " unchanged"
	case outcome.RolledBack:
		return "↩️ " + what + " rolled back"
	case outcome.Failed:
		return "❌ " + what + " failed"
	case outcome.DryRun:
		return "📝 " + what + " dry run, nothing changed"
	}
	return "❔ " + what + " " + text(string(r.Status), maxName)
}

// maxFunctionRows bounds the rows of the per-function table.
const maxFunctionRows = 200

// writeFunctions writes a release's table: a row per function, its version
// before and after, its status, its weight and where its alias is, the
// failed ones first.
func writeFunctions(b *strings.Builder, r outcome.Result) {
	if !r.Release() {
		return
	}
	ordered := make([]outcome.FunctionResult, 0, len(r.Functions))
	for _, ok := range []bool{false, true} {
		for _, f := range r.Functions {
			if (f.Status != outcome.Failed && f.Status != outcome.RolledBack) == ok {
				ordered = append(ordered, f)
			}
		}
	}
	shown := ordered[:min(len(ordered), maxFunctionRows)]
	b.WriteString("| Function | Version | Status | Traffic on new | Alias now |\n|---|---|---|---|---|\n")
	for _, f := range shown {
		from := version(f.PreviousVersion)
		if f.PreviousVersion == "" && f.AliasCreated {
			from = "new alias"
		}
		to := f.NewVersion
		if to == "" {
			to = f.Version
		}
		fmt.Fprintf(b, "| %s | %s → %s | %s %s | %s | %s |\n", text(f.FunctionName, maxName), from, version(to),
			statusMark(f.Status), text(string(f.Status), maxName), f.TrafficWeight, text(f.AliasState, maxSentence))
	}
	if n := len(ordered) - len(shown); n > 0 {
		fmt.Fprintf(b, "| %d more functions | | | | not shown |\n", n)
	}
	b.WriteString("\n")
}

// statusMark marks a function's status in the release table.
func statusMark(s outcome.Status) string {
	switch s {
	case outcome.Promoted:
		return "✅"
	case outcome.Canary:
		return "🟡"
	case outcome.Unchanged:
		return "➖"
	case outcome.RolledBack:
		return "↩️"
	case outcome.Failed:
		return "❌"
	case outcome.DryRun:
		return "📝"
	}
	return "❔"
}

// versionChange is "6 → 7", "new alias → 7" for an alias this run created,
// or "none → 7".
func versionChange(r outcome.Result) string {
	from := version(r.PreviousVersion)
	if r.PreviousVersion == "" && r.AliasCreated {
		from = "new alias"
	}
	return from + " → " + version(target(r))
}

// target is the version the run promoted or tried to promote.
func target(r outcome.Result) string {
	if r.NewVersion != "" {
		return r.NewVersion
	}
	return r.Version
}

// version is an escaped version, or "none" when there is none.
func version(v string) string {
	if v == "" {
		return "none"
	}
	return text(v, maxName)
}

// writeError writes the run's error: one line, or for several errors (one
// a line, as errors.Join writes them) one bullet each, so that each reads
// on its own. Together they keep within n runes.
func writeError(b *strings.Builder, err string, n int) {
	var lines []string
	for l := range strings.SplitSeq(truncate(err, n), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) <= 1 {
		b.WriteString("**Error:** " + Escape(strings.Join(lines, "")) + "\n\n")
		return
	}
	b.WriteString("**Error:**\n\n")
	for _, l := range lines {
		b.WriteString("- " + Escape(l) + "\n")
	}
	b.WriteString("\n")
}

// writeLead writes what the person on call reads first, right under the
// title: the error, where the alias is now, and what to do next — the
// sentence, the exact command or inputs as code, the detail and fix command
// of every failed check, and for a rollout left split, that nobody watches it
// and when its next step is due.
func writeLead(b *strings.Builder, r outcome.Result, lim leadLimits) {
	if r.Error != "" {
		writeError(b, r.Error, lim.err)
	}
	if r.AliasState != "" {
		b.WriteString("**Alias now:** " + text(r.AliasState, lim.sentence) + "\n\n")
	}
	failed := failedChecks(r.Checks)
	next := r.Next
	if next == "" && len(failed) > 0 {
		next = "fix what the failed checks below found, then run again"
	}
	switch {
	case next != "":
		b.WriteString("**Next:** " + text(next, lim.sentence) + "\n\n")
	case r.NextCode != "":
		b.WriteString("**Next:**\n\n")
	}
	if r.NextCode != "" {
		b.WriteString(codeBlock(truncate(r.NextCode, lim.code), codeLang(r.NextCode)) + "\n")
	}
	shown := failed[:min(len(failed), lim.checks)]
	for _, c := range shown {
		line := "❌ **" + text(c.Name, maxName) + ":**"
		if c.Detail != "" {
			line += " " + text(c.Detail, maxDetail)
		}
		b.WriteString(line + "\n\n")
		if c.Fix != "" {
			b.WriteString(codeBlock(truncate(c.Fix, lim.code), "sh") + "\n")
		}
	}
	if n := len(failed) - len(shown); n > 0 {
		fmt.Fprintf(b, "%d more failed checks are not shown here.\n\n", n)
	}
	if !r.NextStepAt.IsZero() {
		b.WriteString("**Next step due:** " + r.NextStepAt.UTC().Format(time.RFC3339) + "\n\n")
	}
	const unwatched = ": alarms and the error rate are read only while a run is going on.\n\n"
	switch {
	case !r.NextStepAt.IsZero():
		b.WriteString("⚠️ Nobody watches this rollout until a run takes that step" + unwatched)
	case r.Status == outcome.Canary:
		b.WriteString("⚠️ Nobody watches this canary until the next run" + unwatched)
	}
}

// failedChecks are the checks that did not pass, in their order.
func failedChecks(checks []outcome.Check) []outcome.Check {
	var failed []outcome.Check
	for _, c := range checks {
		if !c.OK {
			failed = append(failed, c)
		}
	}
	return failed
}

// codeLang is the language hint of a NextCode block: sh for a command, yaml
// for workflow inputs (name: value lines), none otherwise.
func codeLang(code string) string {
	yaml, lines := true, 0
	for _, line := range strings.Split(code, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lines++
		for _, cmd := range []string{"aws ", "gh ", "lambda-promote ", "curl ", "printf "} {
			if lines == 1 && strings.HasPrefix(line, cmd) {
				return "sh"
			}
		}
		key, _, ok := strings.Cut(line, ": ")
		if !ok {
			key, ok = strings.CutSuffix(line, ":")
		}
		yaml = yaml && ok && key != "" && strings.Trim(key, "abcdefghijklmnopqrstuvwxyz0123456789-_") == ""
	}
	if yaml && lines > 0 {
		return "yaml"
	}
	return ""
}

// fact is one named fact about one function's promotion: a column of the
// facts table, or an item of the comment's facts line.
type fact struct{ name, value string }

// facts are what a report says about one function's promotion beyond its
// title: the strategy, the stage, the region, when it started and how long
// it took. A release of several functions renders them as one row per
// function, with the title's facts (function, alias, change, status) as
// leading columns.
func facts(r outcome.Result) []fact {
	fs := []fact{
		{"Strategy", text(r.Strategy, maxName)},
		{"Stage", stage(r)},
		{"Region", text(r.Region, maxName)},
	}
	if !r.Started.IsZero() {
		fs = append(fs, fact{"Started (UTC)", r.Started.UTC().Format("2006-01-02 15:04:05")})
	}
	if !r.Started.IsZero() && !r.Finished.IsZero() {
		fs = append(fs, fact{"Took", r.Duration().Round(time.Second).String()})
	}
	return fs
}

// stage is "API/stage", linked to the stage's invoke URL when there is one.
func stage(r outcome.Result) string {
	if r.APIID == "" && r.Stage == "" {
		if safeURL(r.StageURL) == "" {
			return ""
		}
		return link(r.StageURL, r.StageURL)
	}
	return link(truncate(r.APIID, maxName)+"/"+truncate(r.Stage, maxName), r.StageURL)
}

// writeFactsTable writes one table with a row per function and a column per
// fact that some row has; a row without a fact shows "—". It writes nothing
// when no row has a fact.
func writeFactsTable(b *strings.Builder, rows [][]fact) {
	var cols []string
	has := map[string]bool{}
	for _, row := range rows {
		for _, f := range row {
			if f.value != "" && !has[f.name] {
				has[f.name] = true
				cols = append(cols, f.name)
			}
		}
	}
	if len(cols) == 0 {
		return
	}
	b.WriteString("| " + strings.Join(cols, " | ") + " |\n|" + strings.Repeat("---|", len(cols)) + "\n")
	for _, row := range rows {
		cells := make([]string, len(cols))
		for i, col := range cols {
			cells[i] = "—"
			for _, f := range row {
				if f.name == col && f.value != "" {
					cells[i] = f.value
				}
			}
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	b.WriteString("\n")
}

// factsLine is one function's facts as one line of text, for the comment.
func factsLine(fs []fact) string {
	var parts []string
	for _, f := range fs {
		if f.value != "" {
			parts = append(parts, "**"+f.name+":** "+f.value)
		}
	}
	return strings.Join(parts, " · ")
}

// footer names the run, the commit and who started it, in normal-size text;
// "" for a run from a terminal.
func footer(run Run) string {
	var parts []string
	if u := run.URL(); u != "" {
		label := fmt.Sprintf("Run %d", run.ID)
		if run.Attempt > 0 {
			label += fmt.Sprintf(", attempt %d", run.Attempt)
		}
		parts = append(parts, link(label, u))
	}
	if run.SHA != "" {
		short := run.SHA[:min(len(run.SHA), 7)]
		if u := run.CommitURL(); u != "" {
			parts = append(parts, "commit "+link(short, u))
		} else {
			parts = append(parts, "commit "+text(short, maxName))
		}
	}
	if run.Actor != "" {
		by := "by " + text(run.Actor, maxName)
		if run.TriggeringActor != "" && run.TriggeringActor != run.Actor {
			by += ", re-run by " + text(run.TriggeringActor, maxName)
		}
		parts = append(parts, by)
	}
	return strings.Join(parts, " · ")
}

// mark is the mark of a passed or failed check or gate.
func mark(ok bool) string {
	if ok {
		return "✅"
	}
	return "❌"
}

// writePlan writes a dry run's planned steps, folded.
func writePlan(b *strings.Builder, plan []string) {
	if len(plan) == 0 {
		b.WriteString("The plan has no steps: nothing would change.\n\n")
		return
	}
	shown := plan[:min(len(plan), maxPlanSteps)]
	fmt.Fprintf(b, "<details><summary>Plan: %d steps</summary>\n\n", len(plan))
	for i, step := range shown {
		fmt.Fprintf(b, "%d. %s\n", i+1, text(step, maxPlanStep))
	}
	if n := len(plan) - len(shown); n > 0 {
		fmt.Fprintf(b, "\n%d more steps not shown.\n", n)
	}
	b.WriteString("\n</details>\n\n")
}
