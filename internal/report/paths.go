package report

import (
	"fmt"
	"strings"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// maxPaths is the most paths listed in the summary.
const maxPaths = 100

// writePaths writes "What calls this function": every path into the
// functions of the run that preflight found (event source mappings,
// function URLs, resource-policy grants, API routes), what each invokes and
// whether the promotion's canary and gates cover it; for each path that
// bypasses the alias, the commands that point it at the alias; and the reads
// that could not be made, which are unknown, not empty. Folded when every
// path goes through the alias.
func writePaths(b *strings.Builder, r outcome.Result) {
	if !r.PathsRead && len(r.Paths) == 0 && len(r.PathsNotChecked) == 0 {
		return
	}
	heading := "What calls this function"
	if r.Release() {
		heading = "What calls these functions"
	}
	bypass := 0
	for _, p := range r.Paths {
		if p.Bypass {
			bypass++
		}
	}
	var t strings.Builder
	if len(r.Paths) == 0 {
		t.WriteString("Nothing but the alias was found: no event source mapping on $LATEST or a version, no function URL on $LATEST, no grant in the unqualified function's resource policy (the policies of versions are not read).\n\n")
	} else {
		cols := "| Path | Invokes | Covered | Found |\n|---|---|---|---|\n"
		if r.Release() {
			cols = "| Function | Path | Invokes | Covered | Found |\n|---|---|---|---|---|\n"
		}
		t.WriteString(cols)
		shown := r.Paths[:min(len(r.Paths), maxPaths)]
		for _, p := range shown {
			t.WriteString("| ")
			if r.Release() {
				t.WriteString(text(p.Function, maxName) + " | ")
			}
			fmt.Fprintf(&t, "%s: %s | %s | %s | %s |\n", text(p.Kind, maxName), text(p.Source, maxDetail), text(p.Invokes, maxName), covered(p), text(p.Detail, maxDetail))
		}
		if n := len(r.Paths) - len(shown); n > 0 {
			fmt.Fprintf(&t, "\n%d more paths are not shown.\n", n)
		}
		t.WriteString("\n")
		for _, p := range shown {
			if !p.Bypass || len(p.Fixes) == 0 {
				continue
			}
			fmt.Fprintf(&t, "**%s: %s** bypasses the alias. ", text(p.Kind, maxName), text(p.Source, maxDetail))
			if len(p.Fixes) == 1 {
				fmt.Fprintf(&t, "To fix it, %s:\n\n%s\n", text(p.Fixes[0].Choice, maxName), codeBlock(truncate(p.Fixes[0].Commands, maxCode), "sh"))
				continue
			}
			t.WriteString("To fix it, do one of these:\n\n")
			for i, fx := range p.Fixes {
				fmt.Fprintf(&t, "%d\\. %s:\n\n%s\n", i+1, text(fx.Choice, maxName), codeBlock(truncate(fx.Commands, maxCode), "sh"))
			}
		}
	}
	for _, n := range r.PathsNotChecked {
		t.WriteString("- ⚠️ " + text(n, maxDetail) + "\n")
	}
	if len(r.PathsNotChecked) > 0 {
		t.WriteString("\n")
	}
	if bypass == 0 && len(r.PathsNotChecked) == 0 {
		fmt.Fprintf(b, "<details><summary>✅ %s: %s</summary>\n\n%s</details>\n\n", heading, pathCount(len(r.Paths)), t.String())
		return
	}
	fmt.Fprintf(b, "#### %s\n\n", heading)
	if bypass > 0 {
		fmt.Fprintf(b, "⚠️ %d of %d paths reach the code without the alias: the canary and the gates do not see their traffic.\n\n", bypass, len(r.Paths))
	}
	b.WriteString(t.String())
}

// covered says whether the promotion's canary and gates see a path's
// traffic.
func covered(p outcome.Path) string {
	switch {
	case p.Covered:
		return "✅ yes"
	case p.Bypass:
		return "⚠️ no: bypasses the alias"
	}
	return "no"
}

func pathCount(n int) string {
	switch n {
	case 0:
		return "nothing but the alias"
	case 1:
		return "1 path, which does not bypass the alias"
	}
	return fmt.Sprintf("%d paths, none of which bypasses the alias", n)
}
