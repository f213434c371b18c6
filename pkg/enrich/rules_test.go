package enrich_test

import (
	"strings"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/enrich"
	"github.com/abusedesk/abusedesk/pkg/evidence"
	"github.com/abusedesk/abusedesk/pkg/finding"
)

// TestRecentUserNamesTheWindowUsed: the reason states the window the listing
// covered, not the default one.
func TestRecentUserNamesTheWindowUsed(t *testing.T) {
	t.Parallel()
	b := evidence.Bundle{RecentIAM: &evidence.RecentIAM{
		Since: at.Add(-14 * 24 * time.Hour),
		Users: []evidence.User{{Name: "backup", Created: at.Add(-2 * 24 * time.Hour)}},
	}}
	for _, f := range enrich.Evaluate(enrich.Request{At: at}, b) {
		if f.ID != "iam.recent-user" {
			continue
		}
		if !strings.Contains(f.Reason, "within the 14 days before the report") {
			t.Errorf("reason %q does not name the 14-day window", f.Reason)
		}
		return
	}
	t.Fatal("no iam.recent-user finding")
}

// TestRecentAdminIsCritical: the IAM listing carries no policies, so a new
// user's admin rights are known from the user lookup.
func TestRecentAdminIsCritical(t *testing.T) {
	t.Parallel()
	recent := evidence.User{Name: "backup", Created: at.Add(-2 * 24 * time.Hour)}
	admin := recent
	admin.Policies = []evidence.Policy{{Name: "AdministratorAccess", Via: "user", Admin: true}}
	tests := []struct {
		name  string
		users []evidence.User
		want  finding.Severity
	}{
		{"not read", nil, finding.Medium},
		{"read, not admin", []evidence.User{recent}, finding.Medium},
		{"read, admin", []evidence.User{admin}, finding.Critical},
	}
	for _, tt := range tests {
		b := evidence.Bundle{Users: tt.users, RecentIAM: &evidence.RecentIAM{Since: at.Add(-30 * 24 * time.Hour), Users: []evidence.User{recent}}}
		got := finding.Info
		for _, f := range enrich.Evaluate(enrich.Request{At: at}, b) {
			if f.ID == "iam.recent-user" {
				got = f.Severity
			}
		}
		if got != tt.want {
			t.Errorf("%s: iam.recent-user severity %s, want %s", tt.name, got, tt.want)
		}
	}
}
