package command

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
	"github.com/lambda-promote/lambda-promote/internal/testenv/runner"
)

// runnerCommand is a workflow command the runner obeyed.
type runnerCommand struct {
	Name  string            // lowercased
	Props map[string]string // nil when none
	Data  string            // unescaped
}

// runnerLog is what the runner made of a step's output: the commands it
// obeyed and the lines it showed as text, in order.
type runnerLog struct {
	Commands []runnerCommand
	Text     []string
	// Stopped is set when the output ends with commands still stopped.
	Stopped bool
	// Order is "c" for each command obeyed and "t" for each text line.
	Order string
}

// registered are the commands the runner knows, compared without regard to
// case (actions/runner, src/Runner.Worker/ActionCommandManager.cs and its
// command extensions).
var registered = []string{
	"add-mask", "add-matcher", "add-path", "debug", "echo", "endgroup", "error", "group",
	"notice", "remove-matcher", "save-state", "set-env", "set-output", "stop-commands", "warning",
}

// parseAsRunner reads output the way actions/runner does
// (src/Runner.Sdk/ProcessInvoker.cs reads lines with StreamReader.ReadLine;
// src/Runner.Worker/Handlers/OutputManager.cs hands each line holding "::"
// or "##[" to ActionCommandManager.TryProcessCommand, which tries
// ActionCommand.TryParseV2 then TryParse and keeps the stop-commands state).
func parseAsRunner(out string) runnerLog {
	var (
		log   runnerLog
		token string // while stopped: the token that resumes
	)
	known := func(name string) bool {
		n := strings.ToLower(name)
		return slices.Contains(registered, n) || token != "" && n == strings.ToLower(token)
	}
	for _, line := range readLines(out) {
		cmd, ok := parseV2(line, known)
		if !ok {
			cmd, ok = parseV1(line, known)
		}
		switch {
		case token != "":
			if ok && cmd.Name == strings.ToLower(token) {
				token = ""
			}
			log.Text = append(log.Text, line) // shown, not obeyed
			log.Order += "t"
		case ok && cmd.Name == "stop-commands":
			if cmd.Data == "" || slices.Contains(registered, strings.ToLower(cmd.Data)) {
				log.Commands = append(log.Commands, runnerCommand{Name: "invalid-stop-token", Data: cmd.Data})
				log.Order += "c"
				continue
			}
			token = cmd.Data
			log.Text = append(log.Text, line)
			log.Order += "t"
		case ok:
			log.Commands = append(log.Commands, cmd)
			log.Order += "c"
		default:
			log.Text = append(log.Text, line)
			log.Order += "t"
		}
	}
	log.Stopped = token != ""
	return log
}

// readLines splits as .NET's StreamReader.ReadLine: at \n, \r or \r\n.
func readLines(s string) []string {
	var lines []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return lines
}

// parseV2 is ActionCommand.TryParseV2: after leading whitespace the line
// starts with ::, the command info runs to the next ::, its first word is a
// known command; properties are k=v separated by commas.
func parseV2(line string, known func(string) bool) (runnerCommand, bool) {
	msg := strings.TrimLeftFunc(line, unicode.IsSpace)
	if !strings.HasPrefix(msg, "::") {
		return runnerCommand{}, false
	}
	end := strings.Index(msg[2:], "::")
	if end < 0 {
		return runnerCommand{}, false
	}
	info := msg[2 : 2+end]
	name, props, hasProps := strings.Cut(info, " ")
	if !known(name) {
		return runnerCommand{}, false
	}
	cmd := runnerCommand{Name: strings.ToLower(name), Data: unescape(msg[2+end+2:])}
	if hasProps {
		cmd.Props = map[string]string{}
		for p := range strings.SplitSeq(strings.TrimSpace(props), ",") {
			if k, v, ok := strings.Cut(p, "="); ok && k != "" && v != "" {
				cmd.Props[k] = unescape(v)
			}
		}
	}
	return cmd, true
}

// parseV1 is ActionCommand.TryParse: ##[NAME props]data anywhere in the line.
func parseV1(line string, known func(string) bool) (runnerCommand, bool) {
	i := strings.Index(line, "##[")
	if i < 0 {
		return runnerCommand{}, false
	}
	rb := strings.IndexByte(line[i:], ']')
	if rb < 0 {
		return runnerCommand{}, false
	}
	info := line[i+3 : i+rb]
	name, _, _ := strings.Cut(info, " ")
	if !known(name) {
		return runnerCommand{}, false
	}
	return runnerCommand{Name: strings.ToLower(name), Data: unescape(line[i+rb+1:])}, true
}

