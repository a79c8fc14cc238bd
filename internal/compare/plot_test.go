package compare

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/boundary.svg")

// boundaryFile is the plot the README shows.
var boundaryFile = filepath.Join("testdata", "boundary.svg")

// TestPlot draws the decision boundary of the error-rate test and fails
// when the committed plot is not what this code draws:
//
//	go test ./internal/compare -run TestPlot -update
func TestPlot(t *testing.T) {
	t.Parallel()
	got := plot()
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(boundaryFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(boundaryFile)
	if err != nil {
		t.Fatalf("%v; run go test ./internal/compare -run TestPlot -update", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what plot draws; run go test ./internal/compare -run TestPlot -update", boundaryFile)
	}
}

// The plot's frame, in SVG units.
const (
	plotW, plotH           = 800, 490
	left, right, top, foot = 70, 220, 76, 60
	minN, maxN             = 100, 100_000
	maxRate                = 0.05
)

// plotRates are the stable error rates drawn, with their colours.
var plotRates = []struct {
	p0     float64
	colour string
}{
	{0.001, "#1b9e77"}, {0.005, "#d95f02"}, {0.01, "#7570b3"}, {0.02, "#e7298a"},
}

// plotJudgements is the number of judgements of the plot's rollout: a
// canary preset (one bake and two more looks in its extension).
const plotJudgements = 3

// plot is the SVG: for each stable rate, the smallest error rate of a 10 %
// canary that the test calls worse, against the canary's invocations (the
// stable version serving nine times as many), at the default confidence.
// The line is dashed where the test has too little power to call a
// finding of nothing "no worse": below the line there, the verdict is
// "cannot tell yet".
func plot() []byte {
	alpha := PerJudgement(0.95, plotJudgements)
	x := func(n float64) float64 {
		return left + (math.Log10(n)-math.Log10(minN))/(math.Log10(maxN)-math.Log10(minN))*(plotW-left-right)
	}
	y := func(r float64) float64 { return plotH - foot - r/maxRate*(plotH-top-foot) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", plotW, plotH, plotW, plotH)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", plotW, plotH)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="14" font-weight="bold">Error rate of a 10%% canary that the comparison calls worse</text>`+"\n", left)
	fmt.Fprintf(&b, `<text x="%d" y="40">one-sided Fisher exact test at 95%% confidence over %d judgements (α = %s each);</text>`+"\n", left, plotJudgements, Prob(alpha))
	fmt.Fprintf(&b, `<text x="%d" y="56">the stable version serves 9 times the canary's invocations</text>`+"\n", left)
	fmt.Fprintf(&b, `<clipPath id="frame"><rect x="%d" y="%d" width="%d" height="%d"/></clipPath>`+"\n", left, top, plotW-left-right, plotH-top-foot)

	// Grid and axes.
	for r := 0.0; r <= maxRate+1e-9; r += 0.005 {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, plotW-right, y(r), y(r))
		if math.Mod(math.Round(r*1000), 10) == 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%g%%</text>`+"\n", left-6, y(r)+4, math.Round(r*1000)/10)
		}
	}
	for _, n := range []float64{100, 300, 1000, 3000, 10_000, 30_000, 100_000} {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#ddd"/>`+"\n", x(n), x(n), top, plotH-foot)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x(n), plotH-foot+16, thousands(n))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`+"\n", left, top, plotW-left-right, plotH-top-foot)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">invocations of the canary in the window (log scale)</text>`+"\n", (left+plotW-right)/2, plotH-foot+36)
	fmt.Fprintf(&b, `<text x="18" y="%d" text-anchor="middle" transform="rotate(-90 18 %d)">error rate of the canary</text>`+"\n", (top+plotH-foot)/2, (top+plotH-foot)/2)

	// One line per stable rate, solid from where the test can tell.
	const points = 160
	for i, pr := range plotRates {
		var dashed, solid []string
		var told float64
		for k := 0; k <= points; k++ {
			n := math.Round(minN * math.Pow(maxN/minN, float64(k)/points))
			n1, n2 := int64(n), 9*int64(n)
			c := int64(math.Round(pr.p0 * float64(n2)))
			crit := Critical(n1, c, n2, alpha)
			if crit < 0 {
				continue
			}
			p0 := float64(c) / float64(n2)
			matters := min(1, max(Factor*p0, p0+Floor))
			pt := fmt.Sprintf("%.1f,%.1f", x(n), y(float64(crit)/n))
			if BinomialAtLeast(crit, n1, matters) >= Power {
				if told == 0 {
					told = n
					if len(dashed) > 0 {
						solid = append(solid, dashed[len(dashed)-1])
					}
				}
				solid = append(solid, pt)
			} else if told == 0 {
				dashed = append(dashed, pt)
			} else {
				solid = append(solid, pt)
			}
		}
		fmt.Fprintf(&b, `<polyline clip-path="url(#frame)" fill="none" stroke="%s" stroke-width="2" stroke-dasharray="5,4" points="%s"/>`+"\n", pr.colour, strings.Join(dashed, " "))
		fmt.Fprintf(&b, `<polyline clip-path="url(#frame)" fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", pr.colour, strings.Join(solid, " "))
		fmt.Fprintf(&b, `<line clip-path="url(#frame)" x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="1,3"/>`+"\n", left, plotW-right, y(pr.p0), y(pr.p0), pr.colour)
		ly := top + 16 + 34*i
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"/>`+"\n", plotW-right+12, plotW-right+36, ly, ly, pr.colour)
		fmt.Fprintf(&b, `<text x="%d" y="%d">stable at %s</text>`+"\n", plotW-right+42, ly+4, Rate(pr.p0).Fixed())
		if told > 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#555">tells from %s</text>`+"\n", plotW-right+42, ly+18, thousands(told))
		}
	}
	ly := top + 16 + 34*len(plotRates) + 10
	fmt.Fprintf(&b, `<text x="%d" y="%d">above a line: worse</text>`+"\n", plotW-right+12, ly)
	fmt.Fprintf(&b, `<text x="%d" y="%d">below, solid: no worse</text>`+"\n", plotW-right+12, ly+16)
	fmt.Fprintf(&b, `<text x="%d" y="%d">below, dashed: cannot tell yet</text>`+"\n", plotW-right+12, ly+32)
	fmt.Fprintf(&b, `<text x="%d" y="%d">dotted: the stable rate</text>`+"\n", plotW-right+12, ly+48)
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

// thousands is n with a thin separator: "30 000".
func thousands(n float64) string {
	s := fmt.Sprintf("%.0f", n)
	var out []string
	for len(s) > 3 {
		out = append([]string{s[len(s)-3:]}, out...)
		s = s[:len(s)-3]
	}
	return strings.Join(append([]string{s}, out...), " ")
}
