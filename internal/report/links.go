package report

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// Links are the places a report points to.
type Links struct {
	// RunURL is the workflow run:
	// GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID[/attempts/N].
	// Empty outside GitHub Actions.
	RunURL string
	// ConsoleURL is the alias in the AWS Lambda console. Empty when the
	// region, function or alias is not known.
	ConsoleURL string
}

// LinksFromEnv builds the links from the runner's environment (read through
// getenv, usually os.Getenv) and the result.
func LinksFromEnv(getenv func(string) string, r outcome.Result) Links {
	return Links{RunURL: runURL(getenv), ConsoleURL: consoleURL(r)}
}

// runURL is the URL of the workflow run, pinned to the attempt when the
// runner says which one it is. It is "" when the repository or run id is
// missing (a run from a terminal).
func runURL(getenv func(string) string) string {
	repo, id := getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID")
	if repo == "" || id == "" {
		return ""
	}
	server := strings.TrimRight(getenv("GITHUB_SERVER_URL"), "/")
	if server == "" {
		server = "https://github.com"
	}
	u := server + "/" + repo + "/actions/runs/" + url.PathEscape(id)
	if n, err := strconv.Atoi(getenv("GITHUB_RUN_ATTEMPT")); err == nil && n > 0 {
		u += "/attempts/" + strconv.Itoa(n)
	}
	return u
}

// consoleURL is the alias's page in the Lambda console of its partition.
func consoleURL(r outcome.Result) string {
	region := r.Region
	if region == "" {
		region = arnRegion(r.AliasARN)
	}
	if region == "" {
		region = arnRegion(r.FunctionARN)
	}
	if region == "" || r.FunctionName == "" || r.Alias == "" {
		return ""
	}
	var host string
	switch {
	case strings.HasPrefix(region, "cn-"):
		host = "https://" + region + ".console.amazonaws.cn"
	case strings.HasPrefix(region, "us-gov-"):
		host = "https://" + region + ".console.amazonaws-us-gov.com"
	default:
		host = "https://" + region + ".console.aws.amazon.com"
	}
	q := url.QueryEscape(region)
	return host + "/lambda/home?region=" + q + "#/functions/" +
		url.PathEscape(r.FunctionName) + "/aliases/" + url.PathEscape(r.Alias)
}

// arnRegion is the region field of an ARN, or "".
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}

// safeURL returns u when it is an absolute http(s) URL, with the characters
// that could end a markdown link destination or a table cell percent-encoded;
// otherwise "".
func safeURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	return strings.NewReplacer(
		" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E",
		"|", "%7C", "`", "%60", `"`, "%22", "'", "%27", "\\", "%5C",
	).Replace(p.String())
}

// link renders a markdown link with escaped text, or the text alone when the
// URL is not safe.
func link(label, u string) string {
	if u = safeURL(u); u == "" {
		return Escape(label)
	}
	return "[" + Escape(label) + "](" + u + ")"
}
