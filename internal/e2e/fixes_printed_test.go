package e2e

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// What the summary prints for the reader to run, read back as they would
// read it: the code blocks of **Next:** and of each failed check, each block
// a list of command lines (or workflow inputs), some of them the reader's
// choice.

// printed is one code block of a summary.
type printed struct {
	where string // "Next", or the name of the failed check it fixes
	lang  string // "sh", "yaml" or ""
	code  string
}

// failedCheck is the line that names a failed check in the summary's lead:
// ❌ **NAME:** detail.
var failedCheck = regexp.MustCompile(`^❌ \*\*(.+?):\*\*`)

// bypassLine names a path of "What calls this function" that bypasses the
// alias, before its fix: **KIND: SOURCE** bypasses the alias. To fix it, …
// Its block is named "path: KIND: SOURCE".
var bypassLine = regexp.MustCompile(`^\*\*(.+?)\*\* bypasses the alias\. To fix it, `)

// choiceLine is one numbered choice of a path's fix: 1\. what it does:
var choiceLine = regexp.MustCompile(`^\d+\\\. (.+):$`)

// unescape undoes the report's escaping of a name (a backslash before
// markdown punctuation).
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\\`*_[]|~$!#-+=.)", s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// printedBlocks are the code blocks of a summary's lead, each named by
// what it belongs to. Blocks elsewhere (a chart) are left out.
func printedBlocks(summary string) []printed {
	var (
		out   []printed
		where string
		fence string
		cur   *printed
		lines []string
	)
	choice := "" // the numbered choice of a path's fix the next block is
	for _, line := range strings.Split(summary, "\n") {
		switch {
		case cur != nil && line == fence:
			cur.code = strings.Join(lines, "\n")
			// A path's numbered choices, one block each, are read as
			// one block of choices, as the reader chooses one of them.
			if n := len(out); choice != "" && n > 0 && out[n-1].where == cur.where && cur.where != "" {
				out[n-1].code += "\n# or: " + choice + "\n" + cur.code
			} else {
				if choice != "" {
					cur.code = "# either: " + choice + "\n" + cur.code
				}
				out = append(out, *cur)
			}
			cur, lines, choice = nil, nil, ""
		case cur != nil:
			lines = append(lines, line)
		case strings.HasPrefix(line, "```"):
			n := len(line) - len(strings.TrimLeft(line, "`"))
			fence = line[:n]
			if where != "" {
				cur = &printed{where: where, lang: strings.TrimSpace(line[n:])}
			} else {
				cur = &printed{} // read past it, and drop it
			}
		case strings.HasPrefix(line, "**Next:**"):
			where = "Next"
		case failedCheck.MatchString(line):
			where = unescape(failedCheck.FindStringSubmatch(line)[1])
		case bypassLine.MatchString(line):
			where, choice = "path: "+unescape(bypassLine.FindStringSubmatch(line)[1]), ""
		case where != "" && choiceLine.MatchString(line):
			choice = choiceLine.FindStringSubmatch(line)[1]
		case strings.HasPrefix(line, "|"), strings.HasPrefix(line, "#"), strings.HasPrefix(line, "<details>"), strings.HasPrefix(line, "**Error:**"), strings.HasPrefix(line, "**Alias now:**"),
			strings.HasPrefix(line, "- "), strings.HasPrefix(line, "["):
			where = ""
		}
	}
	kept := out[:0]
	for _, b := range out {
		if b.where != "" {
			kept = append(kept, b)
		}
	}
	return kept
}

// block is a printed block read as the reader runs it: the lines every
// reader runs first, then those of one of its choices. A choice starts at
// a comment line "# either…" or "# or…"; other comment lines only say what
// the lines after them do.
type block struct {
	common  []string
	choices []option
}

// option is one choice of a block: its comment, and its lines.
type option struct {
	label string
	lines []string
}

