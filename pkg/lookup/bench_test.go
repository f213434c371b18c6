package lookup

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/abusedesk/abusedesk/pkg/awsx/awsxtest"
	"github.com/abusedesk/abusedesk/pkg/enrich"
	"github.com/abusedesk/abusedesk/pkg/evidence"
)

// benchLatency is injected on every fake AWS call.
const benchLatency = 50 * time.Millisecond

// BenchmarkEnrichCase enriches a case naming four resources (an instance id,
// a public IP, an access key id and a user name) through the enrich engine
// and these adapters, with 50 ms on every AWS call and LookupEvents paced at
// the production quota. It reports the wall time, the longest dependency
// chain (calls that must run in sequence, and the LookupEvents quota where it
// holds a call back longer), their ratio, and the serial sum of all calls.
//
// The expected CloudTrail lookups and the chain are derived from what the
// fake account holds, as the engine found it, and from the calls the fake
// recorded (how many pages each listing took), so that a change to the
// engine or to the account changes the yardstick with it instead of
// breaking a hard-coded count or silently measuring against a stale one.
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
	var wall, chainSum, callSum, pacedSum time.Duration
	calls, lookups, n := 0, 0, 0
	chains := map[string]int{} // description -> iterations, so a chain that varies run to run shows
	for b.Loop() {
		b.StopTimer()
		s.Reset()
		// A fresh connector and limiter per case: AssumeRole is on the chain,
		// as it is for a real case, and no case inherits another's quota.
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
		recorded := s.Calls("")
		p, err := planCase(req, res.Bundle, recorded, benchLatency)
		if err != nil {
			b.Fatal(err)
		}
		chainSum += p.chain
		callSum += p.callChain
		pacedSum += p.paced
		chains[p.describe()]++
		calls += len(recorded)
		lookups += len(res.Bundle.Trail)
		n++
		b.StartTimer()
	}
	for _, d := range slices.Sorted(maps.Keys(chains)) {
		b.Logf("chains of %d of %d cases:", chains[d], n)
		for line := range strings.Lines(d) {
			b.Log(strings.TrimSuffix(line, "\n"))
		}
	}
	f := float64(n)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / f }
	b.ReportMetric(ms(wall), "wall-ms")
	b.ReportMetric(ms(chainSum), "chain-ms")
	b.ReportMetric(ms(callSum), "callchain-ms")
	b.ReportMetric(ms(pacedSum), "paced-ms")
	b.ReportMetric(float64(wall)/float64(chainSum), "ratio")
	b.ReportMetric(float64(calls)/f*float64(benchLatency.Milliseconds()), "serial-ms")
	b.ReportMetric(float64(calls)/f, "calls")
	b.ReportMetric(float64(lookups)/f, "lookups")
}

// step is one call, or the pages of one listing, on a dependency chain.
type step struct {
	op    string
	calls int
}

// chain is calls that must run one after another.
type chain []step

// then extends a copy: chains share prefixes, and appending in place would
// let one branch overwrite another's tail.
func (c chain) then(steps ...step) chain {
	out := slices.Clone(c)
	for _, s := range steps {
		if s.calls > 0 {
			out = append(out, s)
		}
	}
	return out
}

func (c chain) calls() int {
	n := 0
	for _, s := range c {
		n += s.calls
	}
	return n
}

func (c chain) String() string {
	parts := make([]string, 0, len(c))
	for _, s := range c {
		if s.calls > 1 {
			parts = append(parts, fmt.Sprintf("%s×%d", s.op, s.calls))
		} else {
			parts = append(parts, s.op)
		}
	}
	return strings.Join(parts, " → ")
}

// trailSend is one LookupEvents query: where, what, and the chain that must
// finish before its first page can be sent.
type trailSend struct {
	region, attr, value string
	after               chain
	pages               int
}

func (t trailSend) key() string { return t.region + " " + t.attr + "=" + t.value }

