package rollout

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/percent"
)

func TestEncode(t *testing.T) {
	t.Parallel()
	for _, p := range []Plan{
		mustPreset(t, "Linear10PercentEvery10Minutes"),
		mustPreset(t, "Canary10Percent5Minutes"),
		Custom([]percent.Percent{0.5, 25, 50, 100}, 90*time.Second),
		Custom([]percent.Percent{10, 100}, time.Hour),
	} {
		s, err := Encode(p)
		if err != nil {
			t.Fatalf("Encode(%s): %v", p.Name, err)
		}
		back, err := Decode(s)
		if err != nil {
			t.Fatalf("Decode(%q): %v", s, err)
		}
		if diff := cmp.Diff(p, back); diff != "" {
			t.Errorf("round trip of %q (-want +got):\n%s", s, diff)
		}
	}
	for _, p := range []Plan{Hold(10), allAtOnce()} {
		if s, err := Encode(p); err == nil {
			t.Errorf("Encode(%s) = %q, want an error", p.Name, s)
		}
	}
	for _, s := range []string{"", "AllAtOnce", "all-at-once", "steps:10,100", "steps:10,100/x", "steps:100/1m", "steps:50,10,100/1m", "Linear10PercentEvery7Minutes"} {
		if p, err := Decode(s); err == nil {
			t.Errorf("Decode(%q) = %+v, want an error", s, p)
		}
	}
}

func mustPreset(t *testing.T, name string) Plan {
	t.Helper()
	p, ok := Preset(name)
	if !ok {
		t.Fatalf("no preset %s", name)
	}
	return p
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{"steps:10,25,50,100/5m", "Canary10Percent30Minutes", "steps:1,100/1ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Decode(s)
		if err != nil {
			return
		}
		enc, err := Encode(p)
		if err != nil {
			t.Fatalf("Decode(%q) = %s, which does not encode: %v", s, p.Name, err)
		}
		if back, err := Decode(enc); err != nil || !cmp.Equal(p, back) {
			t.Fatalf("Decode(%q) then Encode = %q, which decodes to %+v, %v", s, enc, back, err)
		}
	})
}
