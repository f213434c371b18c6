// Package health parses AWS Health events as they reach abusedesk: straight
// from EventBridge, as PutEvents entries, or wrapped in SNS. It is the one
// place that knows the event's shapes and quirks.
package health

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/abusedesk/abusedesk/pkg/redact"
)

// Event is the EventBridge envelope of an AWS Health event.
type Event struct {
	Version    string    `json:"version,omitempty"`
	ID         string    `json:"id,omitempty"`
	DetailType string    `json:"detail-type"`
	Source     string    `json:"source"`
	Account    string    `json:"account,omitempty"`
	Time       time.Time `json:"time,omitzero"`
	Region     string    `json:"region,omitempty"`
	Resources  []string  `json:"resources,omitempty"`
	Detail     Detail    `json:"detail"`
}

// Detail is the Health-specific part. Times accept RFC 1123 (what AWS
// sends) and RFC 3339; page numbers accept strings and numbers.
type Detail struct {
	EventArn          string       `json:"eventArn"`
	Service           string       `json:"service"`
	EventTypeCode     string       `json:"eventTypeCode"`
	EventTypeCategory string       `json:"eventTypeCategory,omitempty"`
	EventScopeCode    string       `json:"eventScopeCode,omitempty"`
	CommunicationID   string       `json:"communicationId,omitempty"`
	StartTime         Time         `json:"startTime,omitzero"`
	EndTime           Time         `json:"endTime,omitzero"`
	LastUpdatedTime   Time         `json:"lastUpdatedTime,omitzero"`
	StatusCode        string       `json:"statusCode,omitempty"`
	EventRegion       string       `json:"eventRegion,omitempty"`
	EventDescription  Descriptions `json:"eventDescription,omitempty"`
	EventMetadata     Metadata     `json:"eventMetadata,omitempty"`
	AffectedEntities  []Entity     `json:"affectedEntities,omitempty"`
	AffectedAccount   string       `json:"affectedAccount,omitempty"`
	Page              Number       `json:"page,omitzero"`
	TotalPages        Number       `json:"totalPages,omitzero"`
}

// Entity is one affected resource.
type Entity struct {
	EntityValue     string            `json:"entityValue"`
	EntityARN       string            `json:"entityArn,omitempty"`
	Status          string            `json:"status,omitempty"`
	LastUpdatedTime Time              `json:"lastUpdatedTime,omitzero"`
	Tags            map[string]string `json:"tags,omitempty"`
}

// Description is one language's text.
type Description struct {
	Language          string `json:"language,omitempty"`
	LatestDescription string `json:"latestDescription"`
}

// Descriptions accepts the documented array and the single object some
// producers send.
type Descriptions []Description

func (d *Descriptions) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*d = nil
		return nil
	case len(b) > 0 && b[0] == '{':
		var one Description
		if err := json.Unmarshal(b, &one); err != nil {
			return fmt.Errorf("unable to parse eventDescription: %w", err)
		}
		*d = Descriptions{one}
		return nil
	}
	var many []Description
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("unable to parse eventDescription: %w", err)
	}
	*d = many
	return nil
}

// English returns the en_US description, else the first one.
func (d Descriptions) English() string {
	for _, x := range d {
		if strings.HasPrefix(strings.ToLower(x.Language), "en") {
			return x.LatestDescription
		}
	}
	if len(d) > 0 {
		return d[0].LatestDescription
	}
	return ""
}

// Metadata is eventMetadata. AWS sends strings, but numbers and booleans
// are kept as their JSON text rather than rejected.
type Metadata map[string]string

func (m *Metadata) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("unable to parse eventMetadata: %w", err)
	}
	out := make(Metadata, len(raw))
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
			continue
		}
		out[k] = string(bytes.TrimSpace(v))
	}
	*m = out
	return nil
}

// timeLayouts are tried in order; RFC 1123 with "GMT" is what AWS Health
// sends, the rest are what forwarders and humans produce.
var timeLayouts = []string{
	time.RFC1123,
	time.RFC1123Z,
	time.RFC3339Nano,
	"Mon, 2 Jan 2006 15:04:05 MST",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
}

// Time is a Health timestamp, marshalled back as RFC 3339 UTC.
type Time struct{ time.Time }

// ParseTime reads a Health timestamp in any accepted layout.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unable to parse time %q: want RFC 1123 (Mon, 02 Jan 2006 15:04:05 GMT) or RFC 3339", clip(s, 40))
}

func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*t = Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("unable to parse time: want a string, got %s", clip(string(b), 40))
	}
	if s == "" {
		*t = Time{}
		return nil
	}
	v, err := ParseTime(s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte(`""`), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339))
}

// Number is a page counter AWS sends as a string ("1"), accepted as a
// number too.
type Number int

func (n *Number) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*n = 0
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("unable to parse page number: %w", err)
		}
	}
	if strings.TrimSpace(s) == "" {
		*n = 0
		return nil
	}
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || v < 0 {
		return fmt.Errorf("unable to parse page number %q: want a non-negative integer", clip(s, 20))
	}
	*n = Number(v)
	return nil
}

// MarshalJSON writes the string form AWS uses.
func (n Number) MarshalJSON() ([]byte, error) { return json.Marshal(strconv.Itoa(int(n))) }

// clip shortens input echoed in an error or a warning, and redacts it:
// those messages end up in logs and reports.
func clip(s string, n int) string {
	s = redact.Secrets(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
