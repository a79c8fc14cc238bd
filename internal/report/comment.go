package report

import (
	"fmt"
	"strings"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// Comment limits, in runes: a comment is read in a pull request's
// conversation and must stay well under GitHub's 65,536-character limit.
const (
	maxCommentError    = 1500
	maxCommentSentence = 1000
)

// Marker is the hidden HTML comment that starts the pull-request comment of
// one function and alias, so that later runs find and edit it:
// <!-- lambda-promote:FUNCTION:ALIAS -->. Every character outside
// [A-Za-z0-9._$-] is percent-encoded (":" and "%" too), so a name cannot end
// the HTML comment, two different function and alias pairs never share a
// marker, and one marker is never a prefix of another.
func Marker(function, alias string) string {
	return "<!-- lambda-promote:" + markerPart(function) + ":" + markerPart(alias) + " -->"
}

func markerPart(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '_', c == '$':
			b.WriteByte(c)
		case c == '-' && !(i+1 < len(s) && (s[i+1] == '-' || s[i+1] == '>')):
			// A lone "-" keeps names readable; "--" and "->" are encoded
			// so that nothing in the name can end the comment.
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// Comment renders r as the pull-request comment: the marker, the status, the
// version change, the traffic, the stage and run links, and for a failure the
// error and what to run next. Later runs edit it in place.
func Comment(r outcome.Result, l Links) string {
	var b strings.Builder
	b.WriteString(Marker(r.FunctionName, r.Alias) + "\n")
	b.WriteString("### " + title(r) + "\n\n")

	facts := []string{
		"**Version:** " + versionChange(r),
		"**Traffic:** " + r.TrafficWeight.Number() + "% on " + version(target(r)),
	}
	if s := stage(r); s != "" {
		facts = append(facts, "**Stage:** "+s)
	}
	b.WriteString(strings.Join(facts, " · ") + "\n\n")

	if r.Status == outcome.DryRun && len(r.Plan) > 0 {
		fmt.Fprintf(&b, "The plan has %d steps; nothing was changed.\n\n", len(r.Plan))
	}
	writeSituation(&b, r, maxCommentError, maxCommentSentence)

	var foot []string
	if u := safeURL(l.RunURL); u != "" {
		foot = append(foot, "[Workflow run]("+u+")")
	}
	if u := safeURL(l.ConsoleURL); u != "" {
		foot = append(foot, "[Lambda console]("+u+")")
	}
	if !r.Finished.IsZero() {
		foot = append(foot, "updated "+r.Finished.UTC().Format("2006-01-02 15:04:05")+" UTC")
	}
	if len(foot) > 0 {
		b.WriteString("<sub>" + strings.Join(foot, " · ") + "</sub>\n")
	}
	return b.String()
}

// target is the version the run promoted or tried to promote.
func target(r outcome.Result) string {
	if r.NewVersion != "" {
		return r.NewVersion
	}
	return r.Version
}
