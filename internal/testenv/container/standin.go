package container

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// No container registry can be reached from the machines this project is
// built on, so the Dockerfile's base images are replaced by local images that
// do their job:
//
//   - golang:…-bookworm by Debian bookworm (debootstrap --variant=minbase,
//     from the Debian mirror) with this host's Go toolchain in /usr/local/go
//     and the CA bundle, so that `go mod download` in the build reaches the
//     Go module proxy;
//   - gcr.io/distroless/static by an image of the CA bundle, /etc/passwd,
//     /etc/group, the zoneinfo database and /tmp.
//
// The debootstrap tree is kept as a tar file in a cache folder outside the
// repository, and the stand-ins themselves in podman's storage, so only the
// first build pays for them.

// Stand-in image names.
const (
	golangStandIn = "localhost/lambda-promote-standin-golang"
	staticStandIn = "localhost/lambda-promote-standin-static:debian12"
)

// DebianMirror is where debootstrap fetches bookworm.
const DebianMirror = "http://deb.debian.org/debian"

// CacheDir is where the stand-ins' inputs are kept between builds:
// $XDG_CACHE_HOME/lambda-promote, else ~/.cache/lambda-promote.
func CacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find a cache folder for the stand-in images: %w", err)
	}
	return filepath.Join(dir, "lambda-promote"), nil
}

// StandIns makes (or finds, from an earlier run) a local stand-in for each
// base image of dockerfile. cache holds the debootstrap tree; log gets
// progress.
func (e *Engine) StandIns(ctx context.Context, dockerfile []byte, cache string, log io.Writer) ([]StandIn, error) {
	bases, err := BaseImages(dockerfile)
	if err != nil {
		return nil, err
	}
	var out []StandIn
	for _, ref := range bases {
		var local string
		switch repo := repository(ref); {
		case repo == "golang" || strings.HasSuffix(repo, "/golang"):
			local, err = e.golangStandIn(ctx, cache, log)
		case strings.Contains(repo, "distroless/static"):
			local, err = e.staticStandIn(ctx, log)
		default:
			return nil, fmt.Errorf("no stand-in for base image %s: add one in internal/testenv/container/standin.go", ref)
		}
		if err != nil {
			return nil, fmt.Errorf("stand-in for %s: %w", ref, err)
		}
		out = append(out, StandIn{Ref: ref, Local: local})
	}
	return out, nil
}

// RemoveStandIns removes the stand-in images from podman's storage (the
// debootstrap tree stays in the cache).
func (e *Engine) RemoveStandIns(ctx context.Context, s []StandIn) error {
	var names []string
	for _, x := range s {
		names = append(names, x.Local)
	}
	return e.RemoveImages(ctx, names...)
}

