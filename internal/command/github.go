package command

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/notify"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/report"
	"github.com/sethvargo/go-githubactions"
)

// githubTimeout bounds all GitHub calls of a run: reporting must never hold
// a deploy job.
const githubTimeout = 30 * time.Second

// runContext is what the runner says about the run, read once from its
// GITHUB_* variables: the facts the report shows and those notify posts
// with. Outside Actions it is mostly empty, and the report has no run or
// commit links.
type runContext struct {
	run    report.Run
	notify notify.Env
}

// readRunContext reads the GITHUB_* variables through getenv with
// go-githubactions. Context is kept from reading the event payload: notify
// reads it itself, only on the events that need it and with errors that say
// what was not posted, while Context would read and parse it on every run
// and return nothing at all for a bad one. A variable that does not parse
// (a run id that is not a number) is left out and returned as the error; the
// rest is still filled.
func readRunContext(getenv func(string) string) (runContext, error) {
	noPayload := func(k string) string {
		if k == "GITHUB_EVENT_PATH" {
			return ""
		}
		return getenv(k)
	}
	c, err := githubactions.New(githubactions.WithGetenv(noPayload)).Context()
	if c == nil {
		return runContext{}, fmt.Errorf("read the run's GITHUB_* variables: %w", err)
	}
	if err != nil {
		err = fmt.Errorf("read the run's GITHUB_* variables: %w", err)
	}
	run := report.Run{
		ServerURL:       c.ServerURL,
		Repository:      c.Repository,
		ID:              c.RunID,
		Attempt:         c.RunAttempt,
		SHA:             c.SHA,
		Actor:           c.Actor,
		TriggeringActor: c.TriggeringActor,
	}
	return runContext{
		run: run,
		notify: notify.Env{
			APIURL:     c.APIURL,
			Repository: c.Repository,
			EventName:  c.EventName,
			EventPath:  getenv("GITHUB_EVENT_PATH"),
			SHA:        c.SHA,
			RunURL:     run.URL(),
		},
	}, err
}

// github posts the deployment and the pull-request comment. A nil *github, or
// one without a notifier, posts nothing. Every failure is a warning: the AWS
// outcome alone decides the exit code.
type github struct {
	n   *notify.Notifier
	run report.Run
	log *logger
}

func newGitHub(cfg config.Config, rc runContext, inActions bool, log *logger) *github {
	g := &github{run: rc.run, log: log}
	if !inActions || cfg.DryRun || (!cfg.Comment && !cfg.Deployment) {
		return g
	}
	if cfg.GitHubToken == "" {
		log.warningf("no github-token: the pull-request comment and the deployment are not posted")
		return g
	}
	n, err := notify.New(rc.notify, cfg.GitHubToken, &http.Client{Timeout: githubTimeout})
	if err != nil {
		log.warningf("GitHub reporting is off: %v", err)
		return g
	}
	g.n = n
	return g
}

func (g *github) begin(ctx context.Context, cfg config.Config) {
	// A detached rollout's deployment is found again, or made, at the end,
	// once the run knows the rollout.
	if g == nil || g.n == nil || !cfg.Deployment || cfg.Detach {
		return
	}
	if err := g.n.Begin(ctx, cfg.Environment); err != nil {
		g.log.warningf("%v", err)
	}
}

func (g *github) end(ctx context.Context, cfg config.Config, res outcome.Result) {
	if g == nil || g.n == nil {
		return
	}
	// Post even when the job was cancelled: the deployment must not stay
	// in progress forever.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), githubTimeout)
	defer cancel()
	if cfg.Deployment {
		var err error
		switch {
		case res.Rollout != "":
			err = g.n.Rollout(ctx, cfg.Environment, res)
		case cfg.Detach && res.Status == outcome.Unchanged:
			// A scheduled run with no rollout in progress did nothing: a
			// deployment of it every 5 minutes would bury the real ones.
		case cfg.Detach:
			// No rollout came of it (a check failed, say): a deployment of
			// this run alone says so.
			if err = g.n.Begin(ctx, cfg.Environment); err == nil {
				err = g.n.End(ctx, res)
			}
		default:
			err = g.n.End(ctx, res)
		}
		if err != nil {
			g.log.warningf("%v", err)
		}
	}
	if cfg.Comment {
		if err := g.n.Comment(ctx, report.Comment(res, g.run), report.MarkerOf(res)); err != nil {
			g.log.warningf("%v", err)
		}
	}
}
