package command

import (
	"fmt"
	"io"

	"github.com/sethvargo/go-githubactions"
)

// logger writes progress as workflow commands in Actions (groups, masks,
// annotations) and as plain lines on a terminal.
type logger struct {
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
	for _, s := range secrets {
		if l.red.add(s) && l.action != nil {
			l.action.AddMask(s)
		}
	}
}

func (l *logger) infof(format string, args ...any) {
	msg := l.red.text(fmt.Sprintf(format, args...))
	if l.action != nil {
		l.action.Infof("%s", msg)
		return
	}
	fmt.Fprintln(l.out, msg)
}

func (l *logger) warningf(format string, args ...any) {
	msg := l.red.text(fmt.Sprintf(format, args...))
	if l.action != nil {
		l.action.Warningf("%s", msg)
		return
	}
	fmt.Fprintln(l.err, "warning: "+msg)
}

func (l *logger) errorf(format string, args ...any) {
	msg := l.red.text(fmt.Sprintf(format, args...))
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
	if l.action != nil {
		l.action.Group(title)
		return
	}
	fmt.Fprintf(l.out, "==> %s\n", title)
}

func (l *logger) EndGroup() {
	if l.action != nil {
		l.action.EndGroup()
	}
}
