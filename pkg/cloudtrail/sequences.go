package cloudtrail

import (
	"slices"
	"strings"
	"time"

	"github.com/abusedesk/abusedesk/pkg/finding"
)

// sequence is a detection over several records (or over the whole input)
// evaluated once everything has been observed.
type sequence struct {
	*Indicator
	run func(a *Analyzer, ind *Indicator) []emitted
}

func (s sequence) eval(a *Analyzer) []emitted { return s.run(a, s.Indicator) }

// sequenceWindow is how far apart the steps of a sequence may be.
const sequenceWindow = 24 * time.Hour

func within(a, b time.Time, w time.Duration) bool {
	d := b.Sub(a)
	return d >= 0 && d <= w
}

var sequences = []sequence{
	{
		Indicator: &Indicator{
			ID: "seq-create-user-then-admin", Title: "New user made administrator", Severity: finding.Critical, Tactic: Persistence,
			Explain: "A user was created and given administrator access soon after, the usual way attackers build a backdoor account.",
		},
		run: func(a *Analyzer, ind *Indicator) []emitted {
			var out []emitted
			for _, c := range a.matches["iam-user-created"] {
				for _, ad := range a.matches["iam-admin-policy-attached"] {
					toUser := ad.event == "AttachUserPolicy" || ad.event == "PutUserPolicy"
					if toUser && c.hit.Target != "" && ad.hit.Target == c.hit.Target &&
						within(c.time, ad.time, sequenceWindow) && c.errCode == "" && ad.errCode == "" {
						out = append(out, seqFinding(ind, c.hit.Target, c, ad))
						break
					}
				}
			}
			return out
		},
	},
	{
		Indicator: &Indicator{
			ID: "seq-new-key-used-from-new-ip", Title: "New access key used from a different IP", Severity: finding.High, Tactic: Persistence,
			Explain: "An access key was created and then used from an IP address its creator did not use, as when a backdoor key is handed to someone else.",
		},
		run: func(a *Analyzer, ind *Indicator) []emitted {
			var out []emitted
			for _, c := range a.matches["iam-access-key-created"] {
				key := c.hit.Data["keyID"]
				u := a.keys[key]
				if key == "" || u == nil {
					continue
				}
				var ips []string
				first := time.Time{}
				for ip, t := range u.ips {
					if ip != c.ip && !t.Before(c.time) && t.Sub(c.time) <= 7*sequenceWindow {
						ips = append(ips, ip)
						if first.IsZero() || t.Before(first) {
							first = t
						}
					}
				}
				if len(ips) == 0 {
					continue
				}
				slices.Sort(ips)
				use := match{ind: ind, time: first, actor: "key " + key, ip: ips[0], event: "(key used)", severity: ind.Severity, hit: Hit{Target: c.hit.Target}}
				e := seqFinding(ind, c.hit.Target, c, use)
				e.f.Evidence["newIPs"] = clean(strings.Join(ips, ", "))
				e.f.Evidence["accessKeyId"] = key
				out = append(out, e)
			}
			return out
		},
	},
	{
		Indicator: &Indicator{
			ID: "seq-apigateway-lambda-backdoor", Title: "API Gateway to Lambda backdoor", Severity: finding.Critical, Tactic: Persistence,
			Explain: "An API was created, a function was wired to it, and the function's role then changed IAM: an internet-reachable backdoor that grants access on request.",
		},
		run: func(a *Analyzer, ind *Indicator) []emitted {
			var out []emitted
			apis := a.matches["apigateway-api-created"]
			if len(apis) == 0 {
				return nil
			}
			for _, fn := range a.matches["lambda-function-created"] {
				role := fn.hit.Data["role"]
				var perm, write *match
				for i, p := range a.matches["lambda-apigateway-permission"] {
					if p.hit.Target == fn.hit.Target && within(fn.time, p.time, sequenceWindow) {
						perm = &a.matches["lambda-apigateway-permission"][i]
						break
					}
				}
				if perm == nil || role == "" {
					continue
				}
				for i, w := range a.matches["iam-write-by-lambda-role"] {
					if w.hit.Data["role"] == role && within(fn.time, w.time, 7*sequenceWindow) {
						write = &a.matches["iam-write-by-lambda-role"][i]
						break
					}
				}
				if write == nil {
					continue
				}
				var api *match
				for i, ap := range apis {
					d := ap.time.Sub(fn.time)
					if d < 0 {
						d = -d
					}
					if d <= sequenceWindow {
						api = &apis[i]
						break
					}
				}
				if api == nil {
					continue
				}
				out = append(out, seqFinding(ind, fn.hit.Target, *api, fn, *perm, *write))
			}
			return out
		},
	},
	{
		Indicator: &Indicator{
			ID: "recon-first-call-get-caller-identity", Title: "Key first used to ask who it is", Severity: finding.Medium, Tactic: Discovery,
			Explain: "The first call seen from an access key was sts:GetCallerIdentity, the first thing someone does with a key they found or stole.",
		},
		run: func(a *Analyzer, ind *Indicator) []emitted {
			var out []emitted
			keys := make([]string, 0)
			for k, u := range a.keys {
				if u.firstName == "GetCallerIdentity" {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				u := a.keys[k]
				m := match{ind: ind, time: u.first, actor: "key " + k, event: "GetCallerIdentity", severity: ind.Severity, hit: Hit{Target: k}}
				e := seqFinding(ind, k, m)
				e.f.Evidence["accessKeyId"] = k
				out = append(out, e)
			}
			return out
		},
	},
	{
		Indicator: &Indicator{
			ID: "ec2-launch-in-unused-region", Title: "Instances launched in a region the account does not use", Severity: finding.High, Tactic: Impact,
			Explain: "Instances were launched in a region where the account otherwise has (almost) no activity, where the owner is unlikely to look.",
		},
		run: func(a *Analyzer, ind *Indicator) []emitted {
			launches := map[string][]match{}
			for _, m := range a.matches["ec2-run-instances"] {
				launches[m.region] = append(launches[m.region], m)
			}
			var out []emitted
			regions := make([]string, 0, len(launches))
			for r := range launches {
				regions = append(regions, r)
			}
			slices.Sort(regions)
			for _, region := range regions {
				ms := launches[region]
				other := a.regions[region] - len(ms)
				elsewhere := a.records - int64(a.regions[region])
				// "Not used" needs evidence of use elsewhere: a case
				// fetched from one region alone says nothing about others.
				if other > 2 || elsewhere < 20 {
					continue
				}
				out = append(out, seqFinding(ind, region, ms...))
			}
			return out
		},
	},
}

// seqFinding builds a finding from the steps of a sequence; the first step
// provides the main evidence.
func seqFinding(ind *Indicator, resource string, steps ...match) emitted {
	first := steps[0]
	first.severity = ind.Severity
	first.hit.Target = resource
	first.hit.Detail = ""
	f := newFinding(ind, first, len(steps))
	var names []string
	for _, s := range steps {
		names = append(names, s.event)
	}
	f.Evidence["steps"] = clean(strings.Join(names, " → "))
	f.Reason = ind.Explain + " Steps: " + f.Evidence["steps"] + "."
	ms := make([]match, len(steps))
	copy(ms, steps)
	return emitted{f: f, matches: ms}
}
