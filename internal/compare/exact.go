package compare

import "math"

// The exact tail sums of this file work in log space for the first term and
// by the ratio of neighbouring terms after it, which is exact in floating
// point: no binomial coefficient is ever formed, so counts in the millions
// neither overflow nor lose the small p-values that decide a rollback. A
// tail is always summed from its start away from the mode, where the terms
// only shrink, and the sum stops once a term no longer changes it.

// lchoose is log C(n, k) for 0 ≤ k ≤ n.
func lchoose(n, k float64) float64 {
	a, _ := math.Lgamma(n + 1)
	b, _ := math.Lgamma(k + 1)
	c, _ := math.Lgamma(n - k + 1)
	return a - b - c
}

// negligible is the share of a running sum below which a further term is
// dropped: below float64's resolution.
const negligible = 1e-17

// FisherGreater is the one-sided p-value of Fisher's exact test that the
// first row's rate is greater than the second's, for the 2×2 table
//
//	a   n1−a
//	c   n2−c
//
// (a errors in n1 invocations of the new version, c in n2 of the stable
// one): the probability, with the margins fixed and the two rates equal,
// of a or more errors in the first row. The first row's errors then follow
// the hypergeometric distribution of n1 draws from n1+n2 invocations of
// which a+c are errors (Agresti, Categorical Data Analysis, 2002, §3.5.1; R's
// fisher.test(alternative = "greater")). Counts outside 0 ≤ a ≤ n1, 0 ≤ c ≤
// n2 are clamped into range.
func FisherGreater(a, n1, c, n2 int64) float64 {
	n1, n2 = max(n1, 0), max(n2, 0)
	a, c = min(max(a, 0), n1), min(max(c, 0), n2)
	N, K := float64(n1+n2), float64(a+c)
	n := float64(n1)
	lo := max(0, n-(N-K)) // fewest errors the first row can hold
	hi := min(K, n)       // most
	x := float64(a)
	if x <= lo {
		return 1
	}
	logPMF := func(x float64) float64 { return lchoose(K, x) + lchoose(N-K, n-x) - lchoose(N, n) }
	// up is pmf(x+1)/pmf(x).
	up := func(x float64) float64 { return (K - x) * (n - x) / ((x + 1) * (N - K - n + x + 1)) }
	mode := math.Floor((n + 1) * (K + 1) / (N + 2))
	if x > mode {
		return math.Min(1, math.Exp(logPMF(x))*tailUp(x, hi, up))
	}
	// At or below the mode, the upper tail is 1 less the lower one, which
	// is summed from x−1 down.
	return math.Max(0, 1-math.Exp(logPMF(x-1))*tailDown(x-1, lo, up))
}

// BinomialAtLeast is P(X ≥ k) for X binomial with n trials of success
// probability p.
func BinomialAtLeast(k, n int64, p float64) float64 {
	switch {
	case k <= 0:
		return 1
	case k > n:
		return 0
	case p <= 0:
		return 0
	case p >= 1:
		return 1
	}
	nf, x := float64(n), float64(k)
	logPMF := func(x float64) float64 { return lchoose(nf, x) + x*math.Log(p) + (nf-x)*math.Log1p(-p) }
	up := func(x float64) float64 { return (nf - x) / (x + 1) * p / (1 - p) }
	mode := math.Floor((nf + 1) * p)
	if x > mode {
		return math.Min(1, math.Exp(logPMF(x))*tailUp(x, nf, up))
	}
	return math.Max(0, 1-math.Exp(logPMF(x-1))*tailDown(x-1, 0, up))
}

// tailUp is Σ pmf(y)/pmf(x) for y from x to hi, with up(y) =
// pmf(y+1)/pmf(y) shrinking below 1 from x on.
func tailUp(x, hi float64, up func(float64) float64) float64 {
	sum, term := 1.0, 1.0
	for y := x; y < hi; y++ {
		term *= up(y)
		sum += term
		if term < sum*negligible {
			break
		}
	}
	return sum
}

// tailDown is Σ pmf(y)/pmf(x) for y from x down to lo, with the terms
// shrinking going down from x.
func tailDown(x, lo float64, up func(float64) float64) float64 {
	sum, term := 1.0, 1.0
	for y := x; y > lo; y-- {
		term /= up(y - 1)
		sum += term
		if term < sum*negligible {
			break
		}
	}
	return sum
}
