package report

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// Run is the GitHub Actions run a report comes from, as the runner
// describes it in its GITHUB_* variables. Its zero value is a run from a
// terminal: no run or commit link, no actor.
type Run struct {
	ServerURL       string // GITHUB_SERVER_URL, e.g. https://github.com
	Repository      string // GITHUB_REPOSITORY, owner/name
	ID              int64  // GITHUB_RUN_ID
	Attempt         int64  // GITHUB_RUN_ATTEMPT; 0 when unknown
	SHA             string // GITHUB_SHA, the commit deployed
	Actor           string // GITHUB_ACTOR, who triggered the workflow
	TriggeringActor string // GITHUB_TRIGGERING_ACTOR, who started this attempt (a re-run)
}

// server is the GitHub server's base URL without a trailing slash.
func (r Run) server() string {
	if s := strings.TrimRight(strings.TrimSpace(r.ServerURL), "/"); s != "" {
		return s
	}
	return "https://github.com"
}

// repo reports whether Repository is owner/name in GitHub's characters.
func (r Run) repo() bool {
	owner, name, ok := strings.Cut(r.Repository, "/")
	return ok && ghName(owner) && ghName(name)
}

// ghName reports whether s is a GitHub owner or repository name: letters,
// digits, ".", "_" and "-".
func ghName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// URL is the workflow run, pinned to its attempt when the runner says which
// one it is: SERVER/OWNER/NAME/actions/runs/ID[/attempts/N]. It is "" for a
// run from a terminal.
func (r Run) URL() string {
	if !r.repo() || r.ID <= 0 {
		return ""
	}
	u := r.server() + "/" + r.Repository + "/actions/runs/" + strconv.FormatInt(r.ID, 10)
	if r.Attempt > 0 {
		u += "/attempts/" + strconv.FormatInt(r.Attempt, 10)
	}
	return u
}

// CommitURL is the commit's page, "" without a repository or commit.
func (r Run) CommitURL() string {
	if !r.repo() || !isHex(r.SHA) {
		return ""
	}
	return r.server() + "/" + r.Repository + "/commit/" + r.SHA
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// links are the console pages a report of one function's promotion points
// to, each "" (or empty) where there is none, in the console domain of the
// function's partition; a partition without a public console gets none. The
// stage (its invoke URL), the run and the commit are linked where the facts
// and the footer name them.
type links struct {
	Logs    string     // the new version's log streams
	Alarms  []namedURL // each alarm a gate read, in the order first read
	Metrics string     // the new version's errors and invocations through the alias
	Alias   string     // the alias in the Lambda console
}

type namedURL struct{ Name, URL string }

// linksFor builds the links of r.
func linksFor(r outcome.Result) links {
	var l links
	fn, ok := function(r)
	base := fn.Console()
	if !ok || base == "" {
		return l
	}
	region := url.QueryEscape(fn.Region)
	lambdaHome := base + "/lambda/home?region=" + region + "#/functions/" + uriComponent(fn.Name)
	cwHome := base + "/cloudwatch/home?region=" + region

	if r.Alias != "" {
		l.Alias = lambdaHome + "/aliases/" + uriComponent(r.Alias)
	}
	v := target(r)
	if v != "" && r.Status != outcome.DryRun {
		l.Logs = cwHome + "#logsV2:log-groups/log-group/" + logsEscape(logGroup(fn.Name)) +
			"$3FlogStreamNameFilter$3D" + logsEscape("["+v+"]")
	}
	seen := map[string]bool{}
	for _, e := range r.Timeline {
		for _, g := range e.Gates {
			if g.Kind == outcome.GateAlarm && g.Name != "" && !seen[g.Name] {
				seen[g.Name] = true
				l.Alarms = append(l.Alarms, namedURL{g.Name, cwHome + "#alarmsV2:alarm/" + uriComponent(g.Name)})
			}
		}
	}
	if v != "" && r.Alias != "" && tookTraffic(r) {
		l.Metrics = cwHome + "#metricsV2:graph=" + metricsGraph(fn, r.Alias, v, r)
	}
	return l
}

// function is the function of r, from its ARN or its alias's ARN.
func function(r outcome.Result) (lambdaarn.Function, bool) {
	for _, s := range []string{r.FunctionARN, r.AliasARN} {
		if fn, _, err := lambdaarn.Parse(s); err == nil {
			return fn, true
		}
	}
	return lambdaarn.Function{}, false
}

// logGroup is the log group Lambda writes a function's logs to unless the
// function's logging configuration names another:
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
func logGroup(name string) string { return "/aws/lambda/" + name }

// tookTraffic reports whether the new version served traffic during the run,
// or an error-rate gate read its metrics: then its metrics are worth a link.
func tookTraffic(r outcome.Result) bool {
	for _, e := range r.Timeline {
		if e.Weight > 0 {
			return true
		}
		for _, g := range e.Gates {
			if g.Kind == outcome.GateErrorRate {
				return true
			}
		}
	}
	return false
}

// The CloudWatch console's deep links are not documented by AWS; the forms
// below are the ones the console itself writes in its address bar, as
// described in https://stackoverflow.com/a/60818699 (log groups) and seen in
// the console's metrics and alarms pages.
//
// A Lambda log stream is named YYYY/MM/DD/[VERSION]ID, so filtering the log
// group's streams on "[7]" lists those of version 7:
// https://docs.aws.amazon.com/lambda/latest/operatorguide/log-structure.html

// logsEscape escapes s for the log-group part of a CloudWatch Logs console
// address: percent-encoded twice, then every "%" written as "$", so that
// "/aws/lambda/f" becomes "$252Faws$252Flambda$252Ff" and "[7]" "$255B7$255D".
// The "?" and "=" between a log group and its filter are encoded once:
// "$3F", "$3D".
func logsEscape(s string) string {
	return strings.ReplaceAll(uriComponent(uriComponent(s)), "%", "$")
}

// uriComponent percent-encodes every byte of s outside RFC 3986's unreserved
// characters (A-Z a-z 0-9 - . _ ~).
func uriComponent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte("0123456789ABCDEF"[c>>4])
		b.WriteByte("0123456789ABCDEF"[c&15])
	}
	return b.String()
}