// plan is what one case should have cost at the injected latency.
type plan struct {
	longest   chain         // the longest chain of plain calls
	callChain time.Duration // longest × latency
	paced     time.Duration // when the last LookupEvents page returns under the quota
	pacedHow  string
	chain     time.Duration // the larger of the two: the floor no schedule beats
}

// describe is one line per figure, prefixed for scripts/bench.d/30-enrich.sh.
func (p plan) describe() string {
	dominant := "call chain"
	if p.paced > p.callChain {
		dominant = "LookupEvents quota"
	}
	return fmt.Sprintf("dominant: %s\ncall chain: %d calls, %v: %s\nquota chain: %v: %s",
		dominant, p.longest.calls(), p.callChain, p.longest, p.paced, p.pacedHow)
}

// planCase checks that the case made exactly the lookups the engine's rules
// ask for, given the request and what the account holds, and works out the
// case's dependency chain.
func planCase(req enrich.Request, bd evidence.Bundle, calls []awsxtest.Call, lat time.Duration) (plan, error) {
	for _, g := range bd.Gaps {
		if g.Lookup != "ses.reputation" {
			return plan{}, fmt.Errorf("unable to plan the case: gap %+v: the benchmark case must enrich fully", g)
		}
	}
	var connect chain
	if len(filter(calls, "sts:AssumeRole", nil)) > 0 {
		connect = chain{{"AssumeRole", 1}}
	}
	var chains []chain
	var sends []trailSend
	regions := req.Regions

	// EC2: instances by id, interfaces by address and the instances behind
	// them not already asked for, each then its security groups.
	if len(req.InstanceIDs) > 0 {
		c := connect.then(step{"DescribeInstances", 1})
		if slices.ContainsFunc(bd.Instances, func(in evidence.Instance) bool { return len(in.SecurityGroupIDs) > 0 }) {
			c = c.then(step{"DescribeSecurityGroups", 1})
		}
		chains = append(chains, c)
	}
	if len(req.IPs) > 0 {
		c := connect.then(step{"DescribeNetworkInterfaces", 1})
		if slices.ContainsFunc(bd.Interfaces, func(n evidence.NetworkInterface) bool { return len(n.SecurityGroupIDs) > 0 }) {
			chains = append(chains, c.then(step{"DescribeSecurityGroups", 1}))
		}
		if slices.ContainsFunc(bd.Interfaces, func(n evidence.NetworkInterface) bool {
			return n.InstanceID != "" && !slices.Contains(req.InstanceIDs, n.InstanceID)
		}) {
			chains = append(chains, c.then(step{"DescribeInstances", 1}, step{"DescribeSecurityGroups", 1}))
		}
	}
	wantInstances := slices.Clone(req.InstanceIDs)
	for _, n := range bd.Interfaces {
		if n.InstanceID != "" {
			wantInstances = append(wantInstances, n.InstanceID)
		}
	}
	var gotInstances []string
	for _, in := range bd.Instances {
		gotInstances = append(gotInstances, in.ID)
	}
	if err := sameSet("instances", wantInstances, gotInstances); err != nil {
		return plan{}, err
	}

	// Users: named ones right after Connect, key owners after
	// GetAccessKeyLastUsed; each fetched once and read from CloudTrail by
	// name in every region.
	type userStart struct {
		name  string
		after chain
		// readOnly users are read from IAM but not looked up in CloudTrail
		// by name (recently created users: CloudTrail is asked who made them).
		readOnly bool
	}
	var users []userStart
	for _, name := range req.UserNames {
		users = append(users, userStart{name, connect, false})
	}
	byKey := connect.then(step{"GetAccessKeyLastUsed", 1})
	if len(req.AccessKeyIDs) > 0 {
		chains = append(chains, byKey)
	}
	for _, k := range bd.KeyOwners {
		if !slices.ContainsFunc(users, func(u userStart) bool { return u.name == k.UserName }) {
			users = append(users, userStart{k.UserName, byKey, false})
		}
	}
	// Recent users and keys: one ListUsers listing, then every user's keys
	// at once; then CloudTrail for who created each recent user, and each
	// recent key's owner is looked up like a named user (once per case),
	// capped as the engine caps it.
	if len(req.AccessKeyIDs) > 0 || req.Credential {
		rec := bd.RecentIAM
		if rec == nil {
			return plan{}, fmt.Errorf("unable to plan the case: no recent IAM listing")
		}
		lak := 0
		for _, c := range filter(calls, "iam:ListAccessKeys", nil) {
			lak = max(lak, pages(calls, "iam:ListAccessKeys", formIs("UserName", c.Form.Get("UserName"))))
		}
		after := connect.then(step{"ListUsers", pages(calls, "iam:ListUsers", nil)}, step{"ListAccessKeys", lak})
		chains = append(chains, after)
		followed := 0
		for i, u := range rec.Users {
			if i == enrich.MaxRecentFollowUps {
				break
			}
			sends = append(sends, trailSend{region: enrich.DefaultRegion, attr: "ResourceName", value: u.Name, after: after})
			if !slices.ContainsFunc(users, func(s userStart) bool { return s.name == u.Name }) {
				users = append(users, userStart{u.Name, after, true})
			}
			followed++
		}
		var owners []string
		for _, k := range rec.Keys {
			if k.UserName != "" && !slices.Contains(owners, k.UserName) && len(owners) < enrich.MaxRecentFollowUps {
				owners = append(owners, k.UserName)
			}
		}
		for _, o := range owners {
			i := slices.IndexFunc(users, func(u userStart) bool { return u.name == o })
			switch {
			case i < 0:
				users = append(users, userStart{o, after, false})
			case users[i].readOnly:
				users[i].readOnly = false // a key owner is also looked up by name
			}
		}
		// Without a recent user and a recent key the case would not exercise
		// the follow-ups at all, and the figures would flatter the engine.
		if followed == 0 || len(owners) == 0 {
			return plan{}, fmt.Errorf("unable to plan the case: the fake account holds %d recent users and %d recent key owners; the benchmark needs at least one of each", followed, len(owners))
		}
	}

	var wantUsers, gotUsers []string
	seenPolicies := map[string]bool{}
	for _, u := range users {
		wantUsers = append(wantUsers, u.name)
		for _, eu := range bd.Users {
			if eu.Name == u.name {
				chains = append(chains, userChains(calls, u.after, eu, seenPolicies)...)
			}
		}
		if u.readOnly {
			continue
		}
		for _, region := range regions {
			sends = append(sends, trailSend{region: region, attr: "Username", value: u.name, after: u.after})
		}
	}
	for _, eu := range bd.Users {
		gotUsers = append(gotUsers, eu.Name)
	}
	if err := sameSet("users", wantUsers, gotUsers); err != nil {
		return plan{}, err
	}
	for _, region := range regions {
		for _, key := range req.AccessKeyIDs {
			sends = append(sends, trailSend{region: region, attr: "AccessKeyId", value: key, after: connect})
		}
	}

	// The CloudTrail results must be exactly the expected queries, and their
	// pages exactly the LookupEvents calls the fake saw.
	got := map[string]evidence.TrailResult{}
	for _, t := range bd.Trail {
		k := t.Region + " " + t.Query.Attribute + "=" + t.Query.Value
		if _, dup := got[k]; dup {
			return plan{}, fmt.Errorf("unable to plan the case: CloudTrail lookup %s made twice", k)
		}
		got[k] = t
	}
	var want []string
	totalPages := 0
	for i, t := range sends {
		want = append(want, t.key())
		r, ok := got[t.key()]
		if !ok {
			continue // sameSet below names it
		}
		sends[i].pages = r.Pages
		totalPages += r.Pages
		chains = append(chains, t.after.then(step{"LookupEvents", r.Pages}))
	}
	if err := sameSet("CloudTrail lookups", want, slices.Collect(maps.Keys(got))); err != nil {
		return plan{}, err
	}
	if n := len(filter(calls, "cloudtrail:LookupEvents", nil)); n != totalPages {
		return plan{}, fmt.Errorf("unable to plan the case: %d LookupEvents calls for %d result pages", n, totalPages)
	}

	var p plan
	for _, c := range chains {
		if c.calls() > p.longest.calls() {
			p.longest = c
		}
	}
	p.callChain = time.Duration(p.longest.calls()) * lat
	p.paced, p.pacedHow = pacedFinish(sends, lat, trailWindow, trailQuota)
	p.chain = max(p.callChain, p.paced)
	return p, nil
}

