package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lambda-promote/lambda-promote/internal/testenv/githubapi"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

const (
	ghRepo   = "/repos/acme/orders" // GITHUB_REPOSITORY of the harness
	ghSHA    = "0123456789abcdef0123456789abcdef01234567"
	ghRunURL = "https://github.com/acme/orders/actions/runs/42/attempts/1"
	ghToken  = "ghs_e2eF4keT0kenF0rGitHubTests99"
	// ghPR is the pull request of testdata/events/pull_request.json, and
	// the open pull request of the commit on push.
	ghPR = 17
)

// ghRequest is one request the fake GitHub received.
type ghRequest struct {
	Method string
	Path   string // without githubapi.Prefix
	Query  string
	Auth   string // the Authorization header
	Header http.Header
	Raw    []byte         // the body as sent
	Body   map[string]any // the body decoded, when it is a JSON object
}

func (r ghRequest) String() string { return r.Method + " " + r.Path }

// ghAPI is a fake GitHub REST API under githubapi.Prefix, judged by GitHub's
// OpenAPI description: the endpoints lambda-promote calls, with state
// (comments, deployments), recording every request, answering in GitHub's
// shapes (githubapi.Repo's objects).
type ghAPI struct {
	t    *testing.T
	URL  string // for GITHUB_API_URL: no trailing slash, as the runner sets it
	repo githubapi.Repo

	mu       sync.Mutex
	reqs     []ghRequest
	pulls    []ghPull                 // the pull requests of the commit
	comments map[int][]map[string]any // pull request → its comments (repo.Comment)
	nextID   int64                    // next comment id
	nextDep  int64                    // next deployment id
	envs     map[int64]string         // deployment → its environment

	// fail, when non-zero, answers every request with that status and a
	// GitHub-shaped error; echo puts the request's Authorization header in
	// the message, as a careless proxy might.
	fail int
	echo bool
}

// ghPull is a pull request that contains the commit.
type ghPull struct {
	Number int
	State  string // open or closed
}

func newGHAPI(t *testing.T) *ghAPI {
	t.Helper()
	g := &ghAPI{t: t, comments: map[int][]map[string]any{}, nextID: 5001, nextDep: 9001, envs: map[int64]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+ghRepo+"/commits/{sha}/pulls", g.listPulls)
	mux.HandleFunc("GET "+ghRepo+"/issues/{n}/comments", g.listComments)
	mux.HandleFunc("POST "+ghRepo+"/issues/{n}/comments", g.createComment)
	mux.HandleFunc("PATCH "+ghRepo+"/issues/comments/{id}", g.editComment)
	mux.HandleFunc("POST "+ghRepo+"/deployments", g.createDeployment)
	mux.HandleFunc("POST "+ghRepo+"/deployments/{id}/statuses", g.createStatus)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected GitHub request %s %s", r.Method, r.URL.Path)
		githubapi.WriteJSON(w, http.StatusNotFound, githubapi.Error(http.StatusNotFound, "Not Found"))
	})
	// The server passes on only requests under its prefix that GitHub's
	// description allows, with the prefix stripped.
	srv := githubapi.New(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read request body: %v", err)
		}
		req := ghRequest{
			Method: r.Method,
			Path:   r.URL.Path,
			Query:  r.URL.RawQuery,
			Auth:   r.Header.Get("Authorization"),
			Header: r.Header.Clone(),
			Raw:    raw,
		}
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &req.Body); err != nil {
				t.Errorf("%s: body is not a JSON object: %v", req, err)
			}
		}
		g.mu.Lock()
		g.reqs = append(g.reqs, req)
		fail, echo := g.fail, g.echo
		g.mu.Unlock()

		if fail != 0 {
			msg := "Resource not accessible by integration"
			if fail != http.StatusForbidden {
				msg = http.StatusText(fail)
			}
			if echo {
				msg += " (request had Authorization: " + req.Auth + ")"
			}
			githubapi.WriteJSON(w, fail, githubapi.Error(fail, msg))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		mux.ServeHTTP(w, r)
	}))
	g.URL = srv.URL
	g.repo = srv.Repo("acme", "orders")
	return g
}

func (g *ghAPI) listPulls(w http.ResponseWriter, r *http.Request) {
	if sha := r.PathValue("sha"); sha != ghSHA {
		g.t.Errorf("pull requests asked for commit %q, want GITHUB_SHA %q", sha, ghSHA)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	pulls := []map[string]any{}
	for _, p := range g.pulls {
		pulls = append(pulls, g.repo.PullRequest(p.Number, p.State, fmt.Sprintf("change-%d", p.Number), ghSHA))
	}
	githubapi.WriteJSON(w, http.StatusOK, pulls)
}

func (g *ghAPI) listComments(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.PathValue("n"))
	g.mu.Lock()
	defer g.mu.Unlock()
	githubapi.WriteJSON(w, http.StatusOK, append([]map[string]any{}, g.comments[n]...))
}

