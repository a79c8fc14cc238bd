package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// The comparison with the stable version (compare-to-stable), through the
// realism layer: the traffic follows the alias, its metrics reach
// CloudWatch late, and the layer answers the Duration p99 moto cannot.
//
// How much traffic the tests need: at a 0.5 % stable rate on a 10 %
// canary, with the default confidence over a canary's three judgements (α
// = 5 %/3 each), the test tells a new version at the same rate "no worse"
// from about 2 900 canary invocations (80 % power to see 1 %), and at
// 6 000 it does with 99 % power, while a doubled rate gives p = 4·10⁻⁶. The
// traffic generator's counts are exact, not drawn, so those are the
// numbers the run sees: 1 000 invocations a second give the canary 6 000
// in each minute CloudWatch delivers, and a p99 needs 1 000 of each
// version. A judgement that falls early in a minute can see only seconds
// of the canary and hold the step; the next look, a minute later, sees a
// whole minute more.

// baseline is the healthy function: 0.5 % of its invocations fail, its
// Duration has a median of 40 ms (p99 about 80 ms).
const (
	baseRate   = 0.005
	baseMedian = 40.0
	busy       = 1000 // invocations a second
)

// canaryTraffic is steady traffic through the alias: the stable version 1
// at the baseline, the canary 2 at the error rate and median Duration
// given, perSecond invocations in all.
func canaryTraffic(t *testing.T, srv *moto.Server, w moto.World, perSecond, rate, median float64) *moto.TrafficRun {
	t.Helper()
	return traffic(t, srv, moto.Traffic{Function: w.Function, Alias: "prod", PerTick: perSecond,
		ErrorRate: map[string]float64{"1": baseRate, "2": rate},
		Duration:  map[string]float64{"1": baseMedian, "2": median}})
}

// compareInputs is a canary of 10 % for 3 s, then 100 %, judged against
// the stable version.
func compareInputs(w moto.World, more ...string) map[string]string {
	in := map[string]string{"function-name": w.Function, "alias": "prod", "steps": "10,100", "interval": "3s", "compare-to-stable": "true"}
	for i := 0; i+1 < len(more); i += 2 {
		in[more[i]] = more[i+1]
	}
	return in
}

// judgements counts the comparison's judgements in a summary's timeline,
// by verdict.
func judgements(summary string) map[string]int {
	got := map[string]int{}
	for _, v := range []string{"worse", "no worse", "cannot tell yet"} {
		got[v] = strings.Count(summary, "comparison: **"+v+"**")
	}
	return got
}

func TestCompareTwiceTheErrorRateRollsBack(t *testing.T) {
	t.Parallel()
	skipLong(t, "its judgement waits for CloudWatch's next minute")
	srv, w := world(t, "cmpworse")
	canaryTraffic(t, srv, w, busy, 2*baseRate, baseMedian)
	r := runAction(t, srv, compareInputs(w), Options{})
	wantRolledBack(t, srv, w, r, "comparison: **worse**")
	if diff := cmp.Diff([]string{"1+2@0.1", "1"}, moves(t, r.Proxy)); diff != "" {
		t.Errorf("moves of the alias (-want +got):\n%s", diff)
	}
	if got := judgements(r.Summary); got["worse"] != 1 || got["no worse"] != 0 {
		t.Errorf("judgements %v, want one worse", got)
	}
	if !strings.Contains(r.Summary, "≤ 0.0167") {
		t.Errorf("summary lacks the test's level (5%%/3):\n%s", r.Summary)
	}
}

func TestCompareTheSameErrorRateAdvances(t *testing.T) {
	t.Parallel()
	skipLong(t, "its judgement waits for CloudWatch's next minute")
	srv, w := world(t, "cmpsame")
	canaryTraffic(t, srv, w, busy, baseRate, baseMedian)
	r := runAction(t, srv, compareInputs(w), Options{})
	if r.Code != 0 {
		t.Fatalf("exit %d, want 0", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "promoted", "version": "2", "traffic-weight": "100"})
	if diff := cmp.Diff([]string{"1+2@0.1", "2"}, moves(t, r.Proxy)); diff != "" {
		t.Errorf("moves of the alias (-want +got):\n%s", diff)
	}
	if got := judgements(r.Summary); got["no worse"] != 1 || got["worse"] != 0 {
		t.Errorf("judgements %v, want one no worse:\n%s", got, r.Summary)
	}
}

