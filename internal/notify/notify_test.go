package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/testenv/githubapi"
)

const (
	testToken = "ghs_f4keT0kenF0rTests0nly123456789"
	testSHA   = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
	testRun   = "https://github.com/o/r/actions/runs/99/attempts/1"
	testStage = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod"
	// apiPrefix is the path the fake API lives under, as on GHES, so that
	// a request built from an absolute path misses it.
	apiPrefix = githubapi.Prefix
)

// call is one request the fake GitHub received.
type call struct {
	Method string
	Path   string // with apiPrefix
	Query  string
	Body   any // the decoded JSON body; nil when there is none
}

// fakeGitHub is an API server under apiPrefix, judged by GitHub's OpenAPI
// description (githubapi), that records every request and checks that each
// carries the token. Its handlers answer in the shape GitHub does, with
// objects from repo.
type fakeGitHub struct {
	t    *testing.T
	Mux  *http.ServeMux // handlers, registered without apiPrefix
	srv  *githubapi.Server
	repo githubapi.Repo // o/r, whose objects the handlers answer

	mu    sync.Mutex
	calls []call
}

func newFake(t *testing.T) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{t: t, Mux: http.NewServeMux()}
	// The server passes on only requests under apiPrefix that GitHub's
	// description allows, with the prefix stripped.
	f.srv = githubapi.New(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got, want := r.Header.Get("Authorization"), "Bearer "+testToken; got != want {
			t.Errorf("%s %s: Authorization header %q, want %q", r.Method, r.URL.Path, got, want)
		}
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read request body: %v", err)
		}
		c := call{Method: r.Method, Path: apiPrefix + r.URL.Path, Query: r.URL.RawQuery}
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &c.Body); err != nil {
				t.Errorf("%s %s: body is not JSON: %v", r.Method, r.URL.Path, err)
			}
		}
		f.mu.Lock()
		f.calls = append(f.calls, c)
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(raw))
		f.Mux.ServeHTTP(w, r)
	}))
	f.repo = f.srv.Repo("o", "r")
	return f
}

// notifier is a Notifier for event, reading its payload from
// testdata/payload.json; payload "" means none.
func (f *fakeGitHub) notifier(event, payload string) *Notifier {
	f.t.Helper()
	env := Env{
		APIURL:     f.srv.URL, // no trailing slash: New adds it
		Repository: "o/r",
		EventName:  event,
		SHA:        testSHA,
		RunURL:     testRun,
	}
	if payload != "" {
		env.EventPath = filepath.Join("testdata", payload+".json")
	}
	n, err := New(env, testToken, f.srv.Client())
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fakeGitHub) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func (f *fakeGitHub) wantCalls(want []call) {
	f.t.Helper()
	if diff := cmp.Diff(want, f.Calls()); diff != "" {
		f.t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func writeJSON(t *testing.T, w http.ResponseWriter, status int, v any) {
	t.Helper()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		t.Errorf("write response: %v", err)
	}
}

// commentStore is the comments of one pull request, with the handlers that
// list, create and edit them.
type commentStore struct {
	mu       sync.Mutex
	comments []map[string]any // as GitHub answers them: githubapi.Repo.Comment
	nextID   int64
}

// body is the body of comment c.
func body(c map[string]any) string { s, _ := c["body"].(string); return s }

func (s *commentStore) register(t *testing.T, f *fakeGitHub, pr int) {
	base := "/repos/o/r/issues/" + strconv.Itoa(pr) + "/comments"
	f.Mux.HandleFunc("GET "+base, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		writeJSON(t, w, http.StatusOK, append([]map[string]any{}, s.comments...))
	})
	f.Mux.HandleFunc("POST "+base, func(w http.ResponseWriter, r *http.Request) {
		var in github.IssueComment
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			t.Error(err)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		c := f.repo.Comment(s.nextID, pr, in.GetBody())
		s.nextID++
		s.comments = append(s.comments, c)
		writeJSON(t, w, http.StatusCreated, c)
	})
	f.Mux.HandleFunc("PATCH /repos/o/r/issues/comments/{id}", func(w http.ResponseWriter, r *http.Request) {
		var edit github.IssueComment
		if err := json.NewDecoder(r.Body).Decode(&edit); err != nil {
			t.Error(err)
		}
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range s.comments {
			if c["id"] == id {
				c["body"] = edit.GetBody()
				writeJSON(t, w, http.StatusOK, c)
				return
			}
		}
		writeJSON(t, w, http.StatusNotFound, githubapi.Error(http.StatusNotFound, "Not Found"))
	})
}

