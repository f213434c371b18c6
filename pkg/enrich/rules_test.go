package enrich_test

import (
	"strings"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/enrich"
	"github.com/abusedesk/abusedesk/pkg/evidence"
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
