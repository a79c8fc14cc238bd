package container

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// BaseImages are the images the stages of dockerfile start FROM that come
// from a registry, as written (tag and digest included): not scratch, not an
// earlier stage. An image named through a build argument is an error, since
// its stand-in could not be chosen.
func BaseImages(dockerfile []byte) ([]string, error) {
	stages := map[string]bool{}
	seen := map[string]bool{}
	var bases []string
	for n, line := range instructions(dockerfile) {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.EqualFold(fields[0], "FROM") {
			continue
		}
		args := fields[1:]
		for len(args) > 0 && strings.HasPrefix(args[0], "--") {
			args = args[1:] // --platform=…
		}
		if len(args) != 1 && (len(args) != 3 || !strings.EqualFold(args[1], "AS")) {
			return nil, fmt.Errorf("instruction %d of the Dockerfile: %q: want FROM [--flag…] IMAGE [AS NAME]", n+1, line)
		}
		image := args[0]
		if len(args) == 3 {
			stages[strings.ToLower(args[2])] = true
		}
		switch {
		case strings.Contains(image, "$"):
			return nil, fmt.Errorf("instruction %d of the Dockerfile: base image %q is named through a build argument; no stand-in can be chosen for it", n+1, image)
		case image == "scratch", stages[strings.ToLower(image)] && !strings.ContainsAny(image, ":@/"):
			continue
		case !seen[image]:
			seen[image] = true
			bases = append(bases, image)
		}
	}
	return bases, nil
}

// instructions are the instructions of a Dockerfile, one per entry, with
// line continuations joined and comments dropped.
func instructions(dockerfile []byte) []string {
	var out []string
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(dockerfile))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		if rest, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(rest + " ")
			continue
		}
		cur.WriteString(line)
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// StandIn is a local image that replaces a base image of the Dockerfile in
// a build (podman build --build-context REF=docker-image://LOCAL).
type StandIn struct {
	Ref   string // as the Dockerfile names it, digest included
	Local string // e.g. localhost/lambda-promote-standin-static:debian12
}

// Build is one build of a Dockerfile.
type Build struct {
	Dir        string // the build context, with the Dockerfile in it
	Dockerfile string // default Dir/Dockerfile
	Tag        string
	StandIns   []StandIn
	NoCache    bool     // build every layer again, as a runner with an empty cache does
	BuildArgs  []string // NAME=VALUE
	Log        io.Writer
	// KeepLayers keeps the intermediate images, podman's layer cache.
	KeepLayers bool
}

// Args is podman's command line for b, after the command's name: the
// runner's `docker build -t TAG -f DOCKERFILE DIR`, with no pull and each
// base image replaced by its stand-in.
func (b Build) Args() []string {
	dockerfile := b.Dockerfile
	if dockerfile == "" {
		dockerfile = filepath.Join(b.Dir, "Dockerfile")
	}
	args := []string{"build", "--pull=never"}
	if b.NoCache {
		args = append(args, "--no-cache")
	}
	for _, s := range b.StandIns {
		args = append(args, "--build-context", s.Ref+"=docker-image://"+s.Local)
	}
	for _, a := range b.BuildArgs {
		args = append(args, "--build-arg", a)
	}
	return append(args, "-t", b.Tag, "-f", dockerfile, b.Dir)
}

// Built is what a build made.
type Built struct {
	ID       string        // the image's ID
	Duration time.Duration // podman build, start to exit
	// Layers are the intermediate images of the build, newest first; with
	// Build.KeepLayers they are still there, for the caller to remove.
	Layers []string
}

// BuildDockerfile builds b, with podman's output going to b.Log. The
// intermediate images of the build (one per instruction of the build stage,
// podman's layer cache) are removed afterwards unless b.KeepLayers: on a
// shared machine each build would otherwise leave hundreds of MB behind.
func (e *Engine) BuildDockerfile(ctx context.Context, b Build) (Built, error) {
	cmd := e.Command(ctx, b.Args()...)
	var out bytes.Buffer
	w := io.Writer(&out)
	if b.Log != nil {
		w = io.MultiWriter(b.Log, &out)
	}
	cmd.Stdout, cmd.Stderr = w, w
	start := time.Now()
	err := cmd.Run()
	built := Built{Duration: time.Since(start)}
	built.ID, built.Layers = BuildLayers(out.String())
	if !b.KeepLayers {
		rm, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		err = errors.Join(err, e.RemoveImages(rm, built.Layers...))
	}
	if err != nil {
		return Built{}, fmt.Errorf("podman %s: %w: %s", strings.Join(b.Args(), " "), err, lastLines(out.String(), 20))
	}
	return built, nil
}

// BuildLayers reads podman build's output: the ID of the image built (the
// last line, in full), and the intermediate images of the build (the
// "--> ID" line after each instruction, whether committed now or taken from
// the cache), newest first, without the image itself.
func BuildLayers(out string) (id string, layers []string) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); len(last) == 64 && isHex(last) {
		id = last
	}
	for _, line := range lines {
		l, ok := strings.CutPrefix(strings.TrimSpace(line), "--> ")
		if !ok || len(l) < 10 || !isHex(l) || (id != "" && strings.HasPrefix(id, l)) {
			continue
		}
		layers = append(layers, l)
	}
	slices.Reverse(layers)
	return id, layers
}

func isHex(s string) bool {
	return strings.Trim(s, "0123456789abcdef") == ""
}
