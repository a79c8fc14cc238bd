package percent

import (
	"math"
	"testing"
)

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p                  Percent
		number, str, fixed string
		fraction           float64
	}{
		{0, "0", "0%", "0.00%", 0},
		{10, "10", "10%", "10.00%", 0.1},
		{0.5, "0.5", "0.5%", "0.50%", 0.005},
		{100, "100", "100%", "100.00%", 1},
		{FromFraction(0.07), "7", "7%", "7.00%", 0.07},
		{Percent(7.000000000000001), "7", "7%", "7.00%", 0.07},
		{Percent(-0.00000001), "0", "0%", "0.00%", 0},
		{Percent(math.NaN()), "0", "0%", "0.00%", 0},
		{Of(1, 3), "33.3333", "33.3333%", "33.33%", 0.333333},
		{Of(5, 0), "0", "0%", "0.00%", 0},
	}
	for _, tt := range tests {
		if got := tt.p.Number(); got != tt.number {
			t.Errorf("%v.Number() = %q, want %q", float64(tt.p), got, tt.number)
		}
		if got := tt.p.String(); got != tt.str {
			t.Errorf("%v.String() = %q, want %q", float64(tt.p), got, tt.str)
		}
		if got := tt.p.Fixed(); got != tt.fixed {
			t.Errorf("%v.Fixed() = %q, want %q", float64(tt.p), got, tt.fixed)
		}
		if got := tt.p.Fraction(); math.Abs(got-tt.fraction) > 1e-12 {
			t.Errorf("%v.Fraction() = %v, want %v", float64(tt.p), got, tt.fraction)
		}
	}
}
