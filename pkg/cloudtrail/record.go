// Package cloudtrail reads CloudTrail records in every shape they arrive in
// and finds compromise and persistence indicators in them.
package cloudtrail

import (
	"encoding/json"
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
		Type     string `json:"type,omitempty"`
		UserName string `json:"userName,omitempty"`
		ARN      string `json:"arn,omitempty"`
	} `json:"sessionIssuer"`
}
