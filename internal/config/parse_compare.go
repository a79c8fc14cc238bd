package config

import (
	"fmt"

	"github.com/lambda-promote/lambda-promote/internal/rollout"
)

// Limits of the confidence input, in percent: at 50 % a one-sided test
// calls worse whatever leans that way, and above 99.99 % a rollout would
// need millions of invocations to tell anything.
const (
	minConfidence = 50
	maxConfidence = 99.99
)

// compare checks compare-to-stable, confidence and max-latency-increase.
// The comparison needs a window in which both versions take traffic: a
// gradual strategy, steps, or a held slice (traffic-weight) that a later
// run finalizes.
func (p *parser) compare(c *Config) {
	c.CompareToStable = p.bool(InCompareToStable)
	strat, ok := strategy(p.value(InStrategy))
	gradual := ok && strat != StrategyAllAtOnce || p.given(InSteps) || p.given(InTrafficWeight)
	if c.CompareToStable && !gradual {
		p.fail(InCompareToStable, `only with a gradual rollout: a "strategy" such as "Canary10Percent5Minutes", "steps" or "traffic-weight"; all at once, no minute has both versions taking traffic to compare`)
	}

	conf, err := rollout.ParsePercent(p.value(InConfidence))
	switch {
	case err != nil || conf <= minConfidence || conf > maxConfidence:
		p.fail(InConfidence, fmt.Sprintf(`a confidence with its "%%" sign above %d%% and at most %g%%, e.g. "95%%" or "99%%"`, minConfidence, maxConfidence))
	default:
		c.Confidence = conf
		if !c.CompareToStable && p.value(InConfidence) != DefaultConfidence {
			p.fail(InConfidence, `only used with "compare-to-stable: true"; set it, or leave "confidence" out`)
		}
	}

	inc, err := rollout.ParseIncrease(p.value(InMaxLatencyIncrease))
	switch {
	case err != nil:
		p.fail(InMaxLatencyIncrease, err.Error())
	default:
		c.MaxLatencyIncrease = inc
		if !c.CompareToStable && p.value(InMaxLatencyIncrease) != DefaultMaxLatencyIncrease {
			p.fail(InMaxLatencyIncrease, `only used with "compare-to-stable: true"; set it, or leave "max-latency-increase" out`)
		}
	}
}