func (g *ghAPI) createComment(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.PathValue("n"))
	var in struct {
		Body string `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		g.t.Errorf("create comment: %v", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.repo.Comment(g.nextID, n, in.Body)
	g.nextID++
	g.comments[n] = append(g.comments[n], c)
	githubapi.WriteJSON(w, http.StatusCreated, c)
}

func (g *ghAPI) editComment(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var in struct {
		Body string `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		g.t.Errorf("edit comment: %v", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, list := range g.comments {
		for _, c := range list {
			if c["id"] == id {
				c["body"] = in.Body
				githubapi.WriteJSON(w, http.StatusOK, c)
				return
			}
		}
	}
	g.t.Errorf("edit of comment %d, which does not exist", id)
	githubapi.WriteJSON(w, http.StatusNotFound, githubapi.Error(http.StatusNotFound, "Not Found"))
}

func (g *ghAPI) createDeployment(w http.ResponseWriter, r *http.Request) {
	in := githubapi.Body(g.t, r)
	g.mu.Lock()
	defer g.mu.Unlock()
	id := g.nextDep
	g.nextDep++
	d := g.repo.Deployment(id, ghSHA, in)
	g.envs[id], _ = d["environment"].(string)
	githubapi.WriteJSON(w, http.StatusCreated, d)
}

func (g *ghAPI) createStatus(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	in := githubapi.Body(g.t, r)
	g.mu.Lock()
	env, ok := g.envs[id]
	g.mu.Unlock()
	if !ok {
		env = "prod" // the deployment of testdata/events/deployment.json
	}
	githubapi.WriteJSON(w, http.StatusCreated, g.repo.DeploymentStatus(id, env, id*10+1, in))
}

// requests returns the requests received so far.
func (g *ghAPI) requests() []ghRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]ghRequest(nil), g.reqs...)
}

// commentsOn returns the bodies of the comments of pull request n, by id.
func (g *ghAPI) commentsOn(n int) map[int64]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := map[int64]string{}
	for _, c := range g.comments[n] {
		m[c["id"].(int64)] = c["body"].(string)
	}
	return m
}

// env is the runner's GitHub variables for a run triggered by event, whose
// payload is testdata/events/EVENT.json.
func (g *ghAPI) env(t *testing.T, event string) []string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "..", "testdata", "events", event+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return []string{
		"GITHUB_API_URL=" + g.URL,
		"GITHUB_EVENT_NAME=" + event,
		"GITHUB_EVENT_PATH=" + path,
		"GITHUB_SHA=" + ghSHA,
		"GITHUB_RUN_ATTEMPT=1",
	}
}

// ghInputs are the inputs of a promotion of w's prod alias through its REST
// stage, with the comment and the deployment on.
func ghInputs(w moto.World, token string) map[string]string {
	return map[string]string{
		"function-name": w.Function, "alias": "prod", "api-id": w.RESTAPIID, "stage": "prod",
		"github-token": token, "comment": "true", "deployment": "true",
	}
}

// ghOf keeps the requests whose "METHOD PATH" starts with prefix.
func ghOf(reqs []ghRequest, prefix string) []ghRequest {
	var out []ghRequest
	for _, r := range reqs {
		if strings.HasPrefix(r.String(), prefix) {
			out = append(out, r)
		}
	}
	return out
}

// ghNot keeps the requests whose "METHOD PATH" does not start with prefix.
func ghNot(reqs []ghRequest, prefix string) []ghRequest {
	var out []ghRequest
	for _, r := range reqs {
		if !strings.HasPrefix(r.String(), prefix) {
			out = append(out, r)
		}
	}
	return out
}

func ghNames(reqs []ghRequest) []string {
	out := []string{}
	for _, r := range reqs {
		out = append(out, r.String())
	}
	return out
}

// ghWantAuth checks that every request carried the token.
func ghWantAuth(t *testing.T, reqs []ghRequest, token string) {
	t.Helper()
	for _, r := range reqs {
		if r.Auth != "Bearer "+token && r.Auth != "token "+token {
			t.Errorf("%s: Authorization %q, want the github-token", r, r.Auth)
		}
	}
}

