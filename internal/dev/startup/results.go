package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/dev/figures"
)

// The goals of the issue. MB is 10^6 bytes.
const (
	goalReleasedS   = 5.0
	goalVsToday     = 20.0
	goalCompressedB = 15_000_000
)

// results are the figures of one run, as written to results.json.
type results struct {
	figures.Machine
	Podman string `json:"podman"`

	PullRounds int `json:"pull_rounds"`
	FloorRuns  int `json:"floor_runs"`

	Today    today     `json:"today"`
	Released []pullRun `json:"released_rounds"`
	Floor    []float64 `json:"floor_run_s"`

	// Medians of the released rounds and of the floor runs.
	ReleasedS     float64 `json:"released_s"`
	ReleasedPullS float64 `json:"released_pull_s"`
	ReleasedRunS  float64 `json:"released_run_s"`
	FloorS        float64 `json:"floor_s"`

	TodayVsReleased float64 `json:"today_vs_released"`
	ReleasedVsFloor float64 `json:"released_vs_floor"`
	TodayVsFloor    float64 `json:"today_vs_floor"`

	Image image `json:"image"`

	Targets []target `json:"targets"`
}

type today struct {
	BuildS float64 `json:"build_s"`
	RunS   float64 `json:"run_s"`
	TotalS float64 `json:"total_s"`
}

type pullRun struct {
	PullS  float64 `json:"pull_s"`
	RunS   float64 `json:"run_s"`
	TotalS float64 `json:"total_s"`
}

// image is the released image as the registry holds it and as it lies
// unpacked in local storage.
type image struct {
	Ref             string  `json:"ref"`
	ManifestType    string  `json:"manifest_media_type"`
	CompressedBytes int64   `json:"compressed_bytes"`
	UnpackedBytes   int64   `json:"unpacked_bytes"`
	Layers          []layer `json:"layers"`
}

type layer struct {
	Digest    string `json:"digest"`
	MediaType string `json:"media_type"`
	Bytes     int64  `json:"compressed_bytes"`
}

type target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

func imageFacts(m manifest, ref string) image {
	im := image{Ref: ref, ManifestType: m.MediaType, CompressedBytes: m.compressed()}
	for _, l := range m.Layers {
		im.Layers = append(im.Layers, layer{Digest: l.Digest, MediaType: l.MediaType, Bytes: l.Size})
	}
	return im
}

// summarize fills in the medians, ratios, targets and the machine.
func (r *results) summarize(now time.Time) {
	r.Machine = figures.ThisMachine(now)

	var totals, pulls, runs []float64
	for _, p := range r.Released {
		totals = append(totals, p.TotalS)
		pulls = append(pulls, p.PullS)
		runs = append(runs, p.RunS)
	}
	r.ReleasedS, r.ReleasedPullS, r.ReleasedRunS = figures.Median(totals), figures.Median(pulls), figures.Median(runs)
	r.FloorS = figures.Median(r.Floor)
	r.TodayVsReleased = ratio(r.Today.TotalS, r.ReleasedS)
	r.ReleasedVsFloor = ratio(r.ReleasedS, r.FloorS)
	r.TodayVsFloor = ratio(r.Today.TotalS, r.FloorS)

	r.Targets = []target{
		{"released: pull and run", fmt.Sprintf("≤ %.0f s", goalReleasedS), fmt.Sprintf("%.2f s", r.ReleasedS), r.ReleasedS <= goalReleasedS},
		{"today's build and run / released", fmt.Sprintf("≥ %.0f×", goalVsToday), fmt.Sprintf("%.1f×", r.TodayVsReleased), r.TodayVsReleased >= goalVsToday},
		{"image, compressed (what a pull downloads)", fmt.Sprintf("≤ %.0f MB", goalCompressedB/1e6), mb(r.Image.CompressedBytes), r.Image.CompressedBytes <= goalCompressedB},
	}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return float64(int64(a/b*10+0.5)) / 10
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

// text is the table printed on the terminal.
func (r *results) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s, podman %s, %d cores\n\n", r.Date, r.GoVersion, r.Podman, r.Cores)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "way\tget the image\trun (promotion)\tstart-up + run\tvs released\t")
	fmt.Fprintf(tw, "today: build with an empty cache\t%.1f s\t%.2f s\t%.1f s\t%.1f×\t\n", r.Today.BuildS, r.Today.RunS, r.Today.TotalS, r.TodayVsReleased)
	fmt.Fprintf(tw, "released: pull by digest (median of %d)\t%.2f s\t%.2f s\t%.2f s\t1×\t\n", len(r.Released), r.ReleasedPullS, r.ReleasedRunS, r.ReleasedS)
	fmt.Fprintf(tw, "floor: image present (median of %d)\t0 s\t%.2f s\t%.2f s\t%.2f×\t\n", len(r.Floor), r.FloorS, r.FloorS, ratio(r.FloorS, r.ReleasedS))
	tw.Flush()
	fmt.Fprintf(&b, "\nimage %s: %s compressed in %d layers (", r.Image.Ref, mb(r.Image.CompressedBytes), len(r.Image.Layers))
	for i, l := range r.Image.Layers {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(mb(l.Bytes))
	}
	fmt.Fprintf(&b, "), %s unpacked\n\ntargets:\n", mb(r.Image.UnpackedBytes))
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "  %-7s %s: want %s, got %s\n", figures.Met(t.Met), t.Name, t.Want, t.Got)
	}
	return b.String()
}

