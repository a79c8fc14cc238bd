package notify

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
	"github.com/lambda-promote/lambda-promote/internal/testenv/githubapi"
)

// deploymentStore is the deployments of the fake repository, listed newest
// first as GitHub lists them, with their payloads.
type deploymentStore struct {
	mu     sync.Mutex
	list   []map[string]any
	nextID int64
}

func (s *deploymentStore) register(t *testing.T, f *fakeGitHub) {
	f.Mux.HandleFunc("GET /repos/o/r/deployments", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		out := []map[string]any{}
		for _, d := range s.list {
			if d["environment"] == r.URL.Query().Get("environment") {
				out = append(out, d)
			}
		}
		writeJSON(t, w, http.StatusOK, out)
	})
	f.Mux.HandleFunc("POST /repos/o/r/deployments", func(w http.ResponseWriter, r *http.Request) {
		req := githubapi.Body(t, r)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.nextID++
		d := f.repo.Deployment(s.nextID, testSHA, req)
		s.list = append([]map[string]any{d}, s.list...)
		writeJSON(t, w, http.StatusCreated, d)
	})
	f.Mux.HandleFunc("POST /repos/o/r/deployments/{id}/statuses", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		writeJSON(t, w, http.StatusCreated, f.repo.DeploymentStatus(id, "prod", 1, githubapi.Body(t, r)))
	})
}

// The runs of one detached rollout post to one deployment: the first run
// makes it, each later one finds it by the rollout named in its payload.
func TestRolloutDeployment(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	store := &deploymentStore{nextID: 40}
	store.register(t, f)
	// Another rollout's deployment in the same environment.
	store.list = append(store.list, f.repo.Deployment(7, testSHA, map[string]any{"ref": testSHA, "environment": "prod", "payload": map[string]any{payloadKey: map[string]any{"rollout": "prod@2026-11-29T00:00:00Z#aaaaaaaaaaaa"}}}))
	const rollout = "prod@2026-11-30T12:00:00Z#0123456789ab"
	run := func(s outcome.Status, w percent.Percent) {
		t.Helper()
		n := f.notifier("schedule", "")
		r := outcome.Result{FunctionName: "orders-api", Alias: "prod", NewVersion: "7", Version: "7", Status: s, Rollout: rollout, TrafficWeight: w}
		if err := n.Rollout(context.Background(), "prod", r); err != nil {
			t.Fatal(err)
		}
	}
	run(outcome.Canary, 10)
	run(outcome.Canary, 50)
	run(outcome.Promoted, 100)

	var creates int
	var states []string
	for _, c := range f.Calls() {
		switch {
		case c.Method == "POST" && c.Path == apiPrefix+"/repos/o/r/deployments":
			creates++
		case c.Method == "POST":
			if want := apiPrefix + "/repos/o/r/deployments/41/statuses"; c.Path != want {
				t.Errorf("status posted to %s, want %s", c.Path, want)
			}
			states = append(states, c.Body.(map[string]any)["state"].(string))
		}
	}
	if creates != 1 {
		t.Errorf("%d deployments made, want 1 for the rollout", creates)
	}
	if got, want := states, []string{"in_progress", "in_progress", "success"}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
}