// userChains are the branches IAM.User runs side by side for u, each
// after the chain that led to the user.
// seen holds the customer-managed policies an earlier user's chain already
// reads: the adapter analyses each policy once per account, and a later
// user waits for that analysis instead of repeating it, so its own chain
// ends at its listing (the earlier chain is counted on its own).
func userChains(calls []awsxtest.Call, after chain, u evidence.User, seen map[string]bool) []chain {
	byUser := formIs("UserName", u.Name)
	out := []chain{
		after.then(step{"GetUser", 1}),
		after.then(step{"GetLoginProfile", 1}),
		after.then(step{"ListMFADevices", pages(calls, "iam:ListMFADevices", byUser)}),
	}
	keys := after.then(step{"ListAccessKeys", pages(calls, "iam:ListAccessKeys", byUser)})
	if len(u.AccessKeys) > 0 {
		keys = keys.then(step{"GetAccessKeyLastUsed", 1})
	}
	out = append(out, keys)
	out = append(out, policyChains(u, "user",
		after.then(step{"ListAttachedUserPolicies", pages(calls, "iam:ListAttachedUserPolicies", byUser)}),
		after.then(step{"ListUserPolicies", pages(calls, "iam:ListUserPolicies", byUser)}), "GetUserPolicy", seen)...)
	groups := after.then(step{"ListGroupsForUser", pages(calls, "iam:ListGroupsForUser", byUser)})
	out = append(out, groups)
	for _, g := range u.Groups {
		byGroup := formIs("GroupName", g)
		out = append(out, policyChains(u, "group:"+g,
			groups.then(step{"ListAttachedGroupPolicies", pages(calls, "iam:ListAttachedGroupPolicies", byGroup)}),
			groups.then(step{"ListGroupPolicies", pages(calls, "iam:ListGroupPolicies", byGroup)}), "GetGroupPolicy", seen)...)
	}
	return out
}