const marker = "<!-- lambda-promote:orders-api:prod -->"

func TestCommentCreatesThenEdits(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	store := &commentStore{nextID: 1001}
	store.comments = []map[string]any{f.repo.Comment(900, 42, "LGTM")}
	store.register(t, f, 42)

	first := marker + "\n### ✅ promoted 7"
	second := marker + "\n### ✅ promoted 8"
	ctx := context.Background()
	if err := f.notifier("pull_request", "pull_request").Comment(ctx, first, marker); err != nil {
		t.Fatal(err)
	}
	// A second run is a new process with a new Notifier.
	if err := f.notifier("pull_request", "pull_request").Comment(ctx, second, marker); err != nil {
		t.Fatal(err)
	}

	list := call{Method: "GET", Path: apiPrefix + "/repos/o/r/issues/42/comments", Query: "per_page=100"}
	f.wantCalls([]call{
		list,
		{Method: "POST", Path: apiPrefix + "/repos/o/r/issues/42/comments", Body: map[string]any{"body": first}},
		list,
		{Method: "PATCH", Path: apiPrefix + "/repos/o/r/issues/comments/1001", Body: map[string]any{"body": second}},
	})
	var bodies []string
	for _, c := range store.comments {
		bodies = append(bodies, body(c))
	}
	if diff := cmp.Diff([]string{"LGTM", second}, bodies); diff != "" {
		t.Errorf("comments on the pull request (-want +got):\n%s", diff)
	}
}

func TestCommentFindsMarkerOnLaterPage(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.Mux.HandleFunc("GET /repos/o/r/issues/42/comments", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("page") {
		case "":
			next := f.srv.URL + "/repos/o/r/issues/42/comments?page=2&per_page=100"
			w.Header().Set("Link", `<`+next+`>; rel="next", <`+next+`>; rel="last"`)
			writeJSON(t, w, http.StatusOK, []map[string]any{
				f.repo.Comment(1, 42, "first!"),
				// Another alias's marker must not match.
				f.repo.Comment(2, 42, "<!-- lambda-promote:orders-api:prod2 -->\nold"),
			})
		case "2":
			writeJSON(t, w, http.StatusOK, []map[string]any{
				f.repo.Comment(2002, 42, marker+"\nold"),
				f.repo.Comment(2003, 42, marker+"\na stray copy"),
			})
		default:
			t.Errorf("unexpected page %q", r.URL.Query().Get("page"))
		}
	})
	f.Mux.HandleFunc("PATCH /repos/o/r/issues/comments/2002", func(w http.ResponseWriter, r *http.Request) {
		var edit github.IssueComment
		if err := json.NewDecoder(r.Body).Decode(&edit); err != nil {
			t.Error(err)
		}
		writeJSON(t, w, http.StatusOK, f.repo.Comment(2002, 42, edit.GetBody()))
	})

	body := marker + "\nnew"
	if err := f.notifier("pull_request_target", "pull_request").Comment(context.Background(), body, marker); err != nil {
		t.Fatal(err)
	}
	f.wantCalls([]call{
		{Method: "GET", Path: apiPrefix + "/repos/o/r/issues/42/comments", Query: "per_page=100"},
		{Method: "GET", Path: apiPrefix + "/repos/o/r/issues/42/comments", Query: "page=2&per_page=100"},
		{Method: "PATCH", Path: apiPrefix + "/repos/o/r/issues/comments/2002", Body: map[string]any{"body": body}},
	})
}

func TestCommentOnPushFindsPullRequestsOfCommit(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.Mux.HandleFunc("GET /repos/o/r/commits/"+testSHA+"/pulls", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(t, w, http.StatusOK, []map[string]any{
			f.repo.PullRequest(7, "open", "faster-orders", testSHA),
			f.repo.PullRequest(8, "closed", "old-idea", testSHA),
		})
	})
	(&commentStore{nextID: 70}).register(t, f, 7)

	body := marker + "\nhello"
	if err := f.notifier("push", "push").Comment(context.Background(), body, marker); err != nil {
		t.Fatal(err)
	}
	f.wantCalls([]call{
		{Method: "GET", Path: apiPrefix + "/repos/o/r/commits/" + testSHA + "/pulls", Query: "per_page=100"},
		{Method: "GET", Path: apiPrefix + "/repos/o/r/issues/7/comments", Query: "per_page=100"},
		{Method: "POST", Path: apiPrefix + "/repos/o/r/issues/7/comments", Body: map[string]any{"body": body}},
	})
}

