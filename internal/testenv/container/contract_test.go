package container_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/testenv/container"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// TestContract runs the action's image the way the GitHub runner runs a
// container action (Step.RunArgs) against moto: a promotion, and a check
// that fails. The image is the one named by LAMBDA_PROMOTE_IMAGE (make image
// builds the Dockerfile and sets it), or else a FROM-scratch image of the
// current source, built here.
func TestContract(t *testing.T) {
	eng := container.NewT(t)
	image := contractImage(t, eng)
	srv := moto.StartT(t)
	t.Logf("image %s; podman configuration %s", image, eng.Config)

	t.Run("promotion", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		w, err := srv.Demo(ctx, "orders-api")
		if err != nil {
			t.Fatal(err)
		}
		r := runAction(t, eng, image, srv, map[string]string{
			config.InFunctionName: w.Function,
			config.InAlias:        w.Alias,
			config.InAPIID:        w.RESTAPIID,
			config.InStage:        w.Stage,
		})
		if r.Code != 0 {
			t.Fatalf("podman run exited %d, want 0", r.Code)
		}
		want := map[string]string{
			"status":           "promoted",
			"version":          "2",
			"previous-version": w.Version,
			"alias-arn":        w.AliasARN,
			"traffic-weight":   "100",
		}
		if diff := cmp.Diff(want, pick(r.Outputs, want)); diff != "" {
			t.Errorf("outputs read back from the mounted file commands folder (-want +got):\n%s", diff)
		}
		if !strings.Contains(r.Outputs["stage-url"], w.RESTAPIID) {
			t.Errorf("output stage-url = %q, want the URL of API %s", r.Outputs["stage-url"], w.RESTAPIID)
		}
		for _, s := range []string{w.Function, "promoted", "lambdaAlias=prod"} {
			if !strings.Contains(r.Summary, s) {
				t.Errorf("summary read back from the mounted folder lacks %q:\n%s", s, r.Summary)
			}
		}
		if got := route(t, srv, w.Function, w.Alias); got != "2" {
			t.Errorf("alias %s in moto serves %s, want 2 with no weights", w.Alias, got)
		}
	})

	t.Run("failed check", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		w, err := srv.Demo(ctx, "billing-api")
		if err != nil {
			t.Fatal(err)
		}
		// A second API whose prod stage sends traffic to the staging alias;
		// API Gateway may invoke prod, so only the variable is wrong.
		api, err := srv.CreateRESTStage(ctx, w.Function, "prod", "staging")
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.AllowAPIGateway(ctx, w.Function, w.Alias, api); err != nil {
			t.Fatal(err)
		}
		r := runAction(t, eng, image, srv, map[string]string{
			config.InFunctionName: w.Function,
			config.InAlias:        w.Alias,
			config.InAPIID:        api,
			config.InStage:        "prod",
		})
		if r.Code != 1 {
			t.Fatalf("podman run exited %d, want 1 (the action's exit code for a failed check)", r.Code)
		}
		want := map[string]string{"status": "failed", "version": w.Version, "previous-version": w.Version}
		if diff := cmp.Diff(want, pick(r.Outputs, want)); diff != "" {
			t.Errorf("outputs read back from the mounted file commands folder (-want +got):\n%s", diff)
		}
		for _, s := range []string{"lambdaAlias", "staging", "update-stage"} {
			if !strings.Contains(r.Summary, s) {
				t.Errorf("summary read back from the mounted folder lacks %q:\n%s", s, r.Summary)
			}
		}
		if !strings.Contains(r.Stdout+r.Stderr, "::error") {
			t.Errorf("no ::error annotation in the container's output")
		}
		if got := route(t, srv, w.Function, w.Alias); got != w.Version {
			t.Errorf("alias %s in moto serves %s after a failed check, want %s untouched", w.Alias, got, w.Version)
		}
	})
}

// contractImage is the image named by LAMBDA_PROMOTE_IMAGE, or a
// FROM-scratch image of lambda-promote built from this source, removed when
// the test ends.
func contractImage(t *testing.T, eng *container.Engine) string {
	t.Helper()
	ctx := context.Background()
	if image := os.Getenv(container.ImageEnv); image != "" {
		ok, err := eng.ImageExists(ctx, image)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Fatalf("%s=%s: no such image in podman's storage (make image builds it)", container.ImageEnv, image)
		}
		return image
	}
	bin := filepath.Join(t.TempDir(), "lambda-promote")
	_, here, _, _ := runtime.Caller(0)
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	build.Dir = filepath.Join(filepath.Dir(here), "..", "..", "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build lambda-promote: %v\n%s", err, out)
	}
	var id [4]byte
	if _, err := rand.Read(id[:]); err != nil {
		t.Fatal(err)
	}
	image := "localhost/lambda-promote-contract:" + hex.EncodeToString(id[:])
	start := time.Now()
	if err := eng.BuildScratch(ctx, image, bin); err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s FROM scratch in %s", image, time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := eng.RemoveImages(context.Background(), image); err != nil {
			t.Errorf("remove %s: %v", image, err)
		}
	})
	return image
}

// runAction runs image in a new step with inputs and moto's AWS variables.
func runAction(t *testing.T, eng *container.Engine, image string, srv *moto.Server, inputs map[string]string) *container.Result {
	t.Helper()
	step, err := container.NewStep(t.TempDir(), inputs, srv.Env())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := eng.RunAction(ctx, image, step)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("podman %s", strings.Join(r.Args, " "))
	t.Logf("exit %d after %s\nstdout:\n%s\nstderr:\n%s", r.Code, r.Duration.Round(time.Millisecond), r.Stdout, r.Stderr)
	return r
}

// pick is the entries of got named in want.
func pick(got, want map[string]string) map[string]string {
	out := map[string]string{}
	for k := range want {
		if v, ok := got[k]; ok {
			out[k] = v
		}
	}
	return out
}

// route reads an alias from moto: its version, with "+V@W" for each weight.
func route(t *testing.T, srv *moto.Server, fn, alias string) string {
	t.Helper()
	v, weights, err := srv.Alias(context.Background(), fn, alias)
	if err != nil {
		t.Fatal(err)
	}
	for extra, w := range weights {
		v += fmt.Sprintf("+%s@%g", extra, w)
	}
	return v
}
