package rollout

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/percent"
)

func linearSteps(every time.Duration) []Step {
	var steps []Step
	for w := percent.Percent(10); w < 100; w += 10 {
		steps = append(steps, Step{Weight: w, Bake: every})
	}
	return append(steps, Step{Weight: 100})
}

func TestPreset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		wantName  string
		wantSteps []Step
		wantTotal time.Duration
	}{
		{"all-at-once", "all-at-once", []Step{{Weight: 100}}, 0},
		{"AllAtOnce", "all-at-once", []Step{{Weight: 100}}, 0},
		{"Canary10Percent5Minutes", "Canary10Percent5Minutes", []Step{{10, 5 * time.Minute}, {100, 0}}, 5 * time.Minute},
		{"Canary10Percent10Minutes", "Canary10Percent10Minutes", []Step{{10, 10 * time.Minute}, {100, 0}}, 10 * time.Minute},
		{"Canary10Percent15Minutes", "Canary10Percent15Minutes", []Step{{10, 15 * time.Minute}, {100, 0}}, 15 * time.Minute},
		{"Canary10Percent30Minutes", "Canary10Percent30Minutes", []Step{{10, 30 * time.Minute}, {100, 0}}, 30 * time.Minute},
		{"Linear10PercentEvery1Minute", "Linear10PercentEvery1Minute", linearSteps(time.Minute), 9 * time.Minute},
		{"Linear10PercentEvery2Minutes", "Linear10PercentEvery2Minutes", linearSteps(2 * time.Minute), 18 * time.Minute},
		{"Linear10PercentEvery3Minutes", "Linear10PercentEvery3Minutes", linearSteps(3 * time.Minute), 27 * time.Minute},
		{"Linear10PercentEvery10Minutes", "Linear10PercentEvery10Minutes", linearSteps(10 * time.Minute), 90 * time.Minute},
	}
	for _, tt := range tests {
		names := []string{tt.name}
		if tt.name != "all-at-once" {
			names = append(names, "CodeDeployDefault.Lambda"+tt.name)
		}
		for _, name := range names {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				p, ok := Preset(name)
				if !ok {
					t.Fatalf("Preset(%q) not found", name)
				}
				if p.Name != tt.wantName {
					t.Errorf("Name = %q, want %q", p.Name, tt.wantName)
				}
				if diff := cmp.Diff(tt.wantSteps, p.Steps); diff != "" {
					t.Errorf("Steps (-want +got):\n%s", diff)
				}
				if got := p.Total(); got != tt.wantTotal {
					t.Errorf("Total() = %v, want %v", got, tt.wantTotal)
				}
			})
		}
	}
}

func TestPresetUnknown(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		"", "canary10Percent5Minutes", "Canary10Percent7Minutes", "Linear10PercentEvery1Minutes",
		"CodeDeployDefault.Lambdaall-at-once", "CodeDeployDefault.Lambda", "CodeDeployDefault.LambdaCanary", "all at once",
		"CodeDeployDefault.Lambda.Canary10Percent5Minutes", " AllAtOnce",
	} {
		if p, ok := Preset(name); ok {
			t.Errorf("Preset(%q) = %+v, want not found", name, p)
		}
	}
}

func TestPresetNames(t *testing.T) {
	t.Parallel()
	names := PresetNames()
	if len(names) != 9 {
		t.Fatalf("PresetNames() has %d names, want 9: %q", len(names), names)
	}
	for _, name := range names {
		if _, ok := Preset(name); !ok {
			t.Errorf("Preset(%q) from PresetNames not found", name)
		}
	}
	names[0] = "changed"
	if PresetNames()[0] == "changed" {
		t.Error("PresetNames returns its own slice; callers can change it")
	}
}

func TestCustom(t *testing.T) {
	t.Parallel()
	tests := []struct {
		weights   []percent.Percent
		interval  time.Duration
		want      Plan
		wantTotal time.Duration
		describe  []string
	}{
		{
			weights:  []percent.Percent{10, 50, 100},
			interval: time.Minute,
			want: Plan{Name: "steps 10,50,100 every 1m", Steps: []Step{
				{10, time.Minute}, {50, time.Minute}, {100, 0},
			}},
			wantTotal: 2 * time.Minute,
			describe:  []string{"10% for 1m0s", "50% for 1m0s", "100%"},
		},
		{
			weights:   []percent.Percent{0.5, 25, 100},
			interval:  90 * time.Second,
			want:      Plan{Name: "steps 0.5,25,100 every 1m30s", Steps: []Step{{0.5, 90 * time.Second}, {25, 90 * time.Second}, {100, 0}}},
			wantTotal: 3 * time.Minute,
			describe:  []string{"0.5% for 1m30s", "25% for 1m30s", "100%"},
		},
		{
			weights:   []percent.Percent{100},
			interval:  time.Hour,
			want:      Plan{Name: "steps 100 every 1h", Steps: []Step{{100, 0}}},
			wantTotal: 0,
			describe:  []string{"100%"},
		},
	}
	for _, tt := range tests {
		got := Custom(tt.weights, tt.interval)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Custom(%v, %v) (-want +got):\n%s", tt.weights, tt.interval, diff)
		}
		if got.Total() != tt.wantTotal {
			t.Errorf("Custom(%v, %v).Total() = %v, want %v", tt.weights, tt.interval, got.Total(), tt.wantTotal)
		}
		if diff := cmp.Diff(tt.describe, got.Describe()); diff != "" {
			t.Errorf("Describe() (-want +got):\n%s", diff)
		}
	}
}

func TestHold(t *testing.T) {
	t.Parallel()
	got := Hold(10)
	want := Plan{Name: "hold at 10%", Steps: []Step{{Weight: 10}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Hold(10) (-want +got):\n%s", diff)
	}
	if got := Hold(0.5).Name; got != "hold at 0.5%" {
		t.Errorf("Hold(0.5).Name = %q", got)
	}
}

func TestDescribePreset(t *testing.T) {
	t.Parallel()
	p, _ := Preset("Canary10Percent5Minutes")
	if diff := cmp.Diff([]string{"10% for 5m0s", "100%"}, p.Describe()); diff != "" {
		t.Errorf("Describe() (-want +got):\n%s", diff)
	}
}

func TestShortDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		time.Minute:             "1m",
		90 * time.Second:        "1m30s",
		time.Hour:               "1h",
		time.Hour + time.Minute: "1h1m",
		time.Hour + time.Second: "1h0m1s",
		30 * time.Second:        "30s",
		1500 * time.Millisecond: "1.5s",
		10 * time.Minute:        "10m",
	} {
		if got := ShortDuration(d); got != want {
			t.Errorf("ShortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