// ghWantDeployment checks a deployment created for the run: its request, and
// the statuses posted to it, in order, with their fields.
func ghWantDeployment(t *testing.T, reqs []ghRequest, environment string, id int64, statuses []map[string]any) {
	t.Helper()
	var create []ghRequest
	for _, r := range reqs {
		if r.Method == http.MethodPost && r.Path == ghRepo+"/deployments" {
			create = append(create, r)
		}
	}
	if len(create) != 1 {
		t.Fatalf("%d deployments created, want 1: %v", len(create), ghNames(reqs))
	}
	b := create[0].Body
	for k, want := range map[string]any{"ref": ghSHA, "environment": environment, "auto_merge": false} {
		if got, ok := b[k]; !ok || got != want {
			t.Errorf("deployment %s = %#v, want %#v", k, got, want)
		}
	}
	if rc, ok := b["required_contexts"].([]any); !ok || len(rc) != 0 {
		t.Errorf("deployment required_contexts = %#v, want [] (present and empty, so failing checks cannot block it)", b["required_contexts"])
	}
	ghWantStatuses(t, reqs, id, statuses)
}

// ghWantStatuses checks the statuses posted to deployment id: for each, the
// fields given (nil means the field must be absent).
func ghWantStatuses(t *testing.T, reqs []ghRequest, id int64, want []map[string]any) {
	t.Helper()
	got := ghOf(reqs, fmt.Sprintf("POST %s/deployments/%d/statuses", ghRepo, id))
	if len(got) != len(want) {
		t.Fatalf("%d statuses on deployment %d, want %d: %v", len(got), id, len(want), ghNames(reqs))
	}
	for i, w := range want {
		for k, v := range w {
			g, ok := got[i].Body[k]
			if v == nil {
				if ok {
					t.Errorf("status %d: %s = %#v, want it absent", i, k, g)
				}
				continue
			}
			if g != v {
				t.Errorf("status %d: %s = %#v, want %#v", i, k, g, v)
			}
		}
	}
}

func ghWarnings(stdout string) []string {
	var out []string
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "::warning") {
			out = append(out, line)
		}
	}
	return out
}

func TestGitHubPushCommentAndDeployment(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "ghpush")
	gh := newGHAPI(t)
	gh.pulls = []ghPull{{9, "closed"}, {ghPR, "open"}}
	other := "<!-- lambda-promote:" + w.Function + ":prod-eu -->\n### ✅ " + w.Function + ": prod-eu → 4 promoted"
	gh.comments[ghPR] = []map[string]any{
		gh.repo.Comment(4001, ghPR, "LGTM, ship it"),
		gh.repo.Comment(4002, ghPR, other),
	}
	marker := "<!-- lambda-promote:" + w.Function + ":prod -->"
	in := ghInputs(w, ghToken)

	r := runAction(t, srv, in, Options{Env: gh.env(t, "push")})
	if r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "promoted", "version": "2"})
	if ws := ghWarnings(r.Stdout); len(ws) > 0 {
		t.Errorf("warnings with a working GitHub: %q", ws)
	}
	stageURL := r.Outputs["stage-url"]
	if stageURL == "" {
		t.Fatal("no stage-url output")
	}
	first := gh.requests()
	ghWantAuth(t, first, ghToken)
	ghWantDeployment(t, first, "prod", 9001, []map[string]any{
		{"state": "in_progress", "log_url": ghRunURL},
		{"state": "success", "log_url": ghRunURL, "environment_url": stageURL},
	})
	if diff := cmp.Diff([]string{
		"GET " + ghRepo + "/commits/" + ghSHA + "/pulls",
		"GET " + ghRepo + "/issues/17/comments",
		"POST " + ghRepo + "/issues/17/comments",
	}, ghNames(ghNot(first, "POST "+ghRepo+"/deployments"))); diff != "" {
		t.Errorf("comment requests (-want +got):\n%s", diff)
	}
	if n := len(ghOf(first, "GET "+ghRepo+"/issues/9/")) + len(ghOf(first, "POST "+ghRepo+"/issues/9/")); n != 0 {
		t.Errorf("%d requests about closed pull request #9, want 0", n)
	}
	posted := ghOf(first, "POST "+ghRepo+"/issues/17/comments")
	if len(posted) != 1 {
		t.Fatalf("%d comments posted, want 1", len(posted))
	}
	body, _ := posted[0].Body["body"].(string)
	if !strings.HasPrefix(body, marker+"\n") {
		t.Errorf("comment does not start with its marker %q:\n%s", marker, body)
	}
	for _, want := range []string{"promoted", "1 → 2", ghRunURL} {
		if !strings.Contains(body, want) {
			t.Errorf("comment lacks %q:\n%s", want, body)
		}
	}

	// A second run edits that comment: never a second one.
	r = runAction(t, srv, in, Options{Env: gh.env(t, "push")})
	if r.Code != 0 {
		t.Fatalf("rerun: exit %d", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "unchanged"})
	all := gh.requests()
	second := all[len(first):]
	ghWantAuth(t, second, ghToken)
	ghWantDeployment(t, second, "prod", 9002, []map[string]any{
		{"state": "in_progress", "log_url": ghRunURL},
		{"state": "success", "log_url": ghRunURL, "environment_url": stageURL},
	})
	if n := len(ghOf(all, "POST "+ghRepo+"/issues/")); n != 1 {
		t.Errorf("%d comments created over two runs, want 1: %v", n, ghNames(all))
	}
	edits := ghOf(second, "PATCH ")
	if len(edits) != 1 || edits[0].Path != ghRepo+"/issues/comments/5001" {
		t.Fatalf("edits %v, want one PATCH %s/issues/comments/5001", ghNames(edits), ghRepo)
	}
	edited, _ := edits[0].Body["body"].(string)
	if !strings.HasPrefix(edited, marker+"\n") || !strings.Contains(edited, "unchanged") {
		t.Errorf("edited comment lacks the marker or the unchanged status:\n%s", edited)
	}
	want := map[int64]string{4001: "LGTM, ship it", 4002: other, 5001: edited}
	if diff := cmp.Diff(want, gh.commentsOn(ghPR)); diff != "" {
		t.Errorf("comments on #%d (-want +got):\n%s", ghPR, diff)
	}
}

