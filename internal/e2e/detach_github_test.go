package e2e

import "testing"

// A scheduled run with no detached rollout in progress changes nothing, and
// makes no GitHub deployment either: at every 5 minutes, one each time would
// bury the real ones (288 a day).
func TestScheduledRunWithoutRolloutMakesNoDeployment(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "detached-idle")
	gh := newGHAPI(t)
	in := detached(w, "3s", "github-token", "t0ken", "deployment", "true")
	env := append(gh.env(t, "push"), "GITHUB_EVENT_NAME=schedule")
	r := runAction(t, srv, in, Options{Env: env})
	if r.Code != 0 || r.Outputs["status"] != "unchanged" {
		t.Fatalf("scheduled run with no rollout: exit %d, status %q; want 0, unchanged\n%s", r.Code, r.Outputs["status"], r.Stdout)
	}
	if d := ghOf(gh.requests(), "POST "+ghRepo+"/deployments"); len(d) != 0 {
		t.Errorf("%d deployment requests, want none: %v", len(d), ghNames(d))
	}
}
