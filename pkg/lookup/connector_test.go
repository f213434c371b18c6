package lookup

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/awsx/awsxtest"
)

func TestSessionName(t *testing.T) {
	t.Parallel()
	valid := regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	tests := []struct {
		caseID string
		exact  string // expected name when the rewrite is lossless
	}{
		{caseID: "case-2024-0001", exact: "abusedesk-case-2024-0001"},
		{caseID: "a_b+c=d,e.f@g", exact: "abusedesk-a_b+c=d,e.f@g"},
		{caseID: "case/2024/0001"},
		{caseID: "case:2024:0001"},
		{caseID: ""},
		{caseID: "ünïcödé case"},
		{caseID: strings.Repeat("x", 200)},
		{caseID: strings.Repeat("x", 199) + "y"},
		{caseID: "<script>alert(1)</script>"},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		got := SessionName(tt.caseID)
		if !valid.MatchString(got) {
			t.Errorf("SessionName(%q) = %q, not a valid role session name", tt.caseID, got)
		}
		if tt.exact != "" && got != tt.exact {
			t.Errorf("SessionName(%q) = %q, want %q", tt.caseID, got, tt.exact)
		}
		if prev, dup := seen[got]; dup {
			t.Errorf("SessionName(%q) = SessionName(%q) = %q, want unique per case", tt.caseID, prev, got)
		}
		seen[got] = tt.caseID
	}
}

func TestConnectAssumesRole(t *testing.T) {
	t.Parallel()
	s := fakeAccount(t)
	c := connect(t, s, Options{ExternalID: "ext-1234"})
	acct, err := c.Connect(t.Context(), memberAccount, "case/42")
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if acct.Access != "assumed-role" || acct.ID != memberAccount {
		t.Fatalf("account = %s/%s, want %s/assumed-role", acct.ID, acct.Access, memberAccount)
	}
	calls := s.Calls("sts:AssumeRole")
	if len(calls) != 1 {
		t.Fatalf("AssumeRole calls = %d, want 1", len(calls))
	}
	f := calls[0].Form
	if got, want := f.Get("RoleArn"), "arn:aws:iam::"+memberAccount+":role/AbuseDeskReadOnly"; got != want {
		t.Errorf("RoleArn = %q, want %q", got, want)
	}
	if f.Get("ExternalId") != "ext-1234" || f.Get("RoleSessionName") != SessionName("case/42") {
		t.Errorf("ExternalId, RoleSessionName = %q, %q", f.Get("ExternalId"), f.Get("RoleSessionName"))
	}
	if calls[0].Region != homeRegion {
		t.Errorf("STS signed for %q, want the regional endpoint of %q", calls[0].Region, homeRegion)
	}

	// Lookups run with the assumed credentials, in the region asked for.
	if _, err := acct.EC2.Instances(t.Context(), "ap-southeast-2", []string{"i-1234567890abcdef0"}); err != nil {
		t.Fatalf("Instances: %v", err)
	}
	ec2 := s.Calls("ec2:DescribeInstances")
	if len(ec2) != 1 || ec2[0].AccessKey != "ASIAASSUMED0001" || ec2[0].Region != "ap-southeast-2" {
		t.Fatalf("DescribeInstances calls = %+v, want one signed by the assumed key in ap-southeast-2", ec2)
	}

	// The same case reuses the session; another case gets its own.
	if _, err := c.Connect(t.Context(), memberAccount, "case/42"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Connect(t.Context(), memberAccount, "case/43"); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Calls("sts:AssumeRole")); n != 2 {
		t.Errorf("AssumeRole calls after 3 connects for 2 cases = %d, want 2", n)
	}
	if n := len(s.Calls("sts:GetCallerIdentity")); n != 1 {
		t.Errorf("GetCallerIdentity calls = %d, want 1 (cached)", n)
	}
}

