package enrich

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/abusedesk/abusedesk/pkg/evidence"
	"github.com/abusedesk/abusedesk/pkg/finding"
)

// Thresholds a reviewer would apply by hand.
const (
	OldKeyAge = 90 * 24 * time.Hour
)

// adminPorts are the remote-administration ports whose exposure to the
// whole internet turns a scan or a brute force into a compromise.
var adminPorts = map[int32]string{22: "SSH", 3389: "RDP"}

// rule turns evidence into findings. Rules are data: each is listed once
// in rules and tested on its own.
type rule struct {
	id   string
	eval func(req Request, b evidence.Bundle) []finding.Finding
}

var rules = []rule{
	{"ec2.sg-open-admin-port", sgOpenAdmin},
	{"ec2.sg-open-other", sgOpenOther},
	{"ec2.instance-running", instanceRunning},
	{"ec2.ip-not-in-account", ipNotInAccount},
	{"iam.key-active", keyActive},
	{"iam.key-old", keyOld},
	{"iam.user-no-mfa", userNoMFA},
	{"iam.admin-policy", adminPolicy},
	{"iam.quarantine-attached", quarantine},
	{"iam.recent-user", recentUsers},
	{"iam.recent-key", recentKeys},
	{"lambda.url-auth-none", lambdaURL},
	{"lambda.public-policy", lambdaPublic},
	{"lambda.role-writes-iam", lambdaIAM},
	{"apigw.iam-backdoor", apiBackdoor},
	{"enrich.gap", gaps},
}

// Evaluate runs every rule over the evidence.
func Evaluate(req Request, b evidence.Bundle) []finding.Finding {
	var out []finding.Finding
	for _, r := range rules {
		for _, f := range r.eval(req, b) {
			f.ID = r.id
			if f.Source == "" {
				f.Source = strings.SplitN(r.id, ".", 2)[0]
			}
			out = append(out, f)
		}
	}
	return out
}

func sgOpenAdmin(_ Request, b evidence.Bundle) []finding.Finding {
	var out []finding.Finding
	for _, sg := range b.Groups {
		var open []string
		for port, name := range adminPorts {
			if slices.ContainsFunc(sg.OpenIngress, func(r evidence.OpenRule) bool { return r.Covers(port) }) {
				open = append(open, fmt.Sprintf("%d (%s)", port, name))
			}
		}
		if len(open) == 0 {
			continue
		}
		slices.Sort(open)
		out = append(out, finding.Finding{
			Severity: finding.High, Resource: sg.ID, Region: sg.Region,
			Title:    "Remote administration open to the internet",
			Reason:   fmt.Sprintf("Security group %s allows %s from anywhere; attackers brute-force these ports within minutes.", sg.ID, strings.Join(open, ", ")),
			Evidence: map[string]string{"ports": strings.Join(open, ", "), "groupName": sg.Name},
		})
	}
	return out
}

func sgOpenOther(_ Request, b evidence.Bundle) []finding.Finding {
	var out []finding.Finding
	for _, sg := range b.Groups {
		var rules []string
		for _, r := range sg.OpenIngress {
			if r.Protocol == "-1" {
				rules = append(rules, "all traffic")
				continue
			}
			if _, admin := adminPorts[r.FromPort]; admin && r.FromPort == r.ToPort {
				continue
			}
			if r.FromPort == r.ToPort {
				rules = append(rules, fmt.Sprintf("%s/%d", r.Protocol, r.FromPort))
			} else {
				rules = append(rules, fmt.Sprintf("%s/%d-%d", r.Protocol, r.FromPort, r.ToPort))
			}
		}
		if len(rules) == 0 {
			continue
		}
		rules = dedupe(rules)
		out = append(out, finding.Finding{
			Severity: finding.Medium, Resource: sg.ID, Region: sg.Region,
			Title:    "Inbound rules open to the internet",
			Reason:   fmt.Sprintf("Security group %s accepts %s from 0.0.0.0/0 or ::/0.", sg.ID, strings.Join(rules, ", ")),
			Evidence: map[string]string{"rules": strings.Join(rules, ", ")},
		})
	}
	return out
}

func instanceRunning(req Request, b evidence.Bundle) []finding.Finding {
	if req.Credential {
		return nil
	}
	var out []finding.Finding
	for _, in := range b.Instances {
		if in.State != "running" {
			continue
		}
		out = append(out, finding.Finding{
			Severity: finding.High, Resource: in.ID, Region: in.Region,
			Title:    "Reported instance is still running",
			Reason:   fmt.Sprintf("Instance %s (%s) named in the report is running with public address %s; the activity may be ongoing.", in.ID, in.Type, strings.Join(in.PublicIPs, ", ")),
			Evidence: map[string]string{"state": in.State, "launchTime": in.LaunchTime.Format(time.RFC3339), "publicIps": strings.Join(in.PublicIPs, ",")},
		})
	}
	return out
}

