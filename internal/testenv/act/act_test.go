package act_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/testenv/act"
	"github.com/lambda-promote/lambda-promote/internal/testenv/container"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

// Keys the workflows export for the emulator: moto takes any, and these
// are unlike any word of the log, since the action masks them.
const (
	awsKeyID  = "AKIAACTJUDGE7EXAMPLE"
	awsSecret = "actJudgeSecretKey0EXAMPLEKEY0000000000000"
)

// toolCache is the volume act mounts at /opt/hostedtoolcache in every job.
const toolCache = "act-toolcache"

// harness is what every run of act in TestAct shares.
type harness struct {
	act      string // the act binary
	eng      *container.Engine
	proxy    *act.APIProxy
	repo     string // the copy of the repository act runs in
	platform string // the image of ubuntu-latest jobs
	home     string
	srv      *moto.Server
	gh       *fakeGitHub
	token    string // the GITHUB_TOKEN secret
}

// newHarness makes (or finds) the stand-in base images, starts podman's
// API service with the build-context proxy in front, copies the repository
// into a git repository of its own on main, and starts moto and a fake
// GitHub.
func newHarness(t *testing.T) *harness {
	t.Helper()
	bin := act.BinaryT(t)
	act.LockT(t)
	eng := container.NewT(t)
	ctx := context.Background()
	root := repoRoot(t)
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	cache, err := container.CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	standIns, err := eng.StandIns(ctx, dockerfile, cache, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{act: bin, eng: eng, home: t.TempDir(), srv: moto.Shared(t), gh: newFakeGitHub(t)}
	for _, s := range standIns {
		if strings.Contains(s.Local, "golang") {
			// Debian bookworm with bash, coreutils and Go: the nearest
			// thing to ubuntu-latest here.
			h.platform = s.Local
		}
	}
	if h.platform == "" {
		t.Fatalf("no golang stand-in among %v for the ubuntu-latest jobs", standIns)
	}

	// Unix sockets: short paths (108 bytes at most).
	sockets, err := os.MkdirTemp("", "lp-act-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockets) })
	svc, err := act.StartService(ctx, eng, sockets)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := svc.Stop(); err != nil {
			t.Error(err)
		}
	})
	h.proxy, err = act.StartAPIProxy(svc.Socket, sockets, standIns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.proxy.Close(); err != nil {
			t.Error(err)
		}
	})
	t.Cleanup(func() { h.removeBuilt(t) })
	// act keeps a volume for its tool cache; the first run on a machine
	// makes it, and that run removes it.
	if eng.Command(ctx, "volume", "exists", toolCache).Run() != nil {
		t.Cleanup(func() {
			if _, err := eng.Output(context.Background(), "volume", "rm", "--force", toolCache); err != nil {
				t.Error(err)
			}
		})
	}

	var tok [12]byte
	if _, err := rand.Read(tok[:]); err != nil {
		t.Fatal(err)
	}
	h.token = "ghs_actJudge" + hex.EncodeToString(tok[:])
	h.repo = copyRepo(t, root, t.TempDir())
	return h
}

