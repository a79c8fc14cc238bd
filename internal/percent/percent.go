// Package percent is the one unit of traffic weights and rates in
// lambda-promote: a percentage from 0 to 100. Lambda's alias routing takes a
// fraction from 0 to 1; the conversion happens only at that edge, with
// Fraction and FromFraction.
package percent

import (
	"math"
	"strconv"
)

// Percent is a share in percent: 10 means 10 %, 0.5 half a percent.
type Percent float64

// The shares every rollout starts and ends with.
const (
	None Percent = 0
	All  Percent = 100
)

// FromFraction converts Lambda's 0–1 weight to percent, without the noise of
// binary fractions (0.07 × 100 = 7.000000000000001 reads 7).
func FromFraction(f float64) Percent { return Percent(f * 100).round() }

// Of is part/whole in percent; 0 when whole is 0.
func Of(part, whole float64) Percent {
	if whole == 0 || math.IsNaN(whole) || math.IsNaN(part) {
		return 0
	}
	return Percent(part / whole * 100)
}

// Fraction is p as Lambda's routing takes it, 0–1.
func (p Percent) Fraction() float64 {
	return float64(p.round()) / 100
}

// round keeps four decimals (a hundredth of a basis point): enough for
// Lambda's weights, few enough to drop floating-point noise.
func (p Percent) round() Percent {
	f := float64(p)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	r := math.Round(f*1e4) / 1e4
	if r == 0 {
		return 0 // no "-0"
	}
	return Percent(r)
}

// Number is p as a plain decimal, the way the traffic-weight input and output
// take it: "100", "10", "0.5".
func (p Percent) Number() string {
	return strconv.FormatFloat(float64(p.round()), 'f', -1, 64)
}

// String is p for people: "10%", "0.5%".
func (p Percent) String() string { return p.Number() + "%" }

// Fixed is p with exactly two decimals, for rates compared with a threshold:
// "2.50%".
func (p Percent) Fixed() string {
	return strconv.FormatFloat(float64(p.round()), 'f', 2, 64) + "%"
}
