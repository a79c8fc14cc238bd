package report

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// zwsp is the zero-width space put after "@" and "#" so that untrusted text
// cannot mention a user or team, or reference an issue.
const zwsp = "\u200b"

// Escape makes untrusted text (names, descriptions, AWS error messages) safe
// to place anywhere in a line of GitHub-flavoured markdown, including a table
// cell: HTML is shown as text, markdown punctuation is escaped, @mentions and
// #references are broken with a zero-width space, control characters are
// dropped, and all whitespace (newlines too) collapses to single spaces.
//
// The result must not be placed inside a code span or code block, where
// escapes are shown literally; use [codeBlock] for code.
func Escape(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	space := false // a space is pending
	start := true  // nothing written yet
	mark := false  // the last rune written is "@" or "#"
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if dropped(r) {
			continue
		}
		if space && !start {
			b.WriteByte(' ')
			mark = false
		}
		space = false
		if mark && isWordRune(r) {
			b.WriteString(zwsp)
		}
		mark = r == '@' || r == '#'
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\\', '`', '*', '_', '[', ']', '|', '~', '$', '!':
			// Emphasis, code spans, links and images, table cells,
			// strikethrough, maths; "!" so that no "![" can form.
			b.WriteByte('\\')
			b.WriteRune(r)
		case '#':
			if start {
				b.WriteByte('\\') // a heading
			}
			b.WriteRune(r)
		case '-', '+', '=', '.', ')':
			// Block syntax only counts at the start of a line (lists,
			// thematic breaks, setext headings, "1." and "1)" items).
			// Newlines are gone, so the start of s is the only place.
			if start || (r == '.' || r == ')') && startsOrderedList(b.String()) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
		start = false
	}
	return b.String()
}

// startsOrderedList reports whether the text written so far is only digits,
// so that a following "." or ")" would make an ordered list item.
func startsOrderedList(written string) bool {
	if written == "" || len(written) > 9 {
		return false
	}
	for _, c := range written {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isWordRune(r rune) bool {
	return r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// dropped reports whether r is a control or bidirectional-formatting
// character that has no place in a report.
func dropped(r rune) bool {
	switch {
	case r == utf8.RuneError:
		return false
	case unicode.IsControl(r):
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F:
		return true
	}
	return false
}

// truncate shortens s to at most n runes, ending it with "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, count := 0, 0
	for j := range s {
		if count == n-1 {
			i = j
			break
		}
		count++
	}
	return s[:i] + "…"
}

// text is Escape after truncating to n runes.
func text(s string, n int) string { return Escape(truncate(s, n)) }

// codeBlock renders s as a fenced code block that s cannot close: the fence
// is longer than any run of backticks in s. Control characters other than
// newlines and tabs are dropped.
func codeBlock(s, lang string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r == '\r' || dropped(r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, "\n")
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return fence + lang + "\n" + s + "\n" + fence + "\n"
}

func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