func TestConnectSameAccount(t *testing.T) {
	t.Parallel()
	s := fakeAccount(t)
	c := connect(t, s, Options{})
	acct, err := c.Connect(t.Context(), selfAccount, "case-1")
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if acct.Access != "same-account" {
		t.Errorf("Access = %q, want same-account", acct.Access)
	}
	if n := len(s.Calls("sts:AssumeRole")); n != 0 {
		t.Errorf("AssumeRole calls = %d, want none in same-account mode", n)
	}
	if _, err := acct.IAM.AccessKeyOwner(t.Context(), "AKIAIOSFODNN7EXAMPLE"); err != nil {
		t.Fatal(err)
	}
	if k := s.Calls("iam:GetAccessKeyLastUsed")[0].AccessKey; k != "AKIDBASEEXAMPLE" {
		t.Errorf("same-account lookup signed by %q, want the base credentials", k)
	}
}

func TestConnectFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		account  string
		opts     Options
		sts      awsxtest.Handler
		wantErr  error
		wantCall bool
	}{
		{
			name:    "role removed by customer",
			account: memberAccount,
			sts: awsxtest.Sequence(awsxtest.QueryError(http.StatusForbidden, "AccessDenied",
				"User: arn:aws:sts::111111111111:assumed-role/abusedesk-enrich/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/AbuseDeskReadOnly")),
			wantErr:  awsx.ErrAccessDenied,
			wantCall: true,
		},
		{
			name:     "not an account id",
			account:  "12345678901x",
			wantCall: false,
		},
		{
			name:     "injection in account id",
			account:  "123456789012:role/x",
			wantCall: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := fakeAccount(t)
			if tt.sts != nil {
				s.Handle("sts:AssumeRole", tt.sts)
			}
			c := connect(t, s, tt.opts)
			acct, err := c.Connect(t.Context(), tt.account, "case-1")
			if err == nil || acct != nil {
				t.Fatalf("Connect = %v, %v; want an error", acct, err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Connect error %v, want %v", err, tt.wantErr)
			}
			if got := len(s.Calls("sts:AssumeRole")) > 0; got != tt.wantCall {
				t.Errorf("AssumeRole called = %v, want %v", got, tt.wantCall)
			}
		})
	}
}

func TestCredentialsRefreshMidCase(t *testing.T) {
	t.Parallel()
	s := fakeAccount(t)
	// Credentials live 1.5 s beyond the 1 s expiry window: valid for the
	// first lookup, due for refresh by the second.
	s.Handle("sts:AssumeRole", assumeRole(t, 2500*time.Millisecond))
	c := connect(t, s, Options{ExpiryWindow: time.Second})
	acct, err := c.Connect(t.Context(), memberAccount, "case-1")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := acct.IAM.AccessKeyOwner(ctx, "AKIAIOSFODNN7EXAMPLE"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1600 * time.Millisecond)
	if _, err := acct.IAM.AccessKeyOwner(ctx, "AKIAIOSFODNN7EXAMPLE"); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Calls("sts:AssumeRole")); n != 2 {
		t.Fatalf("AssumeRole calls = %d, want 2 (refresh before expiry)", n)
	}
	calls := s.Calls("iam:GetAccessKeyLastUsed")
	if calls[0].AccessKey != "ASIAASSUMED0001" || calls[1].AccessKey != "ASIAASSUMED0002" {
		t.Errorf("signing keys = %s, %s; want the first then the refreshed credentials", calls[0].AccessKey, calls[1].AccessKey)
	}
}

func TestConnectSelfIdentityFailureIsNotCached(t *testing.T) {
	t.Parallel()
	s := fakeAccount(t)
	ok := awsxtest.Body(t, "sts/GetCallerIdentity.xml", map[string]any{"Account": selfAccount})
	s.Handle("sts:GetCallerIdentity", awsxtest.Sequence(
		awsxtest.Reply{Status: http.StatusInternalServerError, Body: "<ErrorResponse/>"},
		awsxtest.Reply{Body: ok}))
	c, err := New(s.Config(homeRegion, fastRetry(1)), Options{RoleName: "r", TrailLimiter: NewTrailLimiter(100, time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Connect(context.Background(), selfAccount, "c"); err == nil {
		t.Fatal("Connect with STS down: want an error")
	}
	acct, err := c.Connect(context.Background(), selfAccount, "c")
	if err != nil || acct.Access != "same-account" {
		t.Fatalf("Connect after STS recovered = %v, %v", acct, err)
	}
}
