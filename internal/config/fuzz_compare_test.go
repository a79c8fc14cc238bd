package config

import (
	"math"
	"testing"
)

func FuzzParseCompare(f *testing.F) {
	// compare-to-stable, confidence, max-latency-increase, strategy, steps,
	// traffic-weight
	f.Add("true", "95%", "20%", "Canary10Percent5Minutes", "", "")
	f.Add("true", "99.99%", "0%", "", "10,100", "")
	f.Add("true", "50.01%", "1000%", "", "", "10")
	f.Add("false", "95%", "20%", "", "", "")
	f.Add("false", "99%", "50%", "", "10,100", "")
	f.Add("true", "50%", "1000.5%", "", "", "")
	f.Add("yes", "0.95", "20", "Bogus", "", "")
	f.Add("true", "1e2%", "NaN%", "", "", "")
	f.Fuzz(func(t *testing.T, compare, confidence, increase, strategy, steps, weight string) {
		raw := map[string]string{
			InFunctionName: "f", InAlias: "prod",
			InCompareToStable: compare, InConfidence: confidence, InMaxLatencyIncrease: increase,
			InStrategy: strategy, InSteps: steps, InTrafficWeight: weight,
		}
		c, err := Parse(raw)
		if err != nil {
			seen := map[string]bool{}
			for _, ie := range InputErrors(err) {
				if _, ok := lookupInput(ie.Input); !ok || seen[ie.Input] {
					t.Fatalf("error for unknown or repeated input %q: %v", ie.Input, err)
				}
				seen[ie.Input] = true
			}
			if len(seen) == 0 {
				t.Fatalf("error without an InputError: %v", err)
			}
			return
		}
		if cf := float64(c.Confidence); math.IsNaN(cf) || cf <= minConfidence || cf > maxConfidence {
			t.Fatalf("confidence %q accepted as %v", confidence, c.Confidence)
		}
		if inc := float64(c.MaxLatencyIncrease); math.IsNaN(inc) || inc < 0 || inc > 1000 {
			t.Fatalf("max-latency-increase %q accepted as %v", increase, c.MaxLatencyIncrease)
		}
		gradual := c.Strategy != StrategyAllAtOnce || c.Steps != nil || c.TrafficWeight != nil
		if c.CompareToStable && !gradual {
			t.Fatalf("compare-to-stable accepted all at once: %+v", c)
		}
		if !c.CompareToStable && (c.Confidence != 95 || c.MaxLatencyIncrease != 20) {
			t.Fatalf("confidence %v and max-latency-increase %v accepted without compare-to-stable", c.Confidence, c.MaxLatencyIncrease)
		}
	})
}
