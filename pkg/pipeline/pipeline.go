// Package pipeline chains the stages — ingest, enrich, score, report,
// notify — over small interfaces. The CLI runs all of them in one process;
// each Lambda runs one stage with the same code.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/cases"
	"github.com/abusedesk/abusedesk/pkg/contacts"
	"github.com/abusedesk/abusedesk/pkg/enrich"
	"github.com/abusedesk/abusedesk/pkg/finding"
	"github.com/abusedesk/abusedesk/pkg/health"
	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/redact"
	"github.com/abusedesk/abusedesk/pkg/report"
)

// Pipeline holds the stages' dependencies. Any field a stage does not use
// may be nil for that stage.
type Pipeline struct {
	Store    cases.Store
	Engine   *enrich.Engine
	Sink     report.Sink
	Contacts contacts.Directory
	// Fallback is used when the directory has no contact for an account.
	Fallback contacts.Contact
	// Notifier returns the dispatcher for a case (the CLI's outbox is per
	// case; in AWS it is one shared dispatcher).
	Notifier func(caseID string, revision int) *notify.Dispatcher
	Now      func() time.Time
	Log      *slog.Logger
}

func (p *Pipeline) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

func (p *Pipeline) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

// Ingest statuses.
const (
	StatusOpened    = "opened"
	StatusUpdated   = "updated"
	StatusDuplicate = "duplicate"
)

// Ingested is the result of recording one delivery of an event.
type Ingested struct {
	Case *cases.Case
	// Revision is the one this delivery created, or for a duplicate the one
	// that already holds the same update.
	Revision *cases.Revision
	Status   string
}

// UpdateFrom turns a notice into a case update. Free text from the event
// is stored redacted: a description or an entity can quote a leaked secret
// key, and the case and every report made from it must never hold one.
func UpdateFrom(n health.Notice) cases.Update {
	d := n.Event.Detail
	u := cases.Update{
		Account: n.Account, EventArn: d.EventArn, Service: n.Service, Code: n.Code,
		Category: string(n.Category), Region: n.Region, Status: n.Status,
		Description: redact.Secrets(d.EventDescription.English()), Started: d.StartTime.Time, Updated: n.Updated,
		Page: n.Page, TotalPages: n.Pages, EventID: n.Event.ID, Targets: health.ExtractTargets(n),
	}
	for _, w := range n.Warnings {
		u.Warnings = append(u.Warnings, redact.Secrets(w))
	}
	for _, e := range d.AffectedEntities {
		if e.EntityValue == "" {
			continue
		}
		u.Entities = append(u.Entities, cases.Entity{Value: redact.Secrets(e.EntityValue), Status: e.Status})
	}
	return u
}

// maxConflicts bounds retries of the compare-and-set; more than a handful
// means something is wrong, not busy.
const maxConflicts = 8

// Ingest records n on its case, idempotently: a redelivery changes nothing.
func (p *Pipeline) Ingest(ctx context.Context, n health.Notice) (Ingested, error) {
	u := UpdateFrom(n)
	id := cases.Key(u.Account, u.EventArn)
	for range maxConflicts {
		c, err := p.Store.Load(ctx, id)
		status := StatusUpdated
		switch {
		case errors.Is(err, cases.ErrNotFound):
			c, status = cases.New(u, p.now()), StatusOpened
		case err != nil:
			return Ingested{}, fmt.Errorf("unable to load case %s: %w", id, err)
		}
		prev := len(c.Revisions)
		rev := c.Apply(u, p.now())
		if rev == nil {
			p.log().InfoContext(ctx, "event already recorded", "caseId", c.ID, "updateKey", cases.UpdateKey(u.Updated, u.Page))
			return Ingested{Case: c, Revision: c.ByUpdate(u), Status: StatusDuplicate}, nil
		}
		err = p.Store.Save(ctx, c, prev)
		if errors.Is(err, cases.ErrConflict) {
			continue
		}
		if err != nil {
			return Ingested{}, fmt.Errorf("unable to save case %s: %w", id, err)
		}
		p.log().InfoContext(ctx, "case ingested", "caseId", c.ID, "revision", rev.N, "status", status, "category", c.Category, "newEntities", len(rev.NewEntities))
		return Ingested{Case: c, Revision: rev, Status: status}, nil
	}
	return Ingested{}, fmt.Errorf("unable to save case %s: %d concurrent updates in a row", id, maxConflicts)
}

