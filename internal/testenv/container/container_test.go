package container

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		host    Host
		want    []string
		wantNot []string
	}{
		{
			name: "this project's machines: hybrid cgroups, no systemd, no journald",
			host: Host{NofileHard: 20000, NprocHard: 96364},
			want: []string{`default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]`, `runtime = "runc"`, `cgroup_manager = "cgroupfs"`, `events_logger = "file"`},
		},
		{
			name:    "a systemd host with cgroup v2 and journald",
			host:    Host{NofileHard: 524288, NprocHard: 4096, CgroupV2: true, Systemd: true, Journald: true},
			want:    []string{`default_ulimits = ["nofile=524288:524288", "nproc=4096:4096"]`},
			wantNot: []string{"runtime", "cgroup_manager", "events_logger"},
		},
		{
			name:    "cgroup v2 in a container without systemd",
			host:    Host{CgroupV2: true},
			want:    []string{`"nofile=1048576:1048576", "nproc=32768:32768"`, `cgroup_manager = "cgroupfs"`, `events_logger = "file"`},
			wantNot: []string{"runtime ="},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ConfigFor(tt.host)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("ConfigFor lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(got, w) {
					t.Errorf("ConfigFor has %q, not needed on this host:\n%s", w, got)
				}
			}
			if !strings.Contains(got, "[containers]\n") || !strings.Contains(got, "[engine]\n") {
				t.Errorf("ConfigFor lacks a table:\n%s", got)
			}
		})
	}
}

func TestPodmanEnv(t *testing.T) {
	t.Parallel()
	got := podmanEnv([]string{"PATH=/bin", "HOME=/root", "CONTAINERS_CONF=/elsewhere", "XDG_CONFIG_HOME=/cfg"}, "/private/containers.conf")
	want := []string{"PATH=/bin", "HOME=/root", "XDG_CONFIG_HOME=/cfg", "CONTAINERS_CONF=/private/containers.conf", "XDG_DATA_HOME=/root/.local/share"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("podmanEnv (-want +got):\n%s", diff)
	}
}

