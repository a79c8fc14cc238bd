// Command image is `make image`: it builds the repository's Dockerfile,
// unmodified, with podman, replacing its base images (pinned by digest) with
// local stand-ins, since no container registry can be reached here (see
// internal/testenv/container). The Makefile then runs the container contract
// test against the image it tagged.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/testenv/container"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := realMain(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func realMain(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	tag := fs.String("tag", "localhost/lambda-promote:dev", "the image to build")
	dir := fs.String("dir", ".", "the repository: build context and Dockerfile")
	version := fs.String("version", "dev", "the VERSION build argument")
	noCache := fs.Bool("no-cache", false, "build every layer again")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	tmp, err := os.MkdirTemp("", "lambda-promote-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	eng, err := container.New(tmp)
	if err != nil {
		return err
	}
	dockerfile, err := os.ReadFile(filepath.Join(*dir, "Dockerfile"))
	if err != nil {
		return err
	}
	cache, err := container.CacheDir()
	if err != nil {
		return err
	}
	standIns, err := eng.StandIns(ctx, dockerfile, cache, stdout)
	if err != nil {
		return err
	}
	for _, s := range standIns {
		fmt.Fprintf(stdout, "==> %s stands in for %s\n", s.Local, s.Ref)
	}
	b := container.Build{
		Dir: *dir, Tag: *tag, StandIns: standIns, NoCache: *noCache,
		BuildArgs: []string{"VERSION=" + *version}, Log: stdout,
	}
	// The image the tag named before this build, if any.
	previous, _ := eng.Output(ctx, "image", "inspect", "--format", "{{.Id}}", *tag)
	fmt.Fprintf(stdout, "==> podman %s\n", joinArgs(b.Args()))
	bu, err := eng.BuildDockerfile(ctx, b)
	if err != nil {
		return err
	}
	// It lost its name to the new image: remove it unless it has another.
	if previous != "" && previous != bu.ID {
		if names, err := eng.Output(ctx, "image", "inspect", "--format", "{{len .RepoTags}}", previous); err == nil && names == "0" {
			if err := eng.RemoveImages(ctx, previous); err != nil {
				return err
			}
		}
	}
	size, err := eng.ImageSize(ctx, *tag)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "==> built %s in %s: %.1f MB unpacked\n", *tag, bu.Duration.Round(100*time.Millisecond), float64(size)/1e6)
	return nil
}

func joinArgs(args []string) string {
	var s string
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		if a == "" || strings.ContainsAny(a, " '\"$") {
			a = "'" + a + "'"
		}
		s += a
	}
	return s
}