// policyChains are a principal's two policy branches: a customer-managed
// attached policy costs GetPolicy then GetPolicyVersion after the listing
// (several run side by side, so one counts), an inline one a Get*Policy.
func policyChains(u evidence.User, via string, attached, inline chain, getInline string, seen map[string]bool) []chain {
	fresh := false
	for _, p := range u.Policies {
		if p.Via == via && p.ARN != "" && !strings.Contains(p.ARN, awsManagedPrefix) && !seen[p.ARN] {
			seen[p.ARN], fresh = true, true
		}
	}
	if fresh {
		attached = attached.then(step{"GetPolicy", 1}, step{"GetPolicyVersion", 1})
	}
	if slices.ContainsFunc(u.Policies, func(p evidence.Policy) bool { return p.Via == via && p.ARN == "" }) {
		inline = inline.then(step{getInline, 1})
	}
	return []chain{attached, inline}
}

// pacedFinish schedules every LookupEvents page at the quota, each region on
// its own, sending whichever page has been ready longest as soon as both
// its chain and the quota allow (no schedule finishes earlier), and returns
// when the last page comes back and which chain that was.
func pacedFinish(sends []trailSend, lat, window time.Duration, quota int) (time.Duration, string) {
	type pending struct {
		t     trailSend
		ready time.Duration
		left  int
	}
	byRegion := map[string][]*pending{}
	for _, t := range sends {
		byRegion[t.region] = append(byRegion[t.region], &pending{t: t, ready: time.Duration(t.after.calls()) * lat, left: t.pages})
	}
	var finish time.Duration
	how := "no LookupEvents calls"
	for _, region := range slices.Sorted(maps.Keys(byRegion)) {
		qs := byRegion[region]
		total := 0
		for _, q := range qs {
			total += q.left
		}
		var booked []time.Duration
		for {
			var next *pending
			for _, q := range qs {
				if q.left > 0 && (next == nil || q.ready < next.ready) {
					next = q
				}
			}
			if next == nil {
				break
			}
			ready, send := next.ready, next.ready
			if len(booked) >= quota {
				send = max(send, booked[len(booked)-quota]+window)
			}
			booked = append(booked, send)
			next.left--
			next.ready = send + lat
			if next.ready > finish {
				finish = next.ready
				how = fmt.Sprintf("%s → LookupEvents %s, send %d of %d in %s (quota %d per %v)",
					next.t.after, next.t.key(), len(booked), total, region, quota, window)
				if send > ready {
					how += fmt.Sprintf(": ready at %v, held by the quota until %v", ready, send)
				}
			}
		}
	}
	return finish, how
}