func TestCommentSkipsOtherEvents(t *testing.T) {
	t.Parallel()
	for _, event := range []string{"workflow_dispatch", "deployment", "schedule", ""} {
		t.Run(event, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			payload := event
			if event == "schedule" || event == "" {
				payload = ""
			}
			if err := f.notifier(event, payload).Comment(context.Background(), marker+"\nx", marker); err != nil {
				t.Fatal(err)
			}
			f.wantCalls(nil)
		})
	}
}

func TestCommentWithoutMarkerIsRefused(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	err := f.notifier("pull_request", "pull_request").Comment(context.Background(), "no marker here", marker)
	if err == nil || !strings.Contains(err.Error(), "marker") {
		t.Errorf("Comment without the marker: error %v, want one about the marker", err)
	}
	f.wantCalls(nil)
}

// deploymentHandlers answers deployment creation with id 31337 and accepts
// any status.
func deploymentHandlers(t *testing.T, f *fakeGitHub) {
	f.Mux.HandleFunc("POST /repos/o/r/deployments", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(t, w, http.StatusCreated, f.repo.Deployment(31337, testSHA, githubapi.Body(t, r)))
	})
	f.Mux.HandleFunc("POST /repos/o/r/deployments/{id}/statuses", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		writeJSON(t, w, http.StatusCreated, f.repo.DeploymentStatus(id, "prod", 1, githubapi.Body(t, r)))
	})
}

func TestDeployment(t *testing.T) {
	t.Parallel()
	result := func(s outcome.Status, stageURL, errText string) outcome.Result {
		return outcome.Result{
			FunctionName: "orders-api", Alias: "prod", PreviousVersion: "6", NewVersion: "7", Version: "7",
			Status: s, TrafficWeight: 100, StageURL: stageURL, Error: errText,
		}
	}
	canary := result(outcome.Canary, testStage, "")
	canary.TrafficWeight = 10
	rolledBack := result(outcome.RolledBack, testStage, "alarm orders-api-5xx in ALARM")
	rolledBack.Version = "6"

	tests := []struct {
		name    string
		r       outcome.Result
		wantEnd map[string]any
	}{
		{"promoted", result(outcome.Promoted, testStage, ""), map[string]any{
			"state": "success", "log_url": testRun, "environment_url": testStage, "description": "orders-api:prod → 7 promoted",
		}},
		{"canary", canary, map[string]any{
			"state": "success", "log_url": testRun, "environment_url": testStage, "description": "orders-api:prod canary: 10% on 7",
		}},
		{"unchanged without stage", result(outcome.Unchanged, "", ""), map[string]any{
			"state": "success", "log_url": testRun, "description": "orders-api:prod already on 7",
		}},
		{"failed", result(outcome.Failed, testStage, "stage variable lambdaAlias is dev"), map[string]any{
			"state": "failure", "log_url": testRun, "environment_url": testStage, "description": "orders-api:prod → 7 failed: stage variable lambdaAlias is dev",
		}},
		{"rolled back", rolledBack, map[string]any{
			"state": "failure", "log_url": testRun, "environment_url": testStage, "description": "orders-api:prod rolled back to 6: alarm orders-api-5xx in ALARM",
		}},
		{"crashed", outcome.Result{Error: "panic: runtime error"}, map[string]any{
			"state": "error", "log_url": testRun, "description": "lambda-promote stopped: panic: runtime error",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			deploymentHandlers(t, f)
			n := f.notifier("workflow_dispatch", "workflow_dispatch")
			ctx := context.Background()
			if err := n.Begin(ctx, "prod"); err != nil {
				t.Fatal(err)
			}
			if err := n.End(ctx, tc.r); err != nil {
				t.Fatal(err)
			}
			statuses := apiPrefix + "/repos/o/r/deployments/31337/statuses"
			f.wantCalls([]call{
				{Method: "POST", Path: apiPrefix + "/repos/o/r/deployments", Body: map[string]any{
					"ref":                   testSHA,
					"task":                  "deploy",
					"auto_merge":            false,
					"required_contexts":     []any{},
					"environment":           "prod",
					"description":           "lambda-promote to prod",
					"transient_environment": false,
				}},
				{Method: "POST", Path: statuses, Body: map[string]any{
					"state": "in_progress", "log_url": testRun, "description": "promoting with lambda-promote",
				}},
				{Method: "POST", Path: statuses, Body: tc.wantEnd},
			})
		})
	}
}