// repository is an image reference without tag or digest.
func repository(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

// goEnv is what the golang stand-in takes from the host's Go.
type goEnv struct {
	GOROOT, GOVERSION, GOPROXY, GOSUMDB string
}

func hostGo(ctx context.Context) (goEnv, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOROOT", "GOVERSION", "GOPROXY", "GOSUMDB").Output()
	if err != nil {
		return goEnv{}, fmt.Errorf("go env: %w", err)
	}
	v := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(v) != 4 {
		return goEnv{}, fmt.Errorf("go env printed %q", out)
	}
	return goEnv{GOROOT: v[0], GOVERSION: v[1], GOPROXY: v[2], GOSUMDB: v[3]}, nil
}

// golangStandIn is Debian bookworm with the host's Go, named by the Go
// version, e.g. localhost/lambda-promote-standin-golang:go1.26.8-bookworm.
func (e *Engine) golangStandIn(ctx context.Context, cache string, log io.Writer) (string, error) {
	g, err := hostGo(ctx)
	if err != nil {
		return "", err
	}
	name := golangStandIn + ":" + g.GOVERSION + "-bookworm"
	if ok, err := e.ImageExists(ctx, name); err != nil || ok {
		return name, err
	}
	rootfs, err := debootstrap(ctx, cache, log)
	if err != nil {
		return "", err
	}
	ca, err := caBundle()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(log, "==> importing %s: the bookworm tree, Go from %s, the CA bundle\n", name, g.GOROOT)
	start := time.Now()
	err = e.importImage(ctx, name, func(tw *treeWriter) error {
		if err := copyTar(tw, rootfs); err != nil {
			return err
		}
		if err := addTree(tw, g.GOROOT, "usr/local/go"); err != nil {
			return err
		}
		for _, d := range []string{"go", "go/bin", "go/src"} {
			if err := addDir(tw, d, 0o777); err != nil {
				return err
			}
		}
		return addFile(tw, ca, "etc/ssl/certs/ca-certificates.crt")
	},
		"ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"ENV GOPATH=/go",
		"ENV GOTOOLCHAIN=local",
		"ENV GOPROXY="+g.GOPROXY,
		"ENV GOSUMDB="+g.GOSUMDB,
		"WORKDIR /go",
	)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(log, "==> imported %s in %s\n", name, time.Since(start).Round(100*time.Millisecond))
	return name, nil
}

// staticStandIn stands in for distroless/static.
func (e *Engine) staticStandIn(ctx context.Context, log io.Writer) (string, error) {
	if ok, err := e.ImageExists(ctx, staticStandIn); err != nil || ok {
		return staticStandIn, err
	}
	ca, err := caBundle()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(log, "==> importing %s: the CA bundle, /etc/passwd, /etc/group, zoneinfo, /tmp\n", staticStandIn)
	err = e.importImage(ctx, staticStandIn, func(tw *treeWriter) error {
		if err := addFile(tw, ca, "etc/ssl/certs/ca-certificates.crt"); err != nil {
			return err
		}
		if err := addContent(tw, "etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"); err != nil {
			return err
		}
		if err := addContent(tw, "etc/group", "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"); err != nil {
			return err
		}
		if _, err := os.Stat("/usr/share/zoneinfo"); err == nil {
			if err := addTree(tw, "/usr/share/zoneinfo", "usr/share/zoneinfo"); err != nil {
				return err
			}
		}
		return addDir(tw, "tmp", 0o1777)
	}, "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	if err != nil {
		return "", err
	}
	return staticStandIn, nil
}

// debootstrap is the tar file of a minimal Debian bookworm tree in cache,
// made with debootstrap the first time.
func debootstrap(ctx context.Context, cache string, log io.Writer) (string, error) {
	file := filepath.Join(cache, "debootstrap-bookworm-minbase-"+runtime.GOARCH+".tar")
	if _, err := os.Stat(file); err == nil {
		fmt.Fprintf(log, "==> reusing the bookworm tree cached in %s\n", file)
		return file, nil
	}
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return "", fmt.Errorf("debootstrap is needed once for the golang stand-in (apt-get install -y debootstrap): %w", err)
	}
	if os.Geteuid() != 0 {
		return "", errors.New("debootstrap is needed once for the golang stand-in and must run as root")
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(cache, "bookworm-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(log, "==> debootstrap --variant=minbase bookworm from %s (once; kept in %s)\n", DebianMirror, cache)
	start := time.Now()
	cmd := exec.CommandContext(ctx, "debootstrap", "--variant=minbase", "bookworm", dir, DebianMirror)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("debootstrap: %w: %s", err, lastLines(string(out), 20))
	}
	partial := file + ".partial"
	tarCmd := exec.CommandContext(ctx, "tar", "--numeric-owner", "-C", dir, "-cf", partial, ".")
	if out, err := tarCmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("tar the bookworm tree: %w: %s", err, out)
	}
	if err := os.Rename(partial, file); err != nil {
		return "", err
	}
	fmt.Fprintf(log, "==> debootstrap done in %s\n", time.Since(start).Round(time.Second))
	return file, nil
}

// treeWriter writes a tar stream of a file tree in which each path occurs
// once, as podman's storage requires: a folder written before is skipped, a
// file written twice is an error.
type treeWriter struct {
	tw   *tar.Writer
	seen map[string]bool
}

func newTreeWriter(w io.Writer) *treeWriter {
	return &treeWriter{tw: tar.NewWriter(w), seen: map[string]bool{}}
}

