package enrich

import (
	"encoding/json"

	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/cloudtrail"
	"github.com/abusedesk/abusedesk/pkg/evidence"
	"github.com/abusedesk/abusedesk/pkg/finding"
	"github.com/abusedesk/abusedesk/pkg/redact"
	"github.com/abusedesk/abusedesk/pkg/sesrep"
)

// Defaults, chosen so one case finishes well inside a Lambda's timeout even
// when a few lookups hang.
const (
	DefaultLimit         = 8
	DefaultLookupTimeout = 20 * time.Second
	DefaultTrailWindow   = 7 * 24 * time.Hour
	DefaultHuntWindow    = 30 * 24 * time.Hour
	DefaultRegion        = "us-east-1"
)

// Engine plans and runs the lookups for a case.
type Engine struct {
	Connector     Connector
	Limit         int
	LookupTimeout time.Duration
	TrailWindow   time.Duration
	HuntWindow    time.Duration
	// SESRegions are checked in addition to the case's regions.
	SESRegions []string
}

// Request is what a case asks the lookups to look at.
type Request struct {
	Account, CaseID, Category, Code, HomeRegion string
	// At is the report time: windows are measured back from it.
	At                                      time.Time
	Regions, InstanceIDs, IPs, AccessKeyIDs []string
	UserNames                               []string
	Credential                              bool // a credentials case: hunt for backdoors
}

// Result is what the lookups found and what it means.
type Result struct {
	Access   string                     `json:"access"`
	Bundle   evidence.Bundle            `json:"bundle"`
	Findings []finding.Finding          `json:"findings"`
	Timeline []cloudtrail.TimelineEntry `json:"timeline,omitempty"`
}

// run is one enrichment: shared state guarded by mu, lookups bounded by the
// errgroup's limit, each failure a gap.
type run struct {
	e    *Engine
	req  Request
	acct *Account
	mu   sync.Mutex
	b    evidence.Bundle

	claimMu sync.Mutex
	claimed map[string]bool // kind/region/id already asked for in this case
}

// Run enriches one case. It never fails: what could not be looked up is a
// gap on the result, and an account that cannot be entered is a finding.
func (e *Engine) Run(ctx context.Context, req Request) Result {
	r := &run{e: e, req: req, claimed: map[string]bool{}}
	if req.At.IsZero() {
		req.At = time.Now().UTC()
		r.req.At = req.At
	}
	ctx = WithReportTime(ctx, req.At)
	if e.Connector == nil {
		r.gap("connect", req.Account, "", "no connector configured")
		return r.result("")
	}
	acct, err := e.Connector.Connect(ctx, req.Account, req.CaseID)
	if err != nil {
		r.gap("connect", req.Account, "", awsx.Reason(err))
		res := r.result("")
		sev := finding.Medium
		if errors.Is(err, awsx.ErrAccessDenied) {
			sev = finding.High
		}
		res.Findings = append(res.Findings, finding.Finding{
			ID: "enrich.cannot-inspect", Source: "enrich", Severity: sev, Resource: req.Account,
			Title: "Cannot inspect the affected account",
			// The reason reaches the customer, so it names the error class
			// only: AWS's message would quote our own role ARN. The full
			// error is in the gap, for on-call.
			Reason: "The read-only role could not be assumed (" + awsx.Code(err) + "); findings below come from the notice alone. Check that the abusedesk member stack is deployed in this account.",
		})
		finding.Sort(res.Findings)
		return res
	}
	r.acct = acct
	r.lookups(ctx)
	return r.result(acct.Access)
}

func (r *run) regions() []string {
	rs := slices.Clone(r.req.Regions)
	if len(rs) == 0 {
		home := r.req.HomeRegion
		if home == "" || home == "global" {
			home = DefaultRegion
		}
		rs = []string{home}
	}
	return rs
}

func (r *run) limit() int {
	if r.e.Limit > 0 {
		return r.e.Limit
	}
	return DefaultLimit
}

