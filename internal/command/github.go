package command

import (
	"context"
	"net/http"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/notify"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/report"
)

// githubTimeout bounds all GitHub calls of a run: reporting must never hold
// a deploy job.
const githubTimeout = 30 * time.Second

// github posts the deployment and the pull-request comment. A nil *github, or
// one without a notifier, posts nothing. Every failure is a warning: the AWS
// outcome alone decides the exit code.
type github struct {
	n   *notify.Notifier
	env notify.Env
	log *logger
}

func newGitHub(ctx context.Context, cfg config.Config, getenv func(string) string, inActions bool, log *logger) *github {
	g := &github{env: notify.EnvFrom(getenv), log: log}
	if !inActions || cfg.DryRun || (!cfg.Comment && !cfg.Deployment) {
		return g
	}
	if cfg.GitHubToken == "" {
		log.warningf("no github-token: the pull-request comment and the deployment are not posted")
		return g
	}
	n, err := notify.New(g.env, cfg.GitHubToken, &http.Client{Timeout: githubTimeout})
	if err != nil {
		log.warningf("GitHub reporting is off: %v", err)
		return g
	}
	g.n = n
	return g
}

func (g *github) begin(ctx context.Context, cfg config.Config) {
	if g == nil || g.n == nil || !cfg.Deployment {
		return
	}
	if err := g.n.Begin(ctx, cfg.Environment); err != nil {
		g.log.warningf("%v", err)
	}
}

func (g *github) end(ctx context.Context, cfg config.Config, res outcome.Result, links report.Links) {
	if g == nil || g.n == nil {
		return
	}
	// Post even when the job was cancelled: the deployment must not stay
	// in progress forever.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), githubTimeout)
	defer cancel()
	if cfg.Deployment {
		if err := g.n.End(ctx, res); err != nil {
			g.log.warningf("%v", err)
		}
	}
	if cfg.Comment {
		if err := g.n.Comment(ctx, report.Comment(res, links), report.Marker(res.FunctionName, res.Alias)); err != nil {
			g.log.warningf("%v", err)
		}
	}
}
