// Package rollout plans and walks a traffic shift: the CodeDeploy presets, a
// custom schedule or a held canary, and the loop that moves traffic step by
// step while the health checks keep passing. It is plain Go with an injected
// clock and no AWS SDK import, so every path is a table test.
package rollout

import (
	"strings"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/percent"
)

// Step is one stop of a rollout.
type Step struct {
	Weight percent.Percent // traffic on the new version, 0 < Weight ≤ 100
	Bake   time.Duration   // wait after reaching Weight, before the next step; 0 on the last
}

// Plan is a whole rollout: the steps in order, the last one usually 100.
type Plan struct {
	Name  string // "all-at-once", "Canary10Percent5Minutes", "steps 10,50,100 every 1m", "hold at 10%"
	Steps []Step
}

// AllAtOnce is the name of the plan that moves all traffic in one step.
const AllAtOnce = "all-at-once"

// PresetPrefix is the prefix of CodeDeploy's Lambda deployment configuration
// names; Preset accepts names with or without it.
const PresetPrefix = "CodeDeployDefault.Lambda"

// presets are CodeDeploy's predefined Lambda configurations, in the order
// the README shows them: one table, so a new preset is one line.
var presets = []struct {
	name string
	plan func(name string) Plan
}{
	{"Canary10Percent5Minutes", canary(5)},
	{"Canary10Percent10Minutes", canary(10)},
	{"Canary10Percent15Minutes", canary(15)},
	{"Canary10Percent30Minutes", canary(30)},
	{"Linear10PercentEvery1Minute", linear(1)},
	{"Linear10PercentEvery2Minutes", linear(2)},
	{"Linear10PercentEvery3Minutes", linear(3)},
	{"Linear10PercentEvery10Minutes", linear(10)},
	{"AllAtOnce", func(string) Plan { return allAtOnce() }},
}

// PresetNames returns CodeDeploy's predefined Lambda configuration names
// without the "CodeDeployDefault.Lambda" prefix, "AllAtOnce" last.
func PresetNames() []string {
	names := make([]string, len(presets))
	for i, p := range presets {
		names[i] = p.name
	}
	return names
}

// Preset returns the plan of a CodeDeploy predefined configuration, named with
// or without the "CodeDeployDefault.Lambda" prefix, or of "all-at-once".
// Names are case-sensitive, as CodeDeploy's are.
func Preset(name string) (Plan, bool) {
	if name == AllAtOnce {
		return allAtOnce(), true
	}
	name = strings.TrimPrefix(name, PresetPrefix)
	for _, p := range presets {
		if p.name == name {
			return p.plan(name), true
		}
	}
	return Plan{}, false
}

func allAtOnce() Plan {
	return Plan{Name: AllAtOnce, Steps: []Step{{Weight: 100}}}
}

// canary is 10 % for the given minutes, then everything.
func canary(minutes int) func(name string) Plan {
	bake := time.Duration(minutes) * time.Minute
	return func(name string) Plan {
		return Plan{Name: name, Steps: []Step{{Weight: 10, Bake: bake}, {Weight: 100}}}
	}
}

// linear adds 10 % every given minutes: 10, 20, …, 90, then everything.
func linear(minutes int) func(name string) Plan {
	bake := time.Duration(minutes) * time.Minute
	return func(name string) Plan {
		steps := make([]Step, 0, 10)
		for w := 10; w < 100; w += 10 {
			steps = append(steps, Step{Weight: percent.Percent(w), Bake: bake})
		}
		return Plan{Name: name, Steps: append(steps, Step{Weight: 100})}
	}
}

// Custom returns the plan of a custom schedule: each weight in turn, baked for
// interval, except the last one. Weights are expected as ParseSteps returns
// them (ascending, last 100).
func Custom(weights []percent.Percent, interval time.Duration) Plan {
	steps := make([]Step, len(weights))
	parts := make([]string, len(weights))
	for i, w := range weights {
		steps[i] = Step{Weight: w}
		if i < len(weights)-1 {
			steps[i].Bake = interval
		}
		parts[i] = w.Number()
	}
	return Plan{
		Name:  "steps " + strings.Join(parts, ",") + " every " + ShortDuration(interval),
		Steps: steps,
	}
}

// Hold returns the plan of a held canary: one step to weight, no bake. The
// alias stays split until a later run finalizes or rolls back.
func Hold(weight percent.Percent) Plan {
	return Plan{Name: "hold at " + weight.String(), Steps: []Step{{Weight: weight}}}
}

// Total is the time the plan spends baking, from the first shift to the last.
func (p Plan) Total() time.Duration {
	var total time.Duration
	for _, s := range p.Steps {
		total += s.Bake
	}
	return total
}

// Describe returns one human line per step: "10% for 5m0s", "100%".
func (p Plan) Describe() []string {
	lines := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		lines[i] = s.String()
	}
	return lines
}

// String is "10% for 5m0s", or "100%" when the step has no bake.
func (s Step) String() string {
	if s.Bake <= 0 {
		return s.Weight.String()
	}
	return s.Weight.String() + " for " + s.Bake.String()
}

// ShortDuration is time.Duration.String without trailing zero units: "1m"
// rather than "1m0s", "1h" rather than "1h0m0s", "1m30s" unchanged.
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
