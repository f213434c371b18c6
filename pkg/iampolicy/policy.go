// Package iampolicy reads IAM policy documents, identity, resource and trust
// policies alike, in every shape AWS hands them out, and answers the few
// questions the detectors and the account lookups ask of them.
package iampolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Doc is the subset of the IAM policy grammar the checks read.
type Doc struct {
	Statement Statements `json:"Statement"`
}

// Statement is one policy statement.
type Statement struct {
	Effect    string          `json:"Effect"`
	Action    StringList      `json:"Action"`
	NotAction StringList      `json:"NotAction"`
	Resource  StringList      `json:"Resource"`
	Principal *Principal      `json:"Principal"` // nil when the statement names none
	Condition json.RawMessage `json:"Condition"`
}

// Statements accepts a single statement object as well as a list, since
// IAM allows both.
type Statements []Statement

// UnmarshalJSON implements json.Unmarshaler.
func (s *Statements) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '{' {
		var one Statement
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = Statements{one}
		return nil
	}
	var many []Statement
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// StringList accepts "x" as well as ["x", "y"].
type StringList []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *StringList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*l = StringList{one}
		return nil
	}
	var many []string
	if json.Unmarshal(b, &many) != nil {
		// A number or object where strings belong must not cost the rest of
		// the document, which may still hold the statement that matters.
		*l = nil
		return nil
	}
	*l = many
	return nil
}

// Principal is a statement's Principal: "*" or a map of principal types.
type Principal struct {
	Any       bool // "*", or "*" among the AWS principals
	AWS       StringList
	Service   StringList
	Federated StringList
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *Principal) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		p.Any = s == "*"
		return nil
	}
	var o struct {
		AWS       StringList `json:"AWS"`
		Service   StringList `json:"Service"`
		Federated StringList `json:"Federated"`
	}
	if json.Unmarshal(b, &o) != nil {
		return nil // an unexpected shape names nobody
	}
	p.AWS, p.Service, p.Federated = o.AWS, o.Service, o.Federated
	for _, a := range o.AWS {
		if a == "*" {
			p.Any = true
		}
	}
	return nil
}

// Parse reads a document as the IAM and Lambda APIs return it. IAM
// URL-encodes documents (RFC 3986); Lambda returns plain JSON, which passes
// through unescaping unchanged unless it contains '%', so plain JSON is
// tried first.
func Parse(text string) (Doc, error) {
	return parse(text, url.PathUnescape)
}

// ParseRaw reads a document as CloudTrail logs it: a JSON object, or a JSON
// string holding JSON or URL-encoded JSON. ok is false when there is no
// document (null, empty) or it cannot be read.
func ParseRaw(raw json.RawMessage) (doc Doc, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return doc, false
	}
	if raw[0] != '"' {
		return doc, json.Unmarshal(raw, &doc) == nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return doc, false
	}
	// CloudTrail's encoded copies are decoded as query values, '+' being a
	// space, as the CloudTrail detectors always have; IAM's own responses
	// are RFC 3986, where '+' is literal.
	doc, err := parse(s, url.QueryUnescape)
	return doc, err == nil
}

func parse(text string, unescape func(string) (string, error)) (Doc, error) {
	var d Doc
	if err := json.Unmarshal([]byte(text), &d); err == nil {
		return d, nil
	}
	dec, err := unescape(text)
	if err != nil {
		return Doc{}, fmt.Errorf("unable to decode policy document: %w", err)
	}
	d = Doc{}
	if err := json.Unmarshal([]byte(dec), &d); err != nil {
		return Doc{}, fmt.Errorf("unable to parse policy document: %w", err)
	}
	return d, nil
}

func (s Statement) allows() bool { return strings.EqualFold(s.Effect, "Allow") }