func TestDeploymentEventUsesItsDeployment(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	deploymentHandlers(t, f)
	n := f.notifier("deployment", "deployment")
	ctx := context.Background()
	if err := n.Begin(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	r := outcome.Result{FunctionName: "orders-api", Alias: "prod", NewVersion: "7", Version: "7", Status: outcome.Promoted, TrafficWeight: 100}
	if err := n.End(ctx, r); err != nil {
		t.Fatal(err)
	}
	statuses := apiPrefix + "/repos/o/r/deployments/555/statuses"
	f.wantCalls([]call{
		{Method: "POST", Path: statuses, Body: map[string]any{"state": "in_progress", "log_url": testRun, "description": "promoting with lambda-promote"}},
		{Method: "POST", Path: statuses, Body: map[string]any{"state": "success", "log_url": testRun, "description": "orders-api:prod → 7 promoted"}},
	})
}

func TestNoDeploymentOnPullRequests(t *testing.T) {
	t.Parallel()
	for _, event := range []string{"pull_request", "pull_request_target"} {
		t.Run(event, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			n := f.notifier(event, "pull_request")
			ctx := context.Background()
			if err := n.Begin(ctx, "prod"); err != nil {
				t.Fatal(err)
			}
			if err := n.End(ctx, outcome.Result{Status: outcome.Promoted}); err != nil {
				t.Fatal(err)
			}
			f.wantCalls(nil)
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	reset := time.Date(2025, 3, 14, 2, 30, 0, 0, time.UTC)
	tests := []struct {
		name    string
		respond func(t *testing.T, w http.ResponseWriter, r *http.Request)
		want    string // the whole error text, when set
		has     []string
		as      any // a pointer to an error type errors.As must find
	}{
		{
			name: "403 from a fork's token",
			respond: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
				writeJSON(t, w, http.StatusForbidden, map[string]string{
					"message":           "Resource not accessible by integration",
					"documentation_url": "https://docs.github.com/rest/deployments/deployments#create-a-deployment",
				})
			},
			want: "not posted: deployment for prod: 403 Resource not accessible by integration (a fork's read-only token cannot write deployments; give the job permissions: deployments: write)",
			as:   new(*github.ErrorResponse),
		},
		{
			name: "404",
			respond: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
				writeJSON(t, w, http.StatusNotFound, map[string]string{"message": "Not Found"})
			},
			want: "not posted: deployment for prod: 404 Not Found (o/r or the item asked for does not exist, or the token cannot see it; check GITHUB_REPOSITORY and give the job permissions: deployments: write)",
		},
		{
			name: "401",
			respond: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
				writeJSON(t, w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
			},
			want: "not posted: deployment for prod: 401 Bad credentials (the github-token was rejected; check that it is set and has not expired)",
		},
		{
			name: "primary rate limit",
			respond: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-RateLimit-Limit", "1000")
				w.Header().Set("X-RateLimit-Remaining", "0")
				w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
				writeJSON(t, w, http.StatusForbidden, map[string]string{"message": "API rate limit exceeded for installation ID 1."})
			},
			want: "not posted: deployment for prod: rate limit exceeded: API rate limit exceeded for installation ID 1. (resets at 02:30:00 UTC)",
			as:   new(*github.RateLimitError),
		},
		{
			name: "secondary rate limit",
			respond: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "60")
				writeJSON(t, w, http.StatusForbidden, map[string]string{
					"message":           "You have exceeded a secondary rate limit.",
					"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
				})
			},
			want: "not posted: deployment for prod: secondary rate limit hit: You have exceeded a secondary rate limit. (retry after 1m0s)",
			as:   new(*github.AbuseRateLimitError),
		},
		{
			name: "422 with details",
			respond: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
				writeJSON(t, w, http.StatusUnprocessableEntity, githubapi.ValidationError("Validation Failed",
					map[string]any{"resource": "Deployment", "field": "ref", "code": "invalid"}))
			},
			want: "not posted: deployment for prod: 422 Validation Failed: ref invalid",
		},
		{
			name: "server echoes the token",
			respond: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
				writeJSON(t, w, http.StatusInternalServerError, map[string]string{"message": "oops, got " + r.Header.Get("Authorization")})
			},
			want: "not posted: deployment for prod: 500 oops, got Bearer ***",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.Mux.HandleFunc("POST /repos/o/r/deployments", func(w http.ResponseWriter, r *http.Request) { tc.respond(t, w, r) })
			n := f.notifier("push", "push")
			err := n.Begin(context.Background(), "prod")
			checkError(t, err, tc.want)
			if tc.as != nil && !errors.As(err, tc.as) {
				t.Errorf("errors.As(%T) found nothing in %v", tc.as, err)
			}
			// With no deployment, End posts nothing.
			if err := n.End(context.Background(), outcome.Result{Status: outcome.Promoted}); err != nil {
				t.Errorf("End after a failed Begin: %v", err)
			}
			if got := len(f.Calls()); got != 1 {
				t.Errorf("%d requests, want 1", got)
			}
		})
	}
}

