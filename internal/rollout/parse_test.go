package rollout

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/percent"
)

func TestParseSteps(t *testing.T) {
	t.Parallel()
	good := []struct {
		in   string
		want []percent.Percent
	}{
		{"10,50,100", []percent.Percent{10, 50, 100}},
		{"10, 50 ,100", []percent.Percent{10, 50, 100}},
		{" 10,25,50,100 ", []percent.Percent{10, 25, 50, 100}},
		{"100", []percent.Percent{100}},
		{"0.5,1,100", []percent.Percent{0.5, 1, 100}},
		{"10%,50%,100%", []percent.Percent{10, 50, 100}},
		{"1,2,3,4,5,100", []percent.Percent{1, 2, 3, 4, 5, 100}},
	}
	for _, tt := range good {
		got, err := ParseSteps(tt.in)
		if err != nil {
			t.Errorf("ParseSteps(%q) error: %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseSteps(%q) (-want +got):\n%s", tt.in, diff)
		}
	}

	bad := []struct {
		in      string
		wantErr string // part of the message
	}{
		{"50,10", `percentages must increase, e.g. "10,50,100"`},
		{"50,50,100", "percentages must increase"},
		{"0", "above 0"},
		{"0,100", "above 0"},
		{"101", "at most 100"},
		{"10,101", "at most 100"},
		{"abc", `step 1 ("abc") is not a percentage`},
		{"10,,100", "step 2 is empty"},
		{"10,100,", "step 3 is empty"},
		{",100", "step 1 is empty"},
		{"", "give percentages"},
		{"   ", "give percentages"},
		{"10,50", "the last step must be 100"},
		{"10;50;100", "not a percentage"},
		{"10 50 100", "not a percentage"},
		{"-10,100", "not a percentage"},
		{"1e1,100", "not a percentage"},
		{"NaN,100", "not a percentage"},
		{"Inf", "not a percentage"},
		{"0x10,100", "not a percentage"},
		{"1_0,100", "not a percentage"},
		{"10%%,100", "not a percentage"},
		{strings.Repeat("1,", MaxSteps) + "100", "at most 100 steps"},
	}
	for _, tt := range bad {
		got, err := ParseSteps(tt.in)
		if err == nil {
			t.Errorf("ParseSteps(%q) = %v, want error", tt.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseSteps(%q) error %q, want it to contain %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestParseWeight(t *testing.T) {
	t.Parallel()
	good := map[string]percent.Percent{
		"10": 10, "10%": 10, " 10 % ": 10, "0.5": 0.5, "0": 0, "100": 100, "100%": 100, ".5": 0.5, "99.99": 99.99, "007": 7,
	}
	for in, want := range good {
		got, err := ParseWeight(in)
		if err != nil || got != want {
			t.Errorf("ParseWeight(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "%", "-1", "100.1", "101", "NaN", "Inf", "+Inf", "1e1", "0x1p-2", "ten", "10%%", "1,5", "1_0", "5.", "%10"} {
		if got, err := ParseWeight(in); err == nil {
			t.Errorf("ParseWeight(%q) = %v, want error", in, got)
		}
	}
}

func TestParsePercent(t *testing.T) {
	t.Parallel()
	good := map[string]percent.Percent{"2%": 2, "0.5%": 0.5, "0%": 0, "100%": 100, " 5 %": 5}
	for in, want := range good {
		got, err := ParsePercent(in)
		if err != nil || math.Abs(float64(got-want)) > 1e-12 {
			t.Errorf("ParsePercent(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2", "0.02", "%", "101%", "-1%", "NaN%", "Inf%", "1e1%", "two%", "2%%"} {
		if got, err := ParsePercent(in); err == nil {
			t.Errorf("ParsePercent(%q) = %v, want error", in, got)
		}
	}
}

func TestParseInterval(t *testing.T) {
	t.Parallel()
	good := map[string]time.Duration{"1m": time.Minute, "30s": 30 * time.Second, " 5m ": 5 * time.Minute, "1m30s": 90 * time.Second, "1h": time.Hour}
	for in, want := range good {
		got, err := ParseInterval(in)
		if err != nil || got != want {
			t.Errorf("ParseInterval(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0s", "0", "-1m", "1x", "", "5", "1 m", "m"} {
		if got, err := ParseInterval(in); err == nil {
			t.Errorf("ParseInterval(%q) = %v, want error", in, got)
		}
	}
}

func TestParseAlarms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" , \n ,", nil},
		{"a", []string{"a"}},
		{"a,b", []string{"a", "b"}},
		{"a\nb\r\nc\n", []string{"a", "b", "c"}},
		{" api-5xx , api latency ,api-5xx\n", []string{"api-5xx", "api latency"}},
		{"b,a,b,a", []string{"b", "a"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, ParseAlarms(tt.in)); diff != "" {
			t.Errorf("ParseAlarms(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func FuzzParseSteps(f *testing.F) {
	for _, s := range []string{"10,50,100", "10, 50 ,100", "50,10", "0", "101", "abc", "10,,100", "", "10,50", "0.5,100", "10%,100%", "1e2", "NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		steps, err := ParseSteps(s)
		if err != nil {
			if steps != nil {
				t.Fatalf("ParseSteps(%q) returned steps with an error", s)
			}
			return
		}
		if len(steps) == 0 || len(steps) > MaxSteps {
			t.Fatalf("ParseSteps(%q) = %v: wrong length", s, steps)
		}
		for i, w := range steps {
			if !(w > 0 && w <= 100) {
				t.Fatalf("ParseSteps(%q) step %d = %v out of range", s, i, w)
			}
			if i > 0 && w <= steps[i-1] {
				t.Fatalf("ParseSteps(%q) = %v not ascending", s, steps)
			}
		}
		if steps[len(steps)-1] != 100 {
			t.Fatalf("ParseSteps(%q) = %v does not end at 100", s, steps)
		}
		p := Custom(steps, time.Minute)
		if p.Steps[len(p.Steps)-1].Bake != 0 || p.Total() != time.Duration(len(steps)-1)*time.Minute {
			t.Fatalf("Custom(%v) = %+v: wrong bakes", steps, p)
		}
	})
}

func FuzzParseWeight(f *testing.F) {
	for _, s := range []string{"10", "10%", "0.5", "0", "100", "101", "-1", "NaN", "Inf", "1e1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWeight(s)
		if err != nil {
			return
		}
		if math.IsNaN(float64(w)) || w < 0 || w > 100 {
			t.Fatalf("ParseWeight(%q) = %v out of range", s, w)
		}
	})
}

func FuzzParsePercent(f *testing.F) {
	for _, s := range []string{"2%", "0.5%", "0%", "100%", "101%", "2", "-1%", "NaN%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePercent(s)
		if err != nil {
			return
		}
		if math.IsNaN(float64(p)) || p < 0 || p > 100 {
			t.Fatalf("ParsePercent(%q) = %v out of range", s, p)
		}
		if !strings.HasSuffix(strings.TrimSpace(s), "%") {
			t.Fatalf("ParsePercent(%q) accepted a value without %%", s)
		}
	})
}

func FuzzParseIncrease(f *testing.F) {
	for _, s := range []string{"20%", "0%", "1000%", "1000.5%", "150 %", "20", "-5%", "1e3%", "Inf%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseIncrease(s)
		if err != nil {
			return
		}
		if math.IsNaN(float64(p)) || p < 0 || p > MaxIncrease {
			t.Fatalf("ParseIncrease(%q) = %v out of range", s, p)
		}
		if !strings.HasSuffix(strings.TrimSpace(s), "%") || strings.ContainsAny(s, "eE+-") {
			t.Fatalf("ParseIncrease(%q) accepted %v", s, p)
		}
	})
}

func TestParseIncrease(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want percent.Percent
		ok   bool
	}{
		{"20%", 20, true}, {" 150 % ", 150, true}, {"0%", 0, true}, {"1000%", 1000, true},
		{"1000.1%", 0, false}, {"20", 0, false}, {"-1%", 0, false}, {"1e2%", 0, false}, {"", 0, false},
	} {
		got, err := ParseIncrease(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseIncrease(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseInterval(f *testing.F) {
	for _, s := range []string{"1m", "30s", "0s", "-1m", "1x", "", "1h30m", "9223372036854775807ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseInterval(s)
		if err != nil {
			return
		}
		if d <= 0 {
			t.Fatalf("ParseInterval(%q) = %v, want > 0", s, d)
		}
	})
}