// removeBuilt removes what act's builds made: the images they tagged and
// their intermediate layers (podman's layer cache), unless
// LAMBDA_PROMOTE_ACT_KEEP=1 keeps them for the next run to reuse.
func (h *harness) removeBuilt(t *testing.T) {
	builds := h.proxy.Builds()
	if os.Getenv("LAMBDA_PROMOTE_ACT_KEEP") == "1" {
		t.Logf("LAMBDA_PROMOTE_ACT_KEEP=1: the %d builds' images and layers are kept", len(builds))
		return
	}
	var images []string
	for _, b := range builds {
		images = append(images, b.Tags...)
	}
	for _, b := range builds {
		_, layers := container.BuildLayers(b.Output)
		images = append(images, layers...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := h.eng.RemoveImages(ctx, images...); err != nil {
		t.Errorf("remove what act built: %v", err)
	}
}

// repoRoot is the repository this test is in.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	root, err := filepath.Abs(filepath.Join(filepath.Dir(here), "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// copyRepo copies the files git knows of in root (tracked, and untracked
// ones not ignored: the tree as it is being edited) to dir/repo, and makes
// it a repository of its own with one commit on main and acme/orders as its
// origin, which act reads for the github context.
func copyRepo(t *testing.T, root, dir string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	repo := filepath.Join(dir, "repo")
	for name := range strings.SplitSeq(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, name)
		info, err := os.Lstat(src)
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		if !info.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(repo, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"remote", "add", "origin", "https://github.com/acme/orders.git"},
		{"add", "-A"},
		{"-c", "user.name=act judge", "-c", "user.email=act@example.com", "commit", "-q", "-m", "the tree under test"},
	} {
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return repo
}

// testWriter sends progress to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// world is a function seeded as the README's (moto.Demo) behind a fault
// proxy with the realism layer on, which fails the test if a run gave a
// Pending version traffic.
type world struct {
	moto.World
	proxy *faultproxy.Proxy
	// offline: the run must send AWS no request at all (bad inputs);
	// otherwise it must send some, through the proxy.
	offline bool
}

func (h *harness) world(t *testing.T, name string) *world {
	t.Helper()
	mw, err := h.srv.Demo(context.Background(), moto.Unique(name))
	if err != nil {
		t.Fatal(err)
	}
	p := faultproxy.NewT(t, h.srv.URL)
	p.SetRealism(faultproxy.DefaultRealism())
	w := &world{World: mw, proxy: p}
	t.Cleanup(func() {
		switch n := len(p.Requests()); {
		case w.offline && n > 0:
			t.Errorf("%d AWS requests, want none", n)
		case !w.offline && n == 0:
			t.Errorf("no AWS request went through the realism layer at %s", p.URL)
		}
		for _, v := range p.RealismStats().Violations {
			t.Errorf("%s gave version %s of %s %.0f%% of alias %s's traffic while it was Pending, which Lambda does not invoke", v.Op, v.Version, v.Function, v.Weight*100, v.Alias)
		}
	})
	return w
}

// run runs act on workflow (a path in the repository copy) for event,
// with w's function, its API and the emulator behind the proxy as
// repository variables, the AWS keys and the GitHub token as secrets.
func (h *harness) run(t *testing.T, workflow, event string, w *world, inputs map[string]string, flags ...string) *act.Result {
	t.Helper()
	r := act.Run{
		Act: h.act, Dir: h.repo, Workflow: filepath.Join(h.repo, workflow), Event: event,
		DockerHost: "unix://" + h.proxy.Socket, Platform: h.platform, Home: h.home,
		Env: map[string]string{"GITHUB_API_URL": h.gh.URL},
		Vars: map[string]string{
			"AWS_ENDPOINT_URL": w.proxy.URL, "AWS_REGION": w.Region,
			"FUNCTION_NAME": w.Function, "API_ID": w.RESTAPIID,
		},
		Secrets: map[string]string{
			"GITHUB_TOKEN": h.token, "AWS_ACCESS_KEY_ID": awsKeyID, "AWS_SECRET_ACCESS_KEY": awsSecret,
		},
		Inputs: inputs,
		Flags:  flags,
	}
	// The first run builds the image cold: minutes on 2 cores.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	res, err := r.Exec(ctx)
	if res != nil {
		t.Cleanup(func() {
			if t.Failed() || testing.Verbose() {
				t.Logf("act %s\nexit %d after %s\n%s", strings.Join(res.Args, " "), res.Code, res.Duration.Round(100*time.Millisecond), res.Log)
			}
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// mutate writes a copy of the workflow at path (in the repository copy)
// with each old string replaced by new, and returns the copy's path.
func (h *harness) mutate(t *testing.T, path string, replace ...string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(h.repo, path))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(text, replace[i]) {
			t.Fatalf("%s has no %q to replace", path, replace[i])
		}
		text = strings.ReplaceAll(text, replace[i], replace[i+1])
	}
	name := strings.TrimSuffix(path, ".yml") + "-" + strings.ReplaceAll(t.Name()[strings.LastIndex(t.Name(), "/")+1:], " ", "-") + ".yml"
	if err := os.WriteFile(filepath.Join(h.repo, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// job is the job named name in act's log; it fails the test when act's
// log has no such job.
func job(t *testing.T, res *act.Result, name string) *act.Job {
	t.Helper()
	j := res.Jobs()[name]
	if j == nil {
		t.Fatalf("act's log has no job %q", name)
	}
	return j
}

// route reads an alias from moto: its version, with "+V@W" for a weight.
func (h *harness) route(t *testing.T, w *world) string {
	t.Helper()
	v, weights, err := h.srv.Alias(context.Background(), w.Function, w.Alias)
	if err != nil {
		t.Fatal(err)
	}
	for extra, weight := range weights {
		v += fmt.Sprintf("+%s@%g", extra, weight)
	}
	return v
}

// noSecrets fails the test when act's log shows a secret: the token, or
// the AWS keys.
func (h *harness) noSecrets(t *testing.T, res *act.Result) {
	t.Helper()
	h.noSecret(t, res, "the GitHub token", h.token)
	h.noSecret(t, res, "the AWS access key id", awsKeyID)
	h.noSecret(t, res, "the AWS secret key", awsSecret)
}

func (h *harness) noSecret(t *testing.T, res *act.Result, name, secret string) {
	t.Helper()
	if i := strings.Index(res.Log, secret); i >= 0 {
		line := res.Log[strings.LastIndex(res.Log[:i], "\n")+1:]
		line, _, _ = strings.Cut(line, "\n")
		t.Errorf("act's log shows %s: %q", name, line)
	}
}

// deployment checks that the run made one GitHub deployment for
// environment, with the token, and set its statuses in order.
func (h *harness) deployment(t *testing.T, reqs []ghRequest, environment string, states ...string) {
	t.Helper()
	var got []string
	for _, r := range reqs {
		if r.Auth != "Bearer "+h.token && r.Auth != "token "+h.token {
			t.Errorf("%s: Authorization %q, want the GITHUB_TOKEN secret: act's github.token did not reach the action", r, r.Auth)
		}
		switch {
		case r.Method == "POST" && r.Path == ghRepo+"/deployments":
			if env, _ := r.Body["environment"].(string); env != environment {
				t.Errorf("deployment for environment %q, want %q", env, environment)
			}
			got = append(got, "deployment")
		case r.Method == "POST" && strings.HasSuffix(r.Path, "/statuses"):
			state, _ := r.Body["state"].(string)
			got = append(got, state)
		}
	}
	want := append([]string{"deployment"}, states...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GitHub deployment and statuses (-want +got):\n%s", diff)
	}
}

func TestAct(t *testing.T) {
	h := newHarness(t)
	const pushWF = "testdata/workflows/act/push.yml"

	t.Run("push to main promotes", func(t *testing.T) {
		w := h.world(t, "act-push")
		seen, creates := h.gh.count(), len(h.proxy.Creates())
		res := h.run(t, pushWF, "push", w, nil)
		if res.Code != 0 {
			t.Errorf("act exited %d, want 0", res.Code)
		}
		promote, after := job(t, res, "act push/promote"), job(t, res, "act push/after")
		if !promote.Succeeded || !after.Succeeded {
			t.Errorf("jobs promote (succeeded %v, failed steps %q) and after (succeeded %v, failed steps %q), want both to succeed",
				promote.Succeeded, promote.Failures, after.Succeeded, after.Failures)
		}

		// The outputs as act read them from GITHUB_OUTPUT, and as the next
		// step and the next job read them through expressions.
		want := map[string]string{
			"status": "promoted", "version": "2", "previous-version": w.Version,
			"alias-arn": w.AliasARN, "traffic-weight": "100",
			"stage-url": "https://" + w.RESTAPIID + ".execute-api." + w.Region + ".amazonaws.com/prod",
		}
		if diff := cmp.Diff(want, pick(promote.Outputs, want)); diff != "" {
			t.Errorf("outputs act read from GITHUB_OUTPUT (-want +got):\n%s", diff)
		}
		for name, v := range want {
			if !slices.Contains(promote.Output, "output "+name+"="+v) {
				t.Errorf("the step after the action did not read %s=%s through steps.promote.outputs", name, v)
			}
		}
		if !slices.Contains(after.Output, "the next job sees version 2") {
			t.Errorf("the next job did not read version 2 through needs.promote.outputs: %q", after.Output)
		}
		if got := h.route(t, w); got != "2" {
			t.Errorf("alias %s serves %s, want 2 with no weights", w.Alias, got)
		}

		// The job summary act read from GITHUB_STEP_SUMMARY.
		if len(promote.Summaries) != 1 {
			t.Fatalf("%d job summaries, want 1 (the action's)", len(promote.Summaries))
		}
		for _, s := range []string{"### ✅ " + w.Function + ": prod 1 → 2 promoted", "prod serves 2 with no weights", "All 3 checks passed", "by nektos/act"} {
			if !strings.Contains(promote.Summaries[0], s) {
				t.Errorf("job summary lacks %q:\n%s", s, promote.Summaries[0])
			}
		}

		// Masks: the token reached the action (it authenticated to GitHub
		// with it) and act's log never shows it.
		h.noSecrets(t, res)
		h.deployment(t, h.gh.requests(seen), "prod", "in_progress", "success")
		for _, l := range promote.Lines {
			if strings.Contains(l, "::warning") {
				t.Errorf("a warning in a run where everything works: %s", l)
			}
		}

		// The image act built: the repository's Dockerfile, its base
		// images the stand-ins, nothing pulled.
		builds := h.proxy.Builds()
		if len(builds) != 1 {
			t.Fatalf("act asked for %d builds, want 1", len(builds))
		}
		b := builds[0]
		if b.Error != "" || strings.Contains(b.Output, "Trying to pull") {
			t.Errorf("the build of uses: ./ pulled or failed (%s):\n%s", b.Error, b.Output)
		}
		for _, from := range []string{"FROM localhost/lambda-promote-standin-golang", "FROM localhost/lambda-promote-standin-static"} {
			if !strings.Contains(b.Output, from) {
				t.Errorf("the build has no %s:\n%s", from, b.Output)
			}
		}

		// The action's container as act made it, beside the runner
		// emulation's.
		compareStep(t, actionContainer(t, h.proxy.Creates()[creates:]), map[string]string{
			"function-name": w.Function, "alias": "prod", "api-id": w.RESTAPIID, "stage": "prod",
		})
	})

	t.Run("manual run with inputs holds a canary", func(t *testing.T) {
		w := h.world(t, "act-dispatch")
		seen := h.gh.count()
		// --insecure-secrets: act masks nothing, so only the action's own
		// masks keep the token out of the log.
		res := h.run(t, "testdata/workflows/act/dispatch.yml", "workflow_dispatch", w,
			map[string]string{"traffic-weight": "25"}, "--insecure-secrets")
		if res.Code != 0 {
			t.Errorf("act exited %d, want 0", res.Code)
		}
		canary := job(t, res, "act dispatch/canary")
		want := map[string]string{"status": "canary", "traffic-weight": "25", "version": "2", "previous-version": w.Version}
		if diff := cmp.Diff(want, pick(canary.Outputs, want)); diff != "" {
			t.Errorf("outputs act read from GITHUB_OUTPUT (-want +got):\n%s", diff)
		}
		if !slices.Contains(canary.Output, "output status=canary traffic-weight=25 version=2") {
			t.Errorf("the step after the action read other outputs: %q", canary.Output)
		}
		if got := h.route(t, w); got != w.Version+"+2@0.25" {
			t.Errorf("alias %s serves %s, want %s with 25%% on 2", w.Alias, got, w.Version)
		}
		if len(canary.Summaries) != 1 || !strings.Contains(canary.Summaries[0], "canary") {
			t.Errorf("job summaries %q, want the action's one of a canary", canary.Summaries)
		}
		// act itself prints the AWS keys of GITHUB_ENV without its masks;
		// the token only the action could print.
		h.noSecret(t, res, "the GitHub token", h.token)
		// A held canary is a successful deployment of its slice.
		h.deployment(t, h.gh.requests(seen), "prod", "in_progress", "success")
	})

	t.Run("failed promotion fails its step", func(t *testing.T) {
		w := h.world(t, "act-fail")
		// Stage prod of another API sends traffic to the staging alias.
		api, err := h.srv.CreateRESTStage(context.Background(), w.Function, "prod", "staging")
		if err != nil {
			t.Fatal(err)
		}
		if err := h.srv.AllowAPIGateway(context.Background(), w.Function, w.Alias, api); err != nil {
			t.Fatal(err)
		}
		w.RESTAPIID = api
		res := h.run(t, pushWF, "push", w, nil)
		if res.Code == 0 {
			t.Errorf("act exited 0 for a failed promotion")
		}
		promote := job(t, res, "act push/promote")
		if !promote.Failed || !slices.Contains(promote.Failures, "Main ./") {
			t.Errorf("job promote: failed %v, failed steps %q; want the action's step (Main ./) to fail the job", promote.Failed, promote.Failures)
		}
		if diff := cmp.Diff(map[string]string{"status": "failed", "version": w.Version}, pick(promote.Outputs, map[string]string{"status": "", "version": ""})); diff != "" {
			t.Errorf("outputs of the failed step (-want +got):\n%s", diff)
		}
		if !slices.Contains(promote.Output, "after the failure, status=failed version="+w.Version) {
			t.Errorf("the if: failure() step did not read the failed step's outputs: %q", promote.Output)
		}
		if slices.ContainsFunc(promote.Output, func(l string) bool { return strings.HasPrefix(l, "output ") }) {
			t.Errorf("the step after a failed one ran")
		}
		if j := res.Jobs()["act push/after"]; j != nil && (j.Succeeded || j.Failed) {
			t.Errorf("the job that needs the failed one ran")
		}
		if !slices.ContainsFunc(promote.Lines, func(l string) bool { return strings.Contains(l, "::error") && strings.Contains(l, "staging") }) {
			t.Errorf("no ::error annotation naming what the stage calls")
		}
		if got := h.route(t, w); got != w.Version {
			t.Errorf("alias %s serves %s after a failed check, want %s untouched", w.Alias, got, w.Version)
		}
		h.noSecrets(t, res)
	})

	// Workflows that break the contract: act must fail them.
	t.Run("input name not in action.yml", func(t *testing.T) {
		w := h.world(t, "act-input")
		w.offline = true // the inputs are checked before anything is read
		creates := len(h.proxy.Creates())
		res := h.run(t, h.mutate(t, pushWF, "function-name:", "function_name:"), "push", w, nil)
		// act passes the undeclared input on, as the runner does, and so
		// does the emulation.
		compareStep(t, actionContainer(t, h.proxy.Creates()[creates:]), map[string]string{
			"function_name": w.Function, "alias": "prod", "api-id": w.RESTAPIID, "stage": "prod",
		})
		promote := job(t, res, "act push/promote")
		if res.Code == 0 || !promote.Failed || !slices.Contains(promote.Failures, "Main ./") {
			t.Errorf("act exited %d, job failed %v, failed steps %q; want the action's step to fail", res.Code, promote.Failed, promote.Failures)
		}
		if !slices.ContainsFunc(promote.Lines, func(l string) bool { return strings.Contains(l, "::error") && strings.Contains(l, "function-name") }) {
			t.Errorf("no ::error annotation naming function-name")
		}
		if got := h.route(t, w); got != w.Version {
			t.Errorf("alias %s serves %s, want %s untouched", w.Alias, got, w.Version)
		}
	})

	t.Run("output the action does not set", func(t *testing.T) {
		w := h.world(t, "act-output")
		res := h.run(t, h.mutate(t, pushWF, "steps.promote.outputs.version }}", "steps.promote.outputs.new-version }}"), "push", w, nil)
		promote := job(t, res, "act push/promote")
		if res.Code == 0 || !promote.Failed || !slices.Contains(promote.Failures, "Main Read the outputs") {
			t.Errorf("act exited %d, job failed %v, failed steps %q; want the step reading the outputs to fail", res.Code, promote.Failed, promote.Failures)
		}
		if got := h.route(t, w); got != "2" {
			t.Errorf("alias %s serves %s, want 2: the action itself succeeded", w.Alias, got)
		}
	})
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
