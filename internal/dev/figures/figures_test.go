package figures

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

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
