package report

import (
	"fmt"
	"strconv"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// compareReading is a judgement of the new version against the stable one
// with both versions' numbers: "❌ comparison: **worse** (1 of 3) · new 7:
// 1.00% (60 errors / 6000 invocations), p99 80.0 ms · stable 6: 0.50% (270
// errors / 54000 invocations), p99 80.0 ms · p = 4.1e-06 ≤ 0.0167; p99 80.0
// ms ≤ 96.0 ms". A step held because it cannot tell yet is marked ⏳.
func compareReading(g outcome.Gate) string {
	c := g.Compare
	m := mark(g.OK)
	if c.Call == "hold" {
		m = "⏳"
	}
	side := func(s outcome.Side) string {
		p99 := "no p99"
		if s.HasP99 {
			p99 = "p99 " + strconv.FormatFloat(s.P99, 'f', 1, 64) + " ms"
		}
		return fmt.Sprintf("%s: %s (%s / %s), %s", text(s.Version, maxName), s.Rate.Fixed(), count(s.Errors, "error"), count(s.Invocations, "invocation"), p99)
	}
	return fmt.Sprintf("%s %s: **%s** (%d of %d) · new %s · stable %s · %s",
		m, text(g.Name, maxGateText), text(c.Verdict, maxName), c.Look+1, c.Looks, side(c.New), side(c.Stable), text(c.Why, maxGateText))
}
