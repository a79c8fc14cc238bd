package compare

import (
	"strings"
	"testing"
)

// rule is the default: 95 % over a canary's three judgements (the end of
// its bake and two in the extension), 20 % on the p99.
var rule = Rule{Alpha: PerJudgement(0.95, 3), MaxLatencyIncrease: 0.2}

func sample(errors, invocations, p99 float64) Sample {
	return Sample{Errors: errors, Invocations: invocations, P99: p99, HasP99: p99 > 0}
}

func TestJudge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		newer, stable Sample
		want          Verdict
		errors        Verdict
		latency       Verdict
		why           string // in the reason of the half that decides
	}{
		{
			name:  "twice the stable rate on a 10% canary",
			newer: sample(60, 6000, 80), stable: sample(270, 54000, 80),
			want: Worse, errors: Worse, latency: NoWorse, why: "p = 4.1e-06 ≤ 0.0167",
		},
		{
			name:  "the same rate",
			newer: sample(30, 6000, 80), stable: sample(270, 54000, 80),
			want: NoWorse, errors: NoWorse, latency: NoWorse,
		},
		{
			name:  "fewer errors than the stable",
			newer: sample(3, 6000, 80), stable: sample(270, 54000, 80),
			want: NoWorse, errors: NoWorse, latency: NoWorse,
		},
		{
			name:  "30 invocations",
			newer: sample(0, 30, 80), stable: sample(1, 270, 80),
			want: CannotTell, errors: CannotTell, latency: CannotTell, why: "too few invocations to see an error rate of",
		},
		{
			name:  "30 invocations that all fail",
			newer: sample(30, 30, 0), stable: sample(1, 270, 0),
			want: Worse, errors: Worse, latency: CannotTell,
		},
		{
			name:  "no invocations of the new version",
			newer: sample(0, 0, 0), stable: sample(10, 5000, 80),
			want: CannotTell, errors: CannotTell, latency: CannotTell, why: "served no invocations",
		},
		{
			name:  "no invocations of the stable version",
			newer: sample(1, 5000, 80), stable: sample(0, 0, 0),
			want: CannotTell, errors: CannotTell, latency: CannotTell, why: "no invocations to compare with",
		},
		{
			name:  "a stable version without errors, a new one without errors",
			newer: sample(0, 5000, 80), stable: sample(0, 45000, 80),
			want: NoWorse, errors: NoWorse, latency: NoWorse,
		},
		{
			name:  "a stable version without errors, three on the new one",
			newer: sample(3, 5000, 80), stable: sample(0, 45000, 80),
			want: Worse, errors: Worse, latency: NoWorse,
		},
		{
			name:  "p99 1.5 times the stable's",
			newer: sample(30, 6000, 120), stable: sample(270, 54000, 80),
			want: Worse, errors: NoWorse, latency: Worse, why: "p99 120.0 ms > 96.0 ms",
		},
		{
			name:  "p99 at the tolerance",
			newer: sample(30, 6000, 96), stable: sample(270, 54000, 80),
			want: NoWorse, errors: NoWorse, latency: NoWorse,
		},
		{
			name:  "p99 over too few invocations",
			newer: sample(0, 999, 500), stable: sample(50, 20000, 80),
			want: CannotTell, latency: CannotTell, errors: CannotTell, why: "1000 invocations of each version",
		},
		{
			name:  "no p99 from CloudWatch",
			newer: Sample{Errors: 30, Invocations: 6000}, stable: sample(270, 54000, 80),
			want: CannotTell, errors: NoWorse, latency: CannotTell, why: "no Duration p99",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := Judge(tt.newer, tt.stable, rule)
			if j.Verdict != tt.want || j.Errors.Verdict != tt.errors || j.Latency.Verdict != tt.latency {
				t.Fatalf("Judge = %q (errors %q: %s; latency %q: %s), want %q (errors %q, latency %q)",
					j.Verdict, j.Errors.Verdict, j.Errors.Why, j.Latency.Verdict, j.Latency.Why, tt.want, tt.errors, tt.latency)
			}
			if why := j.Errors.Why + " | " + j.Latency.Why; !strings.Contains(why, tt.why) {
				t.Errorf("reasons %q lack %q", why, tt.why)
			}
		})
	}
}

func TestCriticalIsTheFewestErrorsCalledWorse(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ n1, c, n2 int64 }{
		{30, 1, 270}, {1000, 5, 9000}, {6000, 270, 54000}, {5000, 0, 45000}, {4, 1, 4}, {200, 190, 200},
	} {
		k := Critical(tt.n1, tt.c, tt.n2, rule.Alpha)
		// By counting up, without the halving.
		want := int64(-1)
		for a := int64(0); a <= tt.n1; a++ {
			if FisherGreater(a, tt.n1, tt.c, tt.n2) <= rule.Alpha {
				want = a
				break
			}
		}
		if k != want {
			t.Errorf("Critical(%d, %d, %d) = %d, want %d", tt.n1, tt.c, tt.n2, k, want)
		}
	}
	// 4 against 1 of 4 (the tea taster) is never significant at 1.67 %.
	if k := Critical(4, 1, 4, rule.Alpha); k != -1 {
		t.Errorf("Critical(4, 1, 4) = %d, want -1", k)
	}
}

func TestPowerGrowsWithTraffic(t *testing.T) {
	t.Parallel()
	// At a 0.5 % stable rate on a 10 % canary, the verdict for a new
	// version at the same rate moves from "cannot tell" to "no worse" as
	// the invocations grow, and never back.
	told := false
	for n1 := int64(100); n1 <= 20000; n1 += 100 {
		n2 := 9 * n1
		j := Judge(sample(float64(n1)/200, float64(n1), 80), sample(float64(n2)/200, float64(n2), 80), rule)
		switch {
		case j.Verdict == Worse:
			t.Fatalf("n1=%d: the same rate is called worse: %+v", n1, j.Errors)
		case j.Verdict == NoWorse:
			told = true
		case told:
			t.Fatalf("n1=%d: cannot tell again after no worse at fewer invocations", n1)
		}
	}
	if !told {
		t.Fatal("never told at 20000 canary invocations")
	}
}

func TestPerJudgement(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		confidence float64
		n          int
		want       float64
	}{{0.95, 1, 0.05}, {0.95, 3, 0.05 / 3}, {0.99, 27, 0.01 / 27}, {0.95, 0, 0.05}} {
		if got := PerJudgement(tt.confidence, tt.n); !near(got, tt.want, 1e-12) {
			t.Errorf("PerJudgement(%g, %d) = %g, want %g", tt.confidence, tt.n, got, tt.want)
		}
	}
}
