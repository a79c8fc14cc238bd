package act_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/lambda-promote/lambda-promote/internal/testenv/githubapi"
)

// fakeGitHub is the GitHub REST API the action reaches in these runs: the
// calls of a push or a manual run (the merged pull request looked up, a
// deployment and its statuses), on the team's fake GitHub (githubapi),
// which judges every request and answer by GitHub's OpenAPI description.
// It lives under /api/v3 as on GitHub Enterprise Server, so that a request
// on an absolute path misses it.
type fakeGitHub struct {
	URL string // GITHUB_API_URL

	mu      sync.Mutex
	reqs    []ghRequest
	nextDep int64
	envs    map[int64]string // each deployment's environment
}

type ghRequest struct {
	Method, Path, Auth string
	Body               map[string]any
}

func (r ghRequest) String() string { return r.Method + " " + r.Path }

const ghRepo = githubapi.Prefix + "/repos/acme/orders"

func newFakeGitHub(t *testing.T) *fakeGitHub {
	t.Helper()
	g := &fakeGitHub{nextDep: 7001, envs: map[int64]string{}}
	var repo githubapi.Repo
	mux := http.NewServeMux()
	route := strings.TrimPrefix(ghRepo, githubapi.Prefix)
	mux.HandleFunc("GET "+route+"/commits/{sha}/pulls", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []any{})
	})
	mux.HandleFunc("POST "+route+"/deployments", func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		id := g.nextDep
		g.nextDep++
		req := g.reqs[len(g.reqs)-1].Body
		env, _ := req["environment"].(string)
		g.envs[id] = env
		g.mu.Unlock()
		sha, _ := req["ref"].(string)
		writeJSON(w, http.StatusCreated, repo.Deployment(id, sha, req))
	})
	mux.HandleFunc("POST "+route+"/deployments/{id}/statuses", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		g.mu.Lock()
		req := g.reqs[len(g.reqs)-1].Body
		env := g.envs[id]
		g.mu.Unlock()
		writeJSON(w, http.StatusCreated, repo.DeploymentStatus(id, env, id*10+1, req))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected GitHub request %s %s", r.Method, r.URL.Path)
		writeJSON(w, http.StatusNotFound, githubapi.Error(http.StatusNotFound, "Not Found"))
	})
	srv := githubapi.New(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := ghRequest{Method: r.Method, Path: githubapi.Prefix + r.URL.Path, Auth: r.Header.Get("Authorization")}
		_ = json.Unmarshal(body, &req.Body)
		g.mu.Lock()
		g.reqs = append(g.reqs, req)
		g.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	repo = srv.Repo("acme", "orders")
	g.URL = srv.URL
	return g
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// requests are the requests received since the n-th.
func (g *fakeGitHub) requests(n int) []ghRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]ghRequest(nil), g.reqs[min(n, len(g.reqs)):]...)
}

func (g *fakeGitHub) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.reqs)
}