// Grants reports whether the statement is an Allow that grants action on
// some resource, through Action or through a NotAction that leaves it in.
func (s Statement) Grants(action string) bool {
	if !s.allows() {
		return false
	}
	if len(s.Action) > 0 {
		for _, a := range s.Action {
			if wildMatch(a, action) {
				return true
			}
		}
		return false
	}
	if len(s.NotAction) > 0 {
		for _, a := range s.NotAction {
			if wildMatch(a, action) {
				return false
			}
		}
		return true
	}
	return false
}

// Grants reports whether some statement grants action on some resource.
func (d Doc) Grants(action string) bool {
	for _, s := range d.Statement {
		if s.Grants(action) {
			return true
		}
	}
	return false
}

// GrantsAll reports whether some Allow statement names every action ("*" or
// "*:*") on every resource: an administrator policy.
func (d Doc) GrantsAll() bool {
	for _, s := range d.Statement {
		if !s.allows() {
			continue
		}
		allActions, allResources := false, false
		for _, a := range s.Action {
			if a == "*" || a == "*:*" {
				allActions = true
			}
		}
		for _, r := range s.Resource {
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

// iamWrites are the calls a backdoor needs to mint or escalate principals.
var iamWrites = []string{
	"iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
	"iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:AddUserToGroup",
	"iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy",
	"iam:CreatePolicyVersion",
}

// WritesIAM reports whether some Allow statement grants an IAM write call.
func (d Doc) WritesIAM() bool {
	for _, a := range iamWrites {
		if d.Grants(a) {
			return true
		}
	}
	return false
}

// Public reports whether some Allow statement names the principal "*"
// without a condition that narrows it. The one condition that does not
// narrow is the one Lambda adds for a function URL with auth type NONE,
// which is just as public.
func (d Doc) Public() bool {
	for _, s := range d.Statement {
		if !s.allows() || s.Principal == nil || !s.Principal.Any {
			continue
		}
		if s.unconditional() || onlyURLAuthNone(s.Condition) {
			return true
		}
	}
	return false
}

func onlyURLAuthNone(raw json.RawMessage) bool {
	var c map[string]map[string]StringList
	if json.Unmarshal(raw, &c) != nil || len(c) != 1 {
		return false
	}
	for _, kv := range c {
		if len(kv) != 1 {
			return false
		}
		for k, v := range kv {
			return strings.EqualFold(k, "lambda:FunctionUrlAuthType") && len(v) == 1 && v[0] == "NONE"
		}
	}
	return false
}

// ExternalPrincipals lists who outside account may act under the policy:
// "*" for anyone, else the AWS principals (account IDs or ARNs) of other
// accounts.
// A condition may narrow "*" to something safe (an organisation, a source
// account), so only an unconditional "*" is listed; "Condition": null is no
// condition.
func (d Doc) ExternalPrincipals(account string) []string {
	var out []string
	for _, s := range d.Statement {
		if !s.allows() || s.Principal == nil {
			continue
		}
		if s.Principal.Any && s.unconditional() {
			out = append(out, "*")
			continue
		}
		for _, a := range s.Principal.AWS {
			if acct := AccountOf(a); acct != "" && acct != account {
				out = append(out, a)
			}
		}
	}
	return out
}

// AccountOf returns the account ID of an ARN or a bare 12-digit ID, or "".
func AccountOf(principal string) string {
	if len(principal) == 12 && allDigits(principal) {
		return principal
	}
	parts := strings.SplitN(principal, ":", 6)
	if len(parts) >= 5 && parts[0] == "arn" {
		return parts[4]
	}
	return ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// wildMatch matches an IAM action pattern (with * and ?) against an action,
// case-insensitively as IAM does for actions.
func wildMatch(pattern, s string) bool {
	pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	// Iterative glob with single-star backtracking: linear, so a hostile
	// pattern cannot make it blow up.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func (s Statement) unconditional() bool {
	c := bytes.TrimSpace(s.Condition)
	return len(c) == 0 || string(c) == "null" || string(c) == "{}"
}
