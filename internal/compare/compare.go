// Package compare judges a new version against the stable version it
// replaces, over the same minutes behind the same alias: its error rate
// with a one-sided exact test, and its Duration p99 against the stable
// one's with a tolerance. It is plain statistics, with no AWS SDK import.
//
// # Error rate
//
// The question is one-sided: is the new version's error rate greater than
// the stable's? Fisher's exact test answers it for the 2×2 table of errors
// and other invocations of the two versions (FisherGreater). It is exact at
// every size, so it needs no rule of thumb about when a normal
// approximation holds: a canary of 30 invocations and a stable version of
// three million are judged by the same sum. The new version is worse when
// the p-value is at most α, the share of healthy new versions the rule may
// roll back by chance.
//
// A test that finds nothing has not shown that nothing is there: with few
// invocations, even a clearly worse version is not called worse. So a
// comparison that is not worse is called no worse only when it had the
// power to see a degradation that matters, and cannot tell yet otherwise.
// The degradation that matters is twice the stable version's error rate,
// and at least 0.1 percentage point above it (so that a stable version
// with no errors at all does not ask for an endless sample): p₁ =
// max(2·p₀, p₀ + 0.1 %), p₀ the stable's rate over the window. The test
// has that power when a new version erring at p₁, with the invocations the
// new version served, would be called worse with a probability of at least
// 80 % (the conventional power, Cohen, Statistical Power Analysis for the
// Behavioral Sciences, 1988, §2.4): P(Binomial(n₁, p₁) ≥ k) ≥ 0.8, k the
// fewest errors the test calls worse with the stable's counts as they are.
//
// # Latency
//
// The new version's Duration p99 is worse when it is above (1 + the
// tolerance) × the stable's. A p99 means something only over enough
// invocations: CloudWatch's own rule for percentile alarms is 10/(1 − 0.99)
// = 1000 datapoints for a p99
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/percentiles-with-low-samples.html),
// and with fewer on either version the latency cannot tell yet.
//
// # Verdict
//
// Worse when either is worse; otherwise cannot tell yet when either cannot
// tell; otherwise no worse.
package compare

import (
	"fmt"
	"math"

	"github.com/lambda-promote/lambda-promote/internal/percent"
)

// Verdict is the outcome of a comparison.
type Verdict string

// The verdicts.
const (
	Worse      Verdict = "worse"
	NoWorse    Verdict = "no worse"
	CannotTell Verdict = "cannot tell yet"
)

// The constants of the method (see the package documentation).
const (
	// Factor and Floor define the error rate that matters: Factor times
	// the stable's, and at least Floor (a fraction) above it.
	Factor = 2.0
	Floor  = 0.001
	// Power is the chance with which the test must be able to call a new
	// version erring at the rate that matters worse, for a finding of
	// nothing to read "no worse".
	Power = 0.8
	// MinP99Invocations is the fewest invocations on each version for a
	// p99 to be compared: 10/(1 − 0.99), CloudWatch's rule.
	MinP99Invocations = 1000
)

// Sample is what one version did over the window.
type Sample struct {
	Errors      float64 // sum of the Errors metric
	Invocations float64 // sum of the Invocations metric
	P99         float64 // Duration p99 in milliseconds, when HasP99
	HasP99      bool
}

// Rule is how a comparison is judged.
type Rule struct {
	// Alpha is the largest p-value that calls the new version worse: the
	// chance of rolling back a healthy new version at this judgement.
	Alpha float64
	// MaxLatencyIncrease is the largest accepted rise of the p99 over the
	// stable's, as a fraction: 0.2 for 20 %.
	MaxLatencyIncrease float64
}

// PerJudgement is α for one of judgements judgements of a rollout, so
// that a healthy new version is rolled back by chance at any of them with
// a probability of at most 1 − confidence (Bonferroni's inequality: the
// chance of any of several events is at most the sum of theirs). It holds
// whatever the dependence between the judgements, which share minutes of
// data when a step is judged again.
func PerJudgement(confidence float64, judgements int) float64 {
	return (1 - confidence) / float64(max(judgements, 1))
}

// ErrorRate is the error-rate half of a judgement.
type ErrorRate struct {
	Verdict Verdict
	PValue  float64 // of FisherGreater for the window's counts
	// Critical is the fewest new-version errors the test calls worse at
	// the window's invocations and stable counts; −1 when none would.
	Critical int64
	Matters  float64 // the error rate that matters, a fraction
	Power    float64 // chance to call a new version erring at Matters worse
	Why      string  // the reason, in a few words
}

// Latency is the p99 half of a judgement.
type Latency struct {
	Verdict Verdict
	Limit   float64 // (1 + MaxLatencyIncrease) × the stable's p99, ms
	Why     string
}

