package report

import (
	"bytes"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	gmtext "github.com/yuin/goldmark/text"
)

// gfm parses markdown as CommonMark with GitHub's extensions (tables,
// strikethrough, autolinks, task lists), as GitHub renders summaries and
// comments.
var gfm = goldmark.New(goldmark.WithExtensions(extension.GFM))

// allowedHTML is the raw HTML a report may carry: the comment's marker, and
// the <details> that fold the checks, the plan and the chart.
var allowedHTML = regexp.MustCompile(`^(<!-- lambda-promote:[^<>]* -->|<details><summary>[^<>]*</summary>|</details>)$`)

// checkStructure parses md as GitHub does and fails on an empty table header
// row, a link or autolink that is not an absolute https URL with a host, an
// image, raw HTML other than allowedHTML, or a Mermaid block outside the
// chart subset the code emits.
func checkStructure(t reporter, md string) {
	t.Helper()
	src := []byte(md)
	doc := gfm.Parser().Parse(gmtext.NewReader(src))
	err := ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *extast.TableHeader:
			empty := true
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				if strings.TrimSpace(plain(c, src)) != "" {
					empty = false
				}
			}
			if empty {
				t.Errorf("table with an empty header row:\n%s", md)
			}
		case *ast.Link:
			checkLink(t, string(n.Destination))
		case *ast.AutoLink:
			checkLink(t, string(n.URL(src)))
		case *ast.Image:
			t.Errorf("image %q in a report", n.Destination)
		case *ast.HTMLBlock:
			for i := 0; i < n.Lines().Len(); i++ {
				seg := n.Lines().At(i)
				if line := strings.TrimSpace(string(seg.Value(src))); !allowedHTML.MatchString(line) {
					t.Errorf("raw HTML block line %q", line)
				}
			}
			if n.HasClosure() {
				if line := strings.TrimSpace(string(n.ClosureLine.Value(src))); line != "" && !allowedHTML.MatchString(line) {
					t.Errorf("raw HTML block line %q", line)
				}
			}
		case *ast.RawHTML:
			for i := 0; i < n.Segments.Len(); i++ {
				seg := n.Segments.At(i)
				if s := string(seg.Value(src)); !allowedHTML.MatchString(s) {
					t.Errorf("inline raw HTML %q", s)
				}
			}
		case *ast.FencedCodeBlock:
			if string(n.Language(src)) == "mermaid" {
				var code bytes.Buffer
				for i := 0; i < n.Lines().Len(); i++ {
					seg := n.Lines().At(i)
					code.Write(seg.Value(src))
				}
				if err := validateXYChart(code.String()); err != nil {
					t.Errorf("mermaid block does not parse: %v\n%s", err, code.String())
				}
			}
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		t.Errorf("walk: %v", err)
	}
}

// reporter is the part of testing.T the checks use, so that a test can
// make sure they fail.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// recorder is a reporter that records whether a check failed.
type recorder struct{ failed bool }

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }

// plain is the text of n and its children.
func plain(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := c.(*ast.Text); ok && entering {
			b.Write(t.Segment.Value(src))
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

func checkLink(t reporter, dest string) {
	t.Helper()
	u, err := url.Parse(dest)
	switch {
	case err != nil:
		t.Errorf("link %q does not parse: %v", dest, err)
	case u.Scheme != "https" || u.Host == "" || u.Opaque != "" || u.User != nil:
		t.Errorf("link %q is not an absolute https URL with a host", dest)
	}
}

// The subset of Mermaid's xychart grammar the code emits (see chart.go).
var (
	chartNum    = `[+-]?(?:\d+(?:\.\d+)?|\.\d+)`
	chartTitle  = regexp.MustCompile(`^    title "([^"]*)"$`)
	chartXAxis  = regexp.MustCompile(`^    x-axis "([^"]*)" \[((?:"[^"]*", )*"[^"]*")\]$`)
	chartLabel  = regexp.MustCompile(`"([^"]*)"`)
	chartYAxis  = regexp.MustCompile(`^    y-axis "([^"]*)" (` + chartNum + `) --> (` + chartNum + `)$`)
	chartSeries = regexp.MustCompile(`^    (line|bar) \[(` + chartNum + `(?:, ` + chartNum + `)*)\]$`)
)

// validateXYChart checks code against the chart subset the code relies on:
// the header, at most one title, one x-axis of quoted distinct labels, one
// y-axis with a range, and line or bar series with one number per label,
// each within the range; every text quoted and free of what Mermaid reads
// before parsing ("#…;" entities, "%%" comments) and of HTML.
func validateXYChart(code string) error {
	lines := strings.Split(strings.TrimSuffix(code, "\n"), "\n")
	if len(lines) == 0 || lines[0] != "xychart-beta" {
		return fmt.Errorf("first line %q, want xychart-beta", lines[0])
	}
	var (
		labels       []string
		lo, hi       float64
		titles, ys   int
		seriesCount  int
		checkText    = func(s string) error { return chartTextOK(s) }
		parseNumbers = func(s string) ([]float64, error) {
			var out []float64
			for _, f := range strings.Split(s, ", ") {
				v, err := strconv.ParseFloat(f, 64)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			return out, nil
		}
	)
	for i, line := range lines[1:] {
		switch {
		case chartTitle.MatchString(line):
			titles++
			if err := checkText(chartTitle.FindStringSubmatch(line)[1]); err != nil {
				return fmt.Errorf("line %d: title: %w", i+2, err)
			}
		case chartXAxis.MatchString(line):
			if labels != nil {
				return fmt.Errorf("line %d: a second x-axis", i+2)
			}
			m := chartXAxis.FindStringSubmatch(line)
			if err := checkText(m[1]); err != nil {
				return fmt.Errorf("line %d: x-axis title: %w", i+2, err)
			}
			seen := map[string]bool{}
			for _, l := range chartLabel.FindAllStringSubmatch(m[2], -1) {
				if err := checkText(l[1]); err != nil || l[1] == "" {
					return fmt.Errorf("line %d: label %q: %v", i+2, l[1], err)
				}
				if seen[l[1]] {
					return fmt.Errorf("line %d: label %q twice", i+2, l[1])
				}
				seen[l[1]] = true
				labels = append(labels, l[1])
			}
		case chartYAxis.MatchString(line):
			ys++
			m := chartYAxis.FindStringSubmatch(line)
			if err := checkText(m[1]); err != nil {
				return fmt.Errorf("line %d: y-axis title: %w", i+2, err)
			}
			lo, _ = strconv.ParseFloat(m[2], 64)
			hi, _ = strconv.ParseFloat(m[3], 64)
			if !(lo < hi) {
				return fmt.Errorf("line %d: y-axis range %v --> %v", i+2, lo, hi)
			}
		case chartSeries.MatchString(line):
			seriesCount++
			if labels == nil || ys == 0 {
				return fmt.Errorf("line %d: a series before the axes", i+2)
			}
			nums, err := parseNumbers(chartSeries.FindStringSubmatch(line)[2])
			if err != nil {
				return fmt.Errorf("line %d: %w", i+2, err)
			}
			if len(nums) != len(labels) {
				return fmt.Errorf("line %d: %d values for %d labels", i+2, len(nums), len(labels))
			}
			for _, v := range nums {
				if v < lo || v > hi || math.IsNaN(v) {
					return fmt.Errorf("line %d: value %v outside %v --> %v", i+2, v, lo, hi)
				}
			}
		default:
			return fmt.Errorf("line %d: %q is not in the chart subset", i+2, line)
		}
	}
	switch {
	case titles > 1:
		return fmt.Errorf("%d titles", titles)
	case ys != 1:
		return fmt.Errorf("%d y-axes, want 1", ys)
	case seriesCount == 0:
		return fmt.Errorf("no series")
	}
	return nil
}

// chartTextOK reports why s cannot be a chart text: Mermaid decodes "#…;"
// entities and drops "%%" comments before it parses, and HTML is
// sanitized away.
func chartTextOK(s string) error {
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return fmt.Errorf("control character %q", r)
		}
	}
	for _, bad := range []string{"#", ";", "%%", "<", ">", "`", `"`} {
		if strings.Contains(s, bad) {
			return fmt.Errorf("%q in %q", bad, s)
		}
	}
	return nil
}

// TestGoldenMarkdown renders every golden file as GitHub does and checks
// its structure; comments carry no chart (they are read in e-mail too).
func TestGoldenMarkdown(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * len(fixtures()); len(paths) != want {
		t.Errorf("%d golden files, want %d (a summary and a comment per fixture)", len(paths), want)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			md := string(data)
			comment := strings.HasSuffix(path, ".comment.golden")
			checkStructure(t, md)
			checkSafe(t, md, comment)
			if comment && strings.Contains(md, "```mermaid") {
				t.Errorf("a comment with a Mermaid chart")
			}
			if strings.Contains(md, "<sub>") {
				t.Errorf("small print (<sub>)")
			}
		})
	}
}

// TestCheckStructureCatches makes sure the structure check fails where it
// must: a check that passes everything proves nothing.
func TestCheckStructureCatches(t *testing.T) {
	t.Parallel()
	for name, md := range map[string]string{
		"empty header":   "| | |\n|---|---|\n| a | b |\n",
		"relative link":  "[run](/acme/api/actions/runs/1)\n",
		"http link":      "[run](http://github.com/acme)\n",
		"no host":        "[x](https:///path)\n",
		"javascript":     "[x](javascript:alert(1))\n",
		"autolink":       "see www.example.com\n",
		"image":          "![x](https://example.com/x.png)\n",
		"raw html":       "<img src=x>\n",
		"inline html":    "text <b>bold</b>\n",
		"bad chart":      "```mermaid\nxychart-beta\n    x-axis [a, b]\n    y-axis 0 --> 1\n    line [1, 2]\n```\n",
		"chart no range": "```mermaid\nxychart-beta\n    x-axis \"t\" [\"a\"]\n    y-axis \"y\"\n    line [1]\n```\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			checkStructure(rec, md)
			if !rec.failed {
				t.Errorf("checkStructure passed %q", md)
			}
		})
	}
}