func unescape(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%", "%3A", ":", "%2C", ",").Replace(s)
}

// hostile are texts that try to become workflow commands.
var hostile = []string{
	"::stop-commands::x",
	"::error::forged",
	"::add-mask::not-a-secret",
	"::set-output name=status::promoted",
	"   ::warning::indented",
	"::ERROR::capitals",
	"\t::notice::tab",
	"\u00a0::error::no-break space",
	"\u200b::error::zero width",
	"x ##[error]old syntax anywhere",
	"#\u200b#[add-mask]hidden",
	"fix: bump\r::error::after a carriage return",
	"line one\n::group::forged group\nline three",
	"::x::",
}

// TestParseAsRunner holds the parser to the runner's rules, so that the
// tests built on it can fail.
func TestParseAsRunner(t *testing.T) {
	t.Parallel()
	got := parseAsRunner("::error::a\n  ::WARNING file=x.go,line=3::b%0Ac\r##[add-mask]s\nplain ::error::not at start\n::stop-commands::tok\n::error::ignored\n::TOK::\n::notice::c\n::nosuch::d\n")
	want := []runnerCommand{
		{Name: "error", Data: "a"},
		{Name: "warning", Props: map[string]string{"file": "x.go", "line": "3"}, Data: "b\nc"},
		{Name: "add-mask", Data: "s"},
		{Name: "notice", Data: "c"},
	}
	if diff := cmp.Diff(want, got.Commands); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	if got.Stopped {
		t.Error("still stopped")
	}
	// Every hostile text, printed as it is, is obeyed as a command.
	for _, h := range hostile {
		switch h {
		case "\u200b::error::zero width", "#\u200b#[add-mask]hidden":
			continue // the runner's ordinal parse does not see these; culture-aware matching might
		case "::x::":
			continue // no such command
		}
		if log := parseAsRunner(h + "\n"); len(log.Commands) == 0 && !log.Stopped {
			t.Errorf("%q printed raw is not a command to the parser", h)
		}
	}
}

// actionLogger is a logger in Actions mode writing to a buffer.
func actionLogger() (*logger, *bytes.Buffer) {
	var out bytes.Buffer
	return newLogger(true, Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}), &out
}

func TestInfoLinesAreInert(t *testing.T) {
	t.Parallel()
	for _, h := range append(hostile, "fine", "arn:aws:lambda:us-east-1:123456789012:function:orders", "a: b") {
		t.Run(h, func(t *testing.T) {
			t.Parallel()
			l, out := actionLogger()
			l.infof("description: %s", "\n"+h)
			l.infof("%s", h)
			log := parseAsRunner(out.String())
			if len(log.Commands) != 0 || log.Stopped {
				t.Fatalf("the runner obeys %+v (stopped %v) in:\n%s", log.Commands, log.Stopped, out)
			}
			// What a person reads: every line of the text, unchanged.
			text := strings.Join(log.Text, "\n")
			for _, line := range readLines(h) {
				if !strings.Contains(text, line) {
					t.Errorf("line %q is not shown:\n%s", line, text)
				}
			}
		})
	}
	// Plain text is printed as it is, without stop and resume lines.
	l, out := actionLogger()
	l.infof("promoted %s to %s", "orders", "7")
	if got := out.String(); got != "promoted orders to 7\n" {
		t.Errorf("plain line printed as %q", got)
	}
}

// TestAnnotationsEscapeTheirData: go-githubactions escapes %, \r and \n in a
// command's data, so an annotation is one line and its text comes back
// whole.
func TestAnnotationsEscapeTheirData(t *testing.T) {
	t.Parallel()
	for _, h := range hostile {
		l, out := actionLogger()
		l.errorf("failed: %s", h)
		l.warningf("%s", h+" 100%0A")
		l.Group(h)
		l.EndGroup()
		log := parseAsRunner(out.String())
		want := []runnerCommand{
			{Name: "error", Data: "failed: " + h},
			{Name: "warning", Data: h + " 100%0A"},
			{Name: "group", Data: h},
			{Name: "endgroup"},
		}
		if diff := cmp.Diff(want, log.Commands); diff != "" {
			t.Errorf("%q: commands (-want +got):\n%s\noutput:\n%s", h, diff, out)
		}
		if len(log.Text) != 0 {
			t.Errorf("%q: text lines %q, want none", h, log.Text)
		}
	}
}

