package githubapi_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v60/github"
	"github.com/lambda-promote/lambda-promote/internal/testenv/githubapi"
)

const (
	token = "ghs_githubapiTestT0ken"
	sha   = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
)

// reports collects what a server reports instead of failing the test.
type reports struct {
	mu   sync.Mutex
	msgs []string
}

func (r *reports) add(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msg)
}

func (r *reports) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.msgs
	r.msgs = nil
	return out
}

// client is the real go-github client against s, as lambda-promote makes it.
func client(t *testing.T, s *githubapi.Server) *github.Client {
	t.Helper()
	gh := github.NewClient(s.Client()).WithAuthToken(token)
	base, err := url.Parse(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	gh.BaseURL = base
	return gh
}

// Every call lambda-promote makes, answered with the builders' objects,
// passes the judge (which fails the test on any mismatch): the builders
// make what GitHub's description says GitHub answers.
func TestBuildersAnswerAsGitHubDescribes(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	var s *githubapi.Server
	repo := func() githubapi.Repo { return s.Repo("o", "r") }
	mux.HandleFunc("GET /repos/o/r/issues/42/comments", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "" {
			next := s.URL + "/repos/o/r/issues/42/comments?per_page=1&page=2"
			w.Header().Set("Link", `<`+next+`>; rel="next", <`+next+`>; rel="last"`)
			githubapi.WriteJSON(w, http.StatusOK, []any{repo().Comment(1, 42, "first")})
			return
		}
		githubapi.WriteJSON(w, http.StatusOK, []any{repo().Comment(2, 42, "second")})
	})
	mux.HandleFunc("POST /repos/o/r/issues/42/comments", func(w http.ResponseWriter, r *http.Request) {
		githubapi.WriteJSON(w, http.StatusCreated, repo().Comment(3, 42, githubapi.Body(t, r)["body"].(string)))
	})
	mux.HandleFunc("PATCH /repos/o/r/issues/comments/{id}", func(w http.ResponseWriter, r *http.Request) {
		githubapi.WriteJSON(w, http.StatusOK, repo().Comment(2, 42, githubapi.Body(t, r)["body"].(string)))
	})
	mux.HandleFunc("GET /repos/o/r/commits/{sha}/pulls", func(w http.ResponseWriter, r *http.Request) {
		githubapi.WriteJSON(w, http.StatusOK, []any{repo().PullRequest(7, "open", "feature", sha), repo().PullRequest(8, "closed", "old", sha)})
	})
	mux.HandleFunc("POST /repos/o/r/deployments", func(w http.ResponseWriter, r *http.Request) {
		githubapi.WriteJSON(w, http.StatusCreated, repo().Deployment(31337, sha, githubapi.Body(t, r)))
	})
	mux.HandleFunc("GET /repos/o/r/deployments", func(w http.ResponseWriter, r *http.Request) {
		githubapi.WriteJSON(w, http.StatusOK, []any{repo().Deployment(31337, sha, map[string]any{"ref": "main", "environment": "prod", "payload": map[string]any{"k": "v"}})})
	})
	mux.HandleFunc("POST /repos/o/r/deployments/{id}/statuses", func(w http.ResponseWriter, r *http.Request) {
		githubapi.WriteJSON(w, http.StatusCreated, repo().DeploymentStatus(31337, "prod", 1, githubapi.Body(t, r)))
	})
	mux.HandleFunc("GET /repos/o/r/deployments/{id}/statuses", func(w http.ResponseWriter, r *http.Request) {
		githubapi.WriteJSON(w, http.StatusOK, []any{repo().DeploymentStatus(31337, "prod", 1, map[string]any{"state": "success", "log_url": "https://github.com/o/r/actions/runs/1"})})
	})
	mux.HandleFunc("POST /repos/o/r/issues/43/comments", func(w http.ResponseWriter, r *http.Request) {
		githubapi.WriteJSON(w, http.StatusForbidden, githubapi.Error(http.StatusForbidden, "Resource not accessible by integration"))
	})
	mux.HandleFunc("POST /repos/o/r/issues/44/comments", func(w http.ResponseWriter, r *http.Request) {
		githubapi.WriteJSON(w, http.StatusUnprocessableEntity, githubapi.ValidationError("Validation Failed", map[string]any{"resource": "IssueComment", "field": "body", "code": "too_long"}))
	})
	s = githubapi.New(t, mux)
	gh := client(t, s)
	ctx := context.Background()

	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 1}}
	cs, resp, err := gh.Issues.ListComments(ctx, "o", "r", 42, opts)
	if err != nil || len(cs) != 1 || resp.NextPage != 2 {
		t.Fatalf("list comments: %v, %d comments, next page %d", err, len(cs), resp.NextPage)
	}
	if c := cs[0]; c.GetID() != 1 || c.GetBody() != "first" || c.GetUser().GetLogin() != "github-actions[bot]" {
		t.Errorf("comment as go-github reads it: %+v", c)
	}
	opts.Page = resp.NextPage
	if _, _, err := gh.Issues.ListComments(ctx, "o", "r", 42, opts); err != nil {
		t.Error(err)
	}
	if _, _, err := gh.Issues.CreateComment(ctx, "o", "r", 42, &github.IssueComment{Body: github.String("hi")}); err != nil {
		t.Error(err)
	}
	if _, _, err := gh.Issues.EditComment(ctx, "o", "r", 2, &github.IssueComment{Body: github.String("edited")}); err != nil {
		t.Error(err)
	}
	prs, _, err := gh.PullRequests.ListPullRequestsWithCommit(ctx, "o", "r", sha, &github.ListOptions{PerPage: 100})
	if err != nil || len(prs) != 2 || prs[0].GetNumber() != 7 || prs[0].GetState() != "open" {
		t.Errorf("pull requests of the commit: %v, %+v", err, prs)
	}
	d, _, err := gh.Repositories.CreateDeployment(ctx, "o", "r", &github.DeploymentRequest{
		Ref: github.String(sha), Environment: github.String("prod"), RequiredContexts: &[]string{}, AutoMerge: github.Bool(false),
		Payload: map[string]any{"lambda-promote": map[string]any{"rollout": "x"}},
	})
	if err != nil || d.GetID() != 31337 || d.GetEnvironment() != "prod" {
		t.Errorf("create deployment: %v, %+v", err, d)
	}
	if _, _, err := gh.Repositories.ListDeployments(ctx, "o", "r", &github.DeploymentsListOptions{Environment: "prod", ListOptions: github.ListOptions{PerPage: 100}}); err != nil {
		t.Error(err)
	}
	st, _, err := gh.Repositories.CreateDeploymentStatus(ctx, "o", "r", 31337, &github.DeploymentStatusRequest{
		State: github.String("in_progress"), LogURL: github.String("https://github.com/o/r/actions/runs/1"), Description: github.String("promoting"),
	})
	if err != nil || st.GetState() != "in_progress" || st.GetTargetURL() != "https://github.com/o/r/actions/runs/1" {
		t.Errorf("create deployment status: %v, %+v", err, st)
	}
	if _, _, err := gh.Repositories.ListDeploymentStatuses(ctx, "o", "r", 31337, &github.ListOptions{PerPage: 100}); err != nil {
		t.Error(err)
	}
	var ge *github.ErrorResponse
	if _, _, err := gh.Issues.CreateComment(ctx, "o", "r", 43, &github.IssueComment{Body: github.String("hi")}); err == nil {
		t.Error("403 answer: no error")
	}
	_, _, err = gh.Issues.CreateComment(ctx, "o", "r", 44, &github.IssueComment{Body: github.String("hi")})
	if !asErrorResponse(err, &ge) || len(ge.Errors) != 1 || ge.Errors[0].Code != "too_long" {
		t.Errorf("422 answer: %v", err)
	}
}

