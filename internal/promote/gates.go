package promote

import (
	"fmt"
	"math"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
)

// nameErrorRate is the name of the error-rate gate.
const nameErrorRate = "error rate"

// rateGate judges an error rate: errors/invocations above max fails. With no
// invocations there is nothing to judge and the gate passes.
func rateGate(errors, invocations float64, max percent.Percent) outcome.Gate {
	g := outcome.Gate{Kind: outcome.GateErrorRate, Name: nameErrorRate, Errors: errors, Invocations: invocations, Max: max}
	if invocations <= 0 || math.IsNaN(invocations) {
		g.OK = true
		g.Invocations = 0
		g.Detail = "no invocations yet"
		return g
	}
	g.Rate = percent.Of(errors, invocations)
	g.OK = g.Rate <= max
	op := "≤"
	if !g.OK {
		op = ">"
	}
	g.Detail = fmt.Sprintf("%s / %s = %s %s %s", count(errors, "error"), count(invocations, "invocation"), g.Rate.Fixed(), op, max.Fixed())
	return g
}

func count(n float64, noun string) string {
	if n != 1 {
		noun += "s"
	}
	return fmt.Sprintf("%s %s", fmt.Sprint(n), noun)
}