func (r *run) window(d, def time.Duration) time.Time {
	if d <= 0 {
		d = def
	}
	return r.req.At.Add(-d)
}

// lookups launches one task per independent chain; a task runs its own
// dependent steps in order so the wall time tracks the longest chain, not
// the sum of phases.
func (r *run) lookups(ctx context.Context) {
	g := new(errgroup.Group)
	g.SetLimit(r.limit())
	a := r.acct
	regions := r.regions()

	for _, region := range regions {
		if a.EC2 != nil && len(r.req.InstanceIDs) > 0 {
			g.Go(func() error { r.instances(ctx, region, r.req.InstanceIDs); return nil })
		}
		if a.EC2 != nil && len(r.req.IPs) > 0 {
			g.Go(func() error { r.interfaces(ctx, region); return nil })
		}
		if a.Serverless != nil && r.req.Credential {
			g.Go(func() error {
				var s evidence.Serverless
				if r.call(ctx, "serverless.hunt", "", region, func(ctx context.Context) (err error) {
					s, err = a.Serverless.Hunt(ctx, region, r.window(r.e.HuntWindow, DefaultHuntWindow))
					return err
				}) {
					r.with(func(b *evidence.Bundle) { b.Serverless = append(b.Serverless, s) })
				}
				return nil
			})
		}
		for _, key := range r.req.AccessKeyIDs {
			g.Go(func() error { r.trail(ctx, region, "AccessKeyId", key); return nil })
		}
	}
	for _, key := range r.req.AccessKeyIDs {
		g.Go(func() error { r.keyOwner(ctx, key, regions); return nil })
	}
	for _, name := range r.req.UserNames {
		g.Go(func() error { r.userChain(ctx, name, regions); return nil })
	}
	if a.IAM != nil && (r.req.Credential || len(r.req.AccessKeyIDs) > 0) {
		g.Go(func() error {
			var rec evidence.RecentIAM
			if r.call(ctx, "iam.recent", "", "", func(ctx context.Context) (err error) {
				rec, err = a.IAM.Recent(ctx, r.window(r.e.HuntWindow, DefaultHuntWindow))
				return err
			}) {
				r.with(func(b *evidence.Bundle) { b.RecentIAM = &rec })
				r.followRecent(ctx, rec)
			}
			return nil
		})
	}
	for _, region := range r.sesRegions(regions) {
		g.Go(func() error {
			if a.SES == nil {
				r.gap("ses.reputation", "", region, "SES lookups not configured")
				return nil
			}
			var rep sesrep.Report
			if r.call(ctx, "ses.reputation", "", region, func(ctx context.Context) (err error) {
				rep, err = a.SES.Reputation(ctx, region, r.req.At)
				return err
			}) {
				r.with(func(b *evidence.Bundle) { b.SES = append(b.SES, rep) })
			}
			return nil
		})
	}
	_ = g.Wait() // tasks record gaps; none returns an error
}