// filter returns the recorded calls with key that match (nil: all).
func filter(calls []awsxtest.Call, key string, match func(awsxtest.Call) bool) []awsxtest.Call {
	var out []awsxtest.Call
	for _, c := range calls {
		if c.Key() == key && (match == nil || match(c)) {
			out = append(out, c)
		}
	}
	return out
}

func formIs(name, value string) func(awsxtest.Call) bool {
	return func(c awsxtest.Call) bool { return c.Form.Get(name) == value }
}

// pages is how many pages one listing took: IAM listings send the first
// page without a Marker, so calls over first pages is pages per listing,
// however many times the case listed the same thing.
func pages(calls []awsxtest.Call, key string, match func(awsxtest.Call) bool) int {
	all := filter(calls, key, match)
	first := 0
	for _, c := range all {
		if c.Form.Get("Marker") == "" {
			first++
		}
	}
	if first == 0 {
		return 0
	}
	return (len(all) + first - 1) / first
}

func sameSet(what string, want, got []string) error {
	w, g := dedupeSorted(want), dedupeSorted(got)
	if slices.Equal(w, g) {
		return nil
	}
	return fmt.Errorf("unable to plan the case: %s: want %q, got %q", what, w, g)
}

func dedupeSorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// The benchmark's yardstick is only as honest as these helpers.
func TestPacedFinish(t *testing.T) {
	t.Parallel()
	connect := chain{{"AssumeRole", 1}}
	recent := connect.then(step{"ListUsers", 2}, step{"ListAccessKeys", 2})
	send := func(region string, after chain, pages int) trailSend {
		return trailSend{region: region, attr: "Username", value: "u", after: after, pages: pages}
	}
	const lat = 50 * time.Millisecond
	tests := []struct {
		name  string
		sends []trailSend
		want  time.Duration
	}{
		{"none", nil, 0},
		{"two in one region fit the quota", []trailSend{send("eu-west-1", connect, 1), send("eu-west-1", connect, 1)}, 100 * time.Millisecond},
		{"a third in the region waits for the window", []trailSend{
			send("eu-west-1", connect, 1), send("eu-west-1", connect, 1), send("eu-west-1", recent, 1),
		}, 1300 * time.Millisecond},
		{"regions are paced apart", []trailSend{
			send("eu-west-1", connect, 1), send("eu-west-1", connect, 1), send("us-east-1", recent, 1),
		}, 300 * time.Millisecond},
		{"pages of one query count against the quota", []trailSend{send("eu-west-1", connect, 3)}, 1300 * time.Millisecond},
		{"a late third send is not held", []trailSend{
			send("eu-west-1", connect, 1), send("eu-west-1", connect, 1), send("eu-west-1", chain{{"X", 30}}, 1),
		}, 1550 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, how := pacedFinish(tt.sends, lat, 1200*time.Millisecond, 2); got != tt.want {
				t.Errorf("pacedFinish = %v (%s), want %v", got, how, tt.want)
			}
		})
	}
}

