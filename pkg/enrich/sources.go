// Package enrich runs the automatic lookups for a case in the affected
// account and turns what they find into findings. The lookups sit behind the
// small interfaces below; the real AWS adapters (pkg/lookup/...) and the
// embedded demo account (pkg/demo) both implement them.
package enrich

import (
	"context"
	"net/netip"
	"time"

	"github.com/abusedesk/abusedesk/pkg/evidence"
	"github.com/abusedesk/abusedesk/pkg/sesrep"
)

// EC2 finds compute resources and their exposure in one region.
type EC2 interface {
	Instances(ctx context.Context, region string, ids []string) ([]evidence.Instance, error)
	// InterfacesByPublicIP returns the ENIs holding any of ips; IPs held by
	// no ENI are simply absent from the result.
	InterfacesByPublicIP(ctx context.Context, region string, ips []netip.Addr) ([]evidence.NetworkInterface, error)
	SecurityGroups(ctx context.Context, region string, ids []string) ([]evidence.SecurityGroup, error)
}

// IAM answers who owns a key and how exposed that principal is. IAM is
// global, so there is no region.
type IAM interface {
	// AccessKeyOwner returns the key with its UserName and last use;
	// awsx.ErrNotFound when the key is not in this account.
	AccessKeyOwner(ctx context.Context, keyID string) (evidence.AccessKey, error)
	User(ctx context.Context, name string) (evidence.User, error)
	// Recent lists users and access keys created at or after since.
	Recent(ctx context.Context, since time.Time) (evidence.RecentIAM, error)
}

// Serverless hunts Lambda and API Gateway backdoors in one region.
type Serverless interface {
	Hunt(ctx context.Context, region string, since time.Time) (evidence.Serverless, error)
}

// Trail reads CloudTrail LookupEvents; implementations rate-limit per
// account and region and cap pages, marking the result Truncated.
type Trail interface {
	LookupEvents(ctx context.Context, region string, q evidence.TrailQuery) (evidence.TrailResult, error)
}

// SES reports the account's sending reputation in one region.
type SES interface {
	Reputation(ctx context.Context, region string, at time.Time) (sesrep.Report, error)
}

// Account is one affected account's lookups, ready to use.
type Account struct {
	ID string
	// Access says how we got in: "assumed-role", "same-account" or "demo".
	Access     string
	EC2        EC2
	IAM        IAM
	Serverless Serverless
	Trail      Trail
	SES        SES
}

// Connector opens an account for a case. A real connector assumes the
// member role (session name derived from caseID); an awsx.ErrAccessDenied
// error means the account cannot be inspected, which becomes a finding.
type Connector interface {
	Connect(ctx context.Context, accountID, caseID string) (*Account, error)
}

type reportTimeKey struct{}

// WithReportTime records the time a case is evaluated at in ctx. Real AWS
// adapters have no use for it; the embedded demo account anchors its
// relative timestamps on it so every sample event sees the same story.
func WithReportTime(ctx context.Context, at time.Time) context.Context {
	return context.WithValue(ctx, reportTimeKey{}, at)
}

// ReportTime returns the time set by WithReportTime, or zero.
func ReportTime(ctx context.Context) time.Time {
	t, _ := ctx.Value(reportTimeKey{}).(time.Time)
	return t
}
