package enrich_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/enrich"
	"github.com/abusedesk/abusedesk/pkg/evidence"
	"github.com/abusedesk/abusedesk/pkg/finding"
	"github.com/abusedesk/abusedesk/pkg/sesrep"
)

var at = time.Date(2025, 2, 10, 9, 15, 0, 0, time.UTC)

// fakeAccount answers every lookup from fixed data, counts calls, tracks
// how many run at once, and fails or hangs on request.
type fakeAccount struct {
	mu       sync.Mutex
	calls    map[string]int
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	fail     map[string]error // by lookup name
	hang     map[string]bool
	delay    time.Duration
}

func newFake() *fakeAccount { return &fakeAccount{calls: map[string]int{}} }

func (f *fakeAccount) enter(ctx context.Context, name string) error {
	f.mu.Lock()
	f.calls[name]++
	err, hang := f.fail[name], f.hang[name]
	f.mu.Unlock()
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxSeen.Load()
		if n <= m || f.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	if hang {
		<-ctx.Done()
		return ctx.Err()
	}
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	return err
}

func (f *fakeAccount) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeAccount) Instances(ctx context.Context, region string, ids []string) ([]evidence.Instance, error) {
	if err := f.enter(ctx, "instances"); err != nil {
		return nil, err
	}
	var out []evidence.Instance
	for _, id := range ids {
		out = append(out, evidence.Instance{ID: id, Region: region, State: "running", Type: "t3.micro",
			PublicIPs: []string{"203.0.113.10"}, SecurityGroupIDs: []string{"sg-0123456789abcdef0"}})
	}
	return out, nil
}

func (f *fakeAccount) InterfacesByPublicIP(ctx context.Context, region string, ips []netip.Addr) ([]evidence.NetworkInterface, error) {
	if err := f.enter(ctx, "interfaces"); err != nil {
		return nil, err
	}
	var out []evidence.NetworkInterface
	for _, ip := range ips {
		if ip.String() == "203.0.113.10" {
			out = append(out, evidence.NetworkInterface{ID: "eni-1", Region: region, PublicIP: ip.String(),
				InstanceID: "i-0a1b2c3d4e5f60718", SecurityGroupIDs: []string{"sg-0123456789abcdef0"}})
		}
	}
	return out, nil
}

func (f *fakeAccount) SecurityGroups(ctx context.Context, region string, ids []string) ([]evidence.SecurityGroup, error) {
	if err := f.enter(ctx, "groups"); err != nil {
		return nil, err
	}
	var out []evidence.SecurityGroup
	for _, id := range ids {
		out = append(out, evidence.SecurityGroup{ID: id, Region: region,
			OpenIngress: []evidence.OpenRule{{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "0.0.0.0/0"}}})
	}
	return out, nil
}

func (f *fakeAccount) AccessKeyOwner(ctx context.Context, id string) (evidence.AccessKey, error) {
	if err := f.enter(ctx, "key-owner"); err != nil {
		return evidence.AccessKey{}, err
	}
	return evidence.AccessKey{ID: id, UserName: "alice", Status: "Active", Created: at.Add(-200 * 24 * time.Hour)}, nil
}

func (f *fakeAccount) User(ctx context.Context, name string) (evidence.User, error) {
	if err := f.enter(ctx, "user"); err != nil {
		return evidence.User{}, err
	}
	return evidence.User{Name: name, Created: at.Add(-400 * 24 * time.Hour), AccessKeys: []evidence.AccessKey{
		{ID: "AKIAIOSFODNN7EXAMPLE", UserName: name, Status: "Active", Created: at.Add(-200 * 24 * time.Hour)},
	}}, nil
}

func (f *fakeAccount) Recent(ctx context.Context, since time.Time) (evidence.RecentIAM, error) {
	if err := f.enter(ctx, "recent"); err != nil {
		return evidence.RecentIAM{}, err
	}
	return evidence.RecentIAM{}, nil
}

func (f *fakeAccount) Hunt(ctx context.Context, region string, since time.Time) (evidence.Serverless, error) {
	if err := f.enter(ctx, "hunt"); err != nil {
		return evidence.Serverless{}, err
	}
	return evidence.Serverless{Region: region}, nil
}

