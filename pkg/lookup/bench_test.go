package lookup

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/abusedesk/abusedesk/pkg/enrich"
)

// benchLatency is injected on every fake AWS call.
const benchLatency = 50 * time.Millisecond

// benchChain is the longest chain of calls that must run one after another
// for the benchmark case: AssumeRole → ListGroupsForUser →
// ListAttachedGroupPolicies → GetPolicy → GetPolicyVersion (a
// customer-managed group policy, judged from its default version). The
// other chains are no longer: AssumeRole → ListUsers → ListUsers(page 2) →
// ListAccessKeys → ListAccessKeys(page 2), and AssumeRole →
// ListAccessKeys → ListAccessKeys(page 2) → GetAccessKeyLastUsed.
const benchChain = 5

// BenchmarkEnrichCase enriches a case naming four resources (an instance id,
// a public IP, an access key id and a user name) through the enrich engine
// and these adapters, with 50 ms on every AWS call. It reports the wall
// time, the longest dependency chain, their ratio, and the serial sum of
// all calls.
func BenchmarkEnrichCase(b *testing.B) {
	s := fakeAccount(b)
	s.SetLatency(benchLatency)
	req := enrich.Request{
		Account: memberAccount, CaseID: "bench-case", Category: "abuse", HomeRegion: "eu-west-1",
		At:           time.Date(2024, 5, 20, 12, 0, 0, 0, time.UTC),
		Regions:      []string{"eu-west-1"},
		InstanceIDs:  []string{"i-1234567890abcdef0"},
		IPs:          []string{"203.0.113.12"},
		AccessKeyIDs: []string{"AKIAIOSFODNN7EXAMPLE"},
		UserNames:    []string{"Bob"},
	}
	var wall time.Duration
	calls := 0
	for b.Loop() {
		b.StopTimer()
		s.Reset()
		// A fresh connector per case: AssumeRole is on the chain, as it is
		// for a real case.
		conn, err := New(s.Config(homeRegion, fastRetry(3)), Options{
			RoleName: "AbuseDeskReadOnly", SelfAccount: selfAccount,
			TrailLimiter: NewTrailLimiter(trailQuota, trailWindow),
			SES:          func(aws.Config, string) enrich.SES { return nil }, // SES has its own benchmark
		})
		if err != nil {
			b.Fatal(err)
		}
		eng := &enrich.Engine{Connector: conn}
		b.StartTimer()
		start := time.Now()
		res := eng.Run(context.Background(), req)
		wall += time.Since(start)
		b.StopTimer()
		for _, g := range res.Bundle.Gaps {
			if g.Lookup != "ses.reputation" {
				b.Fatalf("gap %+v: the benchmark case must enrich fully", g)
			}
		}
		if len(res.Bundle.Users) != 1 || len(res.Bundle.Instances) != 1 || len(res.Bundle.Trail) != 2 {
			b.Fatalf("bundle: %d users, %d instances, %d trail results", len(res.Bundle.Users), len(res.Bundle.Instances), len(res.Bundle.Trail))
		}
		calls += len(s.Calls(""))
		b.StartTimer()
	}
	n := float64(b.N)
	chain := float64(benchChain * benchLatency.Milliseconds())
	wallMS := float64(wall.Milliseconds()) / n
	b.ReportMetric(wallMS, "wall-ms")
	b.ReportMetric(chain, "chain-ms")
	b.ReportMetric(wallMS/chain, "ratio")
	b.ReportMetric(float64(calls)/n*float64(benchLatency.Milliseconds()), "serial-ms")
	b.ReportMetric(float64(calls)/n, "calls")
}
