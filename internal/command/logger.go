package command

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"

	"github.com/sethvargo/go-githubactions"
)

// logger writes progress as workflow commands in Actions (groups, masks,
// annotations) and as plain lines on a terminal.
//
// In Actions no text it prints can become a workflow command. The runner
// reads stdout line by line (a line ends at \n, \r or \r\n) and takes a line
// as a command when, after leading whitespace, it starts with ::NAME:: or
// when it holds ##[NAME] anywhere (the old syntax), for every registered
// NAME, in any case (actions/runner, src/Runner.Common/ActionCommand.cs,
// TryParseV2 and TryParse). So:
//
//   - annotations and group titles go through go-githubactions, which
//     escapes %, \r and \n in their data: the whole message stays on the one
//     line that starts with ::error:: (or ::warning::, ::group::);
//   - a plain line that could be read as a command is printed between
//     ::stop-commands::TOKEN and ::TOKEN::, with a fresh random token the
//     text does not hold, the way GitHub documents for untrusted text
//     (https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions#stopping-and-starting-workflow-commands);
//   - writes are serialized, so that no other line (a mask, say) falls
//     between a stop and its resume, where the runner would ignore it.
type logger struct {
	mu     sync.Mutex
	action *githubactions.Action // nil outside Actions
	out    io.Writer
	err    io.Writer
	red    redactor // applied to every line
}

func newLogger(inActions bool, e Env) *logger {
	l := &logger{out: e.Stdout, err: e.Stderr}
	if inActions {
		l.action = githubactions.New(githubactions.WithWriter(e.Stdout), githubactions.WithGetenv(e.Getenv))
	}
	return l
}

// mask hides secrets: the runner masks them in its log, and this logger,
// the summary and the GitHub posts replace them with ***.
func (l *logger) mask(secrets ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range secrets {
		if l.red.add(s) && l.action != nil {
			l.action.AddMask(s)
		}
	}
}

func (l *logger) infof(format string, args ...any) {
	msg := l.red.text(fmt.Sprintf(format, args...))
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.action != nil {
		l.printInert(msg)
		return
	}
	fmt.Fprintln(l.out, msg)
}

// printInert prints text so that the runner obeys none of its lines.
func (l *logger) printInert(text string) {
	if !mayBeCommand(text) {
		fmt.Fprint(l.out, text+"\n")
		return
	}
	token := stopToken(text)
	fmt.Fprint(l.out, "::stop-commands::"+token+"\n"+text+"\n::"+token+"::\n")
}

// mayBeCommand reports whether some line of text could be read by the runner
// as a workflow command. It errs towards yes: a line is suspect when, with
// invisible characters left out, a colon comes before any letter or digit,
// or when it holds "##[" anywhere.
func mayBeCommand(text string) bool {
	for line := range strings.FieldsFuncSeq(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
		visible := strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) || !unicode.IsGraphic(r) || unicode.Is(unicode.Cf, r) {
				return -1
			}
			return r
		}, line)
		if strings.Contains(visible, "##[") {
			return true
		}
		head := visible // what comes before the first letter or digit
		if i := strings.IndexFunc(visible, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }); i >= 0 {
			head = visible[:i]
		}
		if strings.ContainsRune(head, ':') {
			return true
		}
	}
	return false
}

// stopToken is a random token that text does not hold (the runner compares
// it without regard to case).
func stopToken(text string) string {
	lower := strings.ToLower(text)
	for {
		b := make([]byte, 16)
		_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
		t := hex.EncodeToString(b)
		if !strings.Contains(lower, t) {
			return t
		}
	}
}

func (l *logger) warningf(format string, args ...any) {
	msg := l.red.text(fmt.Sprintf(format, args...))
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.action != nil {
		l.action.Warningf("%s", msg)
		return
	}
	fmt.Fprintln(l.err, "warning: "+msg)
}

func (l *logger) errorf(format string, args ...any) {
	msg := l.red.text(fmt.Sprintf(format, args...))
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.action != nil {
		l.action.Errorf("%s", msg)
		return
	}
	fmt.Fprintln(l.err, "error: "+msg)
}

// The promote.Logger methods.

func (l *logger) Infof(format string, args ...any)    { l.infof(format, args...) }
func (l *logger) Warningf(format string, args ...any) { l.warningf(format, args...) }

func (l *logger) Group(title string) {
	title = l.red.text(title)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.action != nil {
		l.action.Group(title)
		return
	}
	fmt.Fprintf(l.out, "==> %s\n", title)
}

func (l *logger) EndGroup() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.action != nil {
		l.action.EndGroup()
	}
}