func TestBaseImages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, dockerfile string
		want             []string
		wantErr          string
	}{
		{
			name: "the repository's",
			dockerfile: func() string {
				b, err := os.ReadFile(filepath.Join("..", "..", "..", "Dockerfile"))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}(),
			want: []string{
				"golang:1.26.8-bookworm@sha256:9fdc884aacc3bec89b20ffc69f4bb369c78210e3e4f600387b5128b12c199f81",
				"gcr.io/distroless/static-debian12:latest@sha256:d75cdd72874d4790092fcb1b058493ecf6bb5bf2b2b897045b00ff01d91843f2",
			},
		},
		{
			name:       "stages, scratch, continuation, comments, case",
			dockerfile: "# FROM commented:1\nfrom --platform=$BUILDPLATFORM \\\n  golang:1.26 as build\nFROM build AS test\nFROM scratch\nCOPY --from=build /x /x\nFROM golang:1.26\n",
			want:       []string{"golang:1.26"},
		},
		{name: "image from an argument", dockerfile: "ARG BASE=alpine\nFROM ${BASE}\n", wantErr: "build argument"},
		{name: "malformed", dockerfile: "FROM a b\n", wantErr: "want FROM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := BaseImages([]byte(tt.dockerfile))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("BaseImages: error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("BaseImages (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzBaseImages(f *testing.F) {
	f.Add([]byte("FROM golang:1.26@sha256:abc AS build\nFROM scratch\n"))
	f.Add([]byte("from a\\\n as b\nFROM b\n"))
	f.Fuzz(func(t *testing.T, dockerfile []byte) {
		bases, err := BaseImages(dockerfile)
		if err != nil {
			return
		}
		for _, b := range bases {
			if b == "" || b == "scratch" || strings.ContainsAny(b, " \t\n$") || !strings.Contains(string(dockerfile), b) {
				t.Fatalf("base image %q from:\n%s", b, dockerfile)
			}
		}
	})
}

func TestRepository(t *testing.T) {
	t.Parallel()
	for ref, want := range map[string]string{
		"golang:1.26.8-bookworm@sha256:9fdc":                   "golang",
		"gcr.io/distroless/static-debian12:latest@sha256:d75c": "gcr.io/distroless/static-debian12",
		"localhost:5000/a/golang":                              "localhost:5000/a/golang",
		"docker.io/library/golang:1.26":                        "docker.io/library/golang",
	} {
		if got := repository(ref); got != want {
			t.Errorf("repository(%q) = %q, want %q", ref, got, want)
		}
	}
}

func TestBuildArgs(t *testing.T) {
	t.Parallel()
	b := Build{
		Dir: "src", Tag: "localhost/x:1", NoCache: true, BuildArgs: []string{"VERSION=v1"},
		StandIns: []StandIn{{Ref: "golang:1@sha256:ab", Local: "localhost/go:1"}},
	}
	want := []string{"build", "--pull=never", "--no-cache", "--build-context", "golang:1@sha256:ab=docker-image://localhost/go:1",
		"--build-arg", "VERSION=v1", "-t", "localhost/x:1", "-f", filepath.Join("src", "Dockerfile"), "src"}
	if diff := cmp.Diff(want, b.Args()); diff != "" {
		t.Errorf("Args (-want +got):\n%s", diff)
	}
}

func TestBuildLayers(t *testing.T) {
	t.Parallel()
	id64 := "3333333333c" + strings.Repeat("0", 53)
	out := `[1/2] STEP 1/3: FROM localhost/go AS build
[1/2] STEP 2/3: WORKDIR /src
--> Using cache 1111111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
--> 1111111111a
[1/2] STEP 3/3: RUN go build
--> 2222222222b
[2/2] STEP 1/2: FROM localhost/static
[2/2] STEP 2/2: COPY --from=build /x /x
[2/2] COMMIT localhost/x:1
--> 3333333333c
Successfully tagged localhost/x:1
` + id64 + "\n"
	id, layers := BuildLayers(out)
	if id != id64 {
		t.Errorf("id = %q, want %q", id, id64)
	}
	// A layer taken from the cache is listed too: it goes with the others.
	if diff := cmp.Diff([]string{"2222222222b", "1111111111a"}, layers); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}
}

func TestNewStep(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := NewStep(dir, map[string]string{"function-name": "orders-api", "alias": "prod"}, []string{"AWS_REGION=eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range s.Env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := env[k]; dup {
			t.Errorf("%s is set twice", k)
		}
		env[k] = v
	}
	guid := strings.TrimPrefix(filepath.Base(s.Output), "set_output_")
	for name, want := range map[string]string{
		"GITHUB_OUTPUT":       "/github/file_commands/set_output_" + guid,
		"GITHUB_STEP_SUMMARY": "/github/file_commands/step_summary_" + guid,
		"GITHUB_ENV":          "/github/file_commands/set_env_" + guid,
		"GITHUB_PATH":         "/github/file_commands/add_path_" + guid,
		"GITHUB_STATE":        "/github/file_commands/save_state_" + guid,
		"GITHUB_EVENT_PATH":   "/github/workflow/event.json",
		"GITHUB_WORKSPACE":    "/github/workspace",
		"HOME":                "/github/home",
		"INPUT_FUNCTION-NAME": "orders-api",
		"INPUT_ALIAS":         "prod",
		"INPUT_STRATEGY":      "all-at-once",
		"AWS_REGION":          "eu-west-1",
	} {
		if env[name] != want {
			t.Errorf("%s = %q, want %q", name, env[name], want)
		}
	}
	if len(guid) != 36 {
		t.Errorf("GUID %q is not in the runner's format", guid)
	}
	for _, f := range []string{
		"_temp/_github_home", "_temp/_github_workflow/event.json", "workspace",
		"_temp/_runner_file_commands/set_output_" + guid, "_temp/_runner_file_commands/step_summary_" + guid,
	} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the step lacks %s: %v", f, err)
		}
	}

	args := s.RunArgs("lp-1", "localhost/x:1")
	head := []string{"run", "--name", "lp-1", "--label", Label, "--workdir", "/github/workspace", "--rm"}
	if diff := cmp.Diff(head, args[:len(head)]); diff != "" {
		t.Errorf("RunArgs start (-want +got):\n%s", diff)
	}
	for _, kv := range s.Env {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(args, name) {
			t.Errorf("RunArgs lacks -e %s", name)
		}
		if slices.Contains(args, kv) && strings.Contains(kv, "=") && name != "GITHUB_ACTIONS" {
			t.Errorf("RunArgs carries the value of %s; the runner passes names only", name)
		}
	}
	tail := []string{
		"-e", "GITHUB_ACTIONS=true", "-e", "CI=true", "--network", "host",
		"-v", filepath.Join(dir, "_temp", "_github_home") + ":/github/home",
		"-v", filepath.Join(dir, "_temp", "_github_workflow") + ":/github/workflow",
		"-v", filepath.Join(dir, "_temp", "_runner_file_commands") + ":/github/file_commands",
		"-v", filepath.Join(dir, "workspace") + ":/github/workspace",
		"localhost/x:1",
	}
	if _, err := os.Stat(dockerSocket); err == nil {
		tail = slices.Insert(tail, 6, "-v", dockerSocket+":"+dockerSocket)
	}
	if diff := cmp.Diff(tail, args[len(args)-len(tail):]); diff != "" {
		t.Errorf("RunArgs end (-want +got):\n%s", diff)
	}
}