func (f *fakeAccount) LookupEvents(ctx context.Context, region string, q evidence.TrailQuery) (evidence.TrailResult, error) {
	if err := f.enter(ctx, "trail"); err != nil {
		return evidence.TrailResult{}, err
	}
	return evidence.TrailResult{Region: region, Query: q}, nil
}

func (f *fakeAccount) Reputation(ctx context.Context, region string, _ time.Time) (sesrep.Report, error) {
	if err := f.enter(ctx, "ses"); err != nil {
		return sesrep.Report{}, err
	}
	return sesrep.Report{Region: region}, nil
}

type connector struct {
	f   *fakeAccount
	err error
}

func (c connector) Connect(_ context.Context, account, _ string) (*enrich.Account, error) {
	if c.err != nil {
		return nil, c.err
	}
	return &enrich.Account{ID: account, Access: "demo", EC2: c.f, IAM: c.f, Serverless: c.f, Trail: c.f, SES: c.f}, nil
}

func abuseRequest() enrich.Request {
	return enrich.Request{Account: "123456789012", CaseID: "123456789012-x", Category: "dos", Code: "AWS_ABUSE_DOS_REPORT",
		HomeRegion: "us-west-2", At: at, Regions: []string{"us-west-2"},
		InstanceIDs: []string{"i-0a1b2c3d4e5f60718"}, IPs: []string{"203.0.113.10", "198.51.100.99"}}
}

func ids(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func TestRunAbuseCase(t *testing.T) {
	t.Parallel()
	f := newFake()
	// Latency keeps the first group lookup in flight while the instance
	// reached by IP asks for the same group.
	f.delay = 10 * time.Millisecond
	res := (&enrich.Engine{Connector: connector{f: f}}).Run(context.Background(), abuseRequest())
	got := ids(res.Findings)
	for _, want := range []string{"notice.dos", "ec2.instance-running", "ec2.sg-open-admin-port", "ec2.ip-not-in-account"} {
		if !slices.Contains(got, want) {
			t.Errorf("findings %q lack %s", got, want)
		}
	}
	// The instance is named by id and reached by IP: one lookup. So is its group.
	if f.count("instances") != 1 || f.count("groups") != 1 {
		t.Errorf("instances looked up %d times, groups %d, want once each", f.count("instances"), f.count("groups"))
	}
	if f.count("hunt") != 0 || f.count("recent") != 0 {
		t.Error("an abuse case hunted for credential backdoors")
	}
	if !slices.Equal(res.Bundle.UnmatchedIPs, []string{"198.51.100.99"}) {
		t.Errorf("unmatched %q", res.Bundle.UnmatchedIPs)
	}
	// SES is checked in the case's region and the default region.
	if f.count("ses") != 2 {
		t.Errorf("ses looked up %d times", f.count("ses"))
	}
	if res.Access != "demo" {
		t.Errorf("access %q", res.Access)
	}
}

func TestRunCredentialCase(t *testing.T) {
	t.Parallel()
	f := newFake()
	req := enrich.Request{Account: "123456789012", CaseID: "c", Category: "credentials-exposed", Code: "AWS_RISK_CREDENTIALS_EXPOSED",
		At: at, Regions: []string{"us-east-1", "eu-west-1"}, AccessKeyIDs: []string{"AKIAIOSFODNN7EXAMPLE"}, UserNames: []string{"alice"}, Credential: true}
	res := (&enrich.Engine{Connector: connector{f: f}}).Run(context.Background(), req)
	if f.count("hunt") != 2 || f.count("recent") != 1 || f.count("key-owner") != 1 {
		t.Errorf("calls %v", f.calls)
	}
	// alice is named and owns the key: fetched once.
	if f.count("user") != 1 {
		t.Errorf("user fetched %d times", f.count("user"))
	}
	if !slices.Contains(ids(res.Findings), "iam.key-active") || !slices.Contains(ids(res.Findings), "iam.key-old") {
		t.Errorf("findings %q", ids(res.Findings))
	}
}

func TestRunConnectFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		sev  finding.Severity
	}{
		{"access denied", fmt.Errorf("unable to assume role: %w", awsx.ErrAccessDenied), finding.High},
		{"other", errors.New("network unreachable"), finding.Medium},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := (&enrich.Engine{Connector: connector{err: tt.err}}).Run(context.Background(), abuseRequest())
			i := slices.IndexFunc(res.Findings, func(f finding.Finding) bool { return f.ID == "enrich.cannot-inspect" })
			if i < 0 || res.Findings[i].Severity != tt.sev {
				t.Fatalf("findings %+v", res.Findings)
			}
			if !slices.Contains(ids(res.Findings), "notice.dos") {
				t.Error("the notice itself is not on record")
			}
			if len(res.Bundle.Gaps) != 1 || res.Bundle.Gaps[0].Lookup != "connect" {
				t.Errorf("gaps %+v", res.Bundle.Gaps)
			}
		})
	}
	res := (&enrich.Engine{}).Run(context.Background(), abuseRequest())
	if len(res.Bundle.Gaps) != 1 || !strings.Contains(res.Bundle.Gaps[0].Reason, "no connector") {
		t.Errorf("no connector: gaps %+v", res.Bundle.Gaps)
	}
}

