package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/yuin/goldmark/ast"
	gmtext "github.com/yuin/goldmark/text"
)

// readmePath is the repository's README, whose "What the team sees" shows
// golden files as examples.
var readmePath = filepath.Join("..", "..", "README.md")

var (
	exampleStart = regexp.MustCompile(`^<!-- example: ([a-z-]+\.(?:summary|comment)\.golden) -->$`)
	exampleEnd   = "<!-- end example -->"
)

// quoteExample is a golden file as the README shows it: a blank line, the
// file quoted line by line, a blank line.
func quoteExample(golden string) []string {
	out := []string{""}
	for _, line := range strings.Split(strings.TrimSuffix(golden, "\n"), "\n") {
		if line == "" {
			out = append(out, ">")
		} else {
			out = append(out, "> "+line)
		}
	}
	return append(out, "")
}

// TestREADMEExamples checks that every example marked in the README is its
// golden file, quoted, so that the README cannot drift from what the action
// writes; with -update it rewrites them. It also checks that each quote ends
// where its example does, so that it cannot swallow the paragraph after it.
func TestREADMEExamples(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var out []string
	var names []string
	for i := 0; i < len(lines); i++ {
		out = append(out, lines[i])
		m := exampleStart.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		name := m[1]
		names = append(names, name)
		end := i + 1
		for end < len(lines) && lines[end] != exampleEnd {
			end++
		}
		if end == len(lines) {
			t.Fatalf("README: example %s has no %q", name, exampleEnd)
		}
		golden, err := os.ReadFile(filepath.Join("testdata", name))
		if *update {
			// The golden files are being rewritten at the same time:
			// render the example the way TestGolden does.
			golden, err = renderGolden(name)
		}
		if err != nil {
			t.Fatalf("README: example %s: %v", name, err)
		}
		want := quoteExample(string(golden))
		if diff := cmp.Diff(want, lines[i+1:end]); diff != "" && !*update {
			t.Errorf("README example %s is not testdata/%s (run go test ./internal/report -update) (-want +got):\n%s", name, name, diff)
		}
		out = append(out, want...)
		i = end - 1
	}
	if len(names) == 0 {
		t.Fatal("README marks no examples")
	}
	var summary, comment bool
	for _, n := range names {
		summary = summary || strings.HasSuffix(n, ".summary.golden")
		comment = comment || strings.HasSuffix(n, ".comment.golden")
	}
	if !summary || !comment {
		t.Errorf("README examples %v: want at least one summary and one comment", names)
	}
	if *update {
		if err := os.WriteFile(readmePath, []byte(strings.Join(out, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	checkQuotesEnd(t, data)
}

// checkQuotesEnd parses the README as GitHub does and fails when the first
// block after an example's end marker sits inside a block quote.
func checkQuotesEnd(t reporter, src []byte) {
	t.Helper()
	doc := gfm.Parser().Parse(gmtext.NewReader(src))
	after := map[int]bool{} // byte offsets of the first text after each end marker
	for off := 0; ; {
		k := bytes.Index(src[off:], []byte(exampleEnd))
		if k < 0 {
			break
		}
		off += k + len(exampleEnd)
		next := off
		for next < len(src) && (src[next] == '\n' || src[next] == ' ') {
			next++
		}
		after[next] = true
	}
	found := 0
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering || n.Type() != ast.TypeBlock || n.Lines().Len() == 0 {
			return ast.WalkContinue, nil
		}
		start := n.Lines().At(0).Start
		if !after[start] {
			return ast.WalkContinue, nil
		}
		found++
		for p := n.Parent(); p != nil; p = p.Parent() {
			if p.Kind() == ast.KindBlockquote {
				t.Errorf("README: the text after an example (%q) is inside its quote", firstLine(src[start:]))
			}
		}
		return ast.WalkContinue, nil
	})
	if found == 0 {
		t.Errorf("README: found no text after the examples to check")
	}
}

// renderGolden renders the golden file name (FIXTURE.KIND.golden) from its
// fixture.
func renderGolden(name string) ([]byte, error) {
	parts := strings.Split(name, ".")
	r, ok := fixtures()[parts[0]]
	if !ok || len(parts) != 3 {
		return nil, fmt.Errorf("no fixture for %s", name)
	}
	if parts[1] == "comment" {
		return []byte(Comment(r, testRun)), nil
	}
	return []byte(Summary(r, testRun)), nil
}

func TestCheckQuotesEndCatches(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	checkQuotesEnd(rec, []byte("<!-- example: x.summary.golden -->\n\n> quote\n> <!-- end example -->\n> On a pull request\n"))
	if !rec.failed {
		t.Error("checkQuotesEnd passed a paragraph inside the quote")
	}
	rec = &recorder{}
	checkQuotesEnd(rec, []byte("<!-- example: x.summary.golden -->\n\n> quote\n\n<!-- end example -->\n\nOn a pull request\n"))
	if rec.failed {
		t.Error("checkQuotesEnd failed a paragraph after the quote")
	}
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return string(line)
}
