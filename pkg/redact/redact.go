// Package redact removes secrets from text before it is stored, logged or
// shown. Attacker text (a user agent, a tag, a pasted error, a CSV log
// excerpt) and AWS descriptions can carry an access key secret, a session
// token or a password; abusedesk keeps none of them anywhere.
package redact

import (
	"regexp"
	"strings"
)

// Secrets never belong in a report, but attacker text (a user agent, a
// tag, a pasted error) or an AWS description can carry one. A secret
// access key is 40 characters of base64 alphabet; plain hex (hashes, ids)
// is excluded by requiring mixed case and a digit. Session tokens are long
// base64 runs, recognised by length.
var (
	secretKeyRE    = regexp.MustCompile(`(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+=])`)
	sessionTokenRE = regexp.MustCompile(`[A-Za-z0-9/+]{200,}={0,2}`)
	secretAssignRE = regexp.MustCompile(`(?i)(secret[_-]?access[_-]?key|session[_-]?token|password|passwd)(["']?\s*[:=]\s*["']?)[^\s"',;&]+`)
)

// Marker replaces a redacted secret.
const Marker = "[redacted]"

// Secrets replaces what looks like an AWS secret access key, session
// token or a "password=..." assignment with [redacted]. Key and token
// candidates must mix upper case, lower case and digits, so hex hashes and
// long runs of one letter survive.
func Secrets(s string) string {
	if len(s) < 8 {
		return s
	}
	// Cheap pre-checks: almost every string has no assignment keyword and
	// no 40-character base64 run, and skipping the regexps then makes
	// redaction nearly free.
	if hasFold(s, "secret") || hasFold(s, "token") || hasFold(s, "passw") {
		s = secretAssignRE.ReplaceAllString(s, "${1}${2}"+Marker)
	}
	run := longestBase64Run(s)
	if run >= 200 {
		s = sessionTokenRE.ReplaceAllStringFunc(s, func(tok string) string {
			if looksLikeSecretKey(tok) {
				return Marker
			}
			return tok
		})
	}
	if run < 40 {
		return s
	}
	// Submatch indexes, because the surrounding delimiters are part of
	// the match and must survive.
	var b strings.Builder
	last := 0
	for _, m := range secretKeyRE.FindAllStringSubmatchIndex(s, -1) {
		tok := s[m[2]:m[3]]
		if !looksLikeSecretKey(tok) {
			continue
		}
		b.WriteString(s[last:m[2]])
		b.WriteString(Marker)
		last = m[3]
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func longestBase64Run(s string) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '/' || c == '+' {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}

// hasFold reports whether s contains the ASCII lower-case word w in any
// case, without allocating.
func hasFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i]|0x20 == w[0] && strings.EqualFold(s[i:i+len(w)], w) {
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
