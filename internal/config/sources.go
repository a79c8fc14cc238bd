package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Program is the name of the command in usage text.
const Program = "lambda-promote"

// ErrVersion is returned by FromFlags for --version given without a value:
// the caller prints the program's version and exits 0.
var ErrVersion = errors.New("version requested")

// FromAction reads every input from the runner's environment, where input
// "function-name" is INPUT_FUNCTION-NAME (upper case, hyphens kept), and
// parses them. An empty or unset variable means the default.
func FromAction(getenv func(string) string) (Config, error) {
	raw := map[string]string{}
	for _, in := range inputs {
		if v := strings.TrimSpace(getenv(ActionEnv(in.Name))); v != "" {
			raw[in.Name] = v
		}
	}
	return Parse(raw)
}

// ActionEnv is the environment variable the runner sets for an input:
// "function-name" → "INPUT_FUNCTION-NAME".
func ActionEnv(input string) string {
	return "INPUT_" + strings.ToUpper(input)
}

// FromFlags reads the inputs from command-line flags of the same names
// (--function-name NAME or --function-name=NAME; a true/false input alone,
// like --dry-run, means true) and parses them. An empty value means the
// default. --help (or -h) writes the usage to stderr and returns
// flag.ErrHelp; --version without a value returns ErrVersion. Arguments that
// are not flags are an error.
func FromFlags(args []string, stderr io.Writer) (Config, error) {
	if wantsVersion(args) {
		return Config{}, ErrVersion
	}
	raw := map[string]string{}
	fs := flag.NewFlagSet(Program, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, not printed
	fs.Usage = func() {}
	for _, in := range inputs {
		fs.Var(&rawFlag{raw: raw, name: in.Name, isBool: in.Bool}, in.Name, in.Description)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			Usage(stderr)
			return Config{}, flag.ErrHelp
		}
		return Config{}, fmt.Errorf("command line (run with --help to list the inputs): %w", err)
	}
	if rest := fs.Args(); len(rest) > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q: give inputs as --name value, and a true/false input as --name or --name=false (run with --help to list them)", rest[0])
	}
	return Parse(raw)
}

// wantsVersion reports whether args hold --version with no value after it
// (at the end, or followed by another flag), walking the flags the way the
// flag package does.
func wantsVersion(args []string) bool {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || a == "-" || !strings.HasPrefix(a, "-") {
			return false
		}
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if strings.Contains(name, "=") {
			continue
		}
		if name == InVersion {
			return i+1 >= len(args) || strings.HasPrefix(args[i+1], "-")
		}
		if in, ok := lookupInput(name); ok && !in.Bool {
			i++ // its value
		}
	}
	return false
}

// rawFlag stores a flag's text as given, for Parse to check like an action
// input. Repeated --alarms add up; other repeated flags keep the last value.
type rawFlag struct {
	raw    map[string]string
	name   string
	isBool bool
}

func (f *rawFlag) String() string {
	if f == nil || f.raw == nil {
		return ""
	}
	return f.raw[f.name]
}

func (f *rawFlag) Set(s string) error {
	if prev, ok := f.raw[f.name]; ok && f.name == InAlarms && strings.TrimSpace(prev) != "" {
		s = prev + "\n" + s
	}
	f.raw[f.name] = s
	return nil
}

func (f *rawFlag) IsBoolFlag() bool { return f.isBool }

// Usage writes the command-line help: every input with its default and
// description.
func Usage(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s --function-name NAME --alias ALIAS [--input value]...\n\n", Program)
	b.WriteString("Promote an AWS Lambda function through an alias: publish a version and move\n")
	b.WriteString("the alias to it at once or step by step, with health gates and automatic\n")
	b.WriteString("rollback. Every input of the GitHub action is a flag of the same name.\n\n")
	b.WriteString("Inputs:\n")
	for _, in := range inputs {
		flagText := "--" + in.Name + " value"
		if in.Bool {
			flagText = "--" + in.Name + "[=true|false]"
		}
		var def string
		switch {
		case in.Required:
			def = "(required)"
		case in.Default != "":
			def = fmt.Sprintf("(default %q)", in.Default)
		}
		fmt.Fprintf(&b, "  %-34s %s\n", flagText, def)
		fmt.Fprintf(&b, "        %s\n", in.Description)
	}
	b.WriteString("\nOther flags:\n")
	fmt.Fprintf(&b, "  %-34s %s\n", "--help", "print this help")
	fmt.Fprintf(&b, "  %-34s %s\n", "--version", "with no value after it: print the program's version")
	b.WriteString("\nAWS credentials and region come from the usual AWS SDK environment\n")
	b.WriteString("(AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_REGION, ...).\n")
	lines := strings.Split(b.String(), "\n")
	for i, line := range lines {
		lines[i] = strings.TrimRight(line, " ")
	}
	io.WriteString(w, strings.Join(lines, "\n"))
}
