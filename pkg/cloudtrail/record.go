// Package cloudtrail reads CloudTrail records in every shape they arrive in
// and finds compromise and persistence indicators in them.
package cloudtrail

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Record is one CloudTrail event. Request and response bodies stay raw: their
// shapes are per-API and often null, {} or omitted, and indicators read only
// the few fields they need.
type Record struct {
	EventVersion        string          `json:"eventVersion,omitempty"`
	EventID             string          `json:"eventID,omitempty"`
	EventTime           time.Time       `json:"eventTime"`
	EventSource         string          `json:"eventSource,omitempty"`
	EventName           string          `json:"eventName,omitempty"`
	EventType           string          `json:"eventType,omitempty"`
	EventCategory       string          `json:"eventCategory,omitempty"`
	AWSRegion           string          `json:"awsRegion,omitempty"`
	SourceIPAddress     string          `json:"sourceIPAddress,omitempty"`
	UserAgent           string          `json:"userAgent,omitempty"`
	UserIdentity        UserIdentity    `json:"userIdentity"`
	ErrorCode           string          `json:"errorCode,omitempty"`
	ErrorMessage        string          `json:"errorMessage,omitempty"`
	ReadOnly            *bool           `json:"readOnly,omitempty"`
	RecipientAccountID  string          `json:"recipientAccountId,omitempty"`
	RequestParameters   json.RawMessage `json:"requestParameters,omitempty"`
	ResponseElements    json.RawMessage `json:"responseElements,omitempty"`
	AdditionalEventData json.RawMessage `json:"additionalEventData,omitempty"`

	RequestID       string          `json:"requestID,omitempty"`
	ManagementEvent *bool           `json:"managementEvent,omitempty"`
	SharedEventID   string          `json:"sharedEventID,omitempty"`
	Resources       json.RawMessage `json:"resources,omitempty"`

	// hasIdentity records whether userIdentity was present at all: Insights
	// events and other non-API records have none and are skipped.
	hasIdentity bool
}

