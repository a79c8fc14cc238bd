package figures

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWords(t *testing.T) {
	t.Parallel()
	if got := Code([]string{"lambda.GetAlias", "lambda.UpdateAlias"}); got != "`lambda.GetAlias`, `lambda.UpdateAlias`" {
		t.Errorf("Code = %q", got)
	}
	if Met(true) != "met" || Met(false) != "MISSED" {
		t.Errorf("Met(true), Met(false) = %q, %q", Met(true), Met(false))
	}
}

func TestWrite(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "new", "dir")
	v := map[string]float64{"median_ms": 73}
	if err := Write(io.Discard, dir, "# figures\n", v); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "results.md"))
	if err != nil || string(md) != "# figures\n" {
		t.Errorf("results.md = %q, %v", md, err)
	}
	js, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]float64
	if err := json.Unmarshal(js, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v, got); diff != "" {
		t.Errorf("results.json (-want +got):\n%s", diff)
	}
}

// Median over durations (the bench's wall times) and over seconds (the
// startup and release benches).
func TestMedian(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{3, 1, 2}, 2},
		{[]time.Duration{4, 1, 2, 3}, 2},
	} {
		if got := Median(tc.in); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 2, 3}, 2.5},
	} {
		if got := Median(tc.in); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
