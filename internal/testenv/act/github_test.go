package act_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// fakeGitHub is the GitHub REST API the action reaches in these runs: the
// calls of a push or a manual run (the merged pull request looked up, a
// deployment and its statuses), under /api/v3 as on GitHub Enterprise
// Server so that a request on an absolute path misses it. It is a minimal
// stand-in, to be replaced by the team's validated fake GitHub.
type fakeGitHub struct {
	URL string // GITHUB_API_URL

	mu      sync.Mutex
	reqs    []ghRequest
	nextDep int64
}

type ghRequest struct {
	Method, Path, Auth string
	Body               map[string]any
}

func (r ghRequest) String() string { return r.Method + " " + r.Path }

const ghRepo = "/api/v3/repos/acme/orders"

func newFakeGitHub(t *testing.T) *fakeGitHub {
	t.Helper()
	g := &fakeGitHub{nextDep: 7001}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+ghRepo+"/commits/{sha}/pulls", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []any{})
	})
	mux.HandleFunc("POST "+ghRepo+"/deployments", func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		id := g.nextDep
		g.nextDep++
		g.mu.Unlock()
		writeJSON(w, http.StatusCreated, map[string]any{"id": id, "ref": "main", "task": "deploy"})
	})
	mux.HandleFunc("POST "+ghRepo+"/deployments/{id}/statuses", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		writeJSON(w, http.StatusCreated, map[string]any{"id": id*10 + 1})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected GitHub request %s %s", r.Method, r.URL.Path)
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := ghRequest{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization")}
		if r.Body != nil {
			_ = json.NewDecoder(r.Body).Decode(&req.Body)
		}
		g.mu.Lock()
		g.reqs = append(g.reqs, req)
		g.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	g.URL = srv.URL + "/api/v3"
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