func ipNotInAccount(_ Request, b evidence.Bundle) []finding.Finding {
	var out []finding.Finding
	for _, ip := range b.UnmatchedIPs {
		out = append(out, finding.Finding{
			Severity: finding.Low, Resource: ip,
			Title:  "Reported address not found in the account",
			Reason: fmt.Sprintf("No network interface in the checked regions holds %s now: it may have been released, belong to another account, or sit in a region not checked.", ip),
		})
	}
	return out
}

func keyActive(req Request, b evidence.Bundle) []finding.Finding {
	if !req.Credential {
		return nil
	}
	var out []finding.Finding
	for _, k := range b.KeyOwners {
		if !slices.Contains(req.AccessKeyIDs, k.ID) || !strings.EqualFold(k.Status, "Active") {
			continue
		}
		out = append(out, finding.Finding{
			Severity: finding.Critical, Resource: k.ID,
			Title:    "Exposed access key is still active",
			Reason:   fmt.Sprintf("Access key %s of user %s is still Active. Anyone who found it can use it until it is deactivated.", k.ID, k.UserName),
			Evidence: map[string]string{"user": k.UserName, "lastUsed": fmtTime(k.LastUsed), "lastUsedService": k.LastUsedService},
		})
	}
	return out
}

func keyOld(req Request, b evidence.Bundle) []finding.Finding {
	var out []finding.Finding
	for _, u := range b.Users {
		for _, k := range u.AccessKeys {
			if !strings.EqualFold(k.Status, "Active") || k.Created.IsZero() || req.At.Sub(k.Created) < OldKeyAge {
				continue
			}
			days := int(req.At.Sub(k.Created).Hours() / 24)
			out = append(out, finding.Finding{
				Severity: finding.Medium, Resource: k.ID,
				Title:    "Active access key older than 90 days",
				Reason:   fmt.Sprintf("Access key %s of %s is %d days old and active; long-lived keys are the ones that leak.", k.ID, u.Name, days),
				Evidence: map[string]string{"user": u.Name, "created": k.Created.Format(time.RFC3339), "ageDays": fmt.Sprint(days)},
			})
		}
	}
	return out
}

func userNoMFA(_ Request, b evidence.Bundle) []finding.Finding {
	var out []finding.Finding
	for _, u := range b.Users {
		if len(u.MFADevices) > 0 {
			continue
		}
		sev, why := finding.Medium, "has no MFA device"
		if u.LoginProfile {
			sev, why = finding.High, "can sign in to the console with a password alone (no MFA device)"
		}
		out = append(out, finding.Finding{
			Severity: sev, Resource: u.Name,
			Title:    "IAM user without MFA",
			Reason:   fmt.Sprintf("User %s %s.", u.Name, why),
			Evidence: map[string]string{"loginProfile": fmt.Sprint(u.LoginProfile)},
		})
	}
	return out
}

func adminPolicy(_ Request, b evidence.Bundle) []finding.Finding {
	var out []finding.Finding
	for _, u := range b.Users {
		var names []string
		for _, p := range u.Policies {
			if p.Admin {
				names = append(names, p.Name+" via "+p.Via)
			}
		}
		if len(names) == 0 {
			continue
		}
		out = append(out, finding.Finding{
			Severity: finding.High, Resource: u.Name,
			Title:    "User has administrator permissions",
			Reason:   fmt.Sprintf("User %s has full administrator rights (%s): a leaked key of this user controls the whole account.", u.Name, strings.Join(names, "; ")),
			Evidence: map[string]string{"policies": strings.Join(names, "; ")},
		})
	}
	return out
}

func quarantine(_ Request, b evidence.Bundle) []finding.Finding {
	var out []finding.Finding
	for _, u := range b.Users {
		for _, p := range u.Policies {
			if !p.Quarantine {
				continue
			}
			out = append(out, finding.Finding{
				Severity: finding.Medium, Resource: u.Name,
				Title:  "AWS attached its quarantine policy",
				Reason: fmt.Sprintf("AWS attached %s to %s, which blocks some actions; it does not revoke the key. Rotate the key, then remove the policy.", p.Name, u.Name),
			})
		}
	}
	return out
}