// readBlock splits code into lines as a shell reads them (a line ending in
// a backslash goes on on the next) and into its choices.
func readBlock(code string) block {
	var b block
	pending := ""
	for _, raw := range strings.Split(code, "\n") {
		if strings.HasSuffix(raw, `\`) {
			pending += strings.TrimSuffix(raw, `\`)
			continue
		}
		line := strings.TrimSpace(pending + raw)
		pending = ""
		if line == "" {
			continue
		}
		if c, ok := strings.CutPrefix(line, "#"); ok {
			c = strings.TrimSpace(c)
			if c == "either" || c == "or" || strings.HasPrefix(c, "either ") || strings.HasPrefix(c, "either:") || strings.HasPrefix(c, "or ") || strings.HasPrefix(c, "or:") {
				b.choices = append(b.choices, option{label: c})
			}
			continue
		}
		if n := len(b.choices); n > 0 {
			b.choices[n-1].lines = append(b.choices[n-1].lines, line)
		} else {
			b.common = append(b.common, line)
		}
	}
	return b
}

// runs are the line lists a reader can run: common then each choice, or
// common alone when there is no choice.
func (b block) runs() []option {
	if len(b.choices) == 0 {
		return []option{{label: "the command", lines: b.common}}
	}
	out := make([]option, len(b.choices))
	for i, c := range b.choices {
		out[i] = option{label: c.label, lines: append(append([]string(nil), b.common...), c.lines...)}
	}
	return out
}

// yamlInputs reads workflow inputs, "name: value" lines, a value plain or
// quoted as YAML quotes it.
func yamlInputs(lines []string) (map[string]string, bool) {
	in := map[string]string{}
	for _, l := range lines {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return nil, false
		}
		v = strings.TrimSpace(v)
		switch {
		case strings.HasPrefix(v, `"`):
			u, err := strconv.Unquote(v)
			if err != nil {
				return nil, false
			}
			v = u
		case strings.HasPrefix(v, "'"):
			v = strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'"), "''", "'")
		}
		in[strings.TrimSpace(k)] = v
	}
	return in, true
}

// chosen is the reader's choice N put in place of the word N in a command
// line; ok is false when the line has an N and the case gave none.
func chosen(line, n string) (string, bool) {
	if !choiceWord.MatchString(line) {
		return line, true
	}
	if n == "" {
		return line, false
	}
	return choiceWord.ReplaceAllString(line, "${1}"+n+"${2}"), true
}

// choiceWord is the word N as a command's value: a value the reader picks.
var choiceWord = regexp.MustCompile(`(^|\s)N(\s|$)`)

// checkMarks are the checks of a summary's table: name → passed.
func checkMarks(summary string) map[string]bool {
	marks := map[string]bool{}
	for _, line := range strings.Split(summary, "\n") {
		for mark, ok := range map[string]bool{"| ✅ ": true, "| ❌ ": false} {
			if rest, found := strings.CutPrefix(line, mark); found {
				name, _, _ := strings.Cut(rest, " |")
				marks[unescape(name)] = ok
			}
		}
	}
	return marks
}

