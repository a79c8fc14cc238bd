package githubapi

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Stamp is the time of every object the builders make: the tests compare
// what was posted, never when.
const Stamp = "2026-03-14T02:30:00Z"

// docsURL is the documentation_url of the errors the builders make.
const docsURL = "https://docs.github.com/rest"

// Error is GitHub's answer to a refused request (the description's
// basic-error), as GitHub sends it: message, documentation_url and status.
func Error(status int, message string) map[string]any {
	return map[string]any{"message": message, "documentation_url": docsURL, "status": strconv.Itoa(status)}
}

// ValidationError is GitHub's 422 (the description's validation-error):
// message, documentation_url and the errors, each a map with resource,
// field and code (required).
func ValidationError(message string, errs ...map[string]any) map[string]any {
	list := make([]any, 0, len(errs))
	for _, e := range errs {
		list = append(list, e)
	}
	return map[string]any{"message": message, "documentation_url": docsURL, "status": strconv.Itoa(http.StatusUnprocessableEntity), "errors": list}
}

// Repo is a repository of the fake, for the URLs of the objects it answers.
type Repo struct {
	API, Web    string // the server's API base URL and its web root
	Owner, Name string
	ID          int64
}

// Repo is repository owner/name of s.
func (s *Server) Repo(owner, name string) Repo {
	return Repo{API: s.URL, Web: s.Web, Owner: owner, Name: name, ID: 123456789}
}

func (r Repo) api(p string) string { return r.API + "/repos/" + r.Owner + "/" + r.Name + p }
func (r Repo) web(p string) string { return r.Web + "/" + r.Owner + "/" + r.Name + p }

// nodeID is a GraphQL id in GitHub's legacy form: base64 of "TTYPE:ID".
func nodeID(typ string, id int64) string {
	s := typ + strconv.FormatInt(id, 10)
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%02d:%s", len(typ), s))
}

// User is a user as GitHub answers one (the description's simple-user):
// kind is "User", "Organization" or "Bot".
func (r Repo) User(login string, id int64, kind string) map[string]any {
	api := r.API + "/users/" + url.PathEscape(login)
	html := r.Web + "/" + url.PathEscape(login)
	if kind == "Bot" {
		html = r.Web + "/apps/" + url.PathEscape(trimBot(login))
	}
	return map[string]any{
		"login":               login,
		"id":                  id,
		"node_id":             nodeID(kind, id),
		"avatar_url":          "https://avatars.githubusercontent.com/u/" + strconv.FormatInt(id, 10) + "?v=4",
		"gravatar_id":         "",
		"url":                 api,
		"html_url":            html,
		"followers_url":       api + "/followers",
		"following_url":       api + "/following{/other_user}",
		"gists_url":           api + "/gists{/gist_id}",
		"starred_url":         api + "/starred{/owner}{/repo}",
		"subscriptions_url":   api + "/subscriptions",
		"organizations_url":   api + "/orgs",
		"repos_url":           api + "/repos",
		"events_url":          api + "/events{/privacy}",
		"received_events_url": api + "/received_events",
		"type":                kind,
		"user_view_type":      "public",
		"site_admin":          false,
	}
}

func trimBot(login string) string {
	if n := len(login) - len("[bot]"); n > 0 && login[n:] == "[bot]" {
		return login[:n]
	}
	return login
}

// Bot is the user a job's GITHUB_TOKEN posts as.
func (r Repo) Bot() map[string]any { return r.User("github-actions[bot]", 41898282, "Bot") }

// ownerUser is the repository's owner, an organization.
func (r Repo) ownerUser() map[string]any { return r.User(r.Owner, 9919, "Organization") }

// Comment is issue comment id on issue (or pull request) number, written by
// the job's bot (the description's issue-comment).
func (r Repo) Comment(id int64, number int, body string) map[string]any {
	return map[string]any{
		"id":                 id,
		"node_id":            nodeID("IssueComment", id),
		"url":                r.api("/issues/comments/" + strconv.FormatInt(id, 10)),
		"html_url":           r.web("/pull/" + strconv.Itoa(number) + "#issuecomment-" + strconv.FormatInt(id, 10)),
		"issue_url":          r.api("/issues/" + strconv.Itoa(number)),
		"body":               body,
		"user":               r.Bot(),
		"created_at":         Stamp,
		"updated_at":         Stamp,
		"author_association": "NONE",
		"reactions":          r.reactions(r.api("/issues/comments/" + strconv.FormatInt(id, 10) + "/reactions")),
	}
}