func recentUsers(req Request, b evidence.Bundle) []finding.Finding {
	if b.RecentIAM == nil {
		return nil
	}
	// The window is the one the listing used (Engine.HuntWindow).
	window := fmt.Sprintf("%d days", int(req.At.Sub(b.RecentIAM.Since).Hours()/24))
	var out []finding.Finding
	isAdmin := func(u evidence.User) bool {
		return slices.ContainsFunc(u.Policies, func(p evidence.Policy) bool { return p.Admin })
	}
	for _, u := range b.RecentIAM.Users {
		sev := finding.Medium
		// The listing may carry policies (the demo does); the user lookup
		// always does.
		if isAdmin(u) || slices.ContainsFunc(b.Users, func(full evidence.User) bool { return full.Name == u.Name && isAdmin(full) }) {
			sev = finding.Critical
		}
		out = append(out, finding.Finding{
			Severity: sev, Resource: u.Name,
			Title:    "IAM user created recently",
			Reason:   fmt.Sprintf("User %s was created %s, within the %s before the report; attackers create users to keep access after a key is revoked.", u.Name, u.Created.Format(time.RFC3339), window),
			Evidence: map[string]string{"created": u.Created.Format(time.RFC3339)},
		})
	}
	return out
}

func recentKeys(req Request, b evidence.Bundle) []finding.Finding {
	if b.RecentIAM == nil {
		return nil
	}
	var out []finding.Finding
	for _, k := range b.RecentIAM.Keys {
		if slices.Contains(req.AccessKeyIDs, k.ID) {
			continue
		}
		out = append(out, finding.Finding{
			Severity: finding.Medium, Resource: k.ID,
			Title:    "Access key created recently",
			Reason:   fmt.Sprintf("Access key %s for %s was created %s; confirm your team created it.", k.ID, k.UserName, k.Created.Format(time.RFC3339)),
			Evidence: map[string]string{"user": k.UserName, "created": k.Created.Format(time.RFC3339)},
		})
	}
	return out
}

func lambdaURL(_ Request, b evidence.Bundle) []finding.Finding {
	return forFunctions(b, func(f evidence.Function) bool { return f.URLAuthNone }, finding.High,
		"Lambda function URL without authentication",
		"Function %s has a public function URL with auth type NONE: anyone on the internet can invoke it.")
}

func lambdaPublic(_ Request, b evidence.Bundle) []finding.Finding {
	return forFunctions(b, func(f evidence.Function) bool { return f.PublicPolicy }, finding.High,
		"Lambda function invocable by anyone",
		"Function %s has a resource policy that allows principal *.")
}

func lambdaIAM(_ Request, b evidence.Bundle) []finding.Finding {
	return forFunctions(b, func(f evidence.Function) bool { return f.RoleCanWriteIAM }, finding.Medium,
		"Lambda function can change IAM",
		"Function %s runs with a role that can create users, keys or policies; review why.")
}

func forFunctions(b evidence.Bundle, pred func(evidence.Function) bool, sev finding.Severity, title, reason string) []finding.Finding {
	var out []finding.Finding
	for _, s := range b.Serverless {
		for _, f := range s.Functions {
			if pred(f) {
				out = append(out, finding.Finding{Severity: sev, Resource: f.ARN, Region: f.Region, Title: title,
					Reason: fmt.Sprintf(reason, f.Name), Evidence: map[string]string{"role": f.Role}})
			}
		}
	}
	return out
}

// apiBackdoor is the pattern seen in practice: an API Gateway endpoint in
// front of a function whose role can write IAM, so a web request mints new
// users and keys.
func apiBackdoor(req Request, b evidence.Bundle) []finding.Finding {
	var out []finding.Finding
	for _, s := range b.Serverless {
		writers := map[string]evidence.Function{}
		for _, f := range s.Functions {
			if f.RoleCanWriteIAM {
				writers[f.ARN] = f
			}
		}
		for _, api := range s.APIs {
			for _, fn := range api.Functions {
				f, ok := writers[fn]
				if !ok {
					continue
				}
				out = append(out, finding.Finding{
					Severity: finding.Critical, Resource: api.ID, Region: api.Region,
					Title:    "API Gateway endpoint can create IAM credentials",
					Reason:   fmt.Sprintf("%s API %s (created %s) invokes %s, whose role can write IAM: a known backdoor that creates users and keys on request.", api.Kind, api.ID, api.Created.Format(time.RFC3339), f.Name),
					Evidence: map[string]string{"function": f.ARN, "role": f.Role, "apiName": api.Name},
				})
			}
		}
	}
	return out
}

func gaps(_ Request, b evidence.Bundle) []finding.Finding {
	var out []finding.Finding
	for _, g := range b.Gaps {
		out = append(out, finding.Finding{
			Severity: finding.Info, Resource: strings.TrimSpace(g.Lookup + " " + g.Target), Region: g.Region,
			Title:  "Lookup could not be completed",
			Reason: fmt.Sprintf("%s failed: %s", g.Lookup, g.Reason),
		})
	}
	return out
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}