func TestPrintedBlocks(t *testing.T) {
	t.Parallel()
	summary := "### ❌ orders: prod 1 → 2 failed\n\n" +
		"**Error:** preflight: 2 checks failed\n\n" +
		"**Alias now:** prod still serves 1; nothing was changed\n\n" +
		"**Next:** finish or undo:\n\n" +
		"```yaml\n# either finish: all traffic on 2\nversion: \"2\"\ntraffic-weight: 100\n# or undo: all traffic back on 1\nrollback: true\n```\n\n" +
		"❌ **stage variable:** stage prod has lambdaAlias = dev\n\n" +
		"```sh\naws apigateway update-stage --rest-api-id a1 --stage-name prod \\\n  --patch-operations op=replace,path=/variables/lambdaAlias,value=prod\n```\n\n" +
		"❌ **orders\\-1: provisioned concurrency:** failed\n\n" +
		"````sh\n# see why\naws lambda get-provisioned-concurrency-config --function-name orders --qualifier prod\n" +
		"# either: remove it\naws lambda delete-provisioned-concurrency-config --function-name orders --qualifier prod\n" +
		"# or: ask for less, N of your choice\naws lambda put-provisioned-concurrency-config --function-name orders --qualifier prod --provisioned-concurrent-executions N\n````\n\n" +
		"| Check | Found |\n|---|---|\n| ❌ stage variable | dev |\n| ✅ alias permission | ok |\n\n" +
		"#### What calls this function\n\n| Path | Invokes | Covered | Found |\n|---|---|---|---|\n\n" +
		"**event source mapping: SQS queue jobs (mapping u1)** bypasses the alias. To fix it, point the mapping at the alias:\n\n" +
		"```sh\naws lambda update-event-source-mapping --uuid u1 --function-name orders:prod\n```\n\n" +
		"**function URL: https://a.lambda\\-url.on.aws/** bypasses the alias. To fix it, do one of these:\n\n" +
		"1\\. serve the URL from the alias:\n\n```sh\naws lambda create-function-url-config --function-name orders --qualifier prod --auth-type AWS_IAM\n```\n\n" +
		"2\\. delete the URL, if nothing calls it:\n\n```sh\naws lambda delete-function-url-config --function-name orders\n```\n\n" +
		"- ⚠️ resource-policy grants: not checked\n\n" +
		"```mermaid\nxychart-beta\n```\n"
	got := printedBlocks(summary)
	want := []printed{
		{where: "Next", lang: "yaml", code: "# either finish: all traffic on 2\nversion: \"2\"\ntraffic-weight: 100\n# or undo: all traffic back on 1\nrollback: true"},
		{where: "stage variable", lang: "sh", code: "aws apigateway update-stage --rest-api-id a1 --stage-name prod \\\n  --patch-operations op=replace,path=/variables/lambdaAlias,value=prod"},
		{where: "orders-1: provisioned concurrency", lang: "sh", code: "# see why\naws lambda get-provisioned-concurrency-config --function-name orders --qualifier prod\n" +
			"# either: remove it\naws lambda delete-provisioned-concurrency-config --function-name orders --qualifier prod\n" +
			"# or: ask for less, N of your choice\naws lambda put-provisioned-concurrency-config --function-name orders --qualifier prod --provisioned-concurrent-executions N"},
		{where: "path: event source mapping: SQS queue jobs (mapping u1)", lang: "sh", code: "aws lambda update-event-source-mapping --uuid u1 --function-name orders:prod"},
		// A path's numbered choices are one block of choices.
		{where: "path: function URL: https://a.lambda-url.on.aws/", lang: "sh", code: "# either: serve the URL from the alias\naws lambda create-function-url-config --function-name orders --qualifier prod --auth-type AWS_IAM\n" +
			"# or: delete the URL, if nothing calls it\naws lambda delete-function-url-config --function-name orders"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(printed{})); diff != "" {
		t.Fatalf("printedBlocks (-want +got):\n%s", diff)
	}

	runs := readBlock(got[2].code).runs()
	wantRuns := []option{
		{"either: remove it", []string{"aws lambda get-provisioned-concurrency-config --function-name orders --qualifier prod", "aws lambda delete-provisioned-concurrency-config --function-name orders --qualifier prod"}},
		{"or: ask for less, N of your choice", []string{"aws lambda get-provisioned-concurrency-config --function-name orders --qualifier prod", "aws lambda put-provisioned-concurrency-config --function-name orders --qualifier prod --provisioned-concurrent-executions N"}},
	}
	if diff := cmp.Diff(wantRuns, runs, cmp.AllowUnexported(option{})); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	if r := readBlock(got[1].code).runs(); len(r) != 1 || len(r[0].lines) != 1 || !strings.HasSuffix(r[0].lines[0], "value=prod") {
		t.Errorf("a continued line: %q, want one line", r)
	}
	in, ok := yamlInputs(readBlock(got[0].code).runs()[0].lines)
	if !ok || !cmp.Equal(in, map[string]string{"version": "2", "traffic-weight": "100"}) {
		t.Errorf("yamlInputs = %v, %v", in, ok)
	}
	if l, ok := chosen(runs[1].lines[1], "2"); !ok || !strings.HasSuffix(l, "--provisioned-concurrent-executions 2") {
		t.Errorf("chosen = %q, %v", l, ok)
	}
	if _, ok := chosen(runs[1].lines[1], ""); ok {
		t.Error("chosen without a choice for N passed")
	}
	if l, ok := chosen("aws lambda get-alias --name NAME", ""); !ok || l != "aws lambda get-alias --name NAME" {
		t.Errorf("a word with N in it was taken for N: %q", l)
	}
	if diff := cmp.Diff(map[string]bool{"stage variable": false, "alias permission": true}, checkMarks(summary)); diff != "" {
		t.Errorf("checkMarks (-want +got):\n%s", diff)
	}

	// What every printed block is held to, shown to catch what it must.
	for _, bad := range []printed{
		{where: "Next", lang: "sh", code: "aws lambda get-alias --function-name orders --name prod --profile " + secretKeyID},
		{where: "Next", lang: "sh", code: "aws apigatewayv2 create-route --api-id a1 --route-key 'ANY /{proxy+} --target integrations/x1"},
		{where: "Next", lang: "yaml", code: "traffic-weight: 100\nrollout: back"},
	} {
		if len(printedProblems(bad)) == 0 {
			t.Errorf("printedProblems found nothing wrong with %q", bad.code)
		}
	}
	if p := printedProblems(got[2]); len(p) != 0 {
		t.Errorf("printedProblems of a good block: %q", p)
	}
}