// markdown is results.md, for the README.
func (r *results) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- written by `make bench` (internal/dev/startup); do not edit -->\n")
	fmt.Fprintf(&b, "### Benchmark: a job's start-up, build or pull\n\n")
	fmt.Fprintf(&b, "%s · `%s` · podman %s · %d cores", r.Date, r.GoVersion, r.Podman, r.Cores)
	if r.CPU != "" {
		fmt.Fprintf(&b, " (%s)", r.CPU)
	}
	fmt.Fprint(&b, "\n\n")
	fmt.Fprintf(&b, "Each way gets the action's image as the runner would, then runs it with the runner's `docker run` command line (as `podman run`) for an all-at-once promotion against moto, checked: exit 0, status `promoted`, the alias moved.\n\n")
	fmt.Fprintf(&b, "| way | get the image | run | start-up + run | vs released |\n|---|--:|--:|--:|--:|\n")
	fmt.Fprintf(&b, "| **today** (`image: Dockerfile`): `podman build --no-cache` of the Dockerfile | %.1f s | %.2f s | **%.1f s** | %.1f× |\n",
		r.Today.BuildS, r.Today.RunS, r.Today.TotalS, r.TodayVsReleased)
	fmt.Fprintf(&b, "| **released** (`image: docker://…@sha256:…`): `podman pull` by digest from a registry on localhost, median of %d | %.2f s | %.2f s | **%.2f s** | 1× |\n",
		len(r.Released), r.ReleasedPullS, r.ReleasedRunS, r.ReleasedS)
	fmt.Fprintf(&b, "| **floor**: the image already present, median of %d | 0 s | %.2f s | **%.2f s** | %.2f× |\n",
		len(r.Floor), r.FloorS, r.FloorS, ratio(r.FloorS, r.ReleasedS))
	fmt.Fprintf(&b, "\n| image | compressed (pulled) | unpacked |\n|---|--:|--:|\n")
	fmt.Fprintf(&b, "| released image, %d layers | %s | %s |\n", len(r.Image.Layers), mb(r.Image.CompressedBytes), mb(r.Image.UnpackedBytes))
	for i, l := range r.Image.Layers {
		what := "layer"
		switch {
		case len(r.Image.Layers) == 2 && i == 0:
			what = "base layer (stand-in for distroless/static)"
		case len(r.Image.Layers) == 2 && i == 1:
			what = "the binary"
		}
		fmt.Fprintf(&b, "| · %s | %s | |\n", what, mb(l.Bytes))
	}
	fmt.Fprintf(&b, "\n| goal | want | got | |\n|---|---|---|---|\n")
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.Name, t.Want, t.Got, figures.Met(t.Met))
	}
	fmt.Fprintf(&b, "\nReleased rounds (pull + run, s):")
	for _, p := range r.Released {
		fmt.Fprintf(&b, " %.2f + %.2f;", p.PullS, p.RunS)
	}
	fmt.Fprintf(&b, " floor runs (s):")
	for _, f := range r.Floor {
		fmt.Fprintf(&b, " %.2f", f)
	}
	fmt.Fprint(&b, ".\n\n")
	fmt.Fprintf(&b, "What this leaves out, and which way it leans: *today* does not include pulling the base images, which a runner with an empty cache also does (here they are local stand-ins, since no registry can be reached); its build is the real Dockerfile's, unmodified. *released* pulls over loopback, so it does not include the network transfer from GHCR: at 10 MB/s the %s would add %.1f s. Each released round starts with the image and its base removed from local storage. The base layer is the stand-in's (CA certificates, passwd, group, zoneinfo, /tmp); the real distroless/static-debian12 holds files of the same kind and was not measured.\n",
		mb(r.Image.CompressedBytes), float64(r.Image.CompressedBytes)/10e6)
	return b.String()
}