// WriteHeader writes h unless it is a folder already written.
func (t *treeWriter) WriteHeader(h *tar.Header) (skip bool, err error) {
	key := path.Clean("/" + h.Name)
	if t.seen[key] {
		if h.Typeflag == tar.TypeDir {
			return true, nil
		}
		return false, fmt.Errorf("%s is in the tree twice", key)
	}
	t.seen[key] = true
	return false, t.tw.WriteHeader(h)
}

func (t *treeWriter) Write(p []byte) (int, error) { return t.tw.Write(p) }

// importImage makes image name from the tar stream fill writes, with
// Dockerfile-style changes (ENV, WORKDIR) to its configuration.
func (e *Engine) importImage(ctx context.Context, name string, fill func(*treeWriter) error, changes ...string) error {
	args := []string{"import", "--quiet"}
	for _, c := range changes {
		args = append(args, "--change", c)
	}
	args = append(args, "-", name)
	cmd := e.Command(ctx, args...)
	pr, pw := io.Pipe()
	cmd.Stdin = pr
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("podman import %s: %w", name, err)
	}
	tw := newTreeWriter(pw)
	werr := fill(tw)
	if werr == nil {
		werr = tw.tw.Close()
	}
	pw.CloseWithError(werr)
	err := cmd.Wait()
	if werr != nil {
		return fmt.Errorf("podman import %s: write the tree: %w", name, werr)
	}
	if err != nil {
		return fmt.Errorf("podman import %s: %w: %s", name, err, lastLines(out.String(), 20))
	}
	return nil
}

// copyTar copies the entries of the tar file at src into tw, all but the
// device nodes debootstrap leaves in /dev (the runtime mounts its own).
func copyTar(tw *treeWriter, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", src, err)
		}
		if h.Typeflag == tar.TypeChar || h.Typeflag == tar.TypeBlock || h.Typeflag == tar.TypeFifo {
			continue
		}
		skip, err := tw.WriteHeader(h)
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		if skip {
			continue
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
}

// addTree adds the directory tree at src under dst, owned by root: folders,
// regular files and symbolic links.
func addTree(tw *treeWriter, src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		name := path.Join(dst, filepath.ToSlash(rel))
		info, err := d.Info()
		if err != nil {
			return err
		}
		var link string
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		} else if !info.Mode().IsRegular() && !info.IsDir() {
			return nil // sockets, devices: none belong in an image
		}
		h, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		h.Name = name
		if info.IsDir() {
			h.Name += "/"
		}
		h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "root", "root"
		skip, err := tw.WriteHeader(h)
		if err != nil || skip || !info.Mode().IsRegular() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
}

// addFile adds the regular file src as dst, with its parent folders.
func addFile(tw *treeWriter, src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return addContent(tw, dst, string(data))
}

// addContent adds a file of content as dst (mode 0644), with its parent
// folders.
func addContent(tw *treeWriter, dst, content string) error {
	if err := addParents(tw, dst); err != nil {
		return err
	}
	if _, err := tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeReg, Name: dst, Mode: 0o644, Size: int64(len(content)),
		ModTime: time.Unix(0, 0), Uname: "root", Gname: "root",
	}); err != nil {
		return err
	}
	_, err := io.WriteString(tw, content)
	return err
}

// addDir adds the folder dst with mode, with its parent folders.
func addDir(tw *treeWriter, dst string, mode int64) error {
	if err := addParents(tw, dst); err != nil {
		return err
	}
	_, err := tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeDir, Name: dst + "/", Mode: mode,
		ModTime: time.Unix(0, 0), Uname: "root", Gname: "root",
	})
	return err
}

// addParents adds the folders above dst (mode 0755) that are not in the
// tree yet.
func addParents(tw *treeWriter, dst string) error {
	dir := path.Dir(dst)
	if dir == "." || dir == "/" {
		return nil
	}
	if err := addParents(tw, dir); err != nil {
		return err
	}
	_, err := tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755,
		ModTime: time.Unix(0, 0), Uname: "root", Gname: "root",
	})
	return err
}