func TestPages(t *testing.T) {
	t.Parallel()
	call := func(op, user, marker string) awsxtest.Call {
		return awsxtest.Call{Service: "iam", Op: op, Form: map[string][]string{"UserName": {user}, "Marker": {marker}}}
	}
	// Bob's keys listed twice (by User and by Recent), two pages each.
	calls := []awsxtest.Call{
		call("ListAccessKeys", "Bob", ""), call("ListAccessKeys", "Bob", "p2"),
		call("ListAccessKeys", "Bob", ""), call("ListAccessKeys", "Bob", "p2"),
		call("ListAccessKeys", "svc", ""),
		call("ListUsers", "", ""), call("ListUsers", "", "u2"),
	}
	tests := []struct {
		key   string
		match func(awsxtest.Call) bool
		want  int
	}{
		{"iam:ListAccessKeys", formIs("UserName", "Bob"), 2},
		{"iam:ListAccessKeys", formIs("UserName", "svc"), 1},
		{"iam:ListUsers", nil, 2},
		{"iam:ListMFADevices", nil, 0},
	}
	for _, tt := range tests {
		if got := pages(calls, tt.key, tt.match); got != tt.want {
			t.Errorf("pages(%s) = %d, want %d", tt.key, got, tt.want)
		}
	}
}

func TestPlanCaseChecksLookups(t *testing.T) {
	t.Parallel()
	req := enrich.Request{Regions: []string{"eu-west-1"}, UserNames: []string{"Bob"}}
	calls := []awsxtest.Call{
		{Service: "sts", Op: "AssumeRole"}, {Service: "iam", Op: "GetUser"}, {Service: "cloudtrail", Op: "LookupEvents"},
	}
	byBob := evidence.TrailResult{Region: "eu-west-1", Query: evidence.TrailQuery{Attribute: "Username", Value: "Bob"}, Pages: 1}
	other := evidence.TrailResult{Region: "eu-west-1", Query: evidence.TrailQuery{Attribute: "Username", Value: "Eve"}, Pages: 1}
	bob := []evidence.User{{Name: "Bob"}}
	tests := []struct {
		name    string
		bundle  evidence.Bundle
		calls   []awsxtest.Call
		wantErr string
	}{
		{"as expected", evidence.Bundle{Users: bob, Trail: []evidence.TrailResult{byBob}}, calls, ""},
		{"missing lookup", evidence.Bundle{Users: bob}, calls[:2], "CloudTrail lookups"},
		{"unexpected lookup", evidence.Bundle{Users: bob, Trail: []evidence.TrailResult{byBob, other}}, append(calls, calls[2]), "CloudTrail lookups"},
		{"pages not matching calls", evidence.Bundle{Users: bob, Trail: []evidence.TrailResult{byBob}}, calls[:2], "LookupEvents calls"},
		{"gap", evidence.Bundle{Users: bob, Trail: []evidence.TrailResult{byBob}, Gaps: []evidence.Gap{{Lookup: "iam.user"}}}, calls, "gap"},
		{"user missing", evidence.Bundle{Trail: []evidence.TrailResult{byBob}}, calls, "users"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := planCase(req, tt.bundle, tt.calls, 50*time.Millisecond)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("planCase: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("planCase error = %v, want one about %q", err, tt.wantErr)
			case tt.wantErr == "" && p.chain != 100*time.Millisecond:
				t.Errorf("chain = %v (%s), want 100ms: AssumeRole then one call", p.chain, p.describe())
			}
		})
	}
}
