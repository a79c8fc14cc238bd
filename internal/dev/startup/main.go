// Command startup is the start-up part of `make bench`: what a job pays
// before the action has done anything, and with it one promotion against
// moto, for each way a job can get the action's container:
//
//   - today: the runner builds the Dockerfile (image: Dockerfile) with an
//     empty cache, then runs it. Here: podman build --no-cache of the
//     unmodified Dockerfile, with local stand-ins for its base images
//     (internal/testenv/container), then the runner's docker run;
//   - released: the runner pulls the released image (image:
//     docker://…@sha256:…), then runs it. Here: the image built above is
//     pushed to go-containerregistry's registry, on 127.0.0.1 in this
//     process, and removed from local storage with its base; then it is
//     pulled by digest and run;
//   - floor: the image is present already; only the run.
//
// Every run is the runner's `docker run` (container.Step.RunArgs) of an
// all-at-once promotion against moto, with new code on $LATEST first,
// untimed, and is checked: exit 0, status promoted, the alias moved. It
// prints a table and writes results.md and results.json.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/dev/figures"
	"github.com/lambda-promote/lambda-promote/internal/testenv/container"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := realMain(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(1)
	}
}

type options struct {
	dir     string
	out     string
	pulls   int
	runs    int
	version string
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("startup", flag.ContinueOnError)
	fs.StringVar(&o.dir, "dir", ".", "the repository: build context and Dockerfile")
	fs.StringVar(&o.out, "out", filepath.Join("testdata", "bench", "startup"), "directory for results.md and results.json; empty for none")
	fs.IntVar(&o.pulls, "pulls", 3, "pull-and-run rounds of the released image, each from an empty local store")
	fs.IntVar(&o.runs, "runs", 5, "runs of the image already present (the floor)")
	fs.StringVar(&o.version, "version", "dev", "the VERSION build argument")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var errs []error
	if o.pulls < 1 {
		errs = append(errs, fmt.Errorf("-pulls %d: at least 1 is needed", o.pulls))
	}
	if o.runs < 1 {
		errs = append(errs, fmt.Errorf("-runs %d: at least 1 is needed", o.runs))
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	return o, errors.Join(errs...)
}

// bench is one run of the start-up comparison.
type bench struct {
	eng    *container.Engine
	srv    *moto.Server
	tmp    string
	stdout io.Writer
	// worlds are the functions each way promotes: today, released, floor.
	worlds map[string]moto.World
}

func realMain(ctx context.Context, args []string, stdout io.Writer) (err error) {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "lambda-promote-startup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	eng, err := container.New(tmp)
	if err != nil {
		return err
	}
	dockerfile, err := os.ReadFile(filepath.Join(o.dir, "Dockerfile"))
	if err != nil {
		return err
	}
	cache, err := container.CacheDir()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "==> stand-ins for the Dockerfile's base images")
	standIns, err := eng.StandIns(ctx, dockerfile, cache, stdout)
	if err != nil {
		return err
	}
	for _, s := range standIns {
		fmt.Fprintf(stdout, "    %s for %s\n", s.Local, s.Ref)
	}

	fmt.Fprintln(stdout, "==> starting moto, seeding a function, alias, REST API stage and permission for each way")
	srv, err := moto.Start(ctx)
	if err != nil {
		return err
	}
	defer srv.Stop()
	b := &bench{eng: eng, srv: srv, tmp: tmp, stdout: stdout, worlds: map[string]moto.World{}}
	for _, key := range []string{wayToday, wayReleased, wayFloor} {
		w, err := srv.Demo(ctx, "startup-"+key)
		if err != nil {
			return err
		}
		b.worlds[key] = w
	}

	reg, err := startRegistry(filepath.Join(tmp, "registry"))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, reg.Close()) }()

	id, err := randomID()
	if err != nil {
		return err
	}
	built := "localhost/lambda-promote-startup:" + id
	repo := "lambda-promote-startup"
	remote := reg.Host + "/" + repo
	// Whatever happens, leave no image of this run behind.
	defer func() {
		rm, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err = errors.Join(err, eng.RemoveImages(rm, built))
	}()

	r := results{Podman: podmanVersion(ctx, eng), PullRounds: o.pulls, FloorRuns: o.runs}

	// (a) today: build with an empty cache, then run.
	build := container.Build{
		Dir: o.dir, Tag: built, StandIns: standIns, NoCache: true, KeepLayers: true,
		BuildArgs: []string{"VERSION=" + o.version},
	}
	fmt.Fprintf(stdout, "==> today: podman %s\n", strings.Join(build.Args(), " "))
	bu, err := eng.BuildDockerfile(ctx, build)
	if err != nil {
		return err
	}
	r.Today.BuildS = seconds(bu.Duration)
	// The build's layers go at the end: deleting hundreds of MB keeps the
	// disk busy for a while, which a run right after would pay for.
	defer func() {
		rm, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err = errors.Join(err, eng.RemoveImages(rm, bu.Layers...))
	}()
	fmt.Fprintf(stdout, "    built in %.1f s; running it\n", r.Today.BuildS)
	run, err := b.promote(ctx, wayToday, built)
	if err != nil {
		return err
	}
	r.Today.RunS = seconds(run)
	r.Today.TotalS = round2(r.Today.BuildS + r.Today.RunS)
	fmt.Fprintf(stdout, "    run %.2f s; today's start-up and promotion: %.1f s\n", r.Today.RunS, r.Today.TotalS)

	// (b) released: push, remove locally with its base, pull by digest, run.
	fmt.Fprintf(stdout, "==> released: pushing %s to the registry on %s\n", built, reg.Host)
	digestFile := filepath.Join(tmp, "digest")
	if _, err := eng.Output(ctx, "push", "--quiet", "--tls-verify=false", "--digestfile", digestFile, built, "docker://"+remote+":bench"); err != nil {
		return err
	}
	raw, err := os.ReadFile(digestFile)
	if err != nil {
		return err
	}
	digest := strings.TrimSpace(string(raw))
	pinned := remote + "@" + digest
	m, err := manifestOf(ctx, reg.Host, repo, digest)
	if err != nil {
		return err
	}
	r.Image = imageFacts(m, pinned)
	// The built image and the base it shares a layer with go, so that the
	// pull starts from nothing, as on a fresh runner.
	if err := eng.RemoveImages(ctx, built); err != nil {
		return err
	}
	for _, s := range standIns {
		if strings.Contains(s.Ref, "distroless") {
			if err := eng.RemoveImages(ctx, s.Local); err != nil {
				return err
			}
		}
	}
	defer func() {
		rm, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err = errors.Join(err, eng.RemoveImages(rm, pinned))
	}()
	for i := range o.pulls {
		if err := eng.RemoveImages(ctx, pinned); err != nil {
			return err
		}
		start := time.Now()
		out, err := eng.Command(ctx, "pull", "--tls-verify=false", pinned).CombinedOutput()
		pull := time.Since(start)
		if err != nil {
			return fmt.Errorf("podman pull %s: %w: %s", pinned, err, out)
		}
		// A round must download every layer, as a fresh runner does.
		if strings.Contains(string(out), "already exists") {
			return fmt.Errorf("podman pull %s reused a layer present locally, so the round did not start from an empty store:\n%s", pinned, out)
		}
		run, err := b.promote(ctx, wayReleased, pinned)
		if err != nil {
			return err
		}
		r.Released = append(r.Released, pullRun{PullS: seconds(pull), RunS: seconds(run), TotalS: seconds(pull + run)})
		fmt.Fprintf(stdout, "    round %d: pull %.2f s + run %.2f s\n", i+1, seconds(pull), seconds(run))
	}
	if r.Image.UnpackedBytes, err = eng.ImageSize(ctx, pinned); err != nil {
		return err
	}

	// (c) floor: the image is there; only the run.
	fmt.Fprintln(stdout, "==> floor: runs of the image already present")
	for range o.runs {
		run, err := b.promote(ctx, wayFloor, pinned)
		if err != nil {
			return err
		}
		r.Floor = append(r.Floor, seconds(run))
	}

	r.summarize(time.Now())
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, r.text())
	if o.out == "" {
		return nil
	}
	return figures.Write(stdout, o.out, r.markdown(), r)
}

