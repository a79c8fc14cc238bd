package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The bench's own arithmetic and parsing; no timing is asserted.
func TestBeyond(t *testing.T) {
	t.Parallel()
	ops := []string{"lambda.GetAlias", "lambda.GetFunction", "apigateway.GetRestApi", "lambda.PublishVersion", "lambda.PublishVersion"}
	got := beyond(ops, minimum)
	want := []string{"lambda.GetAlias", "apigateway.GetRestApi", "lambda.PublishVersion"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("beyond (-want +got):\n%s", diff)
	}
}

func TestParseInitTrace(t *testing.T) {
	t.Parallel()
	got := parseInitTrace("noise\ninit a/b @1.5 ms, 2.5 ms clock, 100 bytes, 3 allocs\ninit c @10 ms, 0.5 ms clock, 20 bytes, 1 allocs\n")
	want := startup{
		InitEndMS: 10.5, InitMS: 3, InitAllocB: 120,
		Top: []initPkg{{Pkg: "a/b", ClockMS: 2.5, Bytes: 100}, {Pkg: "c", ClockMS: 0.5, Bytes: 20}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseInitTrace (-want +got):\n%s", diff)
	}
}