// UserIdentity is the caller. Type is an open set (Root, IAMUser,
// AssumedRole, FederatedUser, AWSService, IdentityCenterUser, ... or absent).
type UserIdentity struct {
	Type           string          `json:"type,omitempty"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
	SessionContext *SessionContext `json:"sessionContext,omitempty"`
}

// SessionContext describes temporary credentials.
type SessionContext struct {
	Attributes struct {
		MFAAuthenticated string `json:"mfaAuthenticated,omitempty"`
		CreationDate     string `json:"creationDate,omitempty"`
	} `json:"attributes"`
	SessionIssuer struct {
		Type        string `json:"type,omitempty"`
		UserName    string `json:"userName,omitempty"`
		ARN         string `json:"arn,omitempty"`
		AccountID   string `json:"accountId,omitempty"`
		PrincipalID string `json:"principalId,omitempty"`
	} `json:"sessionIssuer"`
	// EC2RoleDelivery is set when the credentials came from an instance's
	// metadata service, which is how stolen instance credentials show up.
	EC2RoleDelivery string `json:"ec2RoleDelivery,omitempty"`
}

// UnmarshalJSON reads the fields abusedesk uses and skips the rest without
// reflection; see jsonscan.go for why.
func (r *Record) UnmarshalJSON(b []byte) error {
	*r = Record{}
	if err := eachField(b, r.setField); err != nil {
		return fmt.Errorf("unable to parse CloudTrail record: %w", err)
	}
	return nil
}

// setField stores one top-level record field; unknown fields are ignored so
// new CloudTrail fields never break parsing.
func (r *Record) setField(k, v []byte) error {
	switch string(k) {
	case "eventVersion":
		r.EventVersion, _ = jsonString(v)
	case "eventID":
		r.EventID, _ = jsonString(v)
	case "eventTime":
		s, ok := jsonString(v)
		if !ok {
			if isNull(v) {
				return nil
			}
			return fmt.Errorf("unable to parse eventTime %.40s: not a string", v)
		}
		t, err := parseEventTime(s)
		if err != nil {
			return err
		}
		r.EventTime = t
	case "eventSource":
		r.EventSource, _ = jsonString(v)
	case "eventName":
		r.EventName, _ = jsonString(v)
	case "eventType":
		r.EventType, _ = jsonString(v)
	case "eventCategory":
		r.EventCategory, _ = jsonString(v)
	case "awsRegion":
		r.AWSRegion, _ = jsonString(v)
	case "sourceIPAddress":
		r.SourceIPAddress, _ = jsonString(v)
	case "userAgent":
		r.UserAgent, _ = jsonString(v)
	case "userIdentity":
		if isNull(v) {
			return nil
		}
		if err := r.UserIdentity.UnmarshalJSON(v); err != nil {
			return err
		}
		r.hasIdentity = true
	case "errorCode":
		r.ErrorCode, _ = jsonString(v)
	case "errorMessage":
		r.ErrorMessage, _ = jsonString(v)
	case "readOnly":
		r.ReadOnly = flexBool(v)
	case "managementEvent":
		r.ManagementEvent = flexBool(v)
	case "recipientAccountId":
		r.RecipientAccountID, _ = jsonString(v)
	case "requestID":
		r.RequestID, _ = jsonString(v)
	case "sharedEventID":
		r.SharedEventID, _ = jsonString(v)
	case "requestParameters":
		r.RequestParameters = rawOrNil(v)
	case "responseElements":
		r.ResponseElements = rawOrNil(v)
	case "additionalEventData":
		r.AdditionalEventData = rawOrNil(v)
	case "resources":
		r.Resources = rawOrNil(v)
	}
	return nil
}

// rawOrNil copies a body so records never alias a reader's reusable buffer,
// and maps null to nil so "absent" and "null" look the same to indicators.
func rawOrNil(v []byte) json.RawMessage {
	if isNull(v) {
		return nil
	}
	return append(json.RawMessage(nil), v...)
}

// flexBool accepts true/false and the strings "true"/"false"; CloudTrail
// writes booleans both ways depending on the service.
func flexBool(v []byte) *bool {
	s := string(v)
	if str, ok := jsonString(v); ok {
		s = str
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil
	}
	return &b
}

func parseEventTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("unable to parse eventTime %.40q: %w", s, err)
	}
	return t, nil
}

// UnmarshalJSON reads a userIdentity block of any type.
func (u *UserIdentity) UnmarshalJSON(b []byte) error {
	*u = UserIdentity{}
	return eachField(b, func(k, v []byte) error {
		switch string(k) {
		case "type":
			u.Type, _ = jsonString(v)
		case "principalId":
			u.PrincipalID, _ = jsonString(v)
		case "arn":
			u.ARN, _ = jsonString(v)
		case "accountId":
			u.AccountID, _ = jsonString(v)
		case "accessKeyId":
			u.AccessKeyID, _ = jsonString(v)
		case "userName":
			u.UserName, _ = jsonString(v)
		case "invokedBy":
			u.InvokedBy, _ = jsonString(v)
		case "sessionContext":
			if isNull(v) {
				return nil
			}
			sc := &SessionContext{}
			if err := sc.UnmarshalJSON(v); err != nil {
				return err
			}
			u.SessionContext = sc
		}
		return nil
	})
}

// UnmarshalJSON reads a sessionContext block; mfaAuthenticated arrives as a
// string or a boolean.
func (s *SessionContext) UnmarshalJSON(b []byte) error {
	*s = SessionContext{}
	return eachField(b, func(k, v []byte) error {
		switch string(k) {
		case "ec2RoleDelivery":
			s.EC2RoleDelivery, _ = jsonString(v)
		case "attributes":
			if isNull(v) {
				return nil
			}
			return eachField(v, func(k, v []byte) error {
				switch string(k) {
				case "mfaAuthenticated":
					if p := flexBool(v); p != nil {
						s.Attributes.MFAAuthenticated = strconv.FormatBool(*p)
					}
				case "creationDate":
					s.Attributes.CreationDate, _ = jsonString(v)
				}
				return nil
			})
		case "sessionIssuer":
			if isNull(v) {
				return nil
			}
			return eachField(v, func(k, v []byte) error {
				switch string(k) {
				case "type":
					s.SessionIssuer.Type, _ = jsonString(v)
				case "userName":
					s.SessionIssuer.UserName, _ = jsonString(v)
				case "arn":
					s.SessionIssuer.ARN, _ = jsonString(v)
				case "accountId":
					s.SessionIssuer.AccountID, _ = jsonString(v)
				case "principalId":
					s.SessionIssuer.PrincipalID, _ = jsonString(v)
				}
				return nil
			})
		}
		return nil
	})
}

// Actor names the caller the way a customer recognises it: the ARN when
// there is one, else the principal, the invoking service or the type.
func (r *Record) Actor() string {
	u := &r.UserIdentity
	switch {
	case u.Type == "Root" && u.ARN == "":
		return "root"
	case u.ARN != "":
		return u.ARN
	case u.PrincipalID != "":
		return u.PrincipalID
	case u.InvokedBy != "":
		return u.InvokedBy
	case u.Type != "":
		return u.Type
	}
	return "unknown"
}

// IsRoot reports whether the account's root user made the call.
func (r *Record) IsRoot() bool { return r.UserIdentity.Type == "Root" }

// IsReadOnly uses the readOnly flag when CloudTrail wrote one and otherwise
// falls back to the API naming convention.
func (r *Record) IsReadOnly() bool {
	if r.ReadOnly != nil {
		return *r.ReadOnly
	}
	n := r.EventName
	for _, p := range []string{"Get", "List", "Describe", "Head", "Lookup", "Search", "Query", "Scan", "BatchGet"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// Failed reports whether AWS rejected or failed the call.
func (r *Record) Failed() bool { return r.ErrorCode != "" }

// AccessDenied reports the error codes a caller without permissions gets;
// services spell it differently.
func (r *Record) AccessDenied() bool {
	c := r.ErrorCode
	return c == "AccessDenied" || c == "AccessDeniedException" || c == "Client.UnauthorizedOperation" ||
		c == "UnauthorizedOperation" || c == "Client.UnauthorizedAccess" || c == "UnauthorizedAccess" ||
		c == "AuthorizationError" || c == "Forbidden"
}

// TemporaryCredentials reports whether the call used STS session
// credentials rather than a long-term key or a console password.
func (r *Record) TemporaryCredentials() bool {
	if strings.HasPrefix(r.UserIdentity.AccessKeyID, "ASIA") {
		return true
	}
	t := r.UserIdentity.Type
	return t == "AssumedRole" || t == "FederatedUser"
}

// RoleName is the IAM role behind an assumed-role session, or "".
func (r *Record) RoleName() string {
	if sc := r.UserIdentity.SessionContext; sc != nil && sc.SessionIssuer.Type == "Role" {
		return sc.SessionIssuer.UserName
	}
	if r.UserIdentity.Type == "AssumedRole" {
		// arn:aws:sts::123:assumed-role/ROLE/SESSION
		if _, rest, ok := strings.Cut(r.UserIdentity.ARN, ":assumed-role/"); ok {
			role, _, _ := strings.Cut(rest, "/")
			return role
		}
	}
	return ""
}

// SessionName is the role session name of an assumed-role caller.
func (r *Record) SessionName() string {
	if r.UserIdentity.Type != "AssumedRole" {
		return ""
	}
	if i := strings.LastIndexByte(r.UserIdentity.ARN, '/'); i >= 0 && strings.Contains(r.UserIdentity.ARN, ":assumed-role/") {
		return r.UserIdentity.ARN[i+1:]
	}
	if _, s, ok := strings.Cut(r.UserIdentity.PrincipalID, ":"); ok {
		return s
	}
	return ""
}

// LambdaRole reports whether a Lambda function's execution role made the
// call. Lambda's SDKs put "exec-env/AWS_Lambda_<runtime>" in the user agent
// and the role session is named after the function.
func (r *Record) LambdaRole() bool {
	if r.UserIdentity.Type != "AssumedRole" {
		return false
	}
	return strings.Contains(r.UserAgent, "AWS_Lambda_") || strings.Contains(r.UserAgent, "exec-env/AWS_Lambda")
}

// EC2Role reports whether an instance profile's credentials made the call.
func (r *Record) EC2Role() bool {
	if r.UserIdentity.Type != "AssumedRole" {
		return false
	}
	if sc := r.UserIdentity.SessionContext; sc != nil && sc.EC2RoleDelivery != "" {
		return true
	}
	s := r.SessionName()
	return strings.HasPrefix(s, "i-") && len(s) >= 10
}

// SourceAddr parses sourceIPAddress. ok is false for service names
// ("lambda.amazonaws.com"), "AWS Internal" and anything else that is not an
// address.
func (r *Record) SourceAddr() (netip.Addr, bool) {
	a, err := netip.ParseAddr(r.SourceIPAddress)
	if err != nil {
		return netip.Addr{}, false
	}
	return a, true
}

// CompareEventVersions compares "1.10" and "1.9" as numbers (1.10 is newer).
// Missing or malformed parts count as zero.
func CompareEventVersions(a, b string) int {
	for a != "" || b != "" {
		var pa, pb string
		pa, a, _ = strings.Cut(a, ".")
		pb, b, _ = strings.Cut(b, ".")
		na, _ := strconv.Atoi(pa)
		nb, _ := strconv.Atoi(pb)
		if na != nb {
			if na < nb {
				return -1
			}
			return 1
		}
	}
	return 0
}

// baseEventName strips the API-version suffix some services append
// ("AddPermission20150331v2", "CreateFunctionUrlConfig20211031") so
// indicators can be keyed on the operation name.
func baseEventName(n string) string {
	s := n
	if i := strings.LastIndexByte(s, 'v'); i > 0 && i < len(s)-1 && allDigits(s[i+1:]) {
		s = s[:i]
	}
	j := len(s)
	for j > 0 && (s[j-1] >= '0' && s[j-1] <= '9' || s[j-1] == '_') {
		j--
	}
	if len(s)-j >= 8 && j > 0 {
		return s[:j]
	}
	return n
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
