package health

import (
	"github.com/abusedesk/abusedesk/pkg/redact"

	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// InputError says why input is not a usable Health event. Nothing is
// written or sent for such input.
type InputError struct {
	Reason string
	Err    error
}

// Error quotes the input only through the redactor: the JSON decoder's
// own messages repeat the offending value, which can be a secret.
func (e *InputError) Error() string {
	if e.Err != nil {
		return redact.Secrets("invalid event: " + e.Reason + ": " + e.Err.Error())
	}
	return redact.Secrets("invalid event: " + e.Reason)
}

func (e *InputError) Unwrap() error { return e.Err }

// SkipError marks a well-formed Health event that abusedesk does not handle
// (an ordinary service event); it is not a failure.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// IsSkip reports whether err is a SkipError.
func IsSkip(err error) bool {
	var s *SkipError
	return errors.As(err, &s)
}

func invalid(reason string, err error) error { return &InputError{Reason: reason, Err: err} }

// MaxEventBytes bounds what we read: EventBridge entries are at most 1 MiB,
// and an SNS or PutEvents wrapper adds little.
const MaxEventBytes = 4 << 20

// Parse reads one EventBridge-shaped event (what a Lambda receives).
func Parse(raw []byte) (Event, error) {
	raw = trim(raw)
	if len(raw) == 0 {
		return Event{}, invalid("empty input", nil)
	}
	if len(raw) > MaxEventBytes {
		return Event{}, tooLarge(len(raw))
	}
	if raw[0] != '{' {
		return Event{}, invalid("want a JSON object", nil)
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return Event{}, invalid("not JSON", err)
	}
	if len(probe) == 0 {
		return Event{}, invalid("empty object", nil)
	}
	if _, ok := probe["detail"]; !ok {
		return Event{}, invalid("no detail: not an EventBridge event", nil)
	}
	var ev Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return Event{}, invalid("malformed Health event", err)
	}
	return ev, nil
}

// Decode reads a file's worth of input in any shape the CLI accepts: an
// EventBridge event, a JSON array of events or of PutEvents entries
// ({DetailType, Source, Detail: "<json>"}), or an SNS delivery
// (Records[].Sns.Message holding the event), or a whole PutEvents request
// ({"Entries": [...]}).
func Decode(raw []byte) ([]Event, error) {
	raw = trim(raw)
	if len(raw) == 0 {
		return nil, invalid("empty input", nil)
	}
	if len(raw) > MaxEventBytes {
		return nil, tooLarge(len(raw))
	}
	switch raw[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, invalid("malformed JSON array", err)
		}
		if len(items) == 0 {
			return nil, invalid("empty array", nil)
		}
		var out []Event
		for i, it := range items {
			ev, err := decodeOne(it)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
			out = append(out, ev...)
		}
		return out, nil
	case '{':
		return decodeOne(raw)
	}
	return nil, invalid("want a JSON object or array", nil)
}

// trim drops surrounding space and a UTF-8 byte-order mark, which editors
// on Windows put at the start of saved JSON files.
func trim(raw []byte) []byte {
	return bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(raw), []byte("\xef\xbb\xbf")))
}

func tooLarge(n int) error {
	return invalid(fmt.Sprintf("input is %d bytes; an event is at most %d bytes (%d MiB)", n, MaxEventBytes, MaxEventBytes>>20), nil)
}

// wrapper recognises the non-EventBridge shapes by their keys.
type wrapper struct {
	// Type and Message are the envelope an SQS queue or an HTTPS endpoint
	// subscribed to SNS receives.
	Type    string  `json:"Type"`
	Message *string `json:"Message"`
	Records []struct {
		Sns *struct {
			Message string `json:"Message"`
		} `json:"Sns"`
	} `json:"Records"`
	// Entries is a whole PutEvents request body.
	Entries    []json.RawMessage `json:"Entries"`
	DetailType *string           `json:"DetailType"`
	Source     string            `json:"Source"`
	Detail     *json.RawMessage  `json:"Detail"`
	Resources  []string          `json:"Resources"`
	Time       string            `json:"Time"`
}

func decodeOne(raw []byte) ([]Event, error) {
	raw = trim(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, invalid("want a JSON object", nil)
	}
	var w wrapper
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, invalid("not JSON", err)
	}
	switch {
	case w.Type == "Notification" && w.Message != nil:
		ev, err := Parse([]byte(*w.Message))
		if err != nil {
			return nil, fmt.Errorf("SNS message: %w", err)
		}
		return []Event{ev}, nil
	case len(w.Records) > 0:
		var out []Event
		for i, r := range w.Records {
			if r.Sns == nil {
				return nil, invalid(fmt.Sprintf("Records[%d] is not an SNS record", i), nil)
			}
			ev, err := Parse([]byte(r.Sns.Message))
			if err != nil {
				return nil, fmt.Errorf("SNS record %d: %w", i, err)
			}
			out = append(out, ev)
		}
		return out, nil
	case w.DetailType != nil && w.Detail != nil:
		return decodeEntry(w)
	case len(w.Entries) > 0:
		var out []Event
		for i, e := range w.Entries {
			var ew wrapper
			if err := json.Unmarshal(e, &ew); err != nil || ew.DetailType == nil || ew.Detail == nil {
				return nil, invalid(fmt.Sprintf("Entries[%d] is not a PutEvents entry with DetailType and Detail", i), err)
			}
			evs, err := decodeEntry(ew)
			if err != nil {
				return nil, fmt.Errorf("Entries[%d]: %w", i, err)
			}
			out = append(out, evs...)
		}
		return out, nil
	}
	ev, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	return []Event{ev}, nil
}

// decodeEntry unwraps a PutEvents request entry, whose Detail is a JSON
// string. Such entries come from test payloads and forwarders, so the time
// is best-effort.
func decodeEntry(w wrapper) ([]Event, error) {
	var detailText string
	if err := json.Unmarshal(*w.Detail, &detailText); err != nil {
		return nil, invalid("PutEvents entry Detail must be a JSON string", err)
	}
	var d Detail
	if err := json.Unmarshal([]byte(detailText), &d); err != nil {
		return nil, invalid("PutEvents entry Detail is not a Health detail", err)
	}
	ev := Event{DetailType: *w.DetailType, Source: w.Source, Resources: w.Resources, Detail: d}
	// The aws-health-tools sample writes "2018-11-27T01:30:00Z <<fill this
	// time in GMT>>": take the first word.
	if f := strings.Fields(w.Time); len(f) > 0 {
		if t, err := ParseTime(f[0]); err == nil {
			ev.Time = t
		}
	}
	return []Event{ev}, nil
}
