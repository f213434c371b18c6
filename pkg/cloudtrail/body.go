package cloudtrail

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
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

// stringList decodes a JSON value that is a string or a list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		// Unexpected shapes (numbers, objects) mean "no usable values".
		*l = nil
		return nil
	}
	*l = many
	return nil
}

type principal struct {
	Any       bool
	AWS       stringList
	Service   stringList
	Federated stringList
}

func (p *principal) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		p.Any = s == "*"
		return nil
	}
	var o struct {
		AWS       stringList `json:"AWS"`
		Service   stringList `json:"Service"`
		Federated stringList `json:"Federated"`
	}
	if json.Unmarshal(b, &o) != nil {
		return nil
	}
	p.AWS, p.Service, p.Federated = o.AWS, o.Service, o.Federated
	for _, a := range o.AWS {
		if a == "*" {
			p.Any = true
		}
	}
	return nil
}

type statement struct {
	Effect    string          `json:"Effect"`
	Action    stringList      `json:"Action"`
	NotAction stringList      `json:"NotAction"`
	Resource  stringList      `json:"Resource"`
	Principal *principal      `json:"Principal"`
	Condition json.RawMessage `json:"Condition"`
}

type statements []statement

func (s *statements) UnmarshalJSON(b []byte) error {
	var one statement
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = statements{one}
		return nil
	}
	var many []statement
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

type policyDoc struct {
	Statement statements `json:"Statement"`
}

// parsePolicy reads an IAM/resource policy that CloudTrail logs as a JSON
// object, as JSON inside a string, or URL-encoded inside a string.
func parsePolicy(raw []byte) (policyDoc, bool) {
	var doc policyDoc
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return doc, false
	}
	if raw[0] == '"' {
		s, ok := jsonString(raw)
		if !ok {
			return doc, false
		}
		if strings.HasPrefix(s, "%7B") || strings.HasPrefix(s, "%7b") {
			if u, err := url.QueryUnescape(s); err == nil {
				s = u
			}
		}
		raw = []byte(s)
	}
	if json.Unmarshal(raw, &doc) != nil {
		return doc, false
	}
	return doc, true
}

// grantsAll reports an Allow of every action on every resource.
func (d policyDoc) grantsAll() bool {
	for _, st := range d.Statement {
		if !strings.EqualFold(st.Effect, "Allow") {
			continue
		}
		allActions, allResources := false, false
		for _, a := range st.Action {
			if a == "*" || a == "*:*" {
				allActions = true
			}
		}
		for _, r := range st.Resource {
			if r == "*" {
				allResources = true
			}
		}
		if allActions && allResources {
			return true
		}
	}
	return false
}

// externalPrincipals lists who outside account may act under the policy:
// "*" or account IDs / ARNs of other accounts.
func (d policyDoc) externalPrincipals(account string) []string {
	var out []string
	for _, st := range d.Statement {
		if !strings.EqualFold(st.Effect, "Allow") || st.Principal == nil {
			continue
		}
		if st.Principal.Any && len(st.Condition) == 0 {
			out = append(out, "*")
			continue
		}
		for _, a := range st.Principal.AWS {
			acct := accountOf(a)
			if acct != "" && acct != account {
				out = append(out, a)
			}
		}
	}
	return out
}

// accountOf extracts the account ID from an ARN or a bare 12-digit ID.
func accountOf(p string) string {
	if len(p) == 12 && allDigits(p) {
		return p
	}
	parts := strings.SplitN(p, ":", 6)
	if len(parts) >= 5 && parts[0] == "arn" {
		return parts[4]
	}
	return ""
}
