package demo_test

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/demo"
	"github.com/abusedesk/abusedesk/pkg/enrich"
	"github.com/abusedesk/abusedesk/pkg/evidence"
	"github.com/abusedesk/abusedesk/pkg/health"
)

var at = time.Date(2025, 2, 10, 9, 15, 0, 0, time.UTC)

func account(t *testing.T, when time.Time) *enrich.Account {
	t.Helper()
	w, err := demo.Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	a, err := w.Connect(enrich.WithReportTime(context.Background(), when), w.Account, "case")
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return a
}

func TestWorldIsUsable(t *testing.T) {
	t.Parallel()
	w, err := demo.Default()
	if err != nil {
		t.Fatal(err)
	}
	if !health.ValidAccount(w.Account) || w.Contact.Account != w.Account || len(w.Contact.To) == 0 {
		t.Errorf("account %q, contact %+v", w.Account, w.Contact)
	}
	c, err := w.Contacts().Lookup(context.Background(), w.Account)
	if err != nil || len(c.To) == 0 {
		t.Errorf("contacts lookup: %+v, %v", c, err)
	}
	// Every CloudTrail record in the world must parse: a skipped record is
	// a demo story with a hole in it.
	a := account(t, at)
	for _, region := range []string{"us-east-1", "us-west-2", "eu-west-1"} {
		res, err := a.Trail.LookupEvents(context.Background(), region, evidence.TrailQuery{Attribute: "Username", Value: "nobody", Start: at.AddDate(-1, 0, 0), End: at})
		if err != nil || res.Skipped != 0 {
			t.Errorf("%s: %d records skipped (%v)", region, res.Skipped, err)
		}
	}
}

func TestConnectOnlyTheDemoAccount(t *testing.T) {
	t.Parallel()
	w, _ := demo.Default()
	_, err := w.Connect(context.Background(), "210987654321", "case")
	if !errors.Is(err, awsx.ErrAccessDenied) {
		t.Errorf("Connect to another account: %v, want ErrAccessDenied", err)
	}
}

// TestTimesFollowTheReportTime: every sample event, whatever its date,
// sees the same story relative to its own report time.
func TestTimesFollowTheReportTime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	later := at.AddDate(1, 0, 0)
	a1, a2 := account(t, at), account(t, later)
	i1, err1 := a1.EC2.Instances(ctx, "us-west-2", []string{"i-0a1b2c3d4e5f60718"})
	i2, err2 := a2.EC2.Instances(ctx, "us-west-2", []string{"i-0a1b2c3d4e5f60718"})
	if err1 != nil || err2 != nil || len(i1) != 1 || len(i2) != 1 {
		t.Fatalf("Instances: %v %v %v %v", i1, i2, err1, err2)
	}
	if d1, d2 := at.Sub(i1[0].LaunchTime), later.Sub(i2[0].LaunchTime); d1 != d2 || d1 <= 0 {
		t.Errorf("launch %v before one report, %v before the other", d1, d2)
	}
	u1, _ := a1.IAM.User(ctx, "deploy-bot")
	u2, _ := a2.IAM.User(ctx, "deploy-bot")
	if at.Sub(u1.Created) != later.Sub(u2.Created) || len(u1.AccessKeys) == 0 || u1.AccessKeys[0].UserName != "deploy-bot" {
		t.Errorf("users %+v / %+v", u1, u2)
	}
}

