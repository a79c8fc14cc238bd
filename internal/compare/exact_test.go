package compare

import (
	"math"
	"math/big"
	"testing"
)

// near reports whether got is within rel of want, relatively.
func near(got, want, rel float64) bool {
	if want == 0 {
		return math.Abs(got) < 1e-300
	}
	return math.Abs(got-want) <= rel*math.Abs(want)
}

func TestFisherGreaterReferenceValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		a, n1, c, n2 int64
		want, rel    float64
		source       string
	}{
		{
			// R, fisher.test, example "TeaTasting" (Agresti 1990, p. 61f;
			// 2002, p. 91): matrix(c(3, 1, 1, 3), nrow = 2),
			// alternative = "greater" gives p = 0.2429.
			// https://stat.ethz.ch/R-manual/R-devel/library/stats/html/fisher.test.html
			name: "Fisher's tea taster", a: 3, n1: 4, c: 1, n2: 4, want: 0.2429, rel: 1e-3,
		},
		{
			// Calcugator's Fisher exact example (contraceptive type and
			// obesity, table (4, 0; 2, 5)): one-tail probability
			// 0.0454545454545454.
			// http://www.calcugator.com/version_2/tutorial/function_bot_rig.php?type=FN_chi2_fisherexact
			name: "contraceptives and obesity", a: 4, n1: 4, c: 2, n2: 7, want: 0.0454545454545454, rel: 1e-12,
		},
		{
			// R, fisher.test, example "Convictions" (Fisher 1962, 1970):
			// matrix(c(2, 10, 15, 3), nrow = 2), alternative = "less"
			// gives p-value = 0.0004652; the same table read from the
			// monozygotic row (10 convicted of 13, against 2 of 17) is
			// the "greater" side.
			// https://stat.ethz.ch/R-manual/R-devel/library/stats/html/fisher.test.html
			name: "convictions of like-sex twins", a: 10, n1: 13, c: 2, n2: 17, want: 0.0004652, rel: 1e-4,
		},
	}
	for _, tt := range tests {
		got := FisherGreater(tt.a, tt.n1, tt.c, tt.n2)
		if !near(got, tt.want, tt.rel) {
			t.Errorf("%s: FisherGreater(%d, %d, %d, %d) = %.10g, want %.10g", tt.name, tt.a, tt.n1, tt.c, tt.n2, got, tt.want)
		}
	}
}

// exactFisher is the same p-value summed with exact integers (math/big):
// the reference for tables too large for a published example.
func exactFisher(a, n1, c, n2 int64) float64 {
	N, K := n1+n2, a+c
	num := new(big.Int)
	for x := a; x <= min(K, n1); x++ {
		num.Add(num, new(big.Int).Mul(new(big.Int).Binomial(K, x), new(big.Int).Binomial(N-K, n1-x)))
	}
	r := new(big.Rat).SetFrac(num, new(big.Int).Binomial(N, n1))
	f, _ := r.Float64()
	return f
}

func TestFisherGreaterAtScale(t *testing.T) {
	t.Parallel()
	// Canaries of the sizes a rollout sees, with exact values from Python's
	// integers: sum(comb(K, x) * comb(N-K, n1-x) for x ≥ a) / comb(N, n1)
	// as a Fraction.
	tests := []struct {
		a, n1, c, n2 int64
		want         float64
	}{
		{60, 6000, 270, 54000, 4.071734114976040e-06}, // twice the stable rate, 10 % canary
		{12, 1200, 54, 10800, 2.907593573003049e-02},
		{7, 1000, 3, 9000, 8.966379948207828e-06},
		{2, 3000, 0, 27000, 9.996999899996667e-03}, // a stable version without errors
		{0, 100, 5, 900, 1},
	}
	for _, tt := range tests {
		got := FisherGreater(tt.a, tt.n1, tt.c, tt.n2)
		if !near(got, tt.want, 1e-9) {
			t.Errorf("FisherGreater(%d, %d, %d, %d) = %.15g, want %.15g", tt.a, tt.n1, tt.c, tt.n2, got, tt.want)
		}
	}
}