// Judgement is the comparison of a window.
type Judgement struct {
	Verdict     Verdict
	New, Stable Sample
	Errors      ErrorRate
	Latency     Latency
}

// Judge compares the new version's sample with the stable's.
func Judge(newer, stable Sample, r Rule) Judgement {
	j := Judgement{New: newer, Stable: stable}
	j.Errors = judgeErrors(newer, stable, r.Alpha)
	j.Latency = judgeLatency(newer, stable, r.MaxLatencyIncrease)
	switch {
	case j.Errors.Verdict == Worse || j.Latency.Verdict == Worse:
		j.Verdict = Worse
	case j.Errors.Verdict == CannotTell || j.Latency.Verdict == CannotTell:
		j.Verdict = CannotTell
	default:
		j.Verdict = NoWorse
	}
	return j
}

// counts are a sample's sums as whole counts, errors at most invocations.
func counts(s Sample) (errors, invocations int64) {
	whole := func(f float64) int64 {
		if math.IsNaN(f) || f <= 0 {
			return 0
		}
		return int64(math.Round(min(f, 1e15)))
	}
	invocations = whole(s.Invocations)
	return min(whole(s.Errors), invocations), invocations
}

func judgeErrors(newer, stable Sample, alpha float64) ErrorRate {
	a, n1 := counts(newer)
	c, n2 := counts(stable)
	e := ErrorRate{Critical: -1, PValue: 1}
	switch {
	case n1 == 0:
		e.Verdict, e.Why = CannotTell, "the new version served no invocations"
		return e
	case n2 == 0:
		e.Verdict, e.Why = CannotTell, "the stable version served no invocations to compare with"
		return e
	}
	p0 := float64(c) / float64(n2)
	e.Matters = min(1, max(Factor*p0, p0+Floor))
	e.PValue = FisherGreater(a, n1, c, n2)
	e.Critical = Critical(n1, c, n2, alpha)
	if e.Critical >= 0 {
		e.Power = BinomialAtLeast(e.Critical, n1, e.Matters)
	}
	switch {
	case e.PValue <= alpha:
		e.Verdict, e.Why = Worse, fmt.Sprintf("p = %s ≤ %s", Prob(e.PValue), Prob(alpha))
	case e.Power >= Power:
		e.Verdict, e.Why = NoWorse, fmt.Sprintf("p = %s > %s", Prob(e.PValue), Prob(alpha))
	default:
		e.Verdict = CannotTell
		e.Why = fmt.Sprintf("p = %s > %s, but too few invocations to see an error rate of %s (%.0f%% power, %.0f%% needed)",
			Prob(e.PValue), Prob(alpha), Rate(e.Matters).Fixed(), 100*e.Power, 100*Power)
	}
	return e
}

// Critical is the fewest errors among n1 new-version invocations that the
// test calls worse at level alpha, the stable version having c errors in n2;
// −1 when even n1 errors would not be. The p-value falls as the new
// version's errors rise, so the search halves the range.
func Critical(n1, c, n2 int64, alpha float64) int64 {
	if n1 <= 0 || FisherGreater(n1, n1, c, n2) > alpha {
		return -1
	}
	lo, hi := int64(0), n1 // FisherGreater(hi) ≤ alpha
	for lo < hi {
		mid := lo + (hi-lo)/2
		if FisherGreater(mid, n1, c, n2) <= alpha {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

func judgeLatency(newer, stable Sample, maxIncrease float64) Latency {
	_, n1 := counts(newer)
	_, n2 := counts(stable)
	l := Latency{Limit: stable.P99 * (1 + maxIncrease)}
	switch {
	case n1 < MinP99Invocations || n2 < MinP99Invocations:
		l.Verdict = CannotTell
		l.Why = fmt.Sprintf("a p99 needs %d invocations of each version", MinP99Invocations)
	case !newer.HasP99 || !stable.HasP99:
		l.Verdict, l.Why = CannotTell, "CloudWatch has no Duration p99 of both versions"
	case newer.P99 > l.Limit:
		l.Verdict, l.Why = Worse, fmt.Sprintf("p99 %s > %s", Millis(newer.P99), Millis(l.Limit))
	default:
		l.Verdict, l.Why = NoWorse, fmt.Sprintf("p99 %s ≤ %s", Millis(newer.P99), Millis(l.Limit))
	}
	return l
}

// Prob is a probability for people: "0.0167", "3.1e-07", "1".
func Prob(p float64) string {
	if p != 0 && p < 1e-4 {
		return fmt.Sprintf("%.2g", p)
	}
	return fmt.Sprintf("%.3g", p)
}

// Rate is a fraction as a percentage.
func Rate(f float64) percent.Percent { return percent.Percent(100 * f) }

// Millis is a duration in milliseconds, to a tenth: "81.2 ms".
func Millis(ms float64) string { return fmt.Sprintf("%.1f ms", ms) }
