package promote

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
)

func TestRateGate(t *testing.T) {
	t.Parallel()
	rate := func(ok bool, errs, inv float64, r, max percent.Percent, detail string) outcome.Gate {
		return outcome.Gate{Kind: outcome.GateErrorRate, Name: "error rate", OK: ok, Detail: detail, Errors: errs, Invocations: inv, Rate: r, Max: max}
	}
	tests := []struct {
		name                string
		errors, invocations float64
		max                 percent.Percent
		want                outcome.Gate
	}{
		{"no invocations", 0, 0, 2, rate(true, 0, 0, 0, 2, "no invocations yet")},
		{"errors without invocations", 3, 0, 2, rate(true, 3, 0, 0, 2, "no invocations yet")},
		{"above", 3, 100, 2, rate(false, 3, 100, 3, 2, "3 errors / 100 invocations = 3.00% > 2.00%")},
		{"at the limit", 2, 100, 2, rate(true, 2, 100, 2, 2, "2 errors / 100 invocations = 2.00% ≤ 2.00%")},
		{"below", 1, 1000, 2, rate(true, 1, 1000, 0.1, 2, "1 error / 1000 invocations = 0.10% ≤ 2.00%")},
		{"zero max, one error", 1, 1, 0, rate(false, 1, 1, 100, 0, "1 error / 1 invocation = 100.00% > 0.00%")},
		{"zero max, no errors", 0, 50, 0, rate(true, 0, 50, 0, 0, "0 errors / 50 invocations = 0.00% ≤ 0.00%")},
		{"half a percent", 1, 100, 0.5, rate(false, 1, 100, 1, 0.5, "1 error / 100 invocations = 1.00% > 0.50%")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := rateGate(tt.errors, tt.invocations, tt.max)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rateGate(%v, %v, %v) (-want +got):\n%s", tt.errors, tt.invocations, tt.max, diff)
			}
		})
	}
}
