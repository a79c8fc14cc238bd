package promote

import (
	"context"
	"fmt"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/compare"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
	"github.com/lambda-promote/lambda-promote/internal/rollout"
)

// nameCompare is the name of the comparison gate.
const nameCompare = "comparison"

// windowStart is when the window the comparison judges begins: when this
// run took the step, or, carrying a detached rollout on, when an earlier
// run took it, or when a held canary that this run finalizes began.
func (x *execution) windowStart() time.Time {
	switch {
	case !x.shiftedAt.IsZero():
		return x.shiftedAt
	case !x.stepAt.IsZero():
		return x.stepAt
	}
	return x.since
}

// judgeCompare compares the new version with the stable one over the
// step's window, as CloudWatch has delivered it: judgement look of the
// step, enough telling whether the new version has served min-invocations.
func (x *execution) judgeCompare(ctx context.Context, look int, enough bool) (outcome.Gate, error) {
	from, to := x.windowStart(), x.d.Clock.Now()
	pair, err := x.d.Pair(ctx, x.name(), x.cfg.Alias, x.target.Version, x.stable, from, to)
	if err != nil {
		return outcome.Gate{}, fmt.Errorf("compare version %s with %s: %w", x.target.Version, x.stable, err)
	}
	looks := rollout.Judgements(x.rel.dec.plan)
	rule := compare.Rule{
		Alpha:              compare.PerJudgement(float64(x.cfg.Confidence)/100, looks),
		MaxLatencyIncrease: float64(x.cfg.MaxLatencyIncrease) / 100,
	}
	j := compare.Judge(pair.New, pair.Stable, rule)
	call := rollout.AfterComparison(j.Verdict, look, enough)
	side := func(v string, s compare.Sample) outcome.Side {
		return outcome.Side{Version: v, Errors: s.Errors, Invocations: s.Invocations, Rate: percent.Of(s.Errors, s.Invocations), P99: s.P99, HasP99: s.HasP99}
	}
	c := &outcome.Comparison{
		New: side(x.target.Version, pair.New), Stable: side(x.stable, pair.Stable),
		From: from.Truncate(time.Minute), To: to.Truncate(time.Minute).Add(time.Minute),
		Verdict: string(j.Verdict), Call: call.String(),
		Look: look, Looks: 1 + rollout.ExtraLooks,
		Alpha: rule.Alpha, PValue: j.Errors.PValue, MaxLatencyIncrease: x.cfg.MaxLatencyIncrease,
		Why: j.Errors.Why + "; " + j.Latency.Why,
	}
	g := outcome.Gate{Kind: outcome.GateCompare, Name: nameCompare, OK: j.Verdict != compare.Worse, Compare: c}
	g.Detail = compareDetail(c, enough, x.cfg.MinInvocations)
	return g, nil
}

// compareDetail is a comparison in one line, for the log and the error:
// "worse: 7 at 1.00% (60 errors / 6000 invocations, p99 80.0 ms) against 6
// at 0.50% (270 / 54000, p99 80.0 ms): p = 4.1e-06 ≤ 0.0167; p99 80.0 ms ≤
// 96.0 ms".
func compareDetail(c *outcome.Comparison, enough bool, minInvocations int) string {
	p99 := func(s outcome.Side) string {
		if !s.HasP99 {
			return "no p99"
		}
		return "p99 " + compare.Millis(s.P99)
	}
	d := fmt.Sprintf("%s: %s at %s (%s / %s, %s) against %s at %s (%s / %s, %s): %s",
		c.Verdict, c.New.Version, c.New.Rate.Fixed(), count(c.New.Errors, "error"), count(c.New.Invocations, "invocation"), p99(c.New),
		c.Stable.Version, c.Stable.Rate.Fixed(), count(c.Stable.Errors, "error"), count(c.Stable.Invocations, "invocation"), p99(c.Stable), c.Why)
	if c.Verdict != string(compare.CannotTell) {
		return d
	}
	switch {
	case c.Call == rollout.HoldStep.String():
		return d + fmt.Sprintf("; the step holds (judgement %d of %d)", c.Look+1, c.Looks)
	case enough && minInvocations > 0:
		return d + fmt.Sprintf("; still after %d judgements, and min-invocations (%d) is met: the rollout goes on", c.Looks, minInvocations)
	case enough:
		return d + fmt.Sprintf("; still after %d judgements, and min-invocations is 0: the rollout goes on", c.Looks)
	}
	return d + fmt.Sprintf("; still after %d judgements, and min-invocations (%d) is not met", c.Looks, minInvocations)
}

// holding reports whether a reading holds the step: a comparison cannot
// tell yet and will judge again.
func holding(gates []outcome.Gate) bool {
	for _, g := range gates {
		if g.Compare != nil && g.Compare.Call == rollout.HoldStep.String() {
			return true
		}
	}
	return false
}

// holdUndecided holds a step whose comparison cannot tell yet: it judges
// it again every rollout.LookEvery(bake) from first, at most
// rollout.ExtraLooks more times, reading the gates meanwhile as a bake
// does. gates is the reading that held it, and becomes the last one.
func (r *release) holdUndecided(ctx context.Context, units []*execution, first time.Time, bake time.Duration, gates *[]outcome.Gate, check func(context.Context, reading) ([]outcome.Gate, error)) error {
	every := rollout.LookEvery(bake)
	for look := 1; holding(*gates); look++ {
		next := first.Add(time.Duration(look) * every)
		r.event(units[0].weight, fmt.Sprintf("held: the comparison cannot tell yet; judged again at %s UTC (%d of %d)", next.UTC().Format("15:04:05"), look+1, 1+rollout.ExtraLooks), *gates)
		r.d.Log.Infof("the comparison with the stable version cannot tell yet: holding the step, judged again at %s UTC (%d of %d)", next.UTC().Format("15:04:05"), look+1, 1+rollout.ExtraLooks)
		for {
			now := r.d.Clock.Now()
			if !now.Before(next) {
				break
			}
			if err := units[0].sleep(ctx, min(r.d.CheckEvery, next.Sub(now))); err != nil {
				return err
			}
			if !r.d.Clock.Now().Before(next) {
				break
			}
			g, err := check(ctx, reading{})
			if err != nil {
				return err
			}
			if failed(g) {
				return &gateError{gates: g}
			}
		}
		g, err := check(ctx, reading{final: true, look: look})
		if err != nil {
			return err
		}
		*gates = g
		if failed(g) {
			return &gateError{gates: g}
		}
	}
	return nil
}

// undecidedNote is the note of a detached run that holds its step.
func undecidedNote(gates []outcome.Gate) string {
	for _, g := range gates {
		if c := g.Compare; c != nil && c.Call == rollout.HoldStep.String() {
			return fmt.Sprintf("the comparison with the stable version cannot tell yet (judgement %d of %d): the step holds; nothing was changed", c.Look+1, c.Looks)
		}
	}
	return ""
}
