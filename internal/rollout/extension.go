package rollout

import (
	"time"

	"github.com/lambda-promote/lambda-promote/internal/compare"
)

// A step whose comparison with the stable version cannot tell yet is held:
// it is judged again, up to ExtraLooks more times, LookEvery apart, on the
// window since the step began, which has grown by then. When it still
// cannot tell, min-invocations decides, as it does without the comparison.

// ExtraLooks is how many more judgements a step gets while its comparison
// cannot tell yet.
const ExtraLooks = 2

// Bounds of the time between two judgements of a held step.
const (
	// Lambda sends its metrics per minute: a look sooner than a minute
	// after the last one sees no new minute of data.
	minLookEvery = time.Minute
	maxLookEvery = 5 * time.Minute
)

// LookEvery is the time between the judgements of a held step: the step's
// bake, at least a minute and at most 5 minutes. A step is held at most
// ExtraLooks × 5 minutes = 10 minutes past its bake, plus CloudWatch's
// delivery of each look's last minute.
func LookEvery(bake time.Duration) time.Duration {
	return min(max(bake, minLookEvery), maxLookEvery)
}

// Judgements is how many comparisons a plan can make: 1 + ExtraLooks for
// each step whose end is judged (each step with a bake below 100 %), and
// for at least one step (a held canary is judged when a later run
// finalizes it).
func Judgements(p Plan) int {
	steps := 0
	for _, s := range p.Steps {
		if s.Bake > 0 && s.Weight < 100 {
			steps++
		}
	}
	return (1 + ExtraLooks) * max(steps, 1)
}

// StepCall is what the end of a step does.
type StepCall int

// The calls.
const (
	Advance  StepCall = iota // take the next step
	HoldStep                 // judge the step again later
	RollBack                 // put the alias back on the stable version
)

func (c StepCall) String() string {
	switch c {
	case Advance:
		return "advance"
	case HoldStep:
		return "hold"
	}
	return "roll back"
}

// AfterComparison decides the end of a step from the comparison's verdict
// at look (0 at the end of the bake, up to ExtraLooks) and whether the new
// version has served min-invocations (enough is true when min-invocations
// is 0).
func AfterComparison(v compare.Verdict, look int, enough bool) StepCall {
	switch {
	case v == compare.Worse:
		return RollBack
	case v == compare.CannotTell && look < ExtraLooks:
		return HoldStep
	case !enough:
		return RollBack
	}
	return Advance
}

// LookAt is which look a judgement at now is, for a step due at due
// (judged at due, then every LookEvery(bake)): 0 before the first
// LookEvery has passed.
func LookAt(due, now time.Time, bake time.Duration) int {
	if !now.After(due) {
		return 0
	}
	return int(now.Sub(due) / LookEvery(bake))
}