func TestCompareSlowerP99RollsBack(t *testing.T) {
	t.Parallel()
	skipLong(t, "its judgement waits for CloudWatch's next minute")
	srv, w := world(t, "cmpslow")
	// The same error rate, but every Duration 1.5 times the stable's: its
	// p99 is 1.5 times too, above the 20 % tolerance.
	canaryTraffic(t, srv, w, busy, baseRate, 1.5*baseMedian)
	r := runAction(t, srv, compareInputs(w), Options{})
	wantRolledBack(t, srv, w, r, "comparison: **worse**")
	// p99s of about 121 ms against 80 ms: the limit is 1.2 × 80 = 96 ms.
	if !regexp.MustCompile(`p99 1[12][0-9]\.[0-9] ms &gt; 9[0-9]\.[0-9] ms`).MatchString(r.Summary) {
		t.Errorf("summary does not say the p99 is above the tolerance:\n%s", r.Summary)
	}
}

func TestCompareFewInvocationsCannotTellAndTheHoldEnds(t *testing.T) {
	t.Parallel()
	skipLong(t, "it holds the step for two more of CloudWatch's minutes")
	srv, w := world(t, "cmpfew")
	// Two invocations a second: the canary serves about 30 in the step's
	// window, too few to tell; min-invocations then rolls it back.
	canaryTraffic(t, srv, w, 2, baseRate, baseMedian)
	r := runAction(t, srv, compareInputs(w, "min-invocations", "100"), Options{Timeout: 7 * time.Minute})
	wantRolledBack(t, srv, w, r, "not enough traffic to judge")
	// Judged at the end of the bake, then twice more, and no more.
	if got := judgements(r.Summary); got["cannot tell yet"] != 3 {
		t.Errorf("judgements %v, want three that cannot tell:\n%s", got, r.Summary)
	}
	if n := strings.Count(r.Summary, "| held: the comparison cannot tell yet"); n != 2 {
		t.Errorf("%d held rows, want 2:\n%s", n, r.Summary)
	}
	if diff := cmp.Diff([]string{"1+2@0.1", "1"}, moves(t, r.Proxy)); diff != "" {
		t.Errorf("moves of the alias (-want +got):\n%s", diff)
	}
}

func TestCompareDetachedRunJudgesTheStepSinceItWasTaken(t *testing.T) {
	t.Parallel()
	skipLong(t, "the second run's judgement waits for CloudWatch's next minute")
	srv, w := world(t, "cmpdetach")
	in := compareInputs(w, "detach", "true", "interval", "1s")
	r := runAction(t, srv, in, Options{})
	if r.Code != 0 {
		t.Fatalf("start: exit %d", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "canary", "traffic-weight": "10"})
	// Between the runs the canary errs twice as often as the stable
	// version; the next run judges the window since the step.
	tr := canaryTraffic(t, srv, w, busy, 2*baseRate, baseMedian)
	for deadline := time.Now().Add(30 * time.Second); tr.Totals()["2"].Invocations == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the canary served no request in 30s")
		}
	}
	// A run whose judgement sees too little of the canary holds the step
	// and exits, as a scheduled run does; the next one judges again.
	for run := 2; ; run++ {
		time.Sleep(2 * time.Second) // the schedule's gap, past the step's 1s bake
		r = runAction(t, srv, in, Options{})
		if r.Outputs["status"] != "canary" {
			break
		}
		if run == 4 {
			t.Fatalf("the rollout goes on after %d runs:\n%s", run, r.Summary)
		}
		t.Logf("run %d left the canary as it was: %s", run, r.Outputs["status"])
	}
	// One reading and the rollback: the summary says it in its error.
	wantRolledBack(t, srv, w, r, "comparison: worse: 2 at 1.00%")
}