func (r Repo) reactions(u string) map[string]any {
	return map[string]any{"url": u, "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "confused": 0, "heart": 0, "hooray": 0, "eyes": 0, "rocket": 0}
}

// Repository is the repository as GitHub answers it inside other objects
// (the description's repository).
func (r Repo) Repository() map[string]any {
	a := r.api("")
	return map[string]any{
		"id": r.ID, "node_id": nodeID("Repository", r.ID), "name": r.Name, "full_name": r.Owner + "/" + r.Name,
		"owner": r.ownerUser(), "private": true, "html_url": r.web(""), "description": nil, "fork": false, "url": a,
		"archive_url": a + "/{archive_format}{/ref}", "assignees_url": a + "/assignees{/user}", "blobs_url": a + "/git/blobs{/sha}",
		"branches_url": a + "/branches{/branch}", "collaborators_url": a + "/collaborators{/collaborator}",
		"comments_url": a + "/comments{/number}", "commits_url": a + "/commits{/sha}", "compare_url": a + "/compare/{base}...{head}",
		"contents_url": a + "/contents/{+path}", "contributors_url": a + "/contributors", "deployments_url": a + "/deployments",
		"downloads_url": a + "/downloads", "events_url": a + "/events", "forks_url": a + "/forks",
		"git_commits_url": a + "/git/commits{/sha}", "git_refs_url": a + "/git/refs{/sha}", "git_tags_url": a + "/git/tags{/sha}",
		"git_url": "git://" + strings.TrimPrefix(strings.TrimPrefix(r.web(".git"), "https://"), "http://"), "issue_comment_url": a + "/issues/comments{/number}",
		"issue_events_url": a + "/issues/events{/number}", "issues_url": a + "/issues{/number}", "keys_url": a + "/keys{/key_id}",
		"labels_url": a + "/labels{/name}", "languages_url": a + "/languages", "merges_url": a + "/merges",
		"milestones_url": a + "/milestones{/number}", "notifications_url": a + "/notifications{?since,all,participating}",
		"pulls_url": a + "/pulls{/number}", "releases_url": a + "/releases{/id}", "ssh_url": "git@github.com:" + r.Owner + "/" + r.Name + ".git",
		"stargazers_url": a + "/stargazers", "statuses_url": a + "/statuses/{sha}", "subscribers_url": a + "/subscribers",
		"subscription_url": a + "/subscription", "tags_url": a + "/tags", "teams_url": a + "/teams", "trees_url": a + "/git/trees{/sha}",
		"clone_url": r.web(".git"), "mirror_url": nil, "hooks_url": a + "/hooks", "svn_url": r.web(""), "homepage": nil,
		"language": "Go", "forks_count": 0, "forks": 0, "stargazers_count": 0, "watchers_count": 0, "watchers": 0, "size": 108,
		"default_branch": "main", "open_issues_count": 1, "open_issues": 1, "is_template": false, "topics": []any{},
		"has_issues": true, "has_projects": true, "has_wiki": false, "has_pages": false, "has_downloads": true, "has_discussions": false,
		"archived": false, "disabled": false, "visibility": "private", "license": nil,
		"pushed_at": Stamp, "created_at": Stamp, "updated_at": Stamp,
	}
}

// PullRequest is pull request number, from branch head at commit sha into
// main, as GitHub lists the pull requests of a commit (the description's
// pull-request-simple); state is "open" or "closed".
func (r Repo) PullRequest(number int, state, head, sha string) map[string]any {
	n := strconv.Itoa(number)
	id := int64(1834567000 + number)
	self, issue := r.api("/pulls/"+n), r.api("/issues/"+n)
	author := r.User("octocat", 583231, "User")
	var closed any
	if state == "closed" {
		closed = Stamp
	}
	branch := func(ref, sha string) map[string]any {
		return map[string]any{"label": r.Owner + ":" + ref, "ref": ref, "sha": sha, "user": r.ownerUser(), "repo": r.Repository()}
	}
	link := func(u string) map[string]any { return map[string]any{"href": u} }
	return map[string]any{
		"url": self, "id": id, "node_id": nodeID("PullRequest", id), "number": number, "state": state, "locked": false,
		"title": "Change " + n, "body": nil, "user": author, "labels": []any{}, "milestone": nil, "active_lock_reason": nil,
		"html_url": r.web("/pull/" + n), "diff_url": r.web("/pull/" + n + ".diff"), "patch_url": r.web("/pull/" + n + ".patch"),
		"issue_url": issue, "commits_url": self + "/commits", "review_comments_url": self + "/comments",
		"review_comment_url": r.api("/pulls/comments{/number}"), "comments_url": issue + "/comments",
		"statuses_url": r.api("/statuses/" + sha),
		"created_at":   Stamp, "updated_at": Stamp, "closed_at": closed, "merged_at": nil, "merge_commit_sha": nil,
		"assignee": nil, "assignees": []any{}, "requested_reviewers": []any{}, "requested_teams": []any{},
		"head": branch(head, sha), "base": branch("main", "9049f1265b7d61be4a8904a9a27120d2064dab3b"),
		"_links": map[string]any{
			"self": link(self), "html": link(r.web("/pull/" + n)), "issue": link(issue), "comments": link(issue + "/comments"),
			"review_comments": link(self + "/comments"), "review_comment": link(r.api("/pulls/comments{/number}")),
			"commits": link(self + "/commits"), "statuses": link(r.api("/statuses/" + sha)),
		},
		"author_association": "MEMBER", "auto_merge": nil, "draft": false,
	}
}

// Deployment is deployment id as GitHub answers its creation from req, the
// decoded request body (the description's deployment), with GitHub's
// defaults for what req leaves out. sha is the commit ref names.
func (r Repo) Deployment(id int64, sha string, req map[string]any) map[string]any {
	str := func(k, def string) string {
		if s, ok := req[k].(string); ok {
			return s
		}
		return def
	}
	env := str("environment", "production")
	prod, ok := req["production_environment"].(bool)
	if !ok {
		prod = env == "production"
	}
	transient, _ := req["transient_environment"].(bool)
	payload := req["payload"]
	if payload == nil {
		payload = map[string]any{}
	}
	var desc any
	if d, ok := req["description"].(string); ok {
		desc = d
	}
	self := r.api("/deployments/" + strconv.FormatInt(id, 10))
	return map[string]any{
		"url": self, "id": id, "node_id": nodeID("Deployment", id), "sha": sha, "ref": str("ref", sha),
		"task": str("task", "deploy"), "payload": payload, "original_environment": env, "environment": env,
		"description": desc, "creator": r.Bot(), "created_at": Stamp, "updated_at": Stamp,
		"statuses_url": self + "/statuses", "repository_url": r.api(""),
		"transient_environment": transient, "production_environment": prod,
	}
}

// DeploymentStatus is status id of deployment deploymentID in environment,
// as GitHub answers its creation from req, the decoded request body (the
// description's deployment-status). As GitHub does, target_url is log_url
// when that is given.
func (r Repo) DeploymentStatus(deploymentID int64, environment string, id int64, req map[string]any) map[string]any {
	str := func(k, def string) string {
		if s, ok := req[k].(string); ok {
			return s
		}
		return def
	}
	dep := r.api("/deployments/" + strconv.FormatInt(deploymentID, 10))
	target := str("log_url", str("target_url", ""))
	s := map[string]any{
		"url": dep + "/statuses/" + strconv.FormatInt(id, 10), "id": id, "node_id": nodeID("DeploymentStatus", id),
		"state": str("state", ""), "creator": r.Bot(), "description": str("description", ""),
		"environment": str("environment", environment), "target_url": target,
		"created_at": Stamp, "updated_at": Stamp, "deployment_url": dep, "repository_url": r.api(""),
	}
	if target != "" {
		s["log_url"] = target
	}
	if u := str("environment_url", ""); u != "" {
		s["environment_url"] = u
	}
	return s
}
