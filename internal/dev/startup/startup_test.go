package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The bench's own arithmetic and parsing; no timing is asserted.
func TestSummarize(t *testing.T) {
	t.Parallel()
	r := results{
		Today:    today{BuildS: 95.5, RunS: 0.5, TotalS: 96},
		Released: []pullRun{{PullS: 1, RunS: 0.4, TotalS: 1.4}, {PullS: 2, RunS: 0.6, TotalS: 2.6}, {PullS: 1.5, RunS: 0.5, TotalS: 2}},
		Floor:    []float64{0.5, 0.3, 0.4, 0.6},
		Image:    image{CompressedBytes: 16_000_000},
	}
	r.summarize(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	got := map[string]float64{
		"released": r.ReleasedS, "pull": r.ReleasedPullS, "run": r.ReleasedRunS, "floor": r.FloorS,
		"today/released": r.TodayVsReleased, "released/floor": r.ReleasedVsFloor,
	}
	want := map[string]float64{"released": 2, "pull": 1.5, "run": 0.5, "floor": 0.45, "today/released": 48, "released/floor": 4.4}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summarize (-want +got):\n%s", diff)
	}
	var met []bool
	for _, tg := range r.Targets {
		met = append(met, tg.Met)
	}
	if diff := cmp.Diff([]bool{true, true, false}, met); diff != "" {
		t.Errorf("targets met (-want +got):\n%s\n%+v", diff, r.Targets)
	}
	if r.Date != "2026-11-30" {
		t.Errorf("date %q", r.Date)
	}
	for _, s := range []string{"96.0 s", "**2.00 s**", "| image, compressed (what a pull downloads) | ≤ 15 MB | 16.0 MB | MISSED |"} {
		if !strings.Contains(r.markdown(), s) {
			t.Errorf("results.md lacks %q:\n%s", s, r.markdown())
		}
	}
}

func TestManifestOf(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/lp/manifests/sha256:abc" || !strings.Contains(r.Header.Get("Accept"), "application/vnd.oci.image.manifest.v1+json") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		_, _ = w.Write([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
			"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:c","size":1000},
			"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:l1","size":500000},
			          {"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:l2","size":4800000}]}`))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	m, err := manifestOf(context.Background(), host, "lp", "sha256:abc")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.compressed(); got != 5_301_000 {
		t.Errorf("compressed = %d, want 5301000 (config and layers)", got)
	}
	im := imageFacts(m, "x")
	if len(im.Layers) != 2 || im.Layers[1].Bytes != 4_800_000 {
		t.Errorf("imageFacts layers = %+v", im.Layers)
	}
	if _, err := manifestOf(context.Background(), host, "lp", "sha256:other"); err == nil {
		t.Error("manifestOf of a missing manifest: no error")
	}
}

// TestRegistry pushes a blob to the in-process registry and reads it back:
// the registry the released way pulls from keeps what it is given.
func TestRegistry(t *testing.T) {
	t.Parallel()
	reg, err := startRegistry(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := reg.Close(); err != nil {
			t.Error(err)
		}
	}()
	const blob = "hello"
	const digest = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	resp, err := http.Post("http://"+reg.Host+"/v2/lp/blobs/uploads/?digest="+digest, "application/octet-stream", strings.NewReader(blob))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %s", resp.Status)
	}
	resp, err = http.Head("http://" + reg.Host + "/v2/lp/blobs/" + digest)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength != int64(len(blob)) {
		t.Errorf("HEAD blob: %s, %d bytes; want 200 OK, %d bytes", resp.Status, resp.ContentLength, len(blob))
	}
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	if _, err := parseFlags([]string{"-pulls", "0", "-runs", "0", "extra"}); err == nil ||
		!strings.Contains(err.Error(), "-pulls 0") || !strings.Contains(err.Error(), "-runs 0") || !strings.Contains(err.Error(), "extra") {
		t.Errorf("parseFlags: %v, want each problem named", err)
	}
}

// TestProductLeavesRegistryOut: go-containerregistry is for this bench only;
// the lambda-promote binary must not link it.
func TestProductLeavesRegistryOut(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/lambda-promote/lambda-promote").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/google/go-containerregistry") || strings.Contains(pkg, "/internal/testenv/") || strings.Contains(pkg, "/internal/dev/") {
			t.Errorf("the lambda-promote binary imports %s", pkg)
		}
	}
}

// TestCommittedResults: results.md is what the generator makes of
// results.json, so the two committed files agree.
func TestCommittedResults(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "..", "testdata", "bench", "startup")
	js, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r results
	if err := json.Unmarshal(js, &r); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(md), r.markdown()); diff != "" {
		t.Errorf("results.md differs from results.json rendered (-file +rendered):\n%s", diff)
	}
}
