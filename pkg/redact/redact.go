// Package redact removes secrets from text before it is stored, logged or
// shown. Attacker text (a user agent, a tag, a pasted error, a CSV log
// excerpt) and AWS descriptions can carry an access key secret, a session
// token or a password; abusedesk keeps none of them anywhere.
package redact

import (
	"regexp"
	"strings"
)

// Marker replaces a redacted secret.
const Marker = "[redacted]"

// Lengths of the credentials recognised by shape. A secret access key is 40
// characters of the base64 alphabet; session tokens are far longer, but a
// cut-off one still gives most of it away, so 100 is enough.
const (
	secretKeyLen = 40
	tokenMinLen  = 100
)

var (
	// Named assignments: key=value, key: value, "key": "value", in any
	// case, whatever the value looks like.
	assignRE = regexp.MustCompile(`(?i)(secret[_-]?access[_-]?key|secret[_-]?key|session[_-]?token|security[_-]?token|x-amz-security-token|x-amz-signature|api[_-]?key|password|passwd|passphrase|pwd|secret)(["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s"',;&<]+)`)
	// Credentials in a URL: scheme://user:password@host.
	userinfoRE = regexp.MustCompile(`(://[^/\s:@]+:)[^/\s@]+@`)
	// Markup that wraps a password: <password>...</password>.
	xmlRE = regexp.MustCompile(`(?i)(<(password|passwd|secret[a-z_-]*|session[_-]?token)>)[^<]*(</)`)
)

// hidden are characters that render as nothing but split a secret so its
// shape no longer matches.
var hidden = strings.NewReplacer("\u200b", "", "\u200c", "", "\u200d", "", "\u2060", "", "\ufeff", "")

// pctDecode undoes the URL escapes that split a key or token into short
// runs (a secret's '/', '+' and '=' are escaped in query strings).
var pctDecode = strings.NewReplacer("%2F", "/", "%2f", "/", "%2B", "+", "%2b", "+", "%3D", "=", "%3d", "=")

// Secrets replaces what looks like an AWS secret access key, a session
// token, a password in a URL or markup, or a named secret assignment with
// [redacted]. Key and token candidates must mix upper case, lower case and
// digits, so hex hashes, access key ids and runs of one letter survive. The
// text may come back normalised: zero-width characters removed and
// percent-escaped '/', '+' and '=' decoded.
func Secrets(s string) string {
	if len(s) < 8 {
		return s
	}
	if strings.ContainsAny(s, "\u200b\u200c\u200d\u2060\ufeff") {
		s = hidden.Replace(s)
	}
	if strings.Contains(s, "%") {
		s = pctDecode.Replace(s)
	}
	if hasFold(s, "secret") || hasFold(s, "token") || hasFold(s, "passw") || hasFold(s, "pwd") ||
		hasFold(s, "passphrase") || hasFold(s, "api") || hasFold(s, "signature") {
		s = redactAssignments(s)
	}
	if strings.Contains(s, "://") && strings.Contains(s, "@") {
		s = userinfoRE.ReplaceAllString(s, "${1}"+Marker+"@")
	}
	if strings.Contains(s, "</") {
		s = xmlRE.ReplaceAllString(s, "${1}"+Marker+"${3}")
	}
	return redactRuns(s)
}

// redactAssignments replaces the value of each named assignment, keeping
// its quotes so that JSON (a CloudTrail body) stays JSON.
func redactAssignments(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range assignRE.FindAllStringSubmatchIndex(s, -1) {
		vs, ve := m[6], m[7]
		b.WriteString(s[last:vs])
		if q := s[vs]; (q == '"' || q == '\'') && ve-vs >= 2 {
			b.WriteByte(q)
			b.WriteString(Marker)
			b.WriteByte(q)
		} else {
			b.WriteString(Marker)
		}
		last = ve
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '/' || c == '+'
}

// redactRuns scans each run of the base64 alphabet. A long mixed run is a
// token; otherwise any 40-character stretch that starts at the run's start
// or after a '/' and ends at its end or before a '/' and mixes case and
// digits is a key: a key inside a path (".../blob/main/<key>") or after an
// access key id ("AKIA.../<key>") is still found.
func redactRuns(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !isBase64(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isBase64(s[j]) {
			j++
		}
		// A token's '=' padding belongs to it.
		end := j
		for end < len(s) && end-j < 2 && s[end] == '=' {
			end++
		}
		if j-i >= secretKeyLen {
			if spans := secretSpans(s[i:j]); len(spans) > 0 {
				for _, sp := range spans {
					b.WriteString(s[last : i+sp[0]])
					b.WriteString(Marker)
					last = i + sp[1]
					if sp[1] == j-i {
						last = end
					}
				}
			}
		}
		i = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// secretSpans returns the [start, end) spans of run to redact, in order.
func secretSpans(run string) [][2]int {
	if len(run) >= tokenMinLen && looksLikeSecretKey(run) {
		return [][2]int{{0, len(run)}}
	}
	var spans [][2]int
	for start := 0; start+secretKeyLen <= len(run); start++ {
		if start > 0 && run[start-1] != '/' {
			continue
		}
		end := start + secretKeyLen
		if end < len(run) && run[end] != '/' {
			continue
		}
		w := run[start:end]
		// A stretch across '/' may be a path ("TestX123/001/missing"); a
		// key's characters change class far more often than words do.
		if looksLikeSecretKey(w) && (!strings.Contains(w, "/") || classChanges(w) >= minClassChanges) {
			spans = append(spans, [2]int{start, end})
			start = end // spans never overlap
		}
	}
	return spans
}

// minClassChanges is how often the characters of a 40-character stretch
// that crosses a '/' must switch between upper case, lower case and digits
// to count as a key: random base64 switches about 25 times, AWS's
// documented example key 13 times, camel-case paths under 10.
const minClassChanges = 11

func classChanges(w string) int {
	class := func(c byte) int {
		switch {
		case c >= 'A' && c <= 'Z':
			return 1
		case c >= 'a' && c <= 'z':
			return 2
		case c >= '0' && c <= '9':
			return 3
		}
		return 0
	}
	n, prev := 0, 0
	for i := 0; i < len(w); i++ {
		c := class(w[i])
		if c == 0 {
			continue
		}
		if prev != 0 && c != prev {
			n++
		}
		prev = c
	}
	return n
}

func hasFold(s, w string) bool {
	n := len(w)
	for i := 0; i+n <= len(s); i++ {
		if strings.EqualFold(s[i:i+n], w) {
			return true
		}
	}
	return false
}

func looksLikeSecretKey(tok string) bool {
	var upper, lower, digit bool
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9':
			digit = true
		}
	}
	return upper && lower && digit
}
