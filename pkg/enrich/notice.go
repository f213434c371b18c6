package enrich

import (
	"fmt"

	"github.com/abusedesk/abusedesk/pkg/finding"
)

// noticeSeverity is how serious the notice itself is before any lookup:
// AWS may block resources of an unanswered abuse report within about 24
// hours, and a compromised key is an incident already.
var noticeSeverity = map[string]finding.Severity{
	"credentials-compromised": finding.Critical,
	"credentials-exposed":     finding.High,
	"iam-quarantine":          finding.High,
	"dos":                     finding.High,
	"port-scanning":           finding.High,
	"intrusion":               finding.High,
	"malware":                 finding.High,
	"phishing":                finding.High,
	"spam":                    finding.High,
	"open-proxy":              finding.High,
	"outbound-list":           finding.High,
	"copyright":               finding.Medium,
	"content":                 finding.Medium,
}

// NoticeFinding states what AWS reported, so every case has at least the
// notice itself on record even when no lookup could run.
func NoticeFinding(req Request, code string) finding.Finding {
	sev, ok := noticeSeverity[req.Category]
	if !ok {
		sev = finding.Medium
	}
	f := finding.Finding{
		ID: "notice." + req.Category, Source: "notice", Severity: sev, Resource: req.Account,
		Title:  fmt.Sprintf("AWS reported %s (%s)", req.Category, code),
		Reason: "AWS sent this notice and expects a reply within about 24 hours; unanswered abuse reports can lead to blocked resources.",
	}
	if req.Category == "outbound-list" {
		f.Title = "Outbound abuse reported from resources in a supplied list"
		f.Reason = "A list of resources reported for abusing others was supplied with this case; such reports expect a reply within about 24 hours, and unanswered ones can lead to blocked resources."
	}
	return f
}
