// Package notify posts a promotion to GitHub: a deployment with its statuses
// and one pull-request comment per function and alias, kept up to date.
//
// Posting is best effort. Every error is an *Error whose text says what was
// not posted and why, ready to print as a warning; the AWS outcome, not
// GitHub, decides how a run ends. The token never appears in an error.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/go-github/v60/github"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// DefaultAPIURL is the API of github.com, used when GITHUB_API_URL is unset.
const DefaultAPIURL = "https://api.github.com"

// maxDescription is GitHub's limit on a deployment status description.
const maxDescription = 140

// defaultTimeout bounds each request when New is given no HTTP client.
const defaultTimeout = 30 * time.Second

// Env is what the runner says about the run, from its GITHUB_* variables.
// The command reads them once and fills it; DefaultAPIURL stands in for an
// empty APIURL.
type Env struct {
	APIURL     string // GITHUB_API_URL; on GHES https://HOST/api/v3
	Repository string // GITHUB_REPOSITORY, owner/name
	EventName  string // GITHUB_EVENT_NAME
	EventPath  string // GITHUB_EVENT_PATH, the webhook payload
	SHA        string // GITHUB_SHA
	RunURL     string // the workflow run (attempt), for the deployment statuses' log links
}

// Notifier posts one run's deployment and comments. Begin, End and Comment
// are meant to be called one after another, not at the same time.
type Notifier struct {
	gh          *github.Client
	env         Env
	owner, repo string
	token       string

	deploymentID int64  // set by Begin
	environment  string // set by Begin
}

// New makes a Notifier that talks to env.APIURL with token. hc may be nil,
// in which case requests time out after 30 seconds.
func New(env Env, token string, hc *http.Client) (*Notifier, error) {
	const what = "anything to GitHub"
	if token == "" {
		return nil, &Error{What: what, Reason: "github-token is empty"}
	}
	owner, repo, ok := strings.Cut(env.Repository, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, &Error{What: what, Reason: fmt.Sprintf("GITHUB_REPOSITORY %q is not owner/name", env.Repository)}
	}
	api := strings.TrimSpace(env.APIURL)
	if api == "" {
		api = DefaultAPIURL
	}
	base, err := url.Parse(api)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, &Error{What: what, Reason: fmt.Sprintf("GITHUB_API_URL %q is not an http(s) URL", api), Err: err}
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	gh := github.NewClient(hc).WithAuthToken(token)
	gh.BaseURL = base
	return &Notifier{gh: gh, env: env, owner: owner, repo: repo, token: token}, nil
}

// Error is a failure to post something to GitHub.
type Error struct {
	What   string // what was not posted, e.g. "deployment status for prod"
	Reason string // why, and what to change
	Err    error  // the underlying error, if any
}

func (e *Error) Error() string { return "not posted: " + e.What + ": " + e.Reason }

func (e *Error) Unwrap() error { return e.Err }

// isPullRequest reports whether the run was triggered by a pull request.
func (n *Notifier) isPullRequest() bool {
	return n.env.EventName == "pull_request" || n.env.EventName == "pull_request_target"
}

// Begin records the start of a deployment to environment: on a `deployment`
// event it takes the event's deployment; on other events except pull
// requests it creates one for the commit. It then sets the deployment's
// status to in_progress with a link to the run. On pull-request events it
// does nothing. Call it only when the deployment input is on.
func (n *Notifier) Begin(ctx context.Context, environment string) error {
	if n.isPullRequest() {
		return nil
	}
	what := "deployment for " + environment
	var id int64
	if n.env.EventName == "deployment" {
		ev, err := n.event()
		if err != nil {
			return &Error{What: what, Reason: err.Error(), Err: err}
		}
		if ev.Deployment == nil || ev.Deployment.ID == 0 {
			return &Error{What: what, Reason: "the deployment event's payload has no deployment id"}
		}
		id = ev.Deployment.ID
	} else {
		var err error
		if id, err = n.create(ctx, what, environment, "lambda-promote to "+environment, nil); err != nil {
			return err
		}
	}
	n.deploymentID, n.environment = id, environment
	return n.status(ctx, &github.DeploymentStatusRequest{
		State:       github.String("in_progress"),
		LogURL:      optional(n.env.RunURL),
		Description: github.String(limit("promoting with lambda-promote", maxDescription)),
	})
}

