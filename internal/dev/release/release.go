package main

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Release is what one release makes: the image and its tags in the
// registry, and the git tags of the commit that runs it.
type Release struct {
	Version string // vX.Y.Z or vX.Y.Z-PRERELEASE: the git tag and an image tag
	// Major is vX, the git tag and image tag moved to this release; empty for
	// a pre-release, which moves nothing.
	Major string
	Image string   // ghcr.io/owner/repo, lowercase as the registry wants
	Tags  []string // the image's tags: Image:Version, and Image:Major unless a pre-release
}

var (
	// versionRE is a semantic version with a leading v. Build metadata
	// (+…) is not accepted: an image tag cannot carry a '+'.
	versionRE = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
	// repositoryRE is a GitHub owner/name.
	repositoryRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)
	// imageRE is a registry host and a lowercase repository path.
	imageRE = regexp.MustCompile(`^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)+$`)
	// digestRE is the digest of a manifest or an index.
	digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// Plan checks version and names the image of repository on GitHub's
// container registry and the tags of the release.
func Plan(version, repository string) (Release, error) {
	var errs []error
	if !versionRE.MatchString(version) {
		errs = append(errs, fmt.Errorf("version %q is not accepted: a semantic version with a leading v, e.g. v1.4.2 or v1.5.0-rc.1", version))
	}
	if !repositoryRE.MatchString(repository) {
		errs = append(errs, fmt.Errorf("repository %q is not accepted: OWNER/NAME, e.g. lambda-promote/lambda-promote", repository))
	}
	if err := errors.Join(errs...); err != nil {
		return Release{}, err
	}
	r := Release{Version: version, Image: "ghcr.io/" + strings.ToLower(repository)}
	r.Tags = []string{r.Image + ":" + version}
	if !strings.Contains(version, "-") {
		r.Major, _, _ = strings.Cut(version, ".")
		r.Tags = append(r.Tags, r.Image+":"+r.Major)
	}
	return r, nil
}

// ImageRef is the reference action.yml's runs.image takes for image pinned
// by digest: docker://IMAGE@sha256:….
func ImageRef(image, digest string) (string, error) {
	var errs []error
	if !imageRE.MatchString(image) {
		errs = append(errs, fmt.Errorf("image %q is not accepted: a registry and a lowercase repository without tag, e.g. ghcr.io/owner/repo", image))
	}
	if !digestRE.MatchString(digest) {
		errs = append(errs, fmt.Errorf("digest %q is not accepted: sha256: and 64 lowercase hex digits, as docker/build-push-action reports it", digest))
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	return "docker://" + image + "@" + digest, nil
}

// pinComment goes above the rewritten image line.
const pinComment = "# Set by the release workflow: the image it built from this commit's Dockerfile, pinned by digest. On main: image: Dockerfile"

// PinImage rewrites action.yml so that the action runs ref (see ImageRef)
// instead of building its Dockerfile: runs.image, which must be Dockerfile in
// a `runs:` block with `using: docker`, becomes ref. Every other line stays
// as it was. It works on the text, not on a parsed document, so comments and
// order survive.
func PinImage(action []byte, ref string) ([]byte, error) {
	if !strings.HasPrefix(ref, "docker://") {
		return nil, fmt.Errorf("image %q: want docker://IMAGE@sha256:DIGEST", ref)
	}
	if _, digest, ok := strings.Cut(ref, "@"); !ok || !digestRE.MatchString(digest) {
		return nil, fmt.Errorf("image %q is not pinned by a sha256 digest", ref)
	}
	lines := bytes.SplitAfter(action, []byte("\n"))

	runs := -1
	for i, l := range lines {
		if key, _, ok := mapping(l); ok && indent(l) == 0 && key == "runs" {
			if runs >= 0 {
				return nil, errors.New("action.yml has more than one runs: key")
			}
			runs = i
		}
	}
	if runs < 0 {
		return nil, errors.New("action.yml has no runs: key at the top level")
	}
	if _, v, _ := mapping(lines[runs]); v != "" {
		return nil, fmt.Errorf("action.yml: runs: is %q; want a block with using: docker and image: Dockerfile", v)
	}

	var using string
	image, child := -1, -1
	for i := runs + 1; i < len(lines); i++ {
		l := lines[i]
		if blank(l) {
			continue
		}
		n := indent(l)
		if n == 0 {
			break // the next top-level key
		}
		if child < 0 {
			child = n
		}
		if n != child {
			continue // deeper: args, env, …
		}
		key, v, ok := mapping(l)
		if !ok {
			continue
		}
		switch key {
		case "using":
			using = v
		case "image":
			if image >= 0 {
				return nil, errors.New("action.yml has more than one runs.image")
			}
			image = i
		}
	}
	var errs []error
	if using != "docker" {
		errs = append(errs, fmt.Errorf("action.yml: runs.using is %q; only a docker action runs an image", using))
	}
	if image < 0 {
		errs = append(errs, errors.New("action.yml has no runs.image"))
	} else if _, v, _ := mapping(lines[image]); v != "Dockerfile" {
		errs = append(errs, fmt.Errorf("action.yml: runs.image is %q; want Dockerfile, as on main (is this commit pinned already?)", v))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	pad := strings.Repeat(" ", child)
	var out bytes.Buffer
	for i, l := range lines {
		if i == image {
			out.WriteString(pad + pinComment + "\n")
			out.WriteString(pad + "image: " + ref + "\n")
			continue
		}
		out.Write(l)
	}
	return out.Bytes(), nil
}

// blank reports whether l is empty or only a comment.
func blank(l []byte) bool {
	t := bytes.TrimSpace(l)
	return len(t) == 0 || t[0] == '#'
}

// indent is the number of leading spaces of l.
func indent(l []byte) int {
	return len(l) - len(bytes.TrimLeft(l, " "))
}

// mapping reads a `key: value` line: the key, and the value without quotes
// or a trailing comment. ok is false for other lines.
func mapping(l []byte) (key, value string, ok bool) {
	s := strings.TrimSpace(string(l))
	if s == "" || s[0] == '#' || s[0] == '-' {
		return "", "", false
	}
	key, value, found := strings.Cut(s, ":")
	if !found || strings.ContainsAny(key, " \t\"'") {
		return "", "", false
	}
	value = strings.TrimSpace(value)
	if value != "" && value[0] != '"' && value[0] != '\'' {
		if i := strings.Index(value, " #"); i >= 0 {
			value = strings.TrimSpace(value[:i])
		}
	}
	if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
		value = value[1 : len(value)-1]
	}
	return key, value, true
}
