package awsmodel

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// The models' patterns are Java regular expressions, which AWS services
// match against the whole value (a value "my alias" fails Lambda's Alias
// pattern [a-zA-Z0-9-_]+ though a part of it matches). Go's regexp (RE2)
// has most of Java's syntax; the differences the models use are handled
// so:
//
//   - \uXXXX (exactly four hex digits, as Java reads it) becomes \x{XXXX};
//   - a negative lookahead that opens the pattern, (?!X)Y, is checked as
//     "X does not match at the start, and Y matches the whole value", and a
//     negative lookbehind that closes it, Y(?<!X), as "Y matches the whole
//     value, and X does not match at its end", which is what they mean
//     there;
//   - anything else RE2 cannot compile is not checked, and Unchecked lists
//     it, so that a test can report it.

// pattern is a compiled model pattern.
type pattern struct {
	full      *regexp.Regexp // the value must match it whole
	notPrefix *regexp.Regexp // the value must not begin with a match of it
	notSuffix *regexp.Regexp // the value must not end with a match of it
	err       error          // why it could not be compiled; then nothing is checked
}

func (p *pattern) match(s string) bool {
	if !p.full.MatchString(s) {
		return false
	}
	if p.notPrefix != nil && p.notPrefix.MatchString(s) {
		return false
	}
	return p.notSuffix == nil || !p.notSuffix.MatchString(s)
}

// patterns caches compiled patterns by their source, for every model of the
// process.
var patterns sync.Map // string → *pattern

// compiled is the compiled form of the model pattern src.
func compiled(src string) *pattern {
	if p, ok := patterns.Load(src); ok {
		return p.(*pattern)
	}
	p, _ := patterns.LoadOrStore(src, compilePattern(src))
	return p.(*pattern)
}

func compilePattern(src string) *pattern {
	re := javaEscapes(src)
	if full, err := regexp.Compile(`^(?:` + re + `)$`); err == nil {
		return &pattern{full: full}
	}
	p, err := lookaround(re)
	if err != nil {
		return &pattern{err: err}
	}
	return p
}

// javaEscapes rewrites Java's \uXXXX escapes as RE2's \x{XXXX}.
func javaEscapes(src string) string {
	var b strings.Builder
	for i := 0; i < len(src); i++ {
		if src[i] == '\\' && i+1 < len(src) {
			if src[i+1] == 'u' && i+6 <= len(src) && isHex(src[i+2:i+6]) {
				b.WriteString(`\x{` + src[i+2:i+6] + `}`)
				i += 5
				continue
			}
			b.WriteString(src[i : i+2])
			i++
			continue
		}
		b.WriteByte(src[i])
	}
	return b.String()
}

func isHex(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// lookaround compiles a pattern that opens with a negative lookahead or
// closes with a negative lookbehind (possibly the whole pattern in one
// group), the only lookarounds it handles.
func lookaround(re string) (*pattern, error) {
	body := re
	if inner, ok := wholeGroup(body); ok {
		body = inner
	}
	p := &pattern{}
	if strings.HasPrefix(body, "(?!") {
		end := closing(body, 0)
		if end < 0 {
			return nil, fmt.Errorf("unbalanced parentheses")
		}
		ahead, err := regexp.Compile(`^(?:` + body[3:end] + `)`)
		if err != nil {
			return nil, err
		}
		p.notPrefix = ahead
		body = body[end+1:]
	}
	if strings.HasSuffix(body, ")") {
		if start := opening(body, len(body)-1); start >= 0 && strings.HasPrefix(body[start:], "(?<!") {
			behind, err := regexp.Compile(`(?:` + body[start+4:len(body)-1] + `)$`)
			if err != nil {
				return nil, err
			}
			p.notSuffix = behind
			body = body[:start]
		}
	}
	if p.notPrefix == nil && p.notSuffix == nil {
		_, err := regexp.Compile(re)
		return nil, err
	}
	full, err := regexp.Compile(`^(?:` + body + `)$`)
	if err != nil {
		return nil, err
	}
	p.full = full
	return p, nil
}

// wholeGroup reports whether re is one plain group, (X), and returns X.
func wholeGroup(re string) (string, bool) {
	if !strings.HasPrefix(re, "(") || strings.HasPrefix(re, "(?") || closing(re, 0) != len(re)-1 {
		return "", false
	}
	return re[1 : len(re)-1], true
}

// closing is the index of the parenthesis that closes the one at open, or
// -1; escaped characters and character classes are skipped.
func closing(re string, open int) int {
	depth, inClass := 0, false
	for i := open; i < len(re); i++ {
		switch c := re[i]; {
		case c == '\\':
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// opening is the index of the parenthesis that the one at close closes, or
// -1.
func opening(re string, close int) int {
	for i := close - 1; i >= 0; i-- {
		if re[i] == '(' && (i == 0 || re[i-1] != '\\') && closing(re, i) == close {
			return i
		}
	}
	return -1
}

// Unchecked lists the patterns of the judge's models that cannot be
// compiled, as "service.Shape: pattern (why)": values of those shapes are
// not checked against their pattern.
func (j *Judge) Unchecked() []string {
	var out []string
	for _, m := range j.ordered {
		for _, name := range sortedKeys(m.Shapes) {
			s := m.Shapes[name]
			if s.Pattern == "" {
				continue
			}
			if p := compiled(s.Pattern); p.err != nil {
				out = append(out, fmt.Sprintf("%s.%s: %s (%v)", m.Service, name, s.Pattern, p.err))
			}
		}
	}
	return out
}