// End sets the final status of the deployment Begin recorded: success for
// promoted, canary and unchanged; failure for failed and rolled-back;
// inactive for a dry run (nothing was deployed); error for any other status,
// which is how a run that crashed reports (leave Status empty and put the
// reason in Error). The environment URL is the stage URL when there is one.
// Without a deployment from Begin it does nothing.
func (n *Notifier) End(ctx context.Context, r outcome.Result) error {
	if n.deploymentID == 0 {
		return nil
	}
	return n.status(ctx, &github.DeploymentStatusRequest{
		State:          github.String(state(r.Status)),
		LogURL:         optional(n.env.RunURL),
		EnvironmentURL: optional(r.StageURL),
		Description:    github.String(n.redact(description(r))),
	})
}

// create makes a deployment of the run's commit to environment, with an
// optional payload, and returns its id.
func (n *Notifier) create(ctx context.Context, what, environment, desc string, payload any) (int64, error) {
	if n.env.SHA == "" {
		return 0, &Error{What: what, Reason: "GITHUB_SHA is not set"}
	}
	d, _, err := n.gh.Repositories.CreateDeployment(ctx, n.owner, n.repo, &github.DeploymentRequest{
		Ref:                  github.String(n.env.SHA),
		Task:                 github.String("deploy"),
		AutoMerge:            github.Bool(false),
		RequiredContexts:     &[]string{},
		Environment:          github.String(environment),
		Description:          github.String(limit(desc, maxDescription)),
		TransientEnvironment: github.Bool(false),
		Payload:              payload,
	})
	if err != nil {
		return 0, n.fail(what, deploymentsWrite, err)
	}
	if d.GetID() == 0 {
		return 0, &Error{What: what, Reason: "GitHub answered without a deployment id"}
	}
	return d.GetID(), nil
}

func (n *Notifier) status(ctx context.Context, req *github.DeploymentStatusRequest) error {
	what := "deployment status " + req.GetState() + " for " + n.environment
	if _, _, err := n.gh.Repositories.CreateDeploymentStatus(ctx, n.owner, n.repo, n.deploymentID, req); err != nil {
		return n.fail(what, deploymentsWrite, err)
	}
	return nil
}

// state is the deployment status state for a run's status.
func state(s outcome.Status) string {
	switch s {
	case outcome.Promoted, outcome.Canary, outcome.Unchanged:
		return "success"
	case outcome.Failed, outcome.RolledBack:
		return "failure"
	case outcome.DryRun:
		return "inactive"
	}
	return "error"
}

// description is a one-line account of the run, at most 140 characters.
func description(r outcome.Result) string {
	name := r.FunctionName + ":" + r.Alias
	if r.Release() {
		name = fmt.Sprintf("%d functions:%s", len(r.Functions), r.Alias)
	}
	to := r.NewVersion
	if to == "" {
		to = r.Version
	}
	var s string
	switch r.Status {
	case outcome.Promoted:
		s = fmt.Sprintf("%s → %s promoted", name, to)
	case outcome.Canary:
		s = fmt.Sprintf("%s canary: %s%% on %s", name, r.TrafficWeight.Number(), to)
	case outcome.Unchanged:
		s = fmt.Sprintf("%s already on %s", name, r.Version)
	case outcome.RolledBack:
		s = fmt.Sprintf("%s rolled back to %s: %s", name, r.Version, r.Error)
	case outcome.Failed:
		s = fmt.Sprintf("%s → %s failed: %s", name, to, r.Error)
	case outcome.DryRun:
		s = fmt.Sprintf("%s dry run, nothing changed", name)
	default:
		s = "lambda-promote stopped: " + r.Error
	}
	return limit(strings.TrimSuffix(strings.TrimSpace(oneLine(s)), ":"), maxDescription)
}

