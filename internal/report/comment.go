package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
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

// MarkerOf is the marker of r's comment: Marker of its function and alias,
// or for a release of several functions, of "release-" and a digest of
// their names, so that the same release finds its comment again.
func MarkerOf(r outcome.Result) string {
	if !r.Release() {
		return Marker(r.FunctionName, r.Alias)
	}
	names := make([]string, len(r.Functions))
	for i, f := range r.Functions {
		names[i] = f.FunctionName
	}
	slices.Sort(names)
	sum := sha256.Sum256([]byte(strings.Join(names, "\n")))
	return Marker("release-"+hex.EncodeToString(sum[:6]), r.Alias)
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
	b.WriteString(MarkerOf(r) + "\n")
	b.WriteString("### " + title(r) + "\n\n")
	writeLead(&b, r, commentLead)
	writeFunctions(&b, r)
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