func TestValidateXYChart(t *testing.T) {
	t.Parallel()
	good := "xychart-beta\n    title \"Traffic on version 7 (%)\"\n    x-axis \"Time (UTC)\" [\"02:00:20\", \"02:01:20\"]\n    y-axis \"Traffic (%)\" 0 --> 100\n    line [10, 50.5]\n"
	if err := validateXYChart(good); err != nil {
		t.Errorf("a good chart: %v", err)
	}
	for name, bad := range map[string]string{
		"header":         strings.Replace(good, "xychart-beta", "xychart-alpha", 1),
		"unquoted label": strings.Replace(good, `["02:00:20", "02:01:20"]`, `[02:00:20, "02:01:20"]`, 1),
		"duplicate":      strings.Replace(good, `"02:01:20"]`, `"02:00:20"]`, 1),
		"entity":         strings.Replace(good, "Traffic on", "#35; on", 1),
		"comment":        strings.Replace(good, "(%)\"\n    x", "(%%)\"\n    x", 1),
		"count":          strings.Replace(good, "[10, 50.5]", "[10]", 1),
		"range":          strings.Replace(good, "[10, 50.5]", "[10, 150]", 1),
		"exponent":       strings.Replace(good, "[10, 50.5]", "[1e1, 50]", 1),
		"other":          good + "    legend on\n",
		"inverted":       strings.Replace(good, "0 --> 100", "100 --> 0", 1),
	} {
		if err := validateXYChart(bad); err == nil {
			t.Errorf("%s: validateXYChart passed\n%s", name, bad)
		}
	}
}

// TestRolloutChartEdges renders charts of awkward timelines: they must
// all stay in the subset.
func TestRolloutChartEdges(t *testing.T) {
	t.Parallel()
	many := make([]outcome.Event, 1000)
	for i := range many {
		many[i] = outcome.Event{At: t0.Add(time.Duration(i/3) * time.Second), Weight: percent.Percent(i % 101),
			Gates: []outcome.Gate{{Kind: outcome.GateErrorRate, OK: i != 500, Rate: percent.Percent(i) / 7, Max: 2, Invocations: 1}}}
	}
	weird := []outcome.Event{
		{Weight: percent.Percent(math.NaN()), Gates: []outcome.Gate{{Kind: outcome.GateErrorRate, Rate: percent.Percent(math.Inf(1)), Max: -1}}},
		{Weight: -5, Gates: []outcome.Gate{{Kind: outcome.GateErrorRate, Rate: 1e-9, Max: 1e12}}},
		{Weight: 1e9},
	}
	for name, tc := range map[string]struct {
		events  []outcome.Event
		version string
	}{
		"many":         {many, "7"},
		"weird":        {weird, `"; #35; %%{init}%% <b>`},
		"latest":       {many[:3], "$LATEST"},
		"same seconds": {[]outcome.Event{{At: t0}, {At: t0}, {At: t0}}, "7"},
	} {
		md := rolloutChart(tc.events, tc.version)
		if !strings.Contains(md, "```mermaid") {
			t.Errorf("%s: no chart:\n%s", name, md)
		}
		checkStructure(t, md)
	}
	if md := rolloutChart(many, "7"); strings.Count(md, "\n    x-axis") != 2 {
		t.Errorf("a timeline with error-rate readings does not draw two charts:\n%s", md)
	}
	if md := rolloutChart(many[:1], "7"); md != "" {
		t.Errorf("a chart of one event: %q", md)
	}
}

// FuzzRolloutChart draws charts of generated timelines: whatever the
// version and the numbers, the chart stays in the subset.
func FuzzRolloutChart(f *testing.F) {
	f.Add("7", []byte{10, 50, 100}, 2.0)
	f.Add(`"#;%%`, []byte{0, 255, 3, 3}, -1.0)
	f.Add("", []byte{}, math.NaN())
	f.Fuzz(func(t *testing.T, v string, weights []byte, max float64) {
		var events []outcome.Event
		for i, w := range weights {
			events = append(events, outcome.Event{
				At:     t0.Add(time.Duration(w) * time.Second),
				Weight: percent.Percent(w),
				Gates:  []outcome.Gate{{Kind: outcome.GateErrorRate, Rate: percent.Percent(float64(i) * max), Max: percent.Percent(max), Invocations: 1}},
			})
		}
		md := rolloutChart(events, v)
		if len(events) >= 2 && !strings.Contains(md, "```mermaid") {
			t.Fatalf("no chart for %d events", len(events))
		}
		checkStructure(t, md)
	})
}