// TestMasksAreNotSplitByAStop: a mask issued while another goroutine prints
// untrusted text never lands between a stop and its resume, where the runner
// would not obey it.
func TestMasksAreNotSplitByAStop(t *testing.T) {
	t.Parallel()
	l, out := actionLogger()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			l.infof("%s", "::error::x\nmore")
		}
	}()
	var want []string
	for i := range 200 {
		s := "secret-value-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i)
		l.mask(s)
		want = append(want, s)
	}
	<-done
	var got []string
	for _, c := range parseAsRunner(out.String()).Commands {
		if c.Name == "add-mask" {
			got = append(got, c.Data)
		}
	}
	if len(got) != len(want) {
		t.Errorf("the runner obeyed %d masks of %d", len(got), len(want))
	}
}

// TestRunInjection runs a promotion on moto in-process, as the runner runs
// the action, with a description (a commit message, say) whose lines are
// workflow commands. The runner must obey none of them, and the masks must
// come before anything else.
func TestRunInjection(t *testing.T) {
	// Not parallel: the AWS SDK reads credentials and the endpoint from the
	// process environment.
	s := moto.StartT(t)
	w, err := s.Demo(t.Context(), "injected")
	if err != nil {
		t.Fatal(err)
	}
	const (
		token     = "ghs_TOKENinjection1234567890"
		keyID     = "AKIAINJECTIONKEY0001"
		secretKey = "injectionSECRETkey/0123456789"
	)
	description := strings.Join([]string{
		"fix: ship it",
		"::stop-commands::x",
		"::error::forged",
		"::add-mask::" + w.Function,
		"::set-output name=status::promoted",
		"##[warning]old syntax",
	}, "\n")
	dir := t.TempDir()
	stepEnv, step, err := runner.Env(dir, map[string]string{
		"function-name": w.Function, "alias": "prod", "api-id": w.RESTAPIID, "stage": "prod",
		"description": description, "github-token": token,
	})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range append(append(stepEnv, faultproxy.NewT(t, s.URL).Env(s.Env())...),
		"AWS_ACCESS_KEY_ID="+keyID, "AWS_SECRET_ACCESS_KEY="+secretKey,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none")) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for k, v := range env {
		if strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, v)
		}
	}
	var stdout, stderr bytes.Buffer
	err = Run(t.Context(), Env{Getenv: func(k string) string { return env[k] }, Stdout: &stdout, Stderr: &stderr, Version: "test"})
	t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}

	log := parseAsRunner(stdout.String())
	if log.Stopped {
		t.Error("the output ends with workflow commands stopped")
	}
	masks := map[string]bool{token: true, keyID: true, secretKey: true}
	for _, c := range log.Commands {
		switch c.Name {
		case "add-mask":
			if !masks[c.Data] {
				t.Errorf("the runner masks %q, which is no secret of the run", c.Data)
			}
		case "group", "endgroup":
		default:
			t.Errorf("the runner obeys %+v", c)
		}
	}
	// The masks come first: the token, then the keys, before any text.
	lines := readLines(stdout.String())
	wantFirst := []string{"::add-mask::" + token, "::add-mask::" + keyID, "::add-mask::" + secretKey}
	if len(lines) < 3 || !cmp.Equal(wantFirst, lines[:3]) {
		t.Errorf("stdout starts with %q, want the masks %q", lines[:min(3, len(lines))], wantFirst)
	}
	if !strings.HasPrefix(log.Order, "ccc") {
		t.Errorf("the runner saw %q before the masks", log.Order)
	}
	// The description is shown, as text.
	text := strings.Join(log.Text, "\n")
	for _, line := range strings.Split(description, "\n") {
		if !strings.Contains(text, line) {
			t.Errorf("description line %q is not in the log", line)
		}
	}
	out, err := os.ReadFile(step.Output)
	if err != nil {
		t.Fatal(err)
	}
	// name<<DELIMITER, the value, DELIMITER.
	outLines := strings.Split(string(out), "\n")
	i := slices.IndexFunc(outLines, func(l string) bool { return strings.HasPrefix(l, "status<<") })
	if i < 0 || i+1 >= len(outLines) || outLines[i+1] != "promoted" {
		t.Errorf("outputs:\n%s\nwant status promoted", out)
	}
}
