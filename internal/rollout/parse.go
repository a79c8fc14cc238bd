package rollout

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/percent"
)

// MaxSteps is the most steps a custom schedule may have.
const MaxSteps = 100

// number is a plain decimal: digits with an optional fraction. It leaves out
// what strconv.ParseFloat would also take (signs, exponents, hex, "NaN",
// "Inf", underscores), none of which a person means by a percentage.
var number = regexp.MustCompile(`^(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)$`)

// parseNumber reads a plain decimal, with an optional "%" after it when
// allowPercent is set. ok is false for anything else.
func parseNumber(s string, allowPercent bool) (float64, bool) {
	s = strings.TrimSpace(s)
	if allowPercent {
		s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	}
	if !number.MatchString(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

const stepsExample = `e.g. "10,50,100"`

// ParseSteps reads a custom schedule: percentages on the new version,
// separated by commas, each above 0 and at most 100, strictly ascending, the
// last one 100. Spaces around the numbers and a "%" after them are allowed.
func ParseSteps(s string) ([]percent.Percent, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New(`give percentages separated by commas, ` + stepsExample)
	}
	parts := strings.Split(s, ",")
	if len(parts) > MaxSteps {
		return nil, fmt.Errorf("at most %d steps, %s", MaxSteps, stepsExample)
	}
	steps := make([]percent.Percent, 0, len(parts))
	for i, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("step %d is empty; give percentages separated by commas, %s", i+1, stepsExample)
		}
		f, ok := parseNumber(part, true)
		w := percent.Percent(f)
		if !ok {
			return nil, fmt.Errorf("step %d (%q) is not a percentage; give numbers separated by commas, %s", i+1, part, stepsExample)
		}
		if w <= 0 || w > 100 {
			return nil, fmt.Errorf("step %d (%s) is out of range: each step is above 0 and at most 100, %s", i+1, w.Number(), stepsExample)
		}
		if i > 0 && w <= steps[i-1] {
			return nil, fmt.Errorf("percentages must increase, %s", stepsExample)
		}
		steps = append(steps, w)
	}
	if steps[len(steps)-1] != 100 {
		return nil, fmt.Errorf("the last step must be 100 so the rollout ends on the new version (use \"traffic-weight\" to hold a slice), %s", stepsExample)
	}
	return slices.Clip(steps), nil
}

// ParseWeight reads a percentage of traffic from 0 to 100: "10", "10%",
// "0.5" (half a percent).
func ParseWeight(s string) (percent.Percent, error) {
	w, ok := parseNumber(s, true)
	if !ok || w > 100 {
		return 0, errors.New(`a percentage from 0 to 100, e.g. "10", "10%" or "0.5"`)
	}
	return percent.Percent(w), nil
}

// ParsePercent reads a rate written as a percentage with its "%" sign, from
// 0% to 100%: "2%", "0.5%".
// The sign is required so that "0.02" cannot be read as either 2 % or 0.02 %.
func ParsePercent(s string) (percent.Percent, error) {
	return parseSigned(s, 100, `a percentage with its "%" sign from 0% to 100%, e.g. "2%" or "0.5%"`)
}

// MaxIncrease is the largest rise ParseIncrease takes: ten times as much.
const MaxIncrease = 1000

// ParseIncrease reads a rise over a reference written as a percentage with
// its "%" sign, from 0% to 1000%: "20%" (a fifth more), "100%" (twice as
// much).
func ParseIncrease(s string) (percent.Percent, error) {
	return parseSigned(s, MaxIncrease, `a percentage with its "%" sign from 0% to 1000%, e.g. "20%" or "50%"`)
}

// parseSigned reads a percentage with its sign, from 0% to max%.
func parseSigned(s string, max float64, accepted string) (percent.Percent, error) {
	t := strings.TrimSpace(s)
	if !strings.HasSuffix(t, "%") {
		return 0, errors.New(accepted)
	}
	p, ok := parseNumber(t, true)
	if !ok || p > max {
		return 0, errors.New(accepted)
	}
	return percent.Percent(p), nil
}

// ParseInterval reads a Go duration above zero: "30s", "5m", "1m30s".
func ParseInterval(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, errors.New(`a Go duration, e.g. "30s", "5m" or "1m30s"`)
	}
	if d <= 0 {
		return 0, errors.New(`a Go duration above zero, e.g. "30s", "5m" or "1m30s"`)
	}
	return d, nil
}

// ParseAlarms splits alarm names on commas and newlines, trims them, and drops
// empty names and repeats. It returns nil when no name is left.
func ParseAlarms(s string) []string {
	var names []string
	for _, name := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		name = strings.TrimSpace(name)
		if name == "" || slices.Contains(names, name) {
			continue
		}
		names = append(names, name)
	}
	return names
}
