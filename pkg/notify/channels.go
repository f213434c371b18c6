// Package notify fans a case out to its audiences — the customer by e-mail,
// the on-call engineer through SNS, other tools through EventBridge — each
// exactly once per (case, revision, channel, recipient).
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Email is a rendered customer e-mail. Subject and both bodies are UTF-8.
type Email struct {
	From             string   `json:"from"`
	FromName         string   `json:"fromName,omitempty"`
	To               []string `json:"to"`
	CC               []string `json:"cc,omitempty"`
	ReplyTo          []string `json:"replyTo,omitempty"`
	Subject          string   `json:"subject"`
	HTML             string   `json:"html"`
	Text             string   `json:"text"`
	ConfigurationSet string   `json:"configurationSet,omitempty"`
	// Tags end up as SES message tags; keys/values are ours, never attacker text.
	Tags map[string]string `json:"tags,omitempty"`
}

// Alert is a rendered on-call message. Subject already obeys SNS's rules
// (ASCII, < 100 chars, one line) and Message its size limit.
type Alert struct {
	Subject    string            `json:"subject"`
	Message    string            `json:"message"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// AlertReportAttribute is the alert attribute that holds where the full
// report is (an s3:// URI); the SNS adapter points a truncated message at
// it.
const AlertReportAttribute = "report"

// Event is one EventBridge entry for the custom bus.
type Event struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detailType"`
	Detail     json.RawMessage `json:"detail"`
	Resources  []string        `json:"resources,omitempty"`
	Time       time.Time       `json:"time,omitzero"`
}

// Mailer sends a customer e-mail and returns the provider's message id.
type Mailer interface {
	SendEmail(ctx context.Context, m Email) (string, error)
}

// Alerter publishes an on-call alert and returns the message id.
type Alerter interface {
	Publish(ctx context.Context, a Alert) (string, error)
}

// EventPublisher puts events on the bus.
type EventPublisher interface {
	PutEvents(ctx context.Context, evs []Event) error
}

// ErrRejected marks a message the provider refused for good (SES
// MessageRejected: sandbox, unverified sender). It is never retried and
// never reported as sent.
var ErrRejected = errors.New("message rejected")

// LedgerKey names one notification.
type LedgerKey struct {
	CaseID    string `json:"caseId"`
	Revision  int    `json:"revision"`
	Channel   string `json:"channel"` // "email", "sns", "eventbridge"
	Recipient string `json:"recipient"`
}

// Entry states. A claim that never reaches another state means a worker
// died between claiming and recording the outcome: the message may or may
// not have gone out, so it is not re-sent; it is surfaced for a human.
// StateRetry records a failure that certainly sent nothing (throttling
// that outlived the SDK's retries): the next delivery may claim it again.
const (
	StateClaimed = "claimed"
	StateSent    = "sent"
	StateFailed  = "failed"
	StateRetry   = "retry"
)

// Entry is a ledger row.
type Entry struct {
	Key       LedgerKey `json:"key"`
	State     string    `json:"state"`
	MessageID string    `json:"messageId,omitempty"`
	Error     string    `json:"error,omitempty"`
	Updated   time.Time `json:"updated"`
}

// Ledger makes delivery exactly-once: Claim is a conditional create, so of
// any number of concurrent or repeated deliveries exactly one proceeds to
// send.
type Ledger interface {
	// Claim returns true if this caller now owns the notification (no
	// entry yet, or one in StateRetry); false with the existing entry if
	// someone else holds or finished it.
	Claim(ctx context.Context, k LedgerKey, now time.Time) (bool, *Entry, error)
	// Finish records the outcome of an owned claim.
	Finish(ctx context.Context, e Entry) error
}