// metricsGraph is the CloudWatch metrics console's graph of version v's
// Errors and Invocations through alias: namespace AWS/Lambda, dimensions
// FunctionName, Resource (NAME:ALIAS) and ExecutedVersion, the metrics the
// error-rate gate reads
// (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html).
// The console writes the graph in JSURL: ~(key~value…) for objects,
// ~(~item…) for arrays, strings after "'". A rollout that ended (rolled back
// or failed) is shown from shortly before it started to shortly after it
// ended; otherwise the console's default range applies.
func metricsGraph(fn lambdaarn.Function, alias, v string, r outcome.Result) string {
	metric := func(name string) string {
		return "~(" + jsurl("AWS/Lambda") + jsurl(name) +
			jsurl("FunctionName") + jsurl(fn.Name) +
			jsurl("Resource") + jsurl(fn.Name+":"+alias) +
			jsurl("ExecutedVersion") + jsurl(v) + "~(stat" + jsurl("Sum") + "))"
	}
	g := "~(metrics~(" + metric("Errors") + metric("Invocations") + ")" +
		"~view" + jsurl("timeSeries") + "~stacked~false~region" + jsurl(fn.Region) +
		"~stat" + jsurl("Sum") + "~period~60" +
		"~title" + jsurl("Errors and invocations of "+fn.Name+" version "+v+" through "+alias)
	if (r.Status == outcome.RolledBack || r.Status == outcome.Failed) && !r.Started.IsZero() && !r.Finished.IsZero() {
		const layout = "2006-01-02T15:04:05.000Z"
		g += "~start" + jsurl(r.Started.UTC().Add(-5*time.Minute).Truncate(time.Minute).Format(layout)) +
			"~end" + jsurl(r.Finished.UTC().Add(10*time.Minute).Truncate(time.Minute).Format(layout))
	}
	return g + ")"
}

// jsurl is s as a JSURL string value, "~'" then s with "$" written "!" and
// every other character outside [A-Za-z0-9_.-] written *XX (a UTF-16 unit up
// to 0xFF) or **XXXX, in lowercase hex.
func jsurl(s string) string {
	var b strings.Builder
	b.WriteString("~'")
	for _, u := range utf16.Encode([]rune(s)) {
		switch {
		case 'a' <= u && u <= 'z', 'A' <= u && u <= 'Z', '0' <= u && u <= '9', u == '_', u == '.', u == '-':
			b.WriteByte(byte(u))
		case u == '$':
			b.WriteByte('!')
		case u < 0x100:
			b.WriteString("*" + hexPad(int(u), 2))
		default:
			b.WriteString("**" + hexPad(int(u), 4))
		}
	}
	return b.String()
}

func hexPad(n, width int) string {
	s := strconv.FormatInt(int64(n), 16)
	return strings.Repeat("0", max(0, width-len(s))) + s
}

// safeURL returns u when it is an absolute http(s) URL with a host, with the
// characters that could end a markdown link destination or a table cell
// percent-encoded (parentheses only when unbalanced: the metrics console's
// JSURL needs its own); otherwise "".
func safeURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.User != nil {
		return ""
	}
	s := p.String()
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c <= ' ' || c == 0x7f || strings.IndexByte("<>|`\"\\", c) >= 0:
			b.WriteString("%" + strings.ToUpper(hexPad(int(c), 2)))
		default:
			b.WriteByte(c)
		}
	}
	s = b.String()
	if !balanced(s) {
		s = strings.NewReplacer("(", "%28", ")", "%29").Replace(s)
	}
	return s
}

// balanced reports whether the parentheses of s nest properly.
func balanced(s string) bool {
	depth := 0
	for _, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}

// link renders a markdown link with escaped text, or the text alone when the
// URL is not safe.
func link(label, u string) string {
	if u = safeURL(u); u == "" {
		return Escape(label)
	}
	return "[" + Escape(label) + "](" + u + ")"
}

// linkItems are the links of l as markdown links: the logs, the alarms,
// the metrics and the alias.
func linkItems(r outcome.Result, l links) []string {
	v := truncate(target(r), maxName)
	var items []string
	if l.Logs != "" {
		items = append(items, link("Logs of version "+v, l.Logs))
	}
	for _, a := range l.Alarms[:min(len(l.Alarms), maxAlarmLinks)] {
		items = append(items, link("Alarm "+truncate(a.Name, maxName), a.URL))
	}
	if n := len(l.Alarms) - maxAlarmLinks; n > 0 {
		items = append(items, strconv.Itoa(n)+" more alarms")
	}
	if l.Metrics != "" {
		items = append(items, link("Errors and invocations of version "+v, l.Metrics))
	}
	if l.Alias != "" {
		items = append(items, link("Alias "+truncate(r.Alias, maxName)+" in the Lambda console", l.Alias))
	}
	return slices.Clip(items)
}
