package lookup

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// policyDoc is the subset of the IAM policy grammar the risk checks read.
type policyDoc struct {
	Statement statements `json:"Statement"`
}

type statement struct {
	Effect    string          `json:"Effect"`
	Action    strList         `json:"Action"`
	NotAction strList         `json:"NotAction"`
	Resource  strList         `json:"Resource"`
	Principal json.RawMessage `json:"Principal"`
	Condition json.RawMessage `json:"Condition"`
}

// statements accepts a single statement object as well as a list.
type statements []statement

func (s *statements) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		var one statement
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

// strList accepts "x" as well as ["x", "y"].
type strList []string

func (l *strList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*l = strList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

// parsePolicy reads a policy document as IAM returns it: URL-encoded
// (RFC 3986) JSON. Lambda returns plain JSON, which passes through
// unescaping unchanged unless it contains '%'; so try plain JSON first.
func parsePolicy(doc string) (policyDoc, error) {
	var p policyDoc
	if err := json.Unmarshal([]byte(doc), &p); err == nil {
		return p, nil
	}
	dec, err := url.PathUnescape(doc)
	if err != nil {
		return p, fmt.Errorf("unable to decode policy document: %w", err)
	}
	if err := json.Unmarshal([]byte(dec), &p); err != nil {
		return p, fmt.Errorf("unable to parse policy document: %w", err)
	}
	return p, nil
}

// iamWrites are the calls a backdoor needs to mint or escalate principals.
var iamWrites = []string{
	"iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
	"iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:AddUserToGroup",
	"iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy",
	"iam:CreatePolicyVersion",
}

// grants reports whether an Allow statement grants action on some resource.
func (s statement) grants(action string) bool {
	if !strings.EqualFold(s.Effect, "Allow") {
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

func (s statement) anyResource() bool {
	for _, r := range s.Resource {
		if r == "*" {
			return true
		}
	}
	return false
}

// isAdmin: some Allow statement grants every action on every resource
// ("*" or "*:*", or a NotAction that leaves IAM writes in).
func (p policyDoc) isAdmin() bool {
	for _, s := range p.Statement {
		if !s.anyResource() || !strings.EqualFold(s.Effect, "Allow") {
			continue
		}
		for _, a := range s.Action {
			if a == "*" || a == "*:*" {
				return true
			}
		}
	}
	return false
}

// writesIAM: some Allow statement grants an IAM write call.
func (p policyDoc) writesIAM() bool {
	for _, s := range p.Statement {
		for _, a := range iamWrites {
			if s.grants(a) {
				return true
			}
		}
	}
	return false
}

// public: some Allow statement names the principal "*" without a condition
// that narrows it, the only exception being the condition Lambda adds for a
// function URL with auth type NONE, which is just as public.
func (p policyDoc) public() bool {
	for _, s := range p.Statement {
		if !strings.EqualFold(s.Effect, "Allow") || !principalIsStar(s.Principal) {
			continue
		}
		if len(s.Condition) == 0 || string(s.Condition) == "null" || onlyURLAuthNone(s.Condition) {
			return true
		}
	}
	return false
}

func principalIsStar(raw json.RawMessage) bool {
	if len(raw) == 0 {
		return false
	}
	var star string
	if json.Unmarshal(raw, &star) == nil {
		return star == "*"
	}
	var m map[string]strList
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	for _, v := range m["AWS"] {
		if v == "*" {
			return true
		}
	}
	return false
}

func onlyURLAuthNone(raw json.RawMessage) bool {
	var c map[string]map[string]strList
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
