package csvintake

import (
	"github.com/abusedesk/abusedesk/pkg/awsx"

	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/abusedesk/abusedesk/pkg/cases"
	"github.com/abusedesk/abusedesk/pkg/contacts"
	"github.com/abusedesk/abusedesk/pkg/enrich"
	"github.com/abusedesk/abusedesk/pkg/evidence"
	"github.com/abusedesk/abusedesk/pkg/finding"
	"github.com/abusedesk/abusedesk/pkg/health"
	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/pipeline"
	"github.com/abusedesk/abusedesk/pkg/redact"
	"github.com/abusedesk/abusedesk/pkg/report"
)

// What a case opened from a list is called. The event ARN of such a case is
// "csv:" + the file's SHA-256, so importing the same file again finds the
// same case and adds nothing.
const (
	Service       = "ABUSE"
	Code          = "OUTBOUND_REPORT_CSV"
	EventIDPrefix = "csv:"
	// Origin is Intake.Origin.
	Origin = "outbound resource list supplied by the user"
)

// Entry statuses.
const (
	StatusFound        = "found"         // an ENI or instance in the account holds it
	StatusNotFound     = "not-found"     // looked up, not in the account (released, or someone else's)
	StatusOtherAccount = "other-account" // its ARN names a different account
	StatusNotChecked   = "not-checked"   // no lookup could say (failed, or a kind we cannot look up)
)

// ErrInvalid marks a list or options that will never import: retrying
// cannot help, so the S3 trigger drops the object instead of failing.
var ErrInvalid = errors.New("invalid list")

