// Package command is the Run half of lambda-promote: it reads the inputs
// (from the runner or from flags), builds the real AWS and GitHub clients,
// hands them to promote.Process, and writes the outputs, the summary and the
// GitHub posts. Deciding what to do is promote's job, not this package's.
package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/promote"
	"github.com/lambda-promote/lambda-promote/internal/report"
)

// Env is the process's outside world, passed in so that tests can run the
// command in-process and main stays thin.
type Env struct {
	Args    []string
	Getenv  func(string) string
	Stdout  io.Writer
	Stderr  io.Writer
	Version string

	// Now is the clock for the run's start and end; nil means time.Now.
	Now func() time.Time
}

// reportedError is an error already shown to the user (as ::error:: or on
// the terminal), so main only sets the exit code.
type reportedError struct{ err error }

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

// Reported reports whether err was already shown to the user.
func Reported(err error) bool {
	var r *reportedError
	return errors.As(err, &r)
}

// Run runs one promotion and returns a non-nil error when the exit code must
// be non-zero.
func Run(ctx context.Context, e Env) error {
	inActions := e.Getenv("GITHUB_ACTIONS") == "true"
	log := newLogger(inActions, e)
	// Masks come before anything else is printed: the token, and the AWS
	// keys the environment holds. Keys from elsewhere (profiles, web
	// identity) are masked as they load, which is still before the inputs
	// are shown.
	log.mask(strings.TrimSpace(e.Getenv("INPUT_GITHUB-TOKEN")))
	log.mask(e.Getenv("AWS_ACCESS_KEY_ID"), e.Getenv("AWS_SECRET_ACCESS_KEY"), e.Getenv("AWS_SESSION_TOKEN"))

	var (
		cfg config.Config
		err error
	)
	if inActions {
		cfg, err = config.FromAction(e.Getenv)
	} else {
		cfg, err = config.FromFlags(e.Args, e.Stderr)
		switch {
		case errors.Is(err, flag.ErrHelp):
			return nil
		case errors.Is(err, config.ErrVersion):
			fmt.Fprintf(e.Stdout, "lambda-promote %s\n", e.Version)
			return nil
		}
	}
	if err != nil {
		return badInput(log, e, inActions, err)
	}
	rc, err := readRunContext(e.Getenv)
	if err != nil && inActions {
		log.warningf("%v", err)
	}
	fillDefaults(&cfg, rc.run, rc.notify.EventName)

	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	started := now()
	// The AWS credentials load (and are masked) before the inputs are shown.
	deps, awsErr := awsDeps(ctx, cfg, e.Getenv, log)
	if inActions {
		logInputs(log, cfg)
	}
	gh := newGitHub(cfg, rc, inActions, log)
	if awsErr != nil {
		return finish(ctx, log, e, inActions, cfg, gh, failedBeforeAWS(cfg, awsErr, started, now()))
	}
	gh.begin(ctx, cfg)

	res := promote.Process(ctx, cfg, deps)
	return finish(ctx, log, e, inActions, cfg, gh, res)
}

// fillDefaults sets the defaults that depend on the run.
func fillDefaults(cfg *config.Config, run report.Run, event string) {
	// A schedule carries a detached rollout on; starting one (and
	// publishing whatever $LATEST holds) takes a deliberate run.
	cfg.CarryOnOnly = cfg.Detach && event == "schedule"
	if cfg.Description == "" {
		cfg.Description = "lambda-promote"
		if sha := run.SHA; len(sha) >= 7 {
			cfg.Description = "lambda-promote: commit " + sha[:7]
			if run.ID > 0 {
				cfg.Description += fmt.Sprintf(", run %d", run.ID)
			}
		}
	}
	if cfg.Environment == "" {
		// The stage names the environment, but an HTTP API's $default
		// stage says nothing of it: the alias does.
		cfg.Environment = cfg.Alias
		if cfg.Stage != "" && cfg.Stage != "$default" {
			cfg.Environment = cfg.Stage
		}
	}
}

