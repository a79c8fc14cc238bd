package report

import (
	"fmt"
	"strings"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
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

// Comment renders r as the pull-request comment of run: the marker, the
// title, the lead (error, alias now, next with the exact commands), the
// facts, the links, a dry run's plan, and the run, commit and actor. It is
// text only (no chart, no folded checks): comments are also read in e-mail.
// Later runs edit it in place.
func Comment(r outcome.Result, run Run) string {
	var b strings.Builder
	b.WriteString(Marker(r.FunctionName, r.Alias) + "\n")
	b.WriteString("### " + title(r) + "\n\n")
	writeLead(&b, r, commentLead)
	if line := factsLine(facts(r)); line != "" {
		b.WriteString(line + "\n\n")
	}
	if items := linkItems(r, linksFor(r)); len(items) > 0 {
		b.WriteString("**Links:** " + strings.Join(items, " · ") + "\n\n")
	}
	if r.Status == outcome.DryRun {
		writePlan(&b, r.Plan)
	}
	if f := footer(run); f != "" {
		b.WriteString(f + "\n")
	}
	return b.String()
}
