// Command release is the part of the release workflow
// (.github/workflows/release.yml) worth testing:
//
//	release plan -version v1.4.2 -repository OWNER/REPO
//
// checks the version and prints, as GITHUB_OUTPUT lines, the image on
// ghcr.io, its tags, and the major tag the release moves (none for a
// pre-release such as v1.5.0-rc.1);
//
//	release pin -action action.yml -image ghcr.io/owner/repo -digest sha256:…
//
// rewrites action.yml in place so that runs.image is
// docker://ghcr.io/owner/repo@sha256:… instead of Dockerfile: the commit the
// release tags then pulls the released image instead of building it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	err := realMain(os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  release plan -version vX.Y.Z -repository OWNER/REPO
  release pin -action action.yml -image ghcr.io/owner/repo -digest sha256:DIGEST
`

func realMain(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "plan":
		return plan(args[1:], stdout, stderr)
	case "pin":
		return pin(args[1:], stdout, stderr)
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

func plan(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	version := fs.String("version", "", "the release, e.g. v1.4.2 (v1.5.0-rc.1: a pre-release)")
	repository := fs.String("repository", "", "OWNER/REPO, as github.repository")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := Plan(*version, *repository)
	if err != nil {
		return err
	}
	// GITHUB_OUTPUT lines; the tags are one per line, as
	// docker/build-push-action takes them.
	fmt.Fprintf(stdout, "version=%s\nmajor=%s\nimage=%s\n", r.Version, r.Major, r.Image)
	fmt.Fprintln(stdout, "tags<<EOF")
	for _, t := range r.Tags {
		fmt.Fprintln(stdout, t)
	}
	fmt.Fprintln(stdout, "EOF")
	return nil
}

func pin(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	action := fs.String("action", "action.yml", "the action's metadata file, rewritten in place")
	image := fs.String("image", "", "the pushed image without tag, e.g. ghcr.io/owner/repo")
	digest := fs.String("digest", "", "the digest of the pushed image (of its multi-arch index), sha256:…")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ref, err := ImageRef(*image, *digest)
	if err != nil {
		return err
	}
	st, err := os.Stat(*action)
	if err != nil {
		return err
	}
	in, err := os.ReadFile(*action)
	if err != nil {
		return err
	}
	out, err := PinImage(in, ref)
	if err != nil {
		return fmt.Errorf("%s: %w", *action, err)
	}
	if err := os.WriteFile(*action, out, st.Mode().Perm()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: runs.image is now %s\n", *action, ref)
	return nil
}
