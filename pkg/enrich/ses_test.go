package enrich

import (
	"testing"

	"github.com/abusedesk/abusedesk/pkg/finding"
)

func TestSESContext(t *testing.T) {
	t.Parallel()
	in := func() []finding.Finding {
		return []finding.Finding{
			{ID: "ses.bounce-rate-pause", Severity: finding.High},
			{ID: "ses.enforcement-shutdown", Severity: finding.Critical},
			{ID: "ses.low-volume", Severity: finding.Info},
		}
	}
	tests := []struct {
		category string
		want     []finding.Severity
	}{
		{"spam", []finding.Severity{finding.High, finding.Critical, finding.Info}},
		{"credentials-compromised", []finding.Severity{finding.High, finding.Critical, finding.Info}},
		{"dos", []finding.Severity{finding.Medium, finding.Medium, finding.Info}},
		{"copyright", []finding.Severity{finding.Medium, finding.Medium, finding.Info}},
	}
	for _, tt := range tests {
		got := sesContext(tt.category, in())
		for i, f := range got {
			if f.Severity != tt.want[i] {
				t.Errorf("%s: %s severity %s, want %s", tt.category, f.ID, f.Severity, tt.want[i])
			}
		}
	}
}
