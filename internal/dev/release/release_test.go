package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	ref    = "docker://ghcr.io/lambda-promote/lambda-promote@" + digest
)

func TestPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		version, repository string
		want                Release
		wantErr             string
	}{
		{
			version: "v1.4.2", repository: "Lambda-Promote/Lambda-Promote",
			want: Release{Version: "v1.4.2", Major: "v1", Image: "ghcr.io/lambda-promote/lambda-promote",
				Tags: []string{"ghcr.io/lambda-promote/lambda-promote:v1.4.2", "ghcr.io/lambda-promote/lambda-promote:v1"}},
		},
		{
			version: "v0.1.0", repository: "acme/promote",
			want: Release{Version: "v0.1.0", Major: "v0", Image: "ghcr.io/acme/promote",
				Tags: []string{"ghcr.io/acme/promote:v0.1.0", "ghcr.io/acme/promote:v0"}},
		},
		{
			version: "v1.5.0-rc.1", repository: "acme/promote",
			want: Release{Version: "v1.5.0-rc.1", Image: "ghcr.io/acme/promote",
				Tags: []string{"ghcr.io/acme/promote:v1.5.0-rc.1"}},
		},
		{version: "1.4.2", repository: "acme/promote", wantErr: `version "1.4.2" is not accepted`},
		{version: "v1.4", repository: "acme/promote", wantErr: `version "v1.4" is not accepted`},
		{version: "v1.4.2+build.7", repository: "acme/promote", wantErr: `version "v1.4.2+build.7" is not accepted`},
		{version: "v01.4.2", repository: "acme/promote", wantErr: `version "v01.4.2" is not accepted`},
		{version: "v1", repository: "acme/promote", wantErr: `version "v1" is not accepted`},
		{version: "v1.4.2", repository: "acme", wantErr: `repository "acme" is not accepted`},
		{version: "v1.4.2", repository: "acme/pro mote", wantErr: `repository "acme/pro mote" is not accepted`},
	}
	for _, tt := range tests {
		t.Run(tt.version+" "+tt.repository, func(t *testing.T) {
			t.Parallel()
			got, err := Plan(tt.version, tt.repository)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Plan: error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImageRef(t *testing.T) {
	t.Parallel()
	tests := []struct {
		image, digest, want, wantErr string
	}{
		{image: "ghcr.io/lambda-promote/lambda-promote", digest: digest, want: ref},
		{image: "localhost:5000/a/b", digest: digest, want: "docker://localhost:5000/a/b@" + digest},
		{image: "ghcr.io/Acme/promote", digest: digest, wantErr: "lowercase"},
		{image: "ghcr.io/acme/promote:v1", digest: digest, wantErr: "without tag"},
		{image: "ghcr.io/acme/promote", digest: "sha256:abc", wantErr: "64 lowercase hex"},
		{image: "ghcr.io/acme/promote", digest: "", wantErr: "digest"},
	}
	for _, tt := range tests {
		t.Run(tt.image+"@"+tt.digest, func(t *testing.T) {
			t.Parallel()
			got, err := ImageRef(tt.image, tt.digest)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ImageRef: error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ImageRef = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPinImageAction pins the repository's action.yml and compares it with
// testdata/action.pinned.yml (go test -update rewrites it).
func TestPinImageAction(t *testing.T) {
	t.Parallel()
	in, err := os.ReadFile(filepath.Join("..", "..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := PinImage(in, ref)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "action.pinned.yml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("pinned action.yml (-%s +got):\n%s", golden, diff)
	}
	if err := onlyImageChanged(in, got); err != nil {
		t.Error(err)
	}
	if !bytes.Contains(in, []byte("\n  image: Dockerfile\n")) {
		t.Errorf("action.yml on this branch does not build the Dockerfile; main must keep image: Dockerfile")
	}
}

// onlyImageChanged checks that pinned is in with one line replaced by the
// pinned image line, and the comment above it added.
func onlyImageChanged(in, pinned []byte) error {
	before := strings.Split(string(in), "\n")
	var after []string
	for _, l := range strings.Split(string(pinned), "\n") {
		if strings.TrimSpace(l) != pinComment {
			after = append(after, l)
		}
	}
	if len(before) != len(after) {
		return fmt.Errorf("pinned action.yml has %d lines besides the comment, want %d", len(after), len(before))
	}
	changed := 0
	for i := range before {
		if before[i] == after[i] {
			continue
		}
		changed++
		if strings.TrimSpace(after[i]) != "image: "+ref || !strings.Contains(before[i], "Dockerfile") {
			return fmt.Errorf("line %d changed from %q to %q; only image: Dockerfile may change", i+1, before[i], after[i])
		}
	}
	if changed != 1 {
		return fmt.Errorf("%d lines changed, want 1", changed)
	}
	return nil
}

func TestPinImage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want, wantErr string
	}{
		{
			name: "block with comments and args",
			in:   "name: x\nruns:\n    # build it\n    using: 'docker'\n    image: \"Dockerfile\" \n    args:\n      - image: nested\n    env:\n      image: deeper\nbranding:\n  color: orange\n",
			want: "name: x\nruns:\n    # build it\n    using: 'docker'\n    " + pinComment + "\n    image: " + ref + "\n    args:\n      - image: nested\n    env:\n      image: deeper\nbranding:\n  color: orange\n",
		},
		{
			name: "image before using, trailing comment, no final newline",
			in:   "runs:\n  image: Dockerfile # built per job\n  using: docker",
			want: "runs:\n  " + pinComment + "\n  image: " + ref + "\n  using: docker",
		},
		{name: "no runs", in: "name: x\n", wantErr: "no runs: key"},
		{name: "flow runs", in: "runs: {using: docker, image: Dockerfile}\n", wantErr: "want a block"},
		{name: "node action", in: "runs:\n  using: node24\n  main: index.js\n", wantErr: `runs.using is "node24"`},
		{name: "no image", in: "runs:\n  using: docker\n", wantErr: "no runs.image"},
		{name: "pinned already", in: "runs:\n  using: docker\n  image: docker://ghcr.io/a/b@" + digest + "\n", wantErr: "pinned already"},
		{name: "two images", in: "runs:\n  using: docker\n  image: Dockerfile\n  image: Dockerfile\n", wantErr: "more than one runs.image"},
		{name: "image of another key", in: "runs:\n  using: docker\n  image: Dockerfile\nother:\n  image: Dockerfile\n", want: "runs:\n  using: docker\n  " + pinComment + "\n  image: " + ref + "\nother:\n  image: Dockerfile\n"},
		{name: "two runs", in: "runs:\n  using: docker\nruns:\n  image: Dockerfile\n", wantErr: "more than one runs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := PinImage([]byte(tt.in), ref)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("PinImage: error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("PinImage (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPinImageRefusesUnpinnedRef(t *testing.T) {
	t.Parallel()
	for _, r := range []string{"ghcr.io/a/b@" + digest, "docker://ghcr.io/a/b:v1", "docker://ghcr.io/a/b@sha256:abc"} {
		if _, err := PinImage([]byte("runs:\n  using: docker\n  image: Dockerfile\n"), r); err == nil {
			t.Errorf("PinImage(%q): no error, want a refusal of an image not pinned by digest", r)
		}
	}
}

func FuzzPinImage(f *testing.F) {
	f.Add([]byte("runs:\n  using: docker\n  image: Dockerfile\n"))
	f.Add([]byte("runs:\n\timage: Dockerfile\n  using: docker\n"))
	f.Add([]byte("runs:\n  using: docker\n  image: 'Dockerfile'\n  args: [a]\nx: y"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := PinImage(in, ref)
		if err != nil {
			return
		}
		if n := bytes.Count(got, []byte("image: "+ref+"\n")); n != 1 {
			t.Fatalf("pinned %d times, want 1:\n%s", n, got)
		}
		if err := onlyImageChanged(in, got); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPinnedActionLints runs actionlint, at the version .ci/lint.sh pins,
// over a workflow that uses the pinned action.yml as a local action
// (`uses: ./`), in a folder laid out like a repository: actionlint then
// checks the workflow's inputs against the rewritten action.yml. A workflow
// with a misspelt input must fail, which shows actionlint did read it.
func TestPinnedActionLints(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("skipping actionlint in -short mode")
	}
	version := actionlintVersion(t)
	in, err := os.ReadFile(filepath.Join("..", "..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := PinImage(in, ref)
	if err != nil {
		t.Fatal(err)
	}

	good := `name: use the released action
on: workflow_dispatch
permissions:
  contents: read
jobs:
  promote:
    runs-on: ubuntu-latest
    steps:
      - id: promote
        uses: ./
        with:
          function-name: orders-api
          alias: prod
          strategy: Canary10Percent5Minutes
          api-id: a1b2c3d4e5
          stage: prod
      - run: echo "$VERSION"
        env:
          VERSION: ${{ steps.promote.outputs.version }}
`
	bad := strings.Replace(good, "function-name:", "fucntion-name:", 1)

	for _, tt := range []struct {
		name     string
		workflow string
		want     []string // in actionlint's report; none means it must pass
	}{
		{name: "good", workflow: good},
		{name: "misspelt input", workflow: bad, want: []string{`"fucntion-name" is not defined`, `missing input "function-name"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo := t.TempDir()
			for path, content := range map[string][]byte{
				"action.yml":                pinned,
				".github/workflows/use.yml": []byte(tt.workflow),
				".git/HEAD":                 []byte("ref: refs/heads/main\n"),
			} {
				p := filepath.Join(repo, filepath.FromSlash(path))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, content, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("go", "run", "github.com/rhysd/actionlint/cmd/actionlint@"+version, "-no-color", filepath.Join(".github", "workflows", "use.yml"))
			cmd.Dir = repo
			out, err := cmd.CombinedOutput()
			t.Logf("actionlint %s:\n%s", version, out)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("actionlint found problems in a workflow using the pinned action.yml: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("actionlint passed a workflow with a misspelt input: it did not check the pinned action.yml")
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("actionlint's report lacks %q", w)
				}
			}
		})
	}
}

// actionlintVersion is the version .ci/lint.sh runs.
func actionlintVersion(t *testing.T) string {
	t.Helper()
	script, err := os.ReadFile(filepath.Join("..", "..", "..", ".ci", "lint.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^readonly ACTIONLINT_VERSION=(v[0-9]+\.[0-9]+\.[0-9]+)`).FindSubmatch(script)
	if m == nil {
		t.Fatal(".ci/lint.sh does not pin ACTIONLINT_VERSION")
	}
	return string(m[1])
}

func TestCommands(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if err := realMain([]string{"plan", "-version", "v2.0.1", "-repository", "Acme/Promote"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	want := "version=v2.0.1\nmajor=v2\nimage=ghcr.io/acme/promote\ntags<<EOF\nghcr.io/acme/promote:v2.0.1\nghcr.io/acme/promote:v2\nEOF\n"
	if diff := cmp.Diff(want, stdout.String()); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}

	action := filepath.Join(t.TempDir(), "action.yml")
	if err := os.WriteFile(action, []byte("runs:\n  using: docker\n  image: Dockerfile\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if err := realMain([]string{"pin", "-action", action, "-image", "ghcr.io/acme/promote", "-digest", digest}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(action)
	if err != nil {
		t.Fatal(err)
	}
	if want := "  image: docker://ghcr.io/acme/promote@" + digest + "\n"; !strings.Contains(string(got), want) {
		t.Errorf("pinned file:\n%s\nwant a line %q", got, want)
	}
	// A second pin of the same file is refused and leaves it as it is.
	if err := realMain([]string{"pin", "-action", action, "-image", "ghcr.io/acme/promote", "-digest", digest}, &stdout, &stderr); err == nil {
		t.Error("a second pin succeeded, want a refusal")
	}
	if again, _ := os.ReadFile(action); !bytes.Equal(again, got) {
		t.Error("a refused pin changed the file")
	}
	if err := realMain([]string{"pin", "-action", action, "-image", "ghcr.io/acme/promote:v1", "-digest", digest}, &stdout, &stderr); err == nil {
		t.Error("pin with a tagged image succeeded, want a refusal")
	}
}