// checkError fails unless err is an *Error with text want that does not
// carry the token.
func checkError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("error %v (%T) is not an *Error", err, err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error text carries the token: %v", err)
	}
	if want != "" && err.Error() != want {
		t.Errorf("error:\n got %s\nwant %s", err, want)
	}
}

func TestCommentErrors(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.Mux.HandleFunc("GET /repos/o/r/issues/42/comments", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(t, w, http.StatusOK, []any{})
	})
	f.Mux.HandleFunc("POST /repos/o/r/issues/42/comments", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(t, w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration"})
	})
	err := f.notifier("pull_request", "pull_request").Comment(context.Background(), marker+"\nx", marker)
	checkError(t, err, "not posted: comment on pull request #42: 403 Resource not accessible by integration (a fork's read-only token cannot write pull-request comments; give the job permissions: pull-requests: write)")
}

func TestNetworkError(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	n := f.notifier("push", "push")
	f.srv.Close()
	err := n.Begin(context.Background(), "prod")
	checkError(t, err, "")
	for _, s := range []string{"not posted: deployment for prod: could not reach 127.0.0.1:", "check GITHUB_API_URL"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

func TestBadEventPayload(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	n := f.notifier("pull_request", "")
	n.env.EventPath = filepath.Join(t.TempDir(), "missing.json")
	err := n.Comment(context.Background(), marker, marker)
	checkError(t, err, "")
	if !strings.Contains(err.Error(), "GITHUB_EVENT_PATH") {
		t.Errorf("error %q does not name GITHUB_EVENT_PATH", err)
	}
	f.wantCalls(nil)
}

func TestNew(t *testing.T) {
	t.Parallel()
	ok := Env{APIURL: "https://ghe.example.com/api/v3", Repository: "o/r"}
	n, err := New(ok, testToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := n.gh.BaseURL.String(), "https://ghe.example.com/api/v3/"; got != want {
		t.Errorf("BaseURL = %q, want %q", got, want)
	}

	tests := []struct {
		name  string
		env   Env
		token string
		want  string
	}{
		{"no token", ok, "", "not posted: anything to GitHub: github-token is empty"},
		{"bad repository", Env{Repository: "just-a-name"}, testToken, `not posted: anything to GitHub: GITHUB_REPOSITORY "just-a-name" is not owner/name`},
		{"bad API URL", Env{APIURL: "ftp://x", Repository: "o/r"}, testToken, `not posted: anything to GitHub: GITHUB_API_URL "ftp://x" is not an http(s) URL`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tc.env, tc.token, nil)
			checkError(t, err, tc.want)
		})
	}
}

func TestDescription(t *testing.T) {
	t.Parallel()
	r := outcome.Result{
		FunctionName: "orders-api", Alias: "prod", NewVersion: "7", Status: outcome.Failed,
		Error: "line one\nline two " + strings.Repeat("x", 300),
	}
	got := description(r)
	if n := len([]rune(got)); n > maxDescription {
		t.Errorf("description has %d characters, want at most %d", n, maxDescription)
	}
	if !strings.HasPrefix(got, "orders-api:prod → 7 failed: line one line two x") || !strings.HasSuffix(got, "…") {
		t.Errorf("description = %q", got)
	}
}