// The ways, as results.json names them.
const (
	wayToday    = "today"
	wayReleased = "released"
	wayFloor    = "floor"
)

// promote puts new code on the way's function (untimed), runs image as the
// runner runs the action, and checks the promotion: exit 0, status
// promoted, the alias on the new version with no weights. It returns how
// long `podman run` took.
func (b *bench) promote(ctx context.Context, way, image string) (time.Duration, error) {
	w := b.worlds[way]
	if err := b.srv.UpdateCode(ctx, w.Function); err != nil {
		return 0, err
	}
	before, _, err := b.srv.Alias(ctx, w.Function, w.Alias)
	if err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp(b.tmp, way+"-")
	if err != nil {
		return 0, err
	}
	step, err := container.NewStep(dir, map[string]string{
		config.InFunctionName: w.Function,
		config.InAlias:        w.Alias,
		config.InAPIID:        w.RESTAPIID,
		config.InStage:        w.Stage,
	}, b.srv.Env())
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	r, err := b.eng.RunAction(ctx, image, step)
	if err != nil {
		return 0, err
	}
	after, weights, err := b.srv.Alias(ctx, w.Function, w.Alias)
	if err != nil {
		return 0, err
	}
	if r.Code != 0 || r.Outputs["status"] != "promoted" || r.Outputs["version"] != after || after == before || len(weights) > 0 {
		return 0, fmt.Errorf("%s: podman run %s exited %d with status %q, version %q; alias %s went from %s to %s (weights %v)\nstdout:\n%s\nstderr:\n%s",
			way, image, r.Code, r.Outputs["status"], r.Outputs["version"], w.Alias, before, after, weights, r.Stdout, r.Stderr)
	}
	return r.Duration, nil
}

func randomID() (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

func podmanVersion(ctx context.Context, eng *container.Engine) string {
	v, err := eng.Output(ctx, "version", "--format", "{{.Client.Version}}")
	if err != nil {
		return ""
	}
	return v
}

func seconds(d time.Duration) float64 { return round2(d.Seconds()) }

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }
