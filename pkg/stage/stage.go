// Package stage holds the Lambda handlers: one per pipeline stage, chained
// through the custom EventBridge bus. Each is the pipeline's own code with
// an event in and a small JSON summary out; the functions/ mains only wire.
package stage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/abusedesk/abusedesk/pkg/cases"
	"github.com/abusedesk/abusedesk/pkg/health"
	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/pipeline"
	"github.com/abusedesk/abusedesk/pkg/report"
)

// Handlers serve the three stages.
type Handlers struct {
	Pipeline *pipeline.Pipeline
	// Bus receives Case Opened and Case Enriched.
	Bus notify.EventPublisher
	Log *slog.Logger
}

func (h *Handlers) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

// IngestResponse is what the ingest function returns.
type IngestResponse struct {
	Status   string   `json:"status"` // opened, updated, duplicate, skipped
	CaseID   string   `json:"caseId,omitempty"`
	Revision int      `json:"revision,omitempty"`
	Account  string   `json:"account,omitempty"`
	Category string   `json:"category,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// caseRef is the detail of Case Opened; Case Enriched carries more, of
// which the notify stage needs only this.
type caseRef struct {
	CaseID   string `json:"caseId"`
	Revision int    `json:"revision"`
}

func (r caseRef) validate() error {
	if !cases.ValidID(r.CaseID) || r.Revision < 1 {
		return fmt.Errorf("invalid event: detail must name caseId and revision >= 1, got %q/%d", clip(r.CaseID), r.Revision)
	}
	return nil
}

// Ingest validates a Health event and opens or updates its case. Ordinary
// Health events are skipped, not failed, so EventBridge does not retry
// them. A redelivery re-announces the case: if the first attempt saved the
// case but died before announcing it, this is what completes it, and the
// later stages are idempotent.
func (h *Handlers) Ingest(ctx context.Context, raw json.RawMessage) (IngestResponse, error) {
	ev, err := health.Parse(raw)
	if err != nil {
		return IngestResponse{}, h.fail(ctx, "ingest", err)
	}
	n, err := health.Validate(ev)
	var skip *health.SkipError
	if errors.As(err, &skip) {
		h.log().InfoContext(ctx, "event skipped", "reason", skip.Reason)
		return IngestResponse{Status: "skipped", Reason: skip.Reason}, nil
	}
	if err != nil {
		return IngestResponse{}, h.fail(ctx, "ingest", err)
	}
	in, err := h.Pipeline.Ingest(ctx, n)
	if err != nil {
		return IngestResponse{}, h.fail(ctx, "ingest", err)
	}
	rev := len(in.Case.Revisions)
	if in.Revision != nil {
		rev = in.Revision.N
	}
	resp := IngestResponse{Status: in.Status, CaseID: in.Case.ID, Revision: rev, Account: in.Case.Account,
		Category: in.Case.Category, Warnings: n.Warnings}
	detail, _ := json.Marshal(map[string]any{
		"caseId": in.Case.ID, "revision": rev, "account": in.Case.Account, "service": in.Case.Service,
		"code": in.Case.Code, "category": in.Case.Category, "status": in.Case.Status, "ingest": in.Status,
	})
	if err := h.Bus.PutEvents(ctx, []notify.Event{{Source: notify.EventSource, DetailType: notify.DetailCaseOpened, Detail: detail, Resources: []string{in.Case.EventArn}}}); err != nil {
		return resp, h.fail(ctx, "ingest", fmt.Errorf("unable to announce case %s: %w", in.Case.ID, err))
	}
	return resp, nil
}

// EnrichResponse is what the enrich function returns.
type EnrichResponse struct {
	CaseID    string            `json:"caseId"`
	Revision  int               `json:"revision"`
	Risk      string            `json:"risk"`
	Findings  int               `json:"findings"`
	Gaps      int               `json:"gaps"`
	Locations map[string]string `json:"locations,omitempty"`
}

// Enrich runs the lookups for a Case Opened event and announces the report.
func (h *Handlers) Enrich(ctx context.Context, ev Envelope) (EnrichResponse, error) {
	ref, err := ev.ref(notify.DetailCaseOpened)
	if err != nil {
		return EnrichResponse{}, h.fail(ctx, "enrich", err)
	}
	c, err := h.Pipeline.Store.Load(ctx, ref.CaseID)
	if err != nil {
		return EnrichResponse{}, h.fail(ctx, "enrich", fmt.Errorf("unable to load case %s: %w", ref.CaseID, err))
	}
	r, err := h.Pipeline.Enrich(ctx, c, ref.Revision)
	if err != nil {
		return EnrichResponse{}, h.fail(ctx, "enrich", err)
	}
	out, err := notify.CaseEvent(notify.DetailCaseEnriched, r)
	if err != nil {
		return EnrichResponse{}, h.fail(ctx, "enrich", err)
	}
	if err := h.Bus.PutEvents(ctx, []notify.Event{out}); err != nil {
		return EnrichResponse{}, h.fail(ctx, "enrich", fmt.Errorf("unable to announce report for %s: %w", r.CaseID, err))
	}
	return EnrichResponse{CaseID: r.CaseID, Revision: r.Revision, Risk: r.Risk.String(), Findings: len(r.Findings), Gaps: len(r.Raw.Gaps), Locations: r.Locations}, nil
}

// NotifyResponse is what the notify function returns.
type NotifyResponse struct {
	CaseID     string            `json:"caseId"`
	Revision   int               `json:"revision"`
	Deliveries []notify.Delivery `json:"deliveries"`
}

// Notify delivers the archived report named by a Case Enriched event.
func (h *Handlers) Notify(ctx context.Context, ev Envelope) (NotifyResponse, error) {
	ref, err := ev.ref(notify.DetailCaseEnriched)
	if err != nil {
		return NotifyResponse{}, h.fail(ctx, "notify", err)
	}
	b, err := h.Pipeline.Sink.Get(ctx, ref.CaseID, ref.Revision, "report.json")
	if err != nil {
		return NotifyResponse{}, h.fail(ctx, "notify", fmt.Errorf("unable to load report %s/%d: %w", ref.CaseID, ref.Revision, err))
	}
	r, err := report.DecodeJSON(b)
	if err != nil {
		return NotifyResponse{}, h.fail(ctx, "notify", err)
	}
	out, err := h.Pipeline.Notify(ctx, r)
	resp := NotifyResponse{CaseID: r.CaseID, Revision: r.Revision, Deliveries: out.Deliveries}
	if err != nil {
		return resp, h.fail(ctx, "notify", err)
	}
	return resp, nil
}

// Envelope is the part of an EventBridge event the later stages read.
type Envelope struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
}

func (e Envelope) ref(want string) (caseRef, error) {
	if e.Source != notify.EventSource || e.DetailType != want {
		return caseRef{}, fmt.Errorf("invalid event: want source %q detail-type %q, got %q %q", notify.EventSource, want, clip(e.Source), clip(e.DetailType))
	}
	var ref caseRef
	if err := json.Unmarshal(e.Detail, &ref); err != nil {
		return caseRef{}, fmt.Errorf("invalid event: detail: %w", err)
	}
	return ref, ref.validate()
}

// fail logs at ERROR before returning, so a failed invocation is visible in
// the function's logs and not only in the caller's retry.
func (h *Handlers) fail(ctx context.Context, stage string, err error) error {
	h.log().ErrorContext(ctx, stage+" failed", "error", err)
	return err
}

// clip shortens input echoed in an error, on a rune boundary, and redacts
// it: errors are logged and returned to the caller.
func clip(s string) string { return report.OneLine(s, 65) }