// Enrich runs the lookups for revision n of c, scores the case and archives
// its JSON and Markdown reports.
func (p *Pipeline) Enrich(ctx context.Context, c *cases.Case, n int) (*report.Report, error) {
	rev := c.Revision(n)
	if rev == nil {
		return nil, fmt.Errorf("unable to enrich case %s: no revision %d", c.ID, n)
	}
	contact, note, err := contacts.Resolve(ctx, p.Contacts, c.Account, p.Fallback)
	if err != nil {
		return nil, err
	}
	req := enrich.Request{
		Account: c.Account, CaseID: c.ID, Category: c.Category, Code: c.Code, HomeRegion: c.Region,
		At: rev.Updated, Regions: c.Targets.Regions, InstanceIDs: c.Targets.InstanceIDs, IPs: c.Targets.IPs,
		AccessKeyIDs: c.Targets.AccessKeyIDs, UserNames: c.Targets.UserNames,
		Credential: health.Category(c.Category).IsCredential(),
	}
	var res enrich.Result
	if c.Account == health.UnknownAccount {
		res = enrich.Result{Findings: []finding.Finding{enrich.NoticeFinding(req, c.Code)}}
	} else {
		res = p.Engine.Run(ctx, req)
	}
	lang := contact.Language
	if lang == "" {
		lang = "en"
	}
	r := &report.Report{
		Schema: report.Schema, CaseID: c.ID, Revision: n, Generated: p.now(),
		Account: c.Account, Customer: contact.Customer, Language: lang,
		Service: c.Service, Code: c.Code, Category: c.Category, Status: c.Status, Region: c.Region,
		EventArn: c.EventArn, Description: c.Description, Started: c.Started, Updated: rev.Updated,
		RespondBy: c.LatestUpdate().Add(report.ResponseWindow),
		Entities:  c.Entities, NewEntities: rev.NewEntities, Targets: c.Targets,
		Access: res.Access, Risk: finding.Overall(res.Findings), Findings: res.Findings,
		Timeline: res.Timeline, Raw: res.Bundle, Warnings: append([]string{}, c.Warnings...),
	}
	if r.Findings == nil {
		r.Findings = []finding.Finding{}
	}
	if note != "" {
		r.Warnings = append(r.Warnings, note)
	}
	if err := p.archive(ctx, r); err != nil {
		return nil, err
	}
	p.log().InfoContext(ctx, "case enriched", "caseId", r.CaseID, "revision", r.Revision, "access", r.Access,
		"risk", r.Risk.String(), "findings", len(r.Findings), "gaps", len(r.Raw.Gaps), "report", r.Locations["report.json"])
	return r, nil
}

// archive writes the revision's reports and records where they went.
func (p *Pipeline) archive(ctx context.Context, r *report.Report) error {
	return report.Archive(ctx, p.Sink, r,
		func(lang string) []byte { return report.Markdown(r, lang) },
		func() ([]byte, error) { return report.EncodeJSON(r) })
}

// Notify delivers the report.
func (p *Pipeline) Notify(ctx context.Context, r *report.Report) (notify.Outcome, error) {
	if p.Notifier == nil {
		return notify.Outcome{}, errors.New("unable to notify: no notifier configured")
	}
	contact, _, err := contacts.Resolve(ctx, p.Contacts, r.Account, p.Fallback)
	if err != nil {
		return notify.Outcome{}, err
	}
	if contact.Language == "" {
		contact.Language = r.Language
	}
	out, err := p.Notifier(r.CaseID, r.Revision).Deliver(ctx, r, contact)
	p.log().InfoContext(ctx, "case notified", "caseId", r.CaseID, "revision", r.Revision, "sent", out.Count("sent"),
		"duplicate", out.Count("duplicate"), "failed", out.Count("failed"), "unknown", out.Count("unknown"))
	return out, err
}

// Result is what one event did, end to end.
type Result struct {
	Ingested Ingested
	Report   *report.Report
	Outcome  notify.Outcome
}

// Process runs every stage for one notice, as the CLI does. A duplicate
// finishes what an earlier, interrupted run left undone: it reuses the
// archived report (or makes it, if the run died before that) and delivers
// again, which the ledger turns into "already sent" for everything that went
// out and a retry for what failed without sending.
func (p *Pipeline) Process(ctx context.Context, n health.Notice) (Result, error) {
	in, err := p.Ingest(ctx, n)
	if err != nil {
		return Result{}, err
	}
	res := Result{Ingested: in}
	rev := len(in.Case.Revisions)
	if in.Revision != nil {
		rev = in.Revision.N
	}
	if in.Status == StatusDuplicate {
		res.Report, err = p.archived(ctx, in.Case.ID, rev)
		if err != nil {
			return res, err
		}
	}
	if res.Report == nil {
		res.Report, err = p.Enrich(ctx, in.Case, rev)
		if err != nil {
			return res, err
		}
	}
	res.Outcome, err = p.Notify(ctx, res.Report)
	return res, err
}

// archived loads a revision's report; nil without error when none was
// archived.
func (p *Pipeline) archived(ctx context.Context, caseID string, rev int) (*report.Report, error) {
	if p.Sink == nil {
		return nil, nil
	}
	b, err := p.Sink.Get(ctx, caseID, rev, "report.json")
	if errors.Is(err, awsx.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return report.DecodeJSON(b)
}