// Comment keeps one comment carrying marker up to date on each pull request
// of the run: the event's pull request on pull_request and
// pull_request_target, the open pull requests containing the commit on push,
// none on other events. It edits the first comment that contains marker
// (looking through every page of comments) and creates one only when there
// is none, so a pull request never gets a second comment.
func (n *Notifier) Comment(ctx context.Context, body, marker string) error {
	if marker == "" || !strings.Contains(body, marker) {
		return &Error{What: "pull-request comment", Reason: "the comment does not carry its marker, so a later run could not find it"}
	}
	prs, err := n.pullRequests(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, pr := range prs {
		if err := n.upsert(ctx, pr, body, marker); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// maxPages bounds the pages read from any list, against a server that never
// stops saying there is a next one.
const maxPages = 100

// pullRequests are the numbers of the pull requests to comment on.
func (n *Notifier) pullRequests(ctx context.Context) ([]int, error) {
	const what = "pull-request comment"
	switch n.env.EventName {
	case "pull_request", "pull_request_target":
		ev, err := n.event()
		if err != nil {
			return nil, &Error{What: what, Reason: err.Error(), Err: err}
		}
		num := ev.Number
		if num == 0 && ev.PullRequest != nil {
			num = ev.PullRequest.Number
		}
		if num == 0 {
			return nil, &Error{What: what, Reason: "the " + n.env.EventName + " event's payload has no pull request number"}
		}
		return []int{num}, nil
	case "push":
		if n.env.SHA == "" {
			return nil, &Error{What: what, Reason: "GITHUB_SHA is not set"}
		}
		var nums []int
		opts := &github.ListOptions{PerPage: 100}
		for range maxPages {
			prs, resp, err := n.gh.PullRequests.ListPullRequestsWithCommit(ctx, n.owner, n.repo, n.env.SHA, opts)
			if err != nil {
				return nil, n.fail(what+" (finding the pull requests of commit "+short(n.env.SHA)+")", pullRequestsRead, err)
			}
			for _, pr := range prs {
				if pr.GetState() == "open" && pr.GetNumber() != 0 {
					nums = append(nums, pr.GetNumber())
				}
			}
			if resp.NextPage == 0 {
				break
			}
			opts.Page = resp.NextPage
		}
		return nums, nil
	}
	return nil, nil
}

// upsert edits the comment with marker on pull request pr, or creates it.
func (n *Notifier) upsert(ctx context.Context, pr int, body, marker string) error {
	what := "comment on pull request #" + strconv.Itoa(pr)
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for range maxPages {
		comments, resp, err := n.gh.Issues.ListComments(ctx, n.owner, n.repo, pr, opts)
		if err != nil {
			return n.fail(what+" (reading its comments)", pullRequestsRead, err)
		}
		for _, c := range comments {
			if c.GetID() != 0 && strings.Contains(c.GetBody(), marker) {
				if _, _, err := n.gh.Issues.EditComment(ctx, n.owner, n.repo, c.GetID(), &github.IssueComment{Body: github.String(body)}); err != nil {
					return n.fail(what, pullRequestsWrite, err)
				}
				return nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if _, _, err := n.gh.Issues.CreateComment(ctx, n.owner, n.repo, pr, &github.IssueComment{Body: github.String(body)}); err != nil {
		return n.fail(what, pullRequestsWrite, err)
	}
	return nil
}

// event is the part of a webhook payload this package reads.
type event struct {
	Number      int `json:"number"`
	PullRequest *struct {
		Number int `json:"number"`
	} `json:"pull_request"`
	Deployment *struct {
		ID int64 `json:"id"`
	} `json:"deployment"`
}

func (n *Notifier) event() (event, error) {
	var ev event
	if n.env.EventPath == "" {
		return ev, errors.New("GITHUB_EVENT_PATH is not set")
	}
	data, err := os.ReadFile(n.env.EventPath)
	if err != nil {
		return ev, fmt.Errorf("read the event payload (GITHUB_EVENT_PATH): %w", err)
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return ev, fmt.Errorf("parse the event payload %s: %w", n.env.EventPath, err)
	}
	return ev, nil
}

// need names what a call needs: the verb for a 403 and the job permission
// that grants it.
type need struct{ action, permission string }

var (
	deploymentsWrite  = need{"write deployments", "deployments: write"}
	deploymentsRead   = need{"read deployments", "deployments: read"}
	pullRequestsRead  = need{"read pull requests", "pull-requests: read"}
	pullRequestsWrite = need{"write pull-request comments", "pull-requests: write"}
)

// fail turns an API error into an *Error saying what was not posted and why.
func (n *Notifier) fail(what string, nd need, err error) error {
	return &Error{What: what, Reason: n.redact(n.reason(nd, err)), Err: err}
}

func (n *Notifier) redact(s string) string {
	if n.token == "" {
		return s
	}
	return strings.ReplaceAll(s, n.token, "***")
}

// reason explains err for a person: status, GitHub's message, and a hint.
func (n *Notifier) reason(nd need, err error) string {
	var (
		rateErr   *github.RateLimitError
		abuseErr  *github.AbuseRateLimitError
		acceptErr *github.AcceptedError
		respErr   *github.ErrorResponse
		urlErr    *url.Error
	)
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled before GitHub answered"
	case errors.Is(err, context.DeadlineExceeded):
		return "GitHub did not answer in time"
	case errors.As(err, &rateErr):
		s := "rate limit exceeded"
		if rateErr.Message != "" {
			s += ": " + oneLine(rateErr.Message)
		}
		if !rateErr.Rate.Reset.IsZero() {
			s += " (resets at " + rateErr.Rate.Reset.UTC().Format("15:04:05") + " UTC)"
		}
		return s
	case errors.As(err, &abuseErr):
		s := "secondary rate limit hit"
		if abuseErr.Message != "" {
			s += ": " + oneLine(abuseErr.Message)
		}
		if abuseErr.RetryAfter != nil {
			return s + " (retry after " + abuseErr.RetryAfter.String() + ")"
		}
		return s + " (try again later)"
	case errors.As(err, &acceptErr):
		return "GitHub accepted the request but has not done it yet (202)"
	case errors.As(err, &respErr):
		return n.httpReason(nd, respErr)
	case errors.As(err, &urlErr):
		return "could not reach " + hostOf(urlErr.URL) + ": " + oneLine(urlErr.Err.Error()) + " (check GITHUB_API_URL and the runner's network)"
	}
	return oneLine(err.Error())
}

func (n *Notifier) httpReason(nd need, e *github.ErrorResponse) string {
	code := 0
	if e.Response != nil {
		code = e.Response.StatusCode
	}
	msg := oneLine(e.Message)
	if msg == "" {
		msg = http.StatusText(code)
	}
	s := strconv.Itoa(code) + " " + msg
	switch code {
	case http.StatusUnauthorized:
		return s + " (the github-token was rejected; check that it is set and has not expired)"
	case http.StatusForbidden:
		return s + " (a fork's read-only token cannot " + nd.action + "; give the job permissions: " + nd.permission + ")"
	case http.StatusNotFound:
		return s + " (" + n.owner + "/" + n.repo + " or the item asked for does not exist, or the token cannot see it; check GITHUB_REPOSITORY and give the job permissions: " + nd.permission + ")"
	case http.StatusTooManyRequests:
		return s + " (rate limited; try again later)"
	case http.StatusUnprocessableEntity:
		var details []string
		for _, d := range e.Errors {
			switch {
			case d.Message != "":
				details = append(details, oneLine(d.Message))
			case d.Field != "":
				details = append(details, d.Field+" "+d.Code)
			}
		}
		if len(details) > 0 {
			return s + ": " + strings.Join(details, "; ")
		}
	}
	return s
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return "GitHub"
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return github.String(s)
}

// oneLine collapses whitespace and drops control characters.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// limit shortens s to at most n runes, ending with "…" when cut.
func limit(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
