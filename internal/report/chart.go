package report

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
)

// maxChartPoints bounds the points of a chart: enough for a rollout's shape,
// few enough for the x-axis labels to stay readable.
const maxChartPoints = 40

// The rollout is drawn with Mermaid's xychart-beta, which GitHub renders in
// a fenced code block tagged mermaid
// (https://docs.github.com/en/get-started/writing-on-github/working-with-advanced-formatting/creating-diagrams);
// the syntax is https://mermaid.js.org/syntax/xyChart.html. One statement
// the parser does not take turns the whole chart into an error box, so the
// code emits only this subset, which the tests check line by line:
//
//	xychart-beta
//	    title "TEXT"
//	    x-axis "TEXT" ["LABEL", "LABEL", …]
//	    y-axis "TEXT" MIN --> MAX
//	    line [NUMBER, NUMBER, …]
//	    bar [NUMBER, NUMBER, …]
//
// Every text is generated here, quoted, and limited to chartText's
// characters: a quoted string ends at the next '"', and Mermaid reads "#…;"
// as an entity and "%%" as a comment before it parses. Numbers are plain
// decimals (the grammar has no exponent), one per label.

// rolloutChart is the folded chart of a rollout of version v: the weight on
// v over time and, when gates read it, v's error rate against the maximum.
// It is "" with fewer than two events.
func rolloutChart(events []outcome.Event, v string) string {
	if len(events) < 2 {
		return ""
	}
	name := chartText(v)
	if name == "" {
		name = "new version"
	} else {
		name = "version " + name
	}
	idx := sample(len(events), nil)
	weights := make([]float64, len(idx))
	for i, k := range idx {
		weights[i] = float64(events[k].Weight)
	}
	var b strings.Builder
	b.WriteString("<details><summary>Chart of the rollout</summary>\n\n")
	b.WriteString(xyChart("Traffic on "+name+" (%)", eventLabels(events, idx), "Traffic (%)", 0, 100,
		series{kind: "line", values: weights}))

	var readings []outcome.Event // events with an error-rate reading
	var gs []outcome.Gate        // their readings
	var failing []int
	for _, e := range events {
		for _, g := range e.Gates {
			if g.Kind == outcome.GateErrorRate {
				if !g.OK {
					failing = append(failing, len(readings))
				}
				readings = append(readings, e)
				gs = append(gs, g)
				break
			}
		}
	}
	if len(readings) > 0 {
		idx := sample(len(readings), failing)
		rates := make([]float64, len(idx))
		maxes := make([]float64, len(idx))
		top, withMax := 0.0, false
		for i, k := range idx {
			rates[i] = chartValue(gs[k].Rate)
			maxes[i] = chartValue(gs[k].Max)
			withMax = withMax || gs[k].Max > 0
			top = max(top, rates[i], maxes[i])
		}
		ss := []series{{kind: "bar", values: rates}}
		t := "Error rate of " + name + " (%)"
		if withMax {
			ss = append(ss, series{kind: "line", values: maxes})
			t = "Error rate of " + name + " (bars) and max-error-rate (line), %"
		}
		b.WriteString("\n" + xyChart(t, eventLabels(readings, idx), "Errors / invocations (%)", 0, niceCeil(top*1.25), ss...))
	}
	b.WriteString("\n</details>\n\n")
	return b.String()
}

// series is one line or bar series of a chart.
type series struct {
	kind   string // "line" or "bar"
	values []float64
}

// xyChart renders one chart as a fenced mermaid block.
func xyChart(title string, labels []string, yTitle string, lo, hi float64, ss ...series) string {
	var b strings.Builder
	b.WriteString("```mermaid\nxychart-beta\n")
	b.WriteString("    title " + quote(title) + "\n")
	quoted := make([]string, len(labels))
	for i, l := range labels {
		quoted[i] = quote(l)
	}
	b.WriteString("    x-axis " + quote("Time (UTC)") + " [" + strings.Join(quoted, ", ") + "]\n")
	b.WriteString("    y-axis " + quote(yTitle) + " " + number(lo) + " --> " + number(hi) + "\n")
	for _, s := range ss {
		nums := make([]string, len(s.values))
		for i, v := range s.values {
			nums[i] = number(min(max(v, lo), hi))
		}
		b.WriteString("    " + s.kind + " [" + strings.Join(nums, ", ") + "]\n")
	}
	b.WriteString("```\n")
	return b.String()
}

// quote is s as a chart string: chartText's characters, in double quotes.
func quote(s string) string { return `"` + chartText(s) + `"` }

// chartText keeps the characters of s a chart label may hold (letters,
// digits, space and . , : ( ) / + - %) and at most 60 of them; "%%" becomes
// "%".
func chartText(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == 60 {
			break
		}
		ok := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune(" .,:()/+-%", r)
		if !ok || r == '%' && strings.HasSuffix(b.String(), "%") {
			continue
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// number is v as the grammar's number: a plain decimal, at most four
// decimals, never negative zero, NaN or infinity.
func number(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	v = math.Round(v*1e4) / 1e4
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// chartValue is a percentage as a chart value.
func chartValue(p percent.Percent) float64 {
	f := float64(p)
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0
	}
	return f
}

// niceCeil is the smallest of 1, 2, 2.5 and 5 times a power of ten that is at
// least x, and at least 1: a y-axis top that reads well.
func niceCeil(x float64) float64 {
	if !(x > 1) || math.IsInf(x, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

// sample picks at most maxChartPoints of n indices in order: the first, the
// last, the must ones while room is left, and evenly spread ones up to the
// limit.
func sample(n int, must []int) []int {
	if n <= maxChartPoints {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	set := map[int]bool{0: true, n - 1: true}
	for _, k := range must {
		if len(set) >= maxChartPoints/2 {
			break
		}
		set[k] = true
	}
	for i := 0; len(set) < maxChartPoints && i < maxChartPoints; i++ {
		set[i*(n-1)/(maxChartPoints-1)] = true
	}
	idx := make([]int, 0, len(set))
	for k := range set {
		idx = append(idx, k)
	}
	slices.Sort(idx)
	return idx
}

// eventLabels are the times of events[idx…] as distinct x-axis labels:
// "02:00:20", and "02:00:20 (2)" for a second event in the same second.
func eventLabels(events []outcome.Event, idx []int) []string {
	labels := make([]string, len(idx))
	seen := map[string]int{}
	for i, k := range idx {
		l := "unknown"
		if !events[k].At.IsZero() {
			l = events[k].At.UTC().Format("15:04:05")
		}
		seen[l]++
		if n := seen[l]; n > 1 {
			l += " (" + strconv.Itoa(n) + ")"
		}
		labels[i] = l
	}
	return labels
}
