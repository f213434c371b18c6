package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// This file is a small JSON walker. encoding/json validates and reflects over
// every byte of every record; a trail scan only needs a dozen top-level
// fields per record and skips the (large) bodies, so walking the bytes
// directly is several times faster. Bodies that indicators do read are
// decoded later with encoding/json, only for the few matching records.

var errIncomplete = errors.New("unexpected end of JSON input")

// maxDepth bounds nesting so hostile input cannot exhaust the stack or time.
const maxDepth = 512

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value starting at b[i]
// (after optional whitespace). It returns errIncomplete when b ends inside
// the value, so stream readers can fetch more bytes and retry.
func skipValue(b []byte, i int) (int, error) {
	return skipValueDepth(b, i, 0)
}

func skipValueDepth(b []byte, i, depth int) (int, error) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return i, errIncomplete
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return i, fmt.Errorf("unable to parse JSON: nesting deeper than %d", maxDepth)
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return i, errIncomplete
		}
		if b[i] == closer {
			return i + 1, nil
		}
		for {
			var err error
			if c == '{' {
				i = skipSpace(b, i)
				if i >= len(b) {
					return i, errIncomplete
				}
				if b[i] != '"' {
					return i, syntaxErr(b, i, "object key")
				}
				if i, err = skipString(b, i); err != nil {
					return i, err
				}
				i = skipSpace(b, i)
				if i >= len(b) {
					return i, errIncomplete
				}
				if b[i] != ':' {
					return i, syntaxErr(b, i, "':'")
				}
				i++
			}
			if i, err = skipValueDepth(b, i, depth+1); err != nil {
				return i, err
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return i, errIncomplete
			}
			switch b[i] {
			case ',':
				i++
			case closer:
				return i + 1, nil
			default:
				return i, syntaxErr(b, i, "',' or closing bracket")
			}
		}
	case c == 't':
		return skipLiteral(b, i, "true")
	case c == 'f':
		return skipLiteral(b, i, "false")
	case c == 'n':
		return skipLiteral(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		j := i + 1
		for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] == '.' || b[j] == 'e' || b[j] == 'E' || b[j] == '+' || b[j] == '-') {
			j++
		}
		if j >= len(b) {
			// A number at the very end of the buffer may continue.
			return j, errIncomplete
		}
		return j, nil
	default:
		return i, syntaxErr(b, i, "value")
	}
}

func skipLiteral(b []byte, i int, lit string) (int, error) {
	end := i + len(lit)
	if end > len(b) {
		if string(b[i:]) == lit[:len(b)-i] {
			return len(b), errIncomplete
		}
		return i, syntaxErr(b, i, lit)
	}
	if string(b[i:end]) != lit {
		return i, syntaxErr(b, i, lit)
	}
	return end, nil
}

// skipString returns the index just past the string starting at b[i]=='"'.
func skipString(b []byte, i int) (int, error) {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return len(b), errIncomplete
		}
		j += k
		// Count the backslashes before the quote: an odd number escapes it.
		n := 0
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return j + 1, nil
		}
		j++
	}
}

func syntaxErr(b []byte, i int, want string) error {
	got := "end of input"
	if i < len(b) {
		got = fmt.Sprintf("%q", b[i])
	}
	return fmt.Errorf("unable to parse JSON at offset %d: want %s, got %s", i, want, got)
}

// eachField calls fn for every key/value of the object in b. key is the raw
// key without quotes (CloudTrail keys never contain escapes; keys that do are
// compared escaped, which only means they match nothing). val is the raw
// value bytes, a sub-slice of b.
func eachField(b []byte, fn func(key, val []byte) error) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return syntaxErr(b, i, "'{'")
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return syntaxErr(b, i, "object key")
		}
		ks := i
		ke, err := skipString(b, i)
		if err != nil {
			return err
		}
		i = skipSpace(b, ke)
		if i >= len(b) || b[i] != ':' {
			return syntaxErr(b, i, "':'")
		}
		vs := skipSpace(b, i+1)
		ve, err := skipValue(b, vs)
		if err != nil {
			return err
		}
		if err := fn(b[ks+1:ke-1], b[vs:ve]); err != nil {
			return err
		}
		i = skipSpace(b, ve)
		if i >= len(b) {
			return errIncomplete
		}
		switch b[i] {
		case ',':
			i++
		case '}':
			return nil
		default:
			return syntaxErr(b, i, "',' or '}'")
		}
	}
}

// jsonString decodes a raw JSON string value; null and non-strings give "".
func jsonString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false
	}
	return s, true
}

// isNull reports whether a raw value is absent or JSON null.
func isNull(v []byte) bool {
	v = bytes.TrimSpace(v)
	return len(v) == 0 || string(v) == "null"
}
