package report

import (
	"github.com/abusedesk/abusedesk/pkg/redact"

	"strings"
	"unicode"
	"unicode/utf8"
)

// ellipsis marks clipped text. One rune, so clipping arithmetic stays simple.
const ellipsis = "…"

// markdownEscaped are the ASCII characters with a meaning somewhere in
// CommonMark, GFM or the extensions common viewers enable: emphasis, code,
// links and images, headings, tables, strikethrough, math ($), mentions
// and e-mail autolinks (@), and URL autolinks (: and . split "http://",
// "www.x.y" and bare "evil.com" into pieces no linkifier joins). All are
// ASCII punctuation, which CommonMark lets us backslash-escape.
const markdownEscaped = "\\`*{}[]()#!|~:@$^."

var isMarkdownEscaped = func() (t [utf8.RuneSelf]bool) {
	for i := 0; i < len(markdownEscaped); i++ {
		t[markdownEscaped[i]] = true
	}
	return t
}()

// EscapeMarkdown makes attacker-controlled text inert in Markdown and in
// HTML-rendering Markdown viewers: Markdown metacharacters are
// backslash-escaped and <, >, & become entities (a backslash before < is
// not enough for viewers that pass raw HTML through); CR/LF, other control
// characters, Unicode line separators and bidi overrides become spaces, so
// the text stays on its line and reads in its real order. The result is
// clipped to n runes before escaping (n <= 0: no limit), ending in an
// ellipsis when clipped. Secret-looking tokens are redacted.
//
// A few characters are escaped only where they can act, which keeps ids,
// regions and event codes readable in the raw file: - and + start a list
// only at the start of the text, and _ inside a word (AWS_ABUSE_X) cannot
// open or close emphasis.
func EscapeMarkdown(s string, n int) string {
	rs := []rune(OneLine(s, n))
	var b strings.Builder
	b.Grow(len(rs) + len(rs)/4)
	for i, r := range rs {
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r < utf8.RuneSelf && isMarkdownEscaped[r],
			(r == '-' || r == '+') && i == 0,
			r == '_' && !(i > 0 && i < len(rs)-1 && isWordRune(rs[i-1]) && isWordRune(rs[i+1])):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// OneLine is for plain-text sinks (alert messages, text e-mail, JSON
// fields): control characters, line separators and bidi overrides become
// spaces so attacker text cannot start a line of its own, surrounding space
// is trimmed, secret-looking tokens are redacted, and the result is clipped
// to n runes (n <= 0: no limit).
func OneLine(s string, n int) string {
	s = redact.Secrets(s)
	s = strings.Map(func(r rune) rune {
		if isBreaking(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return Clip(strings.TrimSpace(s), n)
}

// Multiline keeps line breaks (normalised to \n) but otherwise cleans text
// like OneLine; for free text such as an event description shown as a
// block. Each line is clipped to lineMax runes and the whole to n runes.
func Multiline(s string, lineMax, n int) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = OneLine(l, lineMax)
	}
	return Clip(strings.TrimSpace(strings.Join(lines, "\n")), n)
}

// Clip shortens s to at most n runes, the last being an ellipsis when text
// was cut. n <= 0 means no limit.
func Clip(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	i, k := 0, 0
	for j := range s {
		if k == n-1 {
			i = j
			break
		}
		k++
	}
	return s[:i] + ellipsis
}

// isBreaking reports runes that can break a line or reorder what a reader
// sees: C0/C1 controls (CR, LF, tab, ESC, ...), U+2028/U+2029, and the
// bidi embedding, override and isolate controls.
func isBreaking(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == '\u2028' || r == '\u2029' || r == '\u0085':
		return true
	case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069', r == '\u200E', r == '\u200F', r == '\u061C':
		return true
	}
	return false
}