// logInputs shows the inputs as the run understood them, the token redacted,
// in a collapsed group. Their values are untrusted (a commit message as the
// description, say): the logger prints them so that no line of theirs can
// be taken for a workflow command.
func logInputs(log *logger, cfg config.Config) {
	log.Group("Inputs")
	defer log.EndGroup()
	red := cfg.Redacted()
	for _, in := range config.Inputs() {
		if v := red[in.Name]; v != "" {
			log.infof("%s: %s", in.Name, v)
		}
	}
}

// badInput reports every invalid input and writes a failed status.
func badInput(log *logger, e Env, inActions bool, err error) error {
	var lines []string
	for _, ie := range config.InputErrors(err) {
		lines = append(lines, ie.Error())
	}
	if len(lines) == 0 { // a flag error, not an input's value
		lines = append(lines, err.Error())
	}
	for _, l := range lines {
		log.errorf("%s", l)
	}
	log.errorf("nothing was changed in AWS: fix the inputs above and run again")
	if inActions {
		outs := []report.Output{{Name: "status", Value: string(outcome.Failed)}}
		if werr := report.WriteOutputs(e.Getenv("GITHUB_OUTPUT"), outs); werr != nil && e.Getenv("GITHUB_OUTPUT") != "" {
			log.errorf("%v", werr)
		}
		if path := e.Getenv("GITHUB_STEP_SUMMARY"); path != "" {
			md := "### lambda-promote: invalid inputs\n\nNothing was changed in AWS.\n\n"
			for _, l := range lines {
				md += "- " + report.Escape(l) + "\n"
			}
			if werr := report.AppendSummary(path, md); werr != nil {
				log.warningf("%v", werr)
			}
		}
	}
	return &reportedError{err: err}
}

func failedBeforeAWS(cfg config.Config, err error, started, finished time.Time) outcome.Result {
	return outcome.Result{
		FunctionName: cfg.FunctionName,
		Alias:        cfg.Alias,
		Status:       outcome.Failed,
		Error:        err.Error(),
		AliasState:   "unknown: AWS was not reached; nothing was changed",
		Next:         "set credentials and a region for the job (aws-actions/configure-aws-credentials, or the aws-region input) and run again",
		Started:      started,
		Finished:     finished,
	}
}

// finish writes the outputs and the summary, posts to GitHub, and turns the
// status into the exit code.
func finish(ctx context.Context, log *logger, e Env, inActions bool, cfg config.Config, gh *github, res outcome.Result) error {
	res = log.red.result(res)
	var errs []error
	if inActions {
		if path := e.Getenv("GITHUB_OUTPUT"); path != "" {
			if err := report.WriteOutputs(path, report.Outputs(res)); err != nil {
				errs = append(errs, err)
			}
		}
		if path := e.Getenv("GITHUB_STEP_SUMMARY"); path != "" {
			if err := report.AppendSummary(path, report.Summary(res, gh.run)); err != nil {
				log.warningf("job summary not written: %v", err)
			}
		}
	} else {
		fmt.Fprintln(e.Stdout)
		fmt.Fprint(e.Stdout, report.Summary(res, gh.run))
	}
	gh.end(ctx, cfg, res)

	for _, err := range errs {
		log.errorf("%v", err)
	}
	if !res.Succeeded() {
		if res.Error != "" {
			log.errorf("%s %s: %s", res.Alias, res.Status, oneLine(res.Error))
		} else {
			log.errorf("%s %s", res.Alias, res.Status)
		}
		log.errorf("alias now: %s", res.AliasState)
		log.errorf("next: %s", res.Next)
		// The command or inputs Next ends on, as the summary shows them:
		// without them a log that says "see it with:" says nothing.
		for _, line := range strings.Split(res.NextCode, "\n") {
			if strings.TrimSpace(line) != "" {
				log.infof("    %s", line)
			}
		}
		return &reportedError{err: fmt.Errorf("%s", res.Status)}
	}
	if len(errs) > 0 {
		return &reportedError{err: errors.Join(errs...)}
	}
	log.infof("%s: %s (version %s, %s%% of traffic)", res.Alias, res.Status, res.Version, res.TrafficWeight.Number())
	return nil
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", "; ") }

// Logger is the promote.Logger of this run.
var _ promote.Logger = (*logger)(nil)