func TestGitHubPullRequestEvent(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "ghpr")
	gh := newGHAPI(t)

	r := runAction(t, srv, ghInputs(w, ghToken), Options{Env: gh.env(t, "pull_request")})
	if r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "promoted"})
	if ws := ghWarnings(r.Stdout); len(ws) > 0 {
		t.Errorf("warnings with a working GitHub: %q", ws)
	}
	reqs := gh.requests()
	ghWantAuth(t, reqs, ghToken)
	// The number comes from the event: no commit lookup, and no deployment
	// for a pull request even with deployment: true.
	if diff := cmp.Diff([]string{
		"GET " + ghRepo + "/issues/17/comments",
		"POST " + ghRepo + "/issues/17/comments",
	}, ghNames(reqs)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	body := gh.commentsOn(ghPR)[5001]
	if !strings.HasPrefix(body, "<!-- lambda-promote:"+w.Function+":prod -->\n") || !strings.Contains(body, "promoted") {
		t.Errorf("comment lacks the marker or the status:\n%s", body)
	}
}

func TestGitHubOtherEvents(t *testing.T) {
	t.Parallel()
	t.Run("workflow_dispatch", func(t *testing.T) {
		t.Parallel()
		srv, w := world(t, "ghdispatch")
		gh := newGHAPI(t)
		in := ghInputs(w, ghToken)
		in["environment"] = "production"
		r := runAction(t, srv, in, Options{Env: gh.env(t, "workflow_dispatch")})
		if r.Code != 0 {
			t.Fatalf("exit %d", r.Code)
		}
		reqs := gh.requests()
		ghWantAuth(t, reqs, ghToken)
		ghWantDeployment(t, reqs, "production", 9001, []map[string]any{
			{"state": "in_progress", "log_url": ghRunURL},
			{"state": "success", "environment_url": r.Outputs["stage-url"]},
		})
		if n := len(reqs); n != 3 {
			t.Errorf("requests %v, want the deployment and its two statuses only: no pull request to comment on", ghNames(reqs))
		}
	})
	t.Run("deployment", func(t *testing.T) {
		t.Parallel()
		srv, w := world(t, "ghdeployment")
		gh := newGHAPI(t)
		r := runAction(t, srv, ghInputs(w, ghToken), Options{Env: gh.env(t, "deployment")})
		if r.Code != 0 {
			t.Fatalf("exit %d", r.Code)
		}
		reqs := gh.requests()
		ghWantAuth(t, reqs, ghToken)
		// The event's deployment (7350) gets the statuses; none is created.
		if diff := cmp.Diff([]string{
			"POST " + ghRepo + "/deployments/7350/statuses",
			"POST " + ghRepo + "/deployments/7350/statuses",
		}, ghNames(reqs)); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		ghWantStatuses(t, reqs, 7350, []map[string]any{
			{"state": "in_progress", "log_url": ghRunURL},
			{"state": "success", "log_url": ghRunURL, "environment_url": r.Outputs["stage-url"]},
		})
	})
}