// TestRunLookupFailuresAreGaps: a failing or hanging lookup never fails the
// case; it is recorded and reported.
func TestRunLookupFailuresAreGaps(t *testing.T) {
	t.Parallel()
	f := newFake()
	f.fail = map[string]error{"groups": fmt.Errorf("describe: %w", awsx.ErrThrottled)}
	f.hang = map[string]bool{"ses": true}
	e := &enrich.Engine{Connector: connector{f: f}, LookupTimeout: 50 * time.Millisecond}
	res := e.Run(context.Background(), abuseRequest())
	var lookups []string
	for _, g := range res.Bundle.Gaps {
		lookups = append(lookups, g.Lookup+": "+g.Reason)
	}
	if !slices.ContainsFunc(lookups, func(s string) bool {
		return strings.HasPrefix(s, "ec2.security-groups: ") && strings.Contains(s, "throttled")
	}) {
		t.Errorf("gaps %q lack the group failure", lookups)
	}
	if n := strings.Count(strings.Join(lookups, "\n"), "ses.reputation: timed out"); n != 2 {
		t.Errorf("gaps %q: want two SES time-outs", lookups)
	}
	if !slices.Contains(ids(res.Findings), "enrich.gap") || slices.Contains(ids(res.Findings), "ec2.sg-open-admin-port") {
		t.Errorf("findings %q", ids(res.Findings))
	}
}

func TestRunRespectsLimit(t *testing.T) {
	t.Parallel()
	f := newFake()
	f.delay = 5 * time.Millisecond
	req := abuseRequest()
	req.Regions = []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1"}
	(&enrich.Engine{Connector: connector{f: f}, Limit: 2}).Run(context.Background(), req)
	if m := f.maxSeen.Load(); m > 2*2 {
		// A chain runs its own dependent steps (interfaces → groups and
		// instances at once), so the bound is the limit times two.
		t.Errorf("%d lookups ran at once with Limit 2", m)
	}
	if f.count("interfaces") != 6 {
		t.Errorf("interfaces looked up %d times, want once per region", f.count("interfaces"))
	}
}

// TestRunIsDeterministic: reports are compared as goldens, so the order of
// everything must not depend on which goroutine finished first.
func TestRunIsDeterministic(t *testing.T) {
	t.Parallel()
	req := abuseRequest()
	req.Regions = []string{"us-west-2", "us-east-1", "eu-west-1"}
	var first []byte
	for i := range 5 {
		res := (&enrich.Engine{Connector: connector{f: newFake()}}).Run(context.Background(), req)
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b
		} else if string(b) != string(first) {
			t.Fatalf("run %d differs:\n%s\n%s", i, first, b)
		}
	}
}

func TestNoticeFinding(t *testing.T) {
	t.Parallel()
	for cat, sev := range map[string]finding.Severity{
		"credentials-compromised": finding.Critical, "dos": finding.High, "copyright": finding.Medium, "unknown": finding.Medium, "": finding.Medium,
	} {
		f := enrich.NoticeFinding(enrich.Request{Account: "123456789012", Category: cat}, "CODE")
		if f.Severity != sev || f.ID != "notice."+cat || f.Resource != "123456789012" {
			t.Errorf("%q: %+v", cat, f)
		}
	}
}

func TestReportTime(t *testing.T) {
	t.Parallel()
	if !enrich.ReportTime(context.Background()).IsZero() {
		t.Error("report time without one set")
	}
	if got := enrich.ReportTime(enrich.WithReportTime(context.Background(), at)); !got.Equal(at) {
		t.Errorf("ReportTime = %v", got)
	}
}
