package report

import (
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/cloudtrail"
	"github.com/abusedesk/abusedesk/pkg/finding"
)

func TestTimelineRowsMergeOneRecord(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 2, 8, 21, 15, 0, 0, time.UTC)
	rec := func(ind string, sev finding.Severity, target string) cloudtrail.TimelineEntry {
		return cloudtrail.TimelineEntry{Time: at, Event: "CreateUser", Actor: "role/x", SourceIP: "3.80.12.45", Target: target, Indicator: ind, Severity: sev}
	}
	tl := []cloudtrail.TimelineEntry{
		rec("iam-user-created", finding.High, "backup-admin"),
		rec("seq-create-user-then-admin", finding.Critical, "backup-admin"),
		rec("iam-write-by-lambda-role", finding.High, "x-role"),
		rec("iam-user-created", finding.High, "backup-admin"), // same indicator twice
		rec("recon", finding.Medium, "backup-admin"),          // below the body's bar
		{Time: at.Add(time.Minute), Event: "AttachUserPolicy", Actor: "role/x", Indicator: "iam-admin-policy-attached", Severity: finding.High},
	}
	got := timelineRows(tl)
	if len(got) != 2 {
		t.Fatalf("%d rows, want 2: %+v", len(got), got)
	}
	if got[0].Severity != finding.Critical || got[0].Indicator != "seq-create-user-then-admin, iam-user-created, iam-write-by-lambda-role" {
		t.Errorf("merged row = %s %q", got[0].Severity, got[0].Indicator)
	}
	if got[1].Event != "AttachUserPolicy" {
		t.Errorf("second row = %+v", got[1])
	}
}
