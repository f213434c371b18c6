package cloudtrail

import (
	"bytes"
	"encoding/json"
)

// path returns the raw value at keys inside a JSON object, or nil. Bodies
// are often null, {} or omitted as too large; all of those simply give nil.
func path(raw []byte, keys ...string) []byte {
	for _, k := range keys {
		if isNull(raw) || bytes.TrimSpace(raw)[0] != '{' {
			return nil
		}
		var found []byte
		_ = eachField(raw, func(key, v []byte) error {
			if string(key) == k {
				found = v
			}
			return nil
		})
		if found == nil {
			return nil
		}
		raw = found
	}
	return raw
}

// str returns the string (or the literal text of a number/bool) at keys.
func str(raw []byte, keys ...string) string {
	v := path(raw, keys...)
	if s, ok := jsonString(v); ok {
		return s
	}
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] != '{' && v[0] != '[' && string(v) != "null" {
		return string(v)
	}
	return ""
}

// strs returns a string or an array of strings at keys as a slice.
func strs(raw []byte, keys ...string) []string {
	v := path(raw, keys...)
	if isNull(v) {
		return nil
	}
	var one string
	if json.Unmarshal(v, &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(v, &many) == nil {
		return many
	}
	return nil
}

// items decodes an EC2-style {"items":[...]} list or a plain array.
func items(raw []byte) []json.RawMessage {
	if isNull(raw) {
		return nil
	}
	if it := path(raw, "items"); it != nil {
		raw = it
	}
	var out []json.RawMessage
	if json.Unmarshal(raw, &out) != nil {
		return nil
	}
	return out
}