func TestGitHubFailedPromotion(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "ghfail")
	ctx := context.Background()
	api, err := srv.CreateRESTStage(ctx, w.Function, "prod", "staging")
	must(t, err)
	must(t, srv.AllowAPIGateway(ctx, w.Function, "prod", api))
	gh := newGHAPI(t)
	gh.pulls = []ghPull{{ghPR, "open"}}
	in := ghInputs(w, ghToken)
	in["api-id"] = api

	r := runAction(t, srv, in, Options{Env: gh.env(t, "push")})
	if r.Code == 0 {
		t.Fatal("exit 0, want a failure")
	}
	wantOutputs(t, r, map[string]string{"status": "failed"})
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "1" {
		t.Errorf("alias routes %s, want 1", got)
	}
	reqs := gh.requests()
	ghWantAuth(t, reqs, ghToken)
	ghWantDeployment(t, reqs, "prod", 9001, []map[string]any{
		{"state": "in_progress", "log_url": ghRunURL},
		{"state": "failure", "log_url": ghRunURL},
	})
	last := ghOf(reqs, "POST "+ghRepo+"/deployments/9001/statuses")[1]
	if d, _ := last.Body["description"].(string); !strings.Contains(d, "failed") {
		t.Errorf("failure status description %q does not say failed", d)
	}
	body := gh.commentsOn(ghPR)[5001]
	if !strings.HasPrefix(body, "<!-- lambda-promote:"+w.Function+":prod -->\n") {
		t.Errorf("no comment with the marker on #%d:\n%s", ghPR, body)
	}
	for _, want := range []string{"failed", "staging"} {
		if !strings.Contains(body, want) {
			t.Errorf("failure comment lacks %q:\n%s", want, body)
		}
	}
}

func TestGitHubForbiddenIsAWarning(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "ghforbidden")
	gh := newGHAPI(t)
	gh.fail = http.StatusForbidden

	r := runAction(t, srv, ghInputs(w, ghToken), Options{Env: gh.env(t, "push")})
	if r.Code != 0 {
		t.Fatalf("exit %d: a failure to post to GitHub must not fail a promotion", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "promoted", "version": "2"})
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "2" {
		t.Errorf("alias routes %s, want 2", got)
	}
	if len(gh.requests()) == 0 {
		t.Fatal("no request reached GitHub")
	}
	ws := ghWarnings(r.Stdout)
	for _, want := range [][]string{
		{"not posted", "deployment", "403", "Resource not accessible by integration", "deployments: write"},
		{"not posted", "pull-request comment", "403", "pull-requests: read"},
	} {
		found := false
		for _, line := range ws {
			ok := true
			for _, s := range want {
				ok = ok && strings.Contains(line, s)
			}
			found = found || ok
		}
		if !found {
			t.Errorf("no ::warning:: line with all of %q; warnings:\n%s", want, strings.Join(ws, "\n"))
		}
	}
	if strings.Contains(r.Stdout, "::error") {
		t.Errorf("a GitHub failure was reported as an error")
	}
}

func TestGitHubInputsOff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		comment, deployment string
	}{
		{comment: "false", deployment: "true"},
		{comment: "true", deployment: "false"},
		{comment: "false", deployment: "false"},
	}
	for i, tc := range tests {
		t.Run("comment="+tc.comment+",deployment="+tc.deployment, func(t *testing.T) {
			t.Parallel()
			srv, w := world(t, "ghoff"+string(rune('a'+i)))
			gh := newGHAPI(t)
			gh.pulls = []ghPull{{ghPR, "open"}}
			in := ghInputs(w, ghToken)
			in["comment"], in["deployment"] = tc.comment, tc.deployment
			r := runAction(t, srv, in, Options{Env: gh.env(t, "push")})
			if r.Code != 0 {
				t.Fatalf("exit %d", r.Code)
			}
			reqs := gh.requests()
			deployments := ghOf(reqs, "POST "+ghRepo+"/deployments")
			comments := ghNot(reqs, "POST "+ghRepo+"/deployments")
			if tc.deployment == "false" && len(deployments) > 0 {
				t.Errorf("deployment: false, yet %v", ghNames(deployments))
			}
			if tc.deployment == "true" && len(deployments) != 3 {
				t.Errorf("deployment: true, requests %v: want a deployment and two statuses", ghNames(reqs))
			}
			if tc.comment == "false" && len(comments) > 0 {
				t.Errorf("comment: false, yet %v", ghNames(comments))
			}
			if tc.comment == "true" && len(gh.commentsOn(ghPR)) != 1 {
				t.Errorf("comment: true, requests %v: want one comment on #%d", ghNames(reqs), ghPR)
			}
		})
	}
}