func asErrorResponse(err error, target **github.ErrorResponse) bool {
	e, ok := err.(*github.ErrorResponse)
	if ok {
		*target = e
	}
	return ok
}

// The judge refuses a request or an answer that breaks GitHub's
// description, and names the operation and the field; the same exchange
// put right passes.
func TestJudgeCatchesMismatches(t *testing.T) {
	t.Parallel()
	var s *githubapi.Server
	comment := func() map[string]any { return s.Repo("o", "r").Comment(5, 42, "hello") }
	status := func() map[string]any {
		return s.Repo("o", "r").DeploymentStatus(9, "prod", 1, map[string]any{"state": "success", "log_url": "https://github.com/o/r/actions/runs/1"})
	}
	// answer is what the fake's handler writes, set by each case.
	var mu sync.Mutex
	var answer func(w http.ResponseWriter)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		a := answer
		mu.Unlock()
		a(w)
	})
	rep := &reports{}
	s = githubapi.New(t, handler, githubapi.ReportTo(rep.add))
	with := func(status int, mutate func(map[string]any), obj func() map[string]any) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			o := obj()
			if mutate != nil {
				mutate(o)
			}
			githubapi.WriteJSON(w, status, o)
		}
	}
	list := func(obj func() map[string]any, mutate func(map[string]any)) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			o := obj()
			if mutate != nil {
				mutate(o)
			}
			githubapi.WriteJSON(w, http.StatusOK, []any{o})
		}
	}
	del := func(keys ...string) func(map[string]any) {
		return func(m map[string]any) {
			for _, k := range keys {
				delete(m, k)
			}
		}
	}
	set := func(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }

	const (
		comments = "/repos/o/r/issues/42/comments"
		edit     = "/repos/o/r/issues/comments/5"
		statuses = "/repos/o/r/deployments/9/statuses"
	)
	goodStatus := `{"state":"success","log_url":"https://github.com/o/r/actions/runs/1","description":"done"}`
	tests := []struct {
		name              string
		method, path, raw string // raw is the request body; path is the API path
		noAuth            bool
		good, bad         func(w http.ResponseWriter) // good: the right answer; bad: the one to refuse, nil for a request case
		badReq            string                      // for a request case: the request to refuse, as raw
		badPath           string                      // or the path to refuse
		want              []string                    // what the report says
	}{
		{
			name: "deployment status with a state GitHub does not know", method: "POST", path: statuses, raw: goodStatus,
			good: with(http.StatusCreated, nil, status), badReq: `{"state":"rolled_back","log_url":"https://github.com/o/r/actions/runs/1"}`,
			want: []string{"repos/create-deployment-status", "request of POST " + statuses, "body: field state: value is not one of the allowed values"},
		},
		{
			name: "comment without its required body", method: "POST", path: comments, raw: `{"body":"hi"}`,
			good: with(http.StatusCreated, nil, comment), badReq: `{}`,
			want: []string{"issues/create-comment", `body: property "body" is missing`},
		},
		{
			name: "comment edit with a member the operation does not declare", method: "PATCH", path: edit, raw: `{"body":"hi"}`,
			good: with(http.StatusOK, nil, comment), badReq: `{"body":"hi","bdy":"typo"}`,
			want: []string{"issues/update-comment", `property "bdy" is unsupported`},
		},
		{
			name: "comments listed with a page size that is not a number", method: "GET", path: comments + "?per_page=100",
			good: list(comment, nil), badPath: comments + "?per_page=all",
			want: []string{"issues/list-comments", `query parameter "per_page"`},
		},
		{
			name: "comments listed with a query parameter GitHub does not declare", method: "GET", path: comments + "?per_page=100",
			good: list(comment, nil), badPath: comments + "?perpage=100",
			want: []string{"issues/list-comments", `query parameter "perpage": the operation declares no such parameter`},
		},
		{
			name: "a path GitHub has no operation for", method: "GET", path: comments,
			good: list(comment, nil), badPath: "/repos/o/r/issues/42/comment",
			want: []string{"(no operation)", "GET /repos/o/r/issues/42/comment", "no operation of the description has this method and path"},
		},
		{
			name: "listed comment without its required node_id and user", method: "GET", path: comments,
			good: list(comment, nil), bad: list(comment, del("node_id", "user")),
			want: []string{"issues/list-comments", "response 200", `body: field 0.node_id: property "node_id" is missing`, `body: field 0.user: property "user" is missing`},
		},
		{
			name: "an empty list answered null where GitHub answers []", method: "GET", path: comments,
			good: func(w http.ResponseWriter) { githubapi.WriteJSON(w, http.StatusOK, []any{}) },
			bad:  func(w http.ResponseWriter) { githubapi.WriteJSON(w, http.StatusOK, []any(nil)) },
			want: []string{"issues/list-comments", "response 200", "body: Value is not nullable"},
		},
		{
			name: "created comment whose id is a string", method: "POST", path: comments, raw: `{"body":"hi"}`,
			good: with(http.StatusCreated, nil, comment), bad: with(http.StatusCreated, set("id", "5"), comment),
			want: []string{"issues/create-comment", "response 201", "body: field id: value must be an integer"},
		},
		{
			name: "deployment status answered with a state GitHub does not send", method: "POST", path: statuses, raw: goodStatus,
			good: with(http.StatusCreated, nil, status), bad: with(http.StatusCreated, set("state", "whatever"), status),
			want: []string{"repos/create-deployment-status", "response 201", "body: field state: value is not one of the allowed values"},
		},
		{
			name: "deployment status whose description is longer than GitHub keeps", method: "POST", path: statuses, raw: goodStatus,
			good: with(http.StatusCreated, nil, status), bad: with(http.StatusCreated, set("description", strings.Repeat("x", 141)), status),
			want: []string{"repos/create-deployment-status", "body: field description: maximum string length is 140"},
		},
		{
			name: "comment whose html_url is not an absolute URI", method: "POST", path: comments, raw: `{"body":"hi"}`,
			good: with(http.StatusCreated, nil, comment), bad: with(http.StatusCreated, set("html_url", "/o/r/pull/42"), comment),
			want: []string{"issues/create-comment", "body: field html_url", "not an absolute URI"},
		},
		{
			name: "comment whose created_at is not a date-time", method: "POST", path: comments, raw: `{"body":"hi"}`,
			good: with(http.StatusCreated, nil, comment), bad: with(http.StatusCreated, set("created_at", "yesterday"), comment),
			want: []string{"issues/create-comment", "body: field created_at"},
		},
		{
			name: "a creation answered 200 where GitHub answers 201", method: "POST", path: comments, raw: `{"body":"hi"}`,
			good: with(http.StatusCreated, nil, comment), bad: with(http.StatusOK, nil, comment),
			want: []string{"issues/create-comment", "response 200", "the operation describes no such status"},
		},
		{
			name: "a 422 without its required documentation_url", method: "POST", path: comments, raw: `{"body":"hi"}`,
			good: with(http.StatusUnprocessableEntity, nil, func() map[string]any { return githubapi.ValidationError("Validation Failed") }),
			bad:  with(http.StatusUnprocessableEntity, del("documentation_url"), func() map[string]any { return githubapi.ValidationError("Validation Failed") }),
			want: []string{"issues/create-comment", "response 422", `property "documentation_url" is missing`},
		},
		{
			name: "an error the operation does not list, not in GitHub's error shape", method: "POST", path: statuses, raw: goodStatus,
			good: with(http.StatusForbidden, nil, func() map[string]any { return githubapi.Error(403, "Resource not accessible by integration") }),
			bad:  with(http.StatusForbidden, set("message", 403), func() map[string]any { return githubapi.Error(403, "x") }),
			want: []string{"repos/create-deployment-status", "response 403", "field message: value must be a string"},
		},
	}
	for _, tc := range tests {
		// Sequential: the cases share one server and one report.
		mu.Lock()
		answer = tc.good
		mu.Unlock()
		send(t, s, tc.method, tc.path, tc.raw)
		if got := rep.take(); len(got) != 0 {
			t.Errorf("%s: the right exchange was refused: %q", tc.name, got)
		}
		switch {
		case tc.bad != nil:
			mu.Lock()
			answer = tc.bad
			mu.Unlock()
			send(t, s, tc.method, tc.path, tc.raw)
		case tc.badReq != "":
			send(t, s, tc.method, tc.path, tc.badReq)
		default:
			send(t, s, tc.method, tc.badPath, tc.raw)
		}
		got := rep.take()
		if len(got) != 1 {
			t.Errorf("%s: %d reports, want 1: %q", tc.name, len(got), got)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(got[0], w) {
				t.Errorf("%s: report lacks %q:\n%s", tc.name, w, got[0])
			}
		}
	}

	// A refused request is answered as GitHub would, without reaching the
	// handler; one without a token, or outside the prefix, too.
	mu.Lock()
	answer = func(w http.ResponseWriter) { t.Error("a refused request reached the handler") }
	mu.Unlock()
	for _, tc := range []struct {
		path, raw string
		drop      string // a header left out
		code      int
		want      string
	}{
		{statuses, `{"state":"bogus"}`, "", http.StatusUnprocessableEntity, "body: field state"},
		{"/repos/o/r/nothing", "", "", http.StatusNotFound, "no operation"},
		{statuses, goodStatus, "Authorization", http.StatusUnauthorized, "carries no Authorization header"},
		{statuses, goodStatus, "User-Agent", http.StatusForbidden, "carries no User-Agent header"},
		{"/../repos/o/r/deployments/9/statuses", goodStatus, "", http.StatusNotFound, "is outside /api/v3/"},
	} {
		method := "POST"
		if tc.raw == "" {
			method = "GET"
		}
		if code := send(t, s, method, tc.path, tc.raw, tc.drop); code != tc.code {
			t.Errorf("%s %s: answered %d, want %d", method, tc.path, code, tc.code)
		}
		if got := rep.take(); len(got) != 1 || !strings.Contains(got[0], tc.want) {
			t.Errorf("%s %s: reports %q, want one with %q", method, tc.path, got, tc.want)
		}
	}
}