func TestFisherGreaterHuge(t *testing.T) {
	t.Parallel()
	// Millions of invocations neither overflow nor lose the tail: at the
	// same rates the p-value falls as the counts grow, and stays a
	// probability.
	prev := 1.0
	for _, n := range []int64{1e3, 1e4, 1e5, 1e6, 1e7} {
		p := FisherGreater(n/50, n, 9*n/100, 9*n) // 2 % against 1 %
		if !(p >= 0 && p <= prev) || math.IsNaN(p) {
			t.Fatalf("n=%d: p = %g after %g", n, p, prev)
		}
		prev = p
	}
	if prev > 1e-300 {
		t.Errorf("2%% against 1%% over 10 million invocations: p = %g, want ≈ 0", prev)
	}
	if p := FisherGreater(50_000, 5_000_000, 450_000, 45_000_000); !near(p, 0.5, 0.05) {
		t.Errorf("equal rates at 5 million: p = %g, want about 0.5", p)
	}
}

func TestFisherGreaterFallsWithErrors(t *testing.T) {
	t.Parallel()
	// Critical's halving relies on it: with the stable counts fixed, more
	// errors of the new version never raise the p-value. Checked against
	// the exact sum for every small table.
	for n1 := int64(1); n1 <= 12; n1++ {
		for n2 := int64(1); n2 <= 12; n2++ {
			for c := int64(0); c <= n2; c++ {
				prev := 2.0
				for a := int64(0); a <= n1; a++ {
					p := FisherGreater(a, n1, c, n2)
					if !near(p, exactFisher(a, n1, c, n2), 1e-9) {
						t.Fatalf("FisherGreater(%d, %d, %d, %d) = %g, exact %g", a, n1, c, n2, p, exactFisher(a, n1, c, n2))
					}
					if p > prev+1e-12 {
						t.Fatalf("FisherGreater(%d, %d, %d, %d) = %g > %g at one error less", a, n1, c, n2, p, prev)
					}
					prev = p
				}
			}
		}
	}
}

func TestFisherGreaterClampsCounts(t *testing.T) {
	t.Parallel()
	// CloudWatch's sums can count more errors than invocations (the two
	// metrics are summed apart); the new version's errors are clamped to
	// its invocations. A table whose p-value is not 0 at the clamp: at
	// 6000 errors of 6000 against 270 of 54000 it underflows to 0, as an
	// unclamped 7000 does.
	if got, want := FisherGreater(12, 10, 3, 20), FisherGreater(10, 10, 3, 20); got != want || want == 0 {
		t.Errorf("FisherGreater(12, 10, 3, 20) = %g, want %g, as for 10 errors of 10", got, want)
	}
}

func TestBinomialAtLeast(t *testing.T) {
	t.Parallel()
	tests := []struct {
		k, n int64
		p    float64
		want float64
	}{
		// (C(10,8) + C(10,9) + C(10,10)) / 2^10 = 56/1024.
		{8, 10, 0.5, 56.0 / 1024},
		// 1 − 0.99^299: the chance that 299 draws include one above the p99.
		{1, 299, 0.01, 1 - math.Pow(0.99, 299)},
		// Python, exact fractions: sum(comb(1840, x) * 0.01**x * 0.99**(1840 - x) for x ≥ 19).
		{19, 1840, 0.01, 0.47532616709220316},
		{0, 5, 0.3, 1},
		{6, 5, 0.3, 0},
		{1, 5, 0, 0},
		{5, 5, 1, 1},
	}
	for _, tt := range tests {
		if got := BinomialAtLeast(tt.k, tt.n, tt.p); !near(got, tt.want, 1e-9) {
			t.Errorf("BinomialAtLeast(%d, %d, %g) = %.15g, want %.15g", tt.k, tt.n, tt.p, got, tt.want)
		}
	}
}
