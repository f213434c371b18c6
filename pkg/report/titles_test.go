package report

import (
	"testing"

	"github.com/abusedesk/abusedesk/pkg/cloudtrail"
	"github.com/abusedesk/abusedesk/pkg/finding"
)

// TestKoreanTitlesCoverEveryFinding: every CloudTrail indicator and every
// enrichment and SES finding has a Korean title, so a Korean report has no
// English headings.
func TestKoreanTitlesCoverEveryFinding(t *testing.T) {
	t.Parallel()
	ids := []string{
		"ec2.sg-open-admin-port", "ec2.sg-open-other", "ec2.instance-running", "ec2.ip-not-in-account",
		"iam.key-active", "iam.key-old", "iam.user-no-mfa", "iam.admin-policy", "iam.quarantine-attached",
		"iam.recent-user", "iam.recent-key", "lambda.url-auth-none", "lambda.public-policy",
		"lambda.role-writes-iam", "apigw.iam-backdoor", "enrich.gap", "enrich.cannot-inspect",
		"ses.bounce-rate-warning", "ses.bounce-rate-review", "ses.bounce-rate-pause",
		"ses.complaint-rate-review", "ses.complaint-rate-pause", "ses.enforcement-probation",
		"ses.enforcement-shutdown", "ses.low-volume",
	}
	for _, ind := range cloudtrail.Indicators() {
		ids = append(ids, ind.ID)
	}
	for _, id := range ids {
		if koTitles[id] == "" {
			t.Errorf("finding %s has no Korean title", id)
		}
	}
	f := finding.Finding{ID: "iam.key-old", Title: "Active access key older than 90 days"}
	if FindingTitle(f, "en") != f.Title || FindingTitle(f, "ko") != koTitles["iam.key-old"] {
		t.Error("FindingTitle does not pick the language")
	}
	if got := FindingTitle(finding.Finding{ID: "notice.dos", Title: "AWS reported dos"}, "ko"); got != "AWS 신고: "+Guidance("dos", "ko").Title {
		t.Errorf("notice title in Korean = %q", got)
	}
	if got := FindingTitle(finding.Finding{ID: "new.rule", Title: "New rule"}, "ko"); got != "New rule" {
		t.Errorf("an untranslated finding lost its title: %q", got)
	}
}