func invalid(format string, args ...any) error {
	return fmt.Errorf("unable to import list: %w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Options say where a list goes.
type Options struct {
	Account string
	// CaseID attaches the list to an existing case of Account; empty opens
	// (or finds) the list's own outbound-report case.
	CaseID string
	// Regions to look addresses up in; the account's home region (or
	// enrich.DefaultRegion) when empty. Regions named by ARNs are added.
	Regions []string
	// Category of a new case (a health.Category); outbound-list when empty.
	Category string
	// Source names the file (path or S3 key) in the report.
	Source string
}

// Importer runs a list through a pipeline's case store, enrichment engine,
// contacts and report sink: the same dependencies the Health pipeline uses.
type Importer struct {
	Pipeline *pipeline.Pipeline
}

// Entry is one resource of the list with what the account says about it.
type Entry struct {
	Group
	Status     string            `json:"status"`
	Region     string            `json:"region,omitempty"`
	What       string            `json:"what,omitempty"`
	Owner      string            `json:"owner,omitempty"`
	Interfaces []string          `json:"networkInterfaces,omitempty"`
	Instance   string            `json:"instance,omitempty"`
	Reason     string            `json:"reason,omitempty"`
	Risk       finding.Severity  `json:"risk"`
	Findings   []finding.Finding `json:"findings,omitempty"`
}

// Intake is the list's part of the report.
type Intake struct {
	// Origin says, for readers of the JSON alone, that the case's
	// resources come from a list the user supplied, not a Health notice.
	Origin    string   `json:"origin"`
	Source    string   `json:"source,omitempty"`
	SHA256    string   `json:"sha256"`
	Encoding  string   `json:"encoding"`
	Separator string   `json:"separator"`
	Header    []string `json:"header,omitempty"`
	Records   int      `json:"records"`
	Rows      int      `json:"rows"`
	Truncated bool     `json:"truncated,omitempty"`
	// Regions addresses were looked up in.
	Regions []string `json:"regions"`
	// Resources are in the account or could not be checked; NotInAccount
	// were looked up and are not (or name another account).
	Resources    []Entry   `json:"resources"`
	NotInAccount []Entry   `json:"notInAccount"`
	Rejected     []Problem `json:"rejected,omitempty"`
	Notes        []Problem `json:"notes,omitempty"`
}

// Report is the standard case report plus the list. It decodes as a
// report.Report (same schema), so the notify stage reads it unchanged.
type Report struct {
	report.Report
	Intake Intake `json:"intake"`
}

// Result is what one import did.
type Result struct {
	Case     *cases.Case
	Revision *cases.Revision // nil for a file already imported
	// Existing is the revision that already holds a duplicate list; Report
	// is then set only when that revision had none and it was made now.
	Existing *cases.Revision
	Status   string // pipeline.StatusOpened, StatusUpdated or StatusDuplicate
	Parsed   *Parsed
	Report   *Report
	// Outcome is filled by callers that deliver the report themselves (the
	// CLI); in AWS the notify stage does, so the import never links the
	// e-mail renderer.
	Outcome notify.Outcome
}

// maxReject bounds the rejected lines and notes kept in the JSON report.
const maxReject = 500

// maxConflicts bounds the compare-and-set retries, as in pipeline.Ingest.
const maxConflicts = 8

// Import parses data, records it on a case, looks every distinct resource
// up once and archives one report. Re-importing a file already on the case
// changes nothing and returns StatusDuplicate (with the report, made now,
// when an earlier import of it died before archiving one).
func (im *Importer) Import(ctx context.Context, data []byte, opts Options) (Result, error) {
	p := im.Pipeline
	if p == nil || p.Store == nil || p.Engine == nil {
		return Result{}, errors.New("unable to import list: pipeline needs a store and an engine")
	}
	if !health.ValidAccount(opts.Account) {
		return Result{}, invalid("account %q is not a 12-digit account id", clipCell(opts.Account))
	}
	if opts.CaseID != "" && !cases.ValidID(opts.CaseID) {
		return Result{}, invalid("%q is not a case id", clipCell(opts.CaseID))
	}
	category := health.CategoryOutboundList
	if opts.Category != "" {
		category = health.Category(opts.Category)
		if !slices.Contains(health.Categories, category) {
			return Result{}, invalid("unknown category %q", clipCell(opts.Category))
		}
	}
	for _, r := range opts.Regions {
		if !awsx.ValidRegion(r) {
			return Result{}, invalid("%q is not a region", clipCell(r))
		}
	}
	parsed, err := Parse(data)
	if err != nil {
		return Result{}, fmt.Errorf("unable to import list: %w: %w", ErrInvalid, err)
	}
	res := Result{Parsed: parsed}
	if len(parsed.Rows) == 0 {
		msg := fmt.Sprintf("no usable rows in %d record(s)", parsed.Records)
		if len(parsed.Rejected) > 0 {
			msg += fmt.Sprintf("; line %d: %s", parsed.Rejected[0].Line, parsed.Rejected[0].Reason)
		}
		return res, invalid("%s", msg)
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	groups := GroupRows(parsed.Rows)

	c, rev, status, err := im.record(ctx, opts, category, digest, groups)
	if err != nil {
		return res, err
	}
	res.Case, res.Status = c, status
	if status == pipeline.StatusDuplicate {
		res.Existing = rev
		// An import that died after saving the case and before archiving
		// (a sink or contacts failure, a Lambda timeout) left a revision
		// without a report, and every retry lands here: make the report
		// now, as pipeline.Process does for a redelivered notice.
		if done, err := im.archived(ctx, c.ID, rev.N); done || err != nil {
			return res, err
		}
	} else {
		res.Revision = rev
	}
	regions := lookupRegions(opts.Account, opts.Regions, groups, c.Region)
	req := enrich.Request{
		Account: c.Account, CaseID: c.ID, Category: c.Category, Code: c.Code, HomeRegion: c.Region,
		At: rev.Updated, Regions: regions, Credential: health.Category(c.Category).IsCredential(),
	}
	for _, g := range groups {
		if g.Resource.Account != "" && g.Resource.Account != opts.Account {
			continue
		}
		switch g.Resource.Kind {
		case KindIP:
			req.IPs = append(req.IPs, g.Resource.Value)
		case KindInstance:
			req.InstanceIDs = append(req.InstanceIDs, g.Resource.Value)
		}
	}
	// One run for the whole list: the engine looks each address and
	// instance up once per region in batched calls, connects once, and
	// bounds its own concurrency.
	er := p.Engine.Run(ctx, req)

	contact, note, err := contacts.Resolve(ctx, p.Contacts, c.Account, p.Fallback)
	if err != nil {
		return res, err
	}
	lang := contact.Language
	if lang == "" {
		lang = "en"
	}
	r := &Report{Report: report.Report{
		Schema: report.Schema, CaseID: c.ID, Revision: rev.N, Generated: im.now(),
		Account: c.Account, Customer: contact.Customer, Language: lang,
		Service: c.Service, Code: c.Code, Category: c.Category, Status: c.Status, Region: c.Region,
		EventArn: c.EventArn, Description: c.Description, Started: c.Started, Updated: rev.Updated,
		RespondBy: rev.Updated.Add(report.ResponseWindow),
		Entities:  c.Entities, NewEntities: rev.NewEntities, Targets: c.Targets,
		Access: er.Access, Risk: finding.Overall(er.Findings), Findings: er.Findings,
		Timeline: er.Timeline, Raw: er.Bundle, Warnings: slices.Clone(c.Warnings),
	}}
	if r.Findings == nil {
		r.Findings = []finding.Finding{}
	}
	if note != "" {
		r.Warnings = append(r.Warnings, note)
	}
	r.Intake = intake(opts, digest, parsed, groups, regions, er)
	if err := im.archive(ctx, r); err != nil {
		return res, err
	}
	res.Report = r
	return res, nil
}

// archived reports whether revision rev of the case has its report.json;
// without a sink there is nothing to make.
func (im *Importer) archived(ctx context.Context, caseID string, rev int) (bool, error) {
	sink := im.Pipeline.Sink
	if sink == nil {
		return true, nil
	}
	_, err := sink.Get(ctx, caseID, rev, "report.json")
	if errors.Is(err, awsx.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("unable to check report %s/%d: %w", caseID, rev, err)
	}
	return true, nil
}

func (im *Importer) now() time.Time {
	if im.Pipeline.Now != nil {
		return im.Pipeline.Now().UTC()
	}
	return time.Now().UTC()
}

// record opens or updates the case. Each import is its own revision,
// marked with the file's digest as EventID; a revision with that digest
// already on the case makes the import a duplicate, and is returned.
func (im *Importer) record(ctx context.Context, opts Options, category health.Category, digest string, groups []Group) (*cases.Case, *cases.Revision, string, error) {
	store := im.Pipeline.Store
	eventID := EventIDPrefix + digest
	id := opts.CaseID
	if id == "" {
		id = cases.Key(opts.Account, eventID)
	}
	u := cases.Update{EventID: eventID}
	var started time.Time
	for _, g := range groups {
		u.Entities = append(u.Entities, cases.Entity{Value: g.Resource.Value})
		switch g.Resource.Kind {
		case KindIP:
			u.Targets.IPs = append(u.Targets.IPs, g.Resource.Value)
		case KindInstance:
			u.Targets.InstanceIDs = append(u.Targets.InstanceIDs, g.Resource.Value)
		case KindARN:
			u.Targets.ARNs = append(u.Targets.ARNs, g.Resource.Value)
		}
		if !g.FirstSeen.IsZero() && (started.IsZero() || g.FirstSeen.Before(started)) {
			started = g.FirstSeen
		}
	}
	u.Targets.Regions = slices.Clone(opts.Regions)
	for range maxConflicts {
		c, err := store.Load(ctx, id)
		status := pipeline.StatusUpdated
		switch {
		case errors.Is(err, cases.ErrNotFound) && opts.CaseID != "":
			return nil, nil, "", fmt.Errorf("unable to attach list to case %s: %w: %w", id, ErrInvalid, err)
		case errors.Is(err, cases.ErrNotFound):
			u.Account, u.EventArn, u.Service, u.Code, u.Category = opts.Account, eventID, Service, Code, string(category)
			u.Status, u.Started = "open", started
			c, status = cases.New(u, im.now()), pipeline.StatusOpened
		case err != nil:
			return nil, nil, "", fmt.Errorf("unable to load case %s: %w", id, err)
		case c.Account != opts.Account:
			// A case id is not a secret; never let a list for one account
			// land on another account's case.
			return nil, nil, "", fmt.Errorf("unable to attach list to case %s: %w: it belongs to account %s, not %s", id, ErrInvalid, c.Account, opts.Account)
		default:
			u.Account, u.EventArn, u.Service, u.Code, u.Category = c.Account, c.EventArn, c.Service, c.Code, c.Category
			u.Region, u.Status = c.Region, c.Status
		}
		if i := slices.IndexFunc(c.Revisions, func(r cases.Revision) bool { return r.EventID == eventID }); i >= 0 {
			return c, &c.Revisions[i], pipeline.StatusDuplicate, nil
		}
		// The update key is a time to the second; two lists attached in
		// the same second must still be two revisions.
		u.Updated = im.now().Truncate(time.Second)
		for slices.ContainsFunc(c.Revisions, func(r cases.Revision) bool { return r.UpdateKey == cases.UpdateKey(u.Updated, 0) }) {
			u.Updated = u.Updated.Add(time.Second)
		}
		prev := len(c.Revisions)
		rev := c.Apply(u, im.now())
		if rev == nil {
			return nil, nil, "", fmt.Errorf("unable to record list on case %s: update key collision", id)
		}
		err = store.Save(ctx, c, prev)
		if errors.Is(err, cases.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, nil, "", fmt.Errorf("unable to save case %s: %w", id, err)
		}
		return c, rev, status, nil
	}
	return nil, nil, "", fmt.Errorf("unable to save case %s: %d concurrent updates in a row", id, maxConflicts)
}

// lookupRegions are the regions named on the command line plus those the
// list's ARNs in the account name, else the case's home region.
func lookupRegions(account string, given []string, groups []Group, home string) []string {
	out := slices.Clone(given)
	for _, g := range groups {
		if g.Resource.Account != "" && g.Resource.Account != account {
			continue
		}
		if g.Resource.Region != "" && !slices.Contains(out, g.Resource.Region) {
			out = append(out, g.Resource.Region)
		}
	}
	if len(out) == 0 {
		if awsx.ValidRegion(home) {
			return []string{home}
		}
		return []string{enrich.DefaultRegion}
	}
	return out
}

// intake splits the groups into those the account holds (or that could not
// be checked) and those it does not, and gives each its findings.
func intake(opts Options, digest string, parsed *Parsed, groups []Group, regions []string, er enrich.Result) Intake {
	in := Intake{
		Origin: Origin,
		Source: redact.Secrets(opts.Source), SHA256: digest, Encoding: parsed.Encoding, Separator: parsed.Separator,
		Header: parsed.Header, Records: parsed.Records, Rows: len(parsed.Rows), Truncated: parsed.Truncated,
		Regions: regions, Resources: []Entry{}, NotInAccount: []Entry{},
		Rejected: parsed.Rejected[:min(len(parsed.Rejected), maxReject)],
		Notes:    parsed.Notes[:min(len(parsed.Notes), maxReject)],
	}
	b := er.Bundle
	for _, g := range groups {
		e := describe(opts.Account, g, er, regions)
		attachFindings(&e, b, er.Findings)
		if e.Status == StatusNotFound || e.Status == StatusOtherAccount {
			in.NotInAccount = append(in.NotInAccount, e)
		} else {
			in.Resources = append(in.Resources, e)
		}
	}
	return in
}

func describe(account string, g Group, er enrich.Result, regions []string) Entry {
	e := Entry{Group: g, Region: g.Resource.Region}
	b := er.Bundle
	if g.Resource.Account != "" && g.Resource.Account != account {
		e.Status, e.Reason = StatusOtherAccount, "the ARN names account "+g.Resource.Account
		return e
	}
	if er.Access == "" {
		e.Status, e.Reason = StatusNotChecked, "the account could not be inspected"
		for _, gp := range b.Gaps {
			if gp.Lookup == "connect" {
				e.Reason += ": " + gp.Reason
				break
			}
		}
		return e
	}
	switch g.Resource.Kind {
	case KindIP:
		want, _ := netip.ParseAddr(g.Resource.Value)
		var whats, owners []string
		for _, n := range b.Interfaces {
			if a, err := netip.ParseAddr(n.PublicIP); err != nil || a.Unmap() != want {
				continue
			}
			e.Status, e.Region = StatusFound, n.Region
			e.Interfaces = append(e.Interfaces, n.ID)
			var inst *evidence.Instance
			if n.InstanceID != "" {
				e.Instance = n.InstanceID
				inst = findInstance(b, n.InstanceID, n.Region)
			}
			whats = appendNew(whats, interfaceWhat(n, inst))
			owners = appendNew(owners, ownerOf(n.OwnerID, n, inst))
		}
		if e.Status == StatusFound {
			e.What, e.Owner = strings.Join(whats, "; "), strings.Join(owners, "; ")
			return e
		}
		e.Status, e.Reason = lookupFailed(b, "ec2.interfaces-by-ip", StatusNotFound, "no network interface in "+strings.Join(regions, ", ")+" holds this address: released, another account's, or in a region not checked")
	case KindInstance:
		for i := range b.Instances {
			in := &b.Instances[i]
			if in.ID == g.Resource.Value {
				e.Status, e.Region, e.Instance = StatusFound, in.Region, in.ID
				e.What, e.Owner = instanceWhat(in), ownerOf("", evidence.NetworkInterface{}, in)
				return e
			}
		}
		e.Status, e.Reason = lookupFailed(b, "ec2.instances", StatusNotFound, "no such instance in "+strings.Join(regions, ", ")+": terminated, another account's, or in a region not checked")
	default:
		e.Status, e.Reason = StatusNotChecked, "no automatic lookup for this kind of ARN"
	}
	return e
}

// lookupFailed turns "not found" into "not checked" when the lookup that
// would have found it failed somewhere.
func lookupFailed(b evidence.Bundle, lookup, status, reason string) (string, string) {
	var failed []string
	for _, gp := range b.Gaps {
		if gp.Lookup == lookup {
			failed = append(failed, strings.TrimSpace(gp.Region+": "+gp.Reason))
		}
	}
	if len(failed) > 0 {
		return StatusNotChecked, "lookup failed (" + strings.Join(failed, "; ") + ")"
	}
	return status, reason
}

func findInstance(b evidence.Bundle, id, region string) *evidence.Instance {
	for i := range b.Instances {
		if b.Instances[i].ID == id && b.Instances[i].Region == region {
			return &b.Instances[i]
		}
	}
	return nil
}

func interfaceWhat(n evidence.NetworkInterface, inst *evidence.Instance) string {
	switch {
	case inst != nil:
		return instanceWhat(inst)
	case n.InstanceID != "":
		return "EC2 instance " + n.InstanceID + " (" + n.ID + ")"
	case n.InterfaceType == "nat_gateway":
		return "NAT gateway (" + strings.TrimSpace(n.ID+" "+n.Description) + ")"
	case n.InterfaceType != "" && n.InterfaceType != "interface":
		return strings.ReplaceAll(n.InterfaceType, "_", " ") + " network interface (" + strings.TrimSpace(n.ID+" "+n.Description) + ")"
	}
	return "network interface " + strings.TrimSpace(n.ID+" "+n.Description) + ", not attached to an instance"
}

func instanceWhat(in *evidence.Instance) string {
	var parts []string
	for _, v := range []string{in.Type, in.State} {
		if v != "" {
			parts = append(parts, v)
		}
	}
	s := "EC2 instance " + in.ID
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	if name := in.Tags["Name"]; name != "" {
		s += " named " + strconvQuote(name)
	}
	return s
}

// ownerTags are the tags teams use to say who runs a resource.
var ownerTags = []string{"Owner", "owner", "Team", "team", "Contact", "contact", "CreatedBy", "created-by"}

func ownerOf(account string, n evidence.NetworkInterface, in *evidence.Instance) string {
	var parts []string
	switch {
	case (n.RequesterManaged || n.RequesterID != "" && n.RequesterID != account) && account != "":
		parts = append(parts, "account "+account+" (managed for it by "+orUnknown(n.RequesterID)+")")
	case account != "":
		parts = append(parts, "account "+account)
	}
	if in != nil {
		for _, t := range ownerTags {
			if v := in.Tags[t]; v != "" {
				parts = append(parts, "tag "+t+"="+strconvQuote(v))
				break
			}
		}
		if in.KeyName != "" {
			parts = append(parts, "key pair "+in.KeyName)
		}
		if in.InstanceProfileARN != "" {
			parts = append(parts, "instance profile "+in.InstanceProfileARN)
		}
	}
	return strings.Join(parts, ", ")
}

func orUnknown(s string) string {
	if s == "" {
		return "an AWS service"
	}
	return s
}

func strconvQuote(s string) string { return `"` + clipCell(s) + `"` }

func appendNew(list []string, v string) []string {
	if v == "" || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// attachFindings gives an entry the findings about it, its interfaces, its
// instance and the security groups those use.
func attachFindings(e *Entry, b evidence.Bundle, fs []finding.Finding) {
	ids := map[string]bool{e.Resource.Value: true}
	for _, id := range e.Interfaces {
		ids[id] = true
	}
	if e.Instance != "" {
		ids[e.Instance] = true
	}
	for _, n := range b.Interfaces {
		if ids[n.ID] {
			for _, sg := range n.SecurityGroupIDs {
				ids[sg] = true
			}
		}
	}
	for _, in := range b.Instances {
		if ids[in.ID] {
			for _, sg := range in.SecurityGroupIDs {
				ids[sg] = true
			}
		}
	}
	for _, f := range fs {
		if f.Resource != "" && ids[f.Resource] {
			e.Findings = append(e.Findings, f)
			e.Risk = max(e.Risk, f.Severity)
		}
	}
}