func TestLookupsMatchLikeAWS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := account(t, at)
	tests := []struct {
		name string
		got  func() (int, error)
		want int
	}{
		{"instance in its region", func() (int, error) {
			r, err := a.EC2.Instances(ctx, "us-west-2", []string{"i-0a1b2c3d4e5f60718"})
			return len(r), err
		}, 1},
		{"instance in another region", func() (int, error) {
			r, err := a.EC2.Instances(ctx, "us-east-1", []string{"i-0a1b2c3d4e5f60718"})
			return len(r), err
		}, 0},
		{"eni by public ip", func() (int, error) {
			r, err := a.EC2.InterfacesByPublicIP(ctx, "us-east-1", []netip.Addr{netip.MustParseAddr("198.51.100.77"), netip.MustParseAddr("192.0.2.1")})
			return len(r), err
		}, 1},
		{"unknown key", func() (int, error) {
			_, err := a.IAM.AccessKeyOwner(ctx, "AKIAAAAAAAAAAAAAAAAA")
			if errors.Is(err, awsx.ErrNotFound) {
				return 0, nil
			}
			return 1, err
		}, 0},
		{"known key", func() (int, error) {
			k, err := a.IAM.AccessKeyOwner(ctx, "AKIAIOSFODNN7EXAMPLE")
			if k.UserName != "deploy-bot" {
				return 0, err
			}
			return 1, err
		}, 1},
		{"unknown user", func() (int, error) {
			_, err := a.IAM.User(ctx, "nobody")
			if errors.Is(err, awsx.ErrNotFound) {
				return 0, nil
			}
			return 1, err
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, err := tt.got()
			if err != nil || n != tt.want {
				t.Errorf("got %d (%v), want %d", n, err, tt.want)
			}
		})
	}
}

func TestLookupEventsWindowAndOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := account(t, at)
	q := evidence.TrailQuery{Attribute: "AccessKeyId", Value: "AKIAIOSFODNN7EXAMPLE", Start: at.Add(-7 * 24 * time.Hour), End: at}
	var all []evidence.TrailResult
	for _, region := range []string{"us-east-1", "us-west-2"} {
		res, err := a.Trail.LookupEvents(ctx, region, q)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res.Records {
			if r.EventTime.Before(q.Start) || r.EventTime.After(q.End) || r.AWSRegion != region {
				t.Errorf("record %+v outside the query", r)
			}
			if i > 0 && r.EventTime.After(res.Records[i-1].EventTime) {
				t.Error("records are not newest first")
			}
		}
		all = append(all, res)
	}
	if len(all[0].Records)+len(all[1].Records) == 0 {
		t.Error("the exposed key has no CloudTrail story in the demo")
	}
	// An empty window finds nothing.
	q.Start, q.End = at.Add(time.Hour), at.Add(2*time.Hour)
	if res, _ := a.Trail.LookupEvents(ctx, "us-east-1", q); len(res.Records) != 0 {
		t.Errorf("future window found %d records", len(res.Records))
	}
}

func TestReputation(t *testing.T) {
	t.Parallel()
	a := account(t, at)
	on, err := a.SES.Reputation(context.Background(), "us-east-1", at)
	if err != nil || !on.Enabled || on.DeliveryAttempts == 0 || on.DataPoints == 0 {
		t.Errorf("us-east-1: %+v %v", on, err)
	}
	if on.LastPoint == nil || !on.LastPoint.Before(at) {
		t.Errorf("last point %v is not before the report time", on.LastPoint)
	}
	off, err := a.SES.Reputation(context.Background(), "eu-west-1", at)
	if err != nil || off.Enabled || off.Reason == "" || off.DeliveryAttempts != 0 {
		t.Errorf("eu-west-1: %+v %v", off, err)
	}
}

// TestSampleEventsMeetTheWorld: the demo is only convincing if the sample
// abuse events name resources the demo account has.
func TestSampleEventsMeetTheWorld(t *testing.T) {
	t.Parallel()
	paths, _ := filepath.Glob("../../events/abuse-*.json")
	if len(paths) == 0 {
		t.Fatal("no sample events")
	}
	a := account(t, at)
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := health.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		n, err := health.Validate(evs[0])
		if err != nil {
			t.Fatal(err)
		}
		tg := health.ExtractTargets(n)
		found := 0
		for _, region := range tg.Regions {
			ins, _ := a.EC2.Instances(context.Background(), region, tg.InstanceIDs)
			found += len(ins)
			var addrs []netip.Addr
			for _, ip := range tg.IPs {
				addrs = append(addrs, netip.MustParseAddr(ip))
			}
			enis, _ := a.EC2.InterfacesByPublicIP(context.Background(), region, addrs)
			found += len(enis)
		}
		if found == 0 && len(tg.InstanceIDs)+len(tg.IPs) > 0 {
			t.Errorf("%s names %v %v; the demo account has none of them", filepath.Base(p), tg.InstanceIDs, tg.IPs)
		}
	}
}
