// Package report builds a case's reports: a versioned JSON document with the
// raw lookup data and every finding, and a Markdown report for people that
// keeps the high-risk findings and adds per-category guidance in Korean and
// English.
package report

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/abusedesk/abusedesk/pkg/cases"
	"github.com/abusedesk/abusedesk/pkg/cloudtrail"
	"github.com/abusedesk/abusedesk/pkg/evidence"
	"github.com/abusedesk/abusedesk/pkg/finding"
	"github.com/abusedesk/abusedesk/pkg/health"
)

// Schema names the JSON report format. Bump the version on any change that
// is not a pure addition of optional fields.
const Schema = "https://abusedesk.dev/schema/report/v1"

// ResponseWindow is how long AWS gives a customer to answer an abuse
// notice before it may block resources.
const ResponseWindow = 24 * time.Hour

// Report is one revision of a case, enriched and scored.
type Report struct {
	Schema      string    `json:"schema"`
	CaseID      string    `json:"caseId"`
	Revision    int       `json:"revision"`
	Generated   time.Time `json:"generated"`
	Account     string    `json:"account"`
	Customer    string    `json:"customer,omitempty"`
	Language    string    `json:"language"`
	Service     string    `json:"service"`
	Code        string    `json:"code"`
	Category    string    `json:"category"`
	Status      string    `json:"status"`
	Region      string    `json:"region,omitempty"`
	EventArn    string    `json:"eventArn"`
	Description string    `json:"description,omitempty"`
	Started     time.Time `json:"started,omitzero"`
	Updated     time.Time `json:"updated,omitzero"`
	// RespondBy is when AWS expects an answer: the update time plus 24 h.
	RespondBy   time.Time      `json:"respondBy,omitzero"`
	Entities    []cases.Entity `json:"entities,omitempty"`
	NewEntities []string       `json:"newEntities,omitempty"`
	Targets     health.Targets `json:"targets"`
	// Access says how the account was inspected (assumed-role, demo, ...);
	// empty when it could not be.
	Access   string                     `json:"access,omitempty"`
	Risk     finding.Severity           `json:"risk"`
	Findings []finding.Finding          `json:"findings"`
	Timeline []cloudtrail.TimelineEntry `json:"timeline,omitempty"`
	Raw      evidence.Bundle            `json:"raw"`
	Warnings []string                   `json:"warnings,omitempty"`
	// Locations of the archived reports (file paths or s3:// URIs).
	Locations map[string]string `json:"locations,omitempty"`
}

// Top returns the findings shown to people: high and critical.
func (r *Report) Top() []finding.Finding { return finding.Filter(r.Findings, finding.High) }

// EncodeJSON renders the report as indented JSON with a trailing newline.
func EncodeJSON(r *Report) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("unable to encode report: %w", err)
	}
	return append(b, '\n'), nil
}

// DecodeJSON reads a report and checks its schema.
func DecodeJSON(b []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("unable to decode report: %w", err)
	}
	if r.Schema != Schema {
		return nil, fmt.Errorf("unable to decode report: schema %q, want %q", r.Schema, Schema)
	}
	return &r, nil
}