// send makes a request to the API path p of s, without the headers named in
// drop, and returns the status.
func send(t *testing.T, s *githubapi.Server, method, p, raw string, drop ...string) int {
	t.Helper()
	var rd io.Reader
	if raw != "" {
		rd = strings.NewReader(raw)
	}
	u := s.URL + p
	if strings.HasPrefix(p, "/../") {
		u = strings.TrimSuffix(s.URL, githubapi.Prefix) + strings.TrimPrefix(p, "/..")
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.github.v3+json")
	if raw != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("User-Agent", "githubapi-test")
	for _, h := range drop {
		switch h {
		case "":
		case "User-Agent":
			req.Header.Set(h, "") // set empty, Go's client sends none
		default:
			req.Header.Del(h)
		}
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// The Makefile installs the release the tests load by default.
func TestMakefilePinsTheSameRelease(t *testing.T) {
	t.Parallel()
	mk, err := os.ReadFile("../../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^OCTOKIT_OPENAPI_VERSION\s*:?=\s*(\S+)`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("the Makefile sets no OCTOKIT_OPENAPI_VERSION")
	}
	if got := string(m[1]); got != githubapi.Version {
		t.Errorf("the Makefile installs @octokit/openapi %s, the tests load %s (githubapi.Version)", got, githubapi.Version)
	}
}
