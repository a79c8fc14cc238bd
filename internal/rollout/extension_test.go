package rollout

import (
	"testing"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/compare"
	"github.com/lambda-promote/lambda-promote/internal/percent"
)

func TestAfterComparison(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v      compare.Verdict
		look   int
		enough bool
		want   StepCall
	}{
		{compare.Worse, 0, true, RollBack},
		{compare.Worse, ExtraLooks, true, RollBack},
		{compare.NoWorse, 0, true, Advance},
		{compare.NoWorse, 0, false, RollBack}, // min-invocations still counts
		{compare.CannotTell, 0, true, HoldStep},
		{compare.CannotTell, 0, false, HoldStep}, // more traffic may come while it holds
		{compare.CannotTell, ExtraLooks - 1, false, HoldStep},
		{compare.CannotTell, ExtraLooks, true, Advance},   // min-invocations met (or 0)
		{compare.CannotTell, ExtraLooks, false, RollBack}, // not enough traffic to judge
		{compare.CannotTell, ExtraLooks + 3, true, Advance},
	}
	for _, tt := range tests {
		if got := AfterComparison(tt.v, tt.look, tt.enough); got != tt.want {
			t.Errorf("AfterComparison(%q, %d, %v) = %s, want %s", tt.v, tt.look, tt.enough, got, tt.want)
		}
	}
}

func TestLookEvery(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ bake, want time.Duration }{
		{3 * time.Second, time.Minute},
		{time.Minute, time.Minute},
		{2 * time.Minute, 2 * time.Minute},
		{30 * time.Minute, 5 * time.Minute},
		{0, time.Minute},
	} {
		if got := LookEvery(tt.bake); got != tt.want {
			t.Errorf("LookEvery(%s) = %s, want %s", tt.bake, got, tt.want)
		}
	}
}

func TestJudgements(t *testing.T) {
	t.Parallel()
	canary, _ := Preset("Canary10Percent5Minutes")
	linear, _ := Preset("Linear10PercentEvery1Minute")
	all, _ := Preset("AllAtOnce")
	for _, tt := range []struct {
		p    Plan
		want int
	}{
		{canary, 3},
		{linear, 27},
		{Custom([]percent.Percent{10, 50, 100}, time.Minute), 6},
		{Hold(10), 3},
		{all, 3},
	} {
		if got := Judgements(tt.p); got != tt.want {
			t.Errorf("Judgements(%s) = %d, want %d", tt.p.Name, got, tt.want)
		}
	}
}

func TestLookAt(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		now  time.Duration // after due
		bake time.Duration
		want int
	}{
		{-time.Minute, 10 * time.Minute, 0},
		{0, 10 * time.Minute, 0},
		{4 * time.Minute, 10 * time.Minute, 0},
		{5 * time.Minute, 10 * time.Minute, 1},
		{12 * time.Minute, 10 * time.Minute, 2},
		{time.Hour, 10 * time.Minute, 12},
		{90 * time.Second, time.Minute, 1},
	} {
		if got := LookAt(due, due.Add(tt.now), tt.bake); got != tt.want {
			t.Errorf("LookAt(due, due+%s, bake %s) = %d, want %d", tt.now, tt.bake, got, tt.want)
		}
	}
}
