// Package fix builds the shell commands the action prints for the person on
// call: what to run to fix a failed check, and what to run to see what went
// wrong. Every command is built here, with each value quoted for a POSIX
// shell, so that a test can find all of them in the code and run each one
// (internal/e2e's TestFixes and TestEveryFixHasACase).
package fix

import (
	"errors"
	"fmt"
	"strings"
)

// AWS is the aws CLI command `aws SERVICE OPERATION` with its arguments:
// an argument that starts with "--" names an option and the next one is its
// value; any other is a positional argument. Every value is quoted for a
// POSIX shell, or expanded in double quotes when made by Expand. The command
// works with the AWS CLI v1 and v2 alike.
func AWS(service, operation string, args ...string) string {
	var b strings.Builder
	b.WriteString("aws ")
	b.WriteString(service)
	b.WriteByte(' ')
	b.WriteString(operation)
	for i := 0; i < len(args); i++ {
		b.WriteByte(' ')
		a := args[i]
		if strings.HasPrefix(a, "--") && i+1 < len(args) {
			b.WriteString(a)
			b.WriteByte(' ')
			i++
			a = args[i]
		}
		b.WriteString(value(a))
	}
	return b.String()
}

// expandMark starts a value made by Expand.
const expandMark = "\x00expand:"

// Expand is a value that names a shell variable set earlier in the same
// command line by Capture, such as "integrations/$id": it is written in
// double quotes so that the shell puts the variable in. Only letters,
// digits, "$NAME" and the characters "/_-.:=,@+%" may appear in it (none
// of them special in double quotes).
func Expand(s string) string { return expandMark + s }

func value(a string) string {
	if s, ok := strings.CutPrefix(a, expandMark); ok {
		if strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-.:=,@+%$") != "" {
			return Quote(s) // not an expansion after all: taken literally
		}
		return `"` + s + `"`
	}
	return Quote(a)
}

// Capture is `name=$(command)`: the command's output in shell variable name,
// for a later command of the same line (joined with And) to use through
// Expand.
func Capture(name, command string) string {
	return name + "=$(" + command + ")"
}

// And joins commands so that each runs only when the one before succeeded.
func And(commands ...string) string {
	return strings.Join(commands, " && ")
}

// Quote quotes s for a POSIX shell when it holds anything but plainly safe
// characters: in single quotes, a single quote written as '\”.
func Quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:/=@+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Error is an error that says what to do next, and the command or workflow
// inputs that do it, which the summary shows as code.
type Error struct {
	Err  error
	Next string // what to do, one sentence ending in ":" when Code follows
	Code string // the command that does it; "" for none
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Hint is what to do next and the command that does it.
func (e *Error) Hint() (next, code string) { return e.Next, e.Code }

// Hinter is an error that knows what to do next.
type Hinter interface {
	error
	Hint() (next, code string)
}

// HintOf is the hint of the first error in err's tree that has one.
func HintOf(err error) (next, code string, ok bool) {
	var h Hinter
	if errors.As(err, &h) {
		next, code = h.Hint()
		return next, code, true
	}
	return "", "", false
}

// Errorf is fmt.Errorf with the hint next and code.
func Errorf(next, code, format string, args ...any) error {
	return &Error{Err: fmt.Errorf(format, args...), Next: next, Code: code}
}
