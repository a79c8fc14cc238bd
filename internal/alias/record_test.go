package alias

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, r := range []Record{
		{State: Created, New: "1"},
		{State: Shifting, Stable: "6", New: "7"},
		{State: Shifting, Stable: "6", New: "7", Since: at},
		{State: Shifting, Stable: "6", New: "7", Since: at, Plan: "Linear10PercentEvery10Minutes", Step: 8, StepAt: at.Add(80 * time.Minute)},
		{State: RolledBack, Stable: "6", New: "7"},
	} {
		s, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		got, ok, err := ParseRecord(s)
		if err != nil || !ok {
			t.Fatalf("ParseRecord(%q) = %v, %v", s, ok, err)
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("round trip of %q (-want +got):\n%s", s, diff)
		}
	}
	long := Record{State: Shifting, Stable: "6", New: "7", Since: at, Plan: strings.Repeat("9,", 120) + "100", StepAt: at}
	if _, err := long.Encode(); err == nil {
		t.Error("Encode accepted a record longer than 256 characters")
	}
}

func TestParseRecord(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc    string
		want    Record
		ok      bool
		foreign bool
	}{
		{desc: "", ok: false},
		{desc: "prod alias, do not touch", ok: false},
		{desc: "lambda-promote: previous version 6", want: Record{State: Shifting, Stable: "6"}, ok: true},
		{desc: "lambda-promote: created", want: Record{State: Created}, ok: true},
		{desc: "lambda-promote: rolled back from 7", want: Record{State: RolledBack}, ok: true},
		{desc: "lambda-promote/1 shifting stable=6 new=7", want: Record{State: Shifting, Stable: "6", New: "7"}, ok: true},
		// Edited by hand, cut short, or from another release: refused.
		{desc: "lambda-promote/1 shifting stable=6", ok: true, foreign: true},
		{desc: "lambda-promote/1 shifting stable=6 new=7 since=2026-11-30T12:0", ok: true, foreign: true},
		{desc: "lambda-promote/1 shifting stable=six new=7", ok: true, foreign: true},
		{desc: "lambda-promote/1 shifting stable=6 new=7 colour=blue", ok: true, foreign: true},
		{desc: "lambda-promote/1 shifting stable=6 new=7 plan=Canary10Percent5Minutes", ok: true, foreign: true},
		{desc: "lambda-promote/1 paused stable=6 new=7", ok: true, foreign: true},
		{desc: "lambda-promote/2 shifting stable=6 new=7", ok: true, foreign: true},
		{desc: "lambda-promote/1 ", ok: true, foreign: true},
	}
	for _, tc := range tests {
		got, ok, err := ParseRecord(tc.desc)
		if ok != tc.ok || errors.Is(err, ErrForeignRecord) != tc.foreign || (err != nil) != tc.foreign {
			t.Errorf("ParseRecord(%q) = ok %v, err %v; want ok %v, foreign %v", tc.desc, ok, err, tc.ok, tc.foreign)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" && !tc.foreign {
			t.Errorf("ParseRecord(%q) (-want +got):\n%s", tc.desc, diff)
		}
	}
}

func FuzzParseRecord(f *testing.F) {
	for _, s := range []string{"lambda-promote/1 shifting stable=6 new=7 since=2026-11-30T12:00:00Z plan=steps:10,100/1m step=0 at=2026-11-30T12:00:00Z", "lambda-promote: previous version 6", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, ok, err := ParseRecord(s)
		if err != nil || !ok || strings.HasPrefix(s, legacyPrefix) {
			return
		}
		enc, err := r.Encode()
		if err != nil {
			return
		}
		back, ok, err := ParseRecord(enc)
		if err != nil || !ok {
			t.Fatalf("ParseRecord(%q) = %+v, but its encoding %q reads back as %v, %v", s, r, enc, ok, err)
		}
		if diff := cmp.Diff(r, back); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", s, diff)
		}
	})
}