func (r *run) sesRegions(regions []string) []string {
	out := slices.Clone(regions)
	for _, s := range r.e.SESRegions {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(r.e.SESRegions) == 0 && !slices.Contains(out, DefaultRegion) {
		out = append(out, DefaultRegion)
	}
	return out
}

// call runs one lookup with its own timeout and records a gap on failure.
func (r *run) call(ctx context.Context, lookup, target, region string, fn func(context.Context) error) bool {
	timeout := r.e.LookupTimeout
	if timeout <= 0 {
		timeout = DefaultLookupTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := fn(cctx); err != nil {
		r.gap(lookup, target, region, awsx.Reason(err))
		return false
	}
	return true
}

func (r *run) gap(lookup, target, region, reason string) {
	r.with(func(b *evidence.Bundle) {
		b.Gaps = append(b.Gaps, evidence.Gap{Lookup: lookup, Target: target, Region: region, Reason: reason})
	})
}

func (r *run) with(f func(*evidence.Bundle)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.b)
}

// claim returns the ids of kind not yet asked for in region and marks them
// asked, so an instance, security group or user is looked up once per case
// however many chains lead to it, even while the first lookup is in flight.
func (r *run) claim(kind, region string, ids []string) []string {
	r.claimMu.Lock()
	defer r.claimMu.Unlock()
	var todo []string
	for _, id := range ids {
		if k := kind + "/" + region + "/" + id; !r.claimed[k] {
			r.claimed[k] = true
			todo = append(todo, id)
		}
	}
	return todo
}

func (r *run) instances(ctx context.Context, region string, ids []string) {
	todo := r.claim("instance", region, ids)
	if len(todo) == 0 {
		return
	}
	var found []evidence.Instance
	if !r.call(ctx, "ec2.instances", fmt.Sprint(todo), region, func(ctx context.Context) (err error) {
		found, err = r.acct.EC2.Instances(ctx, region, todo)
		return err
	}) {
		return
	}
	var sgs []string
	for _, in := range found {
		sgs = append(sgs, in.SecurityGroupIDs...)
	}
	r.with(func(b *evidence.Bundle) { b.Instances = append(b.Instances, found...) })
	r.groups(ctx, region, sgs)
}

func (r *run) interfaces(ctx context.Context, region string) {
	var addrs []netip.Addr
	for _, s := range r.req.IPs {
		if a, err := netip.ParseAddr(s); err == nil {
			addrs = append(addrs, a)
		}
	}
	var enis []evidence.NetworkInterface
	if !r.call(ctx, "ec2.interfaces-by-ip", fmt.Sprint(r.req.IPs), region, func(ctx context.Context) (err error) {
		enis, err = r.acct.EC2.InterfacesByPublicIP(ctx, region, addrs)
		return err
	}) {
		return
	}
	var sgs, insts []string
	for _, n := range enis {
		sgs = append(sgs, n.SecurityGroupIDs...)
		if n.InstanceID != "" {
			insts = append(insts, n.InstanceID)
		}
	}
	r.with(func(b *evidence.Bundle) { b.Interfaces = append(b.Interfaces, enis...) })
	g := new(errgroup.Group)
	g.Go(func() error { r.groups(ctx, region, sgs); return nil })
	if len(insts) > 0 {
		g.Go(func() error { r.instances(ctx, region, insts); return nil })
	}
	_ = g.Wait()
}

func (r *run) groups(ctx context.Context, region string, ids []string) {
	ids = r.claim("security-group", region, dedupe(ids))
	if len(ids) == 0 {
		return
	}
	var sgs []evidence.SecurityGroup
	if r.call(ctx, "ec2.security-groups", fmt.Sprint(ids), region, func(ctx context.Context) (err error) {
		sgs, err = r.acct.EC2.SecurityGroups(ctx, region, ids)
		return err
	}) {
		r.with(func(b *evidence.Bundle) { b.Groups = append(b.Groups, sgs...) })
	}
}

func (r *run) keyOwner(ctx context.Context, key string, regions []string) {
	if r.acct.IAM == nil {
		r.gap("iam.access-key-owner", key, "", "IAM lookups not configured")
		return
	}
	var k evidence.AccessKey
	if !r.call(ctx, "iam.access-key-owner", key, "", func(ctx context.Context) (err error) {
		k, err = r.acct.IAM.AccessKeyOwner(ctx, key)
		return err
	}) {
		return
	}
	r.with(func(b *evidence.Bundle) { b.KeyOwners = append(b.KeyOwners, k) })
	if k.UserName != "" {
		r.userChain(ctx, k.UserName, regions)
	}
}

// userChain fetches a user once per case, however many keys or names lead
// to it, and reads CloudTrail for it in parallel.
func (r *run) userChain(ctx context.Context, name string, regions []string) {
	g := new(errgroup.Group)
	g.Go(func() error { r.fetchUser(ctx, name); return nil })
	if len(r.claim("user-trail", "", []string{name})) > 0 {
		for _, region := range regions {
			g.Go(func() error { r.trail(ctx, region, "Username", name); return nil })
		}
	}
	_ = g.Wait()
}

// fetchUser reads a user's keys, MFA, login profile and policies, once per
// case however many paths lead to the user.
func (r *run) fetchUser(ctx context.Context, name string) {
	if r.acct.IAM == nil || len(r.claim("user", "", []string{name})) == 0 {
		return
	}
	var u evidence.User
	if r.call(ctx, "iam.user", name, "", func(ctx context.Context) (err error) {
		u, err = r.acct.IAM.User(ctx, name)
		return err
	}) {
		r.with(func(b *evidence.Bundle) { b.Users = append(b.Users, u) })
	}
}

// MaxRecentFollowUps caps the CloudTrail lookups spent on recently created
// users and keys: LookupEvents allows 2 calls per second per region.
const MaxRecentFollowUps = 5

// followRecent traces recently created users and keys through CloudTrail:
// who created each recent user (IAM events name the user as a resource and
// are recorded in us-east-1), and what each recent key's owner did. A key's
// activity is read by its owner's user name, which also covers the user's
// other keys, and userChain looks each user up once per case however many
// keys lead to it: LookupEvents allows 2 calls per second per region, and a
// redundant call costs a case most of a second.
func (r *run) followRecent(ctx context.Context, rec evidence.RecentIAM) {
	g := new(errgroup.Group)
	regions := r.regions()
	for i, u := range rec.Users {
		if i == MaxRecentFollowUps {
			break
		}
		// The listing has no policies; reading the user tells whether the
		// new user was made an administrator. IAM calls only: no quota.
		g.Go(func() error { r.fetchUser(ctx, u.Name); return nil })
		g.Go(func() error { r.trail(ctx, DefaultRegion, "ResourceName", u.Name); return nil })
	}
	var owners []string
	for _, k := range rec.Keys {
		if k.UserName != "" && !slices.Contains(owners, k.UserName) && len(owners) < MaxRecentFollowUps {
			owners = append(owners, k.UserName)
		}
	}
	for _, name := range owners {
		g.Go(func() error { r.userChain(ctx, name, regions); return nil })
	}
	_ = g.Wait()
}

func (r *run) trail(ctx context.Context, region, attr, value string) {
	if r.acct.Trail == nil {
		return
	}
	q := evidence.TrailQuery{Attribute: attr, Value: value, Start: r.window(r.e.TrailWindow, DefaultTrailWindow), End: r.req.At}
	var res evidence.TrailResult
	if r.call(ctx, "cloudtrail.lookup-events", attr+"="+value, region, func(ctx context.Context) (err error) {
		res, err = r.acct.Trail.LookupEvents(ctx, region, q)
		return err
	}) {
		r.with(func(b *evidence.Bundle) { b.Trail = append(b.Trail, res) })
	}
}

// result sorts everything so that reports are identical run to run, and
// derives the findings.
func (r *run) result(access string) Result {
	b := r.b
	slices.SortFunc(b.Instances, func(x, y evidence.Instance) int { return strings.Compare(x.Region+x.ID, y.Region+y.ID) })
	slices.SortFunc(b.Interfaces, func(x, y evidence.NetworkInterface) int { return strings.Compare(x.Region+x.ID, y.Region+y.ID) })
	slices.SortFunc(b.Groups, func(x, y evidence.SecurityGroup) int { return strings.Compare(x.Region+x.ID, y.Region+y.ID) })
	slices.SortFunc(b.KeyOwners, func(x, y evidence.AccessKey) int { return strings.Compare(x.ID, y.ID) })
	slices.SortFunc(b.Users, func(x, y evidence.User) int { return strings.Compare(x.Name, y.Name) })
	slices.SortFunc(b.Serverless, func(x, y evidence.Serverless) int { return strings.Compare(x.Region, y.Region) })
	slices.SortFunc(b.Trail, func(x, y evidence.TrailResult) int {
		return strings.Compare(x.Region+x.Query.Attribute+x.Query.Value, y.Region+y.Query.Attribute+y.Query.Value)
	})
	slices.SortFunc(b.SES, func(x, y sesrep.Report) int { return strings.Compare(x.Region, y.Region) })
	slices.SortFunc(b.Gaps, func(x, y evidence.Gap) int {
		return strings.Compare(x.Lookup+x.Region+x.Target, y.Lookup+y.Region+y.Target)
	})
	for _, ip := range r.req.IPs {
		if !slices.ContainsFunc(b.Interfaces, func(n evidence.NetworkInterface) bool { return n.PublicIP == ip }) &&
			!slices.ContainsFunc(b.Gaps, func(g evidence.Gap) bool { return g.Lookup == "ec2.interfaces-by-ip" }) && r.acct != nil {
			b.UnmatchedIPs = append(b.UnmatchedIPs, ip)
		}
	}
	res := Result{Access: access, Bundle: b, Findings: []finding.Finding{NoticeFinding(r.req, r.req.Code)}}
	if r.acct != nil {
		res.Findings = append(res.Findings, Evaluate(r.req, b)...)
		ct := cloudtrail.Analyze(trailRecords(b.Trail))
		res.Findings = append(res.Findings, ct.Findings...)
		res.Timeline = ct.Timeline
		res.Findings = append(res.Findings, sesContext(r.req.Category, sesrep.Findings(b.SES))...)
	}
	res.Findings = finding.Dedupe(res.Findings)
	finding.Sort(res.Findings)
	redactTrail(res.Bundle.Trail)
	return res
}

// redactTrail cleans the raw CloudTrail records once the analysis has read
// them: they go into the JSON report, and a GetFederationToken response or
// an attacker's user agent can carry a secret key or a session token.
func redactTrail(rs []evidence.TrailResult) {
	body := func(raw json.RawMessage) json.RawMessage {
		if len(raw) == 0 {
			return raw
		}
		clean := json.RawMessage(redact.Secrets(string(raw)))
		if !json.Valid(clean) {
			return json.RawMessage(`"[redacted: the body held a secret]"`)
		}
		return clean
	}
	for i := range rs {
		for j := range rs[i].Records {
			rec := &rs[i].Records[j]
			rec.UserAgent = redact.Secrets(rec.UserAgent)
			rec.ErrorMessage = redact.Secrets(rec.ErrorMessage)
			rec.RequestParameters = body(rec.RequestParameters)
			rec.ResponseElements = body(rec.ResponseElements)
			rec.AdditionalEventData = body(rec.AdditionalEventData)
		}
	}
}

// sesMatters lists the categories where the SES reputation is part of the
// incident: mail abuse itself, and stolen keys, which are routinely used to
// send spam through the victim's SES.
var sesMatters = map[string]bool{
	"spam": true, "phishing": true, "credentials-exposed": true, "credentials-compromised": true,
	"iam-quarantine": true,
}

// sesContext caps SES findings at medium for notices about something else
// (a DoS report, say): the account's mail reputation is worth knowing but
// must not decide how urgent an unrelated case is.
func sesContext(category string, fs []finding.Finding) []finding.Finding {
	if sesMatters[category] {
		return fs
	}
	for i := range fs {
		if fs[i].Severity > finding.Medium {
			fs[i].Severity = finding.Medium
			fs[i].Reason += " (Account-wide context: this notice is not about e-mail, so this does not raise the case's risk.)"
		}
	}
	return fs
}

// trailRecords merges the LookupEvents results; the same event found by key
// and by user name is analysed once.
func trailRecords(rs []evidence.TrailResult) []cloudtrail.Record {
	seen := map[string]bool{}
	var out []cloudtrail.Record
	for _, tr := range rs {
		for _, rec := range tr.Records {
			if rec.EventID != "" {
				if seen[rec.EventID] {
					continue
				}
				seen[rec.EventID] = true
			}
			out = append(out, rec)
		}
	}
	return out
}

func dedupe(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
