package notify

import (
	"context"
	"encoding/json"

	"github.com/google/go-github/v60/github"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// payloadKey is the key of lambda-promote's part of a deployment's payload.
const payloadKey = "lambda-promote"

// rolloutPayload is what a detached rollout's deployment carries, so that
// each later run finds it again.
type rolloutPayload struct {
	Rollout string `json:"rollout"`
}

// Rollout posts the state of a detached rollout to its one deployment, found
// again by each run that carries the rollout on: the deployment of the
// environment whose payload names r.Rollout, or a new one for the commit on
// the run that starts it. Its statuses are in_progress with the current
// weight while the rollout goes on, then success, failure or error. On
// pull-request events it does nothing.
func (n *Notifier) Rollout(ctx context.Context, environment string, r outcome.Result) error {
	if n.isPullRequest() || r.Rollout == "" {
		return nil
	}
	what := "deployment of rollout " + r.Rollout + " in " + environment
	id, err := n.findRollout(ctx, environment, r.Rollout)
	if err != nil {
		return n.fail(what+" (looking for it)", deploymentsRead, err)
	}
	if id == 0 {
		payload := map[string]rolloutPayload{payloadKey: {Rollout: r.Rollout}}
		if id, err = n.create(ctx, what, environment, "lambda-promote rollout to "+environment, payload); err != nil {
			return err
		}
	}
	n.deploymentID, n.environment = id, environment
	st := state(r.Status)
	if r.Status == outcome.Canary {
		st = "in_progress" // nobody has finished it yet
	}
	return n.status(ctx, &github.DeploymentStatusRequest{
		State:          github.String(st),
		LogURL:         optional(n.env.RunURL),
		EnvironmentURL: optional(r.StageURL),
		Description:    github.String(n.redact(description(r))),
	})
}

// maxRolloutPages bounds the deployments read to find a rollout's: the
// newest first, 100 a page.
const maxRolloutPages = 3

// findRollout is the id of environment's deployment whose payload names
// rollout, or 0.
func (n *Notifier) findRollout(ctx context.Context, environment, rollout string) (int64, error) {
	opts := &github.DeploymentsListOptions{Environment: environment, ListOptions: github.ListOptions{PerPage: 100}}
	for range maxRolloutPages {
		ds, resp, err := n.gh.Repositories.ListDeployments(ctx, n.owner, n.repo, opts)
		if err != nil {
			return 0, err
		}
		for _, d := range ds {
			if payloadRollout(d.Payload) == rollout {
				return d.GetID(), nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return 0, nil
}

// payloadRollout reads the rollout a deployment's payload names, or "".
func payloadRollout(raw json.RawMessage) string {
	var p map[string]json.RawMessage
	if err := json.Unmarshal(raw, &p); err != nil {
		// GitHub may hand back a payload that was sent as a string.
		var s string
		if json.Unmarshal(raw, &s) != nil || json.Unmarshal([]byte(s), &p) != nil {
			return ""
		}
	}
	var rp rolloutPayload
	if err := json.Unmarshal(p[payloadKey], &rp); err != nil {
		return ""
	}
	return rp.Rollout
}
