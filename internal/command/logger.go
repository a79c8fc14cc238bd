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
}

func newLogger(inActions bool, e Env) *logger {
	l := &logger{out: e.Stdout, err: e.Stderr}
	if inActions {
		l.action = githubactions.New(githubactions.WithWriter(e.Stdout), githubactions.WithGetenv(e.Getenv))
	}
	return l
}

func (l *logger) mask(secret string) {
	if l.action != nil && secret != "" {
		l.action.AddMask(secret)
	}
}

func (l *logger) infof(format string, args ...any) {
	if l.action != nil {
		l.action.Infof(format, args...)
		return
	}
	fmt.Fprintf(l.out, format+"\n", args...)
}

func (l *logger) warningf(format string, args ...any) {
	if l.action != nil {
		l.action.Warningf(format, args...)
		return
	}
	fmt.Fprintf(l.err, "warning: "+format+"\n", args...)
}

func (l *logger) errorf(format string, args ...any) {
	if l.action != nil {
		l.action.Errorf(format, args...)
		return
	}
	fmt.Fprintf(l.err, "error: "+format+"\n", args...)
}

// The promote.Logger methods.

func (l *logger) Infof(format string, args ...any)    { l.infof(format, args...) }
func (l *logger) Warningf(format string, args ...any) { l.warningf(format, args...) }

func (l *logger) Group(title string) {
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
