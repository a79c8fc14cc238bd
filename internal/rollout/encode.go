package rollout

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/percent"
)

// stepsPrefix starts the encoding of a custom schedule.
const stepsPrefix = "steps:"

// Encode writes a plan in the compact form a detached rollout keeps in its
// alias record: a CodeDeploy preset's name ("Linear10PercentEvery10Minutes"),
// or "steps:10,25,50,100/5m" for a custom schedule. It contains no spaces.
// A plan that is neither (a held slice, all at once) has no encoding.
func Encode(p Plan) (string, error) {
	if _, ok := Preset(p.Name); ok && p.Name != AllAtOnce && p.Name != "AllAtOnce" {
		return p.Name, nil
	}
	if len(p.Steps) < 2 {
		return "", fmt.Errorf("plan %q has no steps to take in later runs", p.Name)
	}
	interval := p.Steps[0].Bake
	parts := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		last := i == len(p.Steps)-1
		if (!last && s.Bake != interval) || (last && s.Bake != 0) {
			return "", fmt.Errorf("plan %q does not bake its steps evenly", p.Name)
		}
		parts[i] = s.Weight.Number()
	}
	return stepsPrefix + strings.Join(parts, ",") + "/" + ShortDuration(interval), nil
}

// Decode reads a plan that Encode wrote.
func Decode(s string) (Plan, error) {
	if p, ok := Preset(s); ok && len(p.Steps) > 1 {
		return p, nil
	}
	rest, ok := strings.CutPrefix(s, stepsPrefix)
	if !ok {
		return Plan{}, fmt.Errorf("%q is neither a CodeDeploy preset nor %s%s", s, stepsPrefix, "W,W,…/INTERVAL")
	}
	weights, every, ok := strings.Cut(rest, "/")
	if !ok {
		return Plan{}, errors.New("the steps lack their interval")
	}
	ws, err := ParseSteps(weights)
	if err != nil {
		return Plan{}, err
	}
	interval, err := time.ParseDuration(every)
	if err != nil || interval <= 0 {
		return Plan{}, fmt.Errorf("interval %q is not a duration", every)
	}
	if len(ws) < 2 {
		return Plan{}, errors.New("one step leaves nothing for later runs")
	}
	return Custom(ws, interval), nil
}

// StepAt is the index of the step whose weight is w, or -1.
func (p Plan) StepAt(w percent.Percent) int {
	for i, s := range p.Steps {
		if s.Weight.Number() == w.Number() {
			return i
		}
	}
	return -1
}
