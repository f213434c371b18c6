package report

import (
	"strings"
	"testing"
	"unicode"

	"github.com/abusedesk/abusedesk/pkg/health"
)

func TestGuidanceEveryCategory(t *testing.T) {
	t.Parallel()
	for _, c := range health.Categories {
		for _, lang := range []string{"ko", "en"} {
			t.Run(string(c)+"/"+lang, func(t *testing.T) {
				t.Parallel()
				g := Guidance(string(c), lang)
				if g.Title == "" || g.Summary == "" {
					t.Fatalf("Guidance(%s, %s) has an empty title or summary", c, lang)
				}
				if len(g.Steps) < 3 {
					t.Errorf("Guidance(%s, %s) has %d steps, want at least 3", c, lang, len(g.Steps))
				}
				if _, ok := guides[lang][c]; !ok {
					t.Errorf("category %s has no %s guide of its own (fell back to unknown)", c, lang)
				}
				for _, s := range append([]string{g.Title, g.Summary}, g.Steps...) {
					if strings.TrimSpace(s) == "" {
						t.Errorf("Guidance(%s, %s) has an empty text", c, lang)
					}
					if hasHangul(s) != (lang == "ko") {
						t.Errorf("Guidance(%s, %s): %q is in the wrong language", c, lang, s)
					}
				}
				last := g.Steps[len(g.Steps)-1]
				if !strings.Contains(last, "24") {
					t.Errorf("Guidance(%s, %s) does not end with the 24-hour reply step: %q", c, lang, last)
				}
				// Guidance appends the reply step; a guide of its own
				// must not ask for the reply a second time.
				for _, st := range g.Steps[:len(g.Steps)-1] {
					if strings.Contains(st, "24 hours") || strings.Contains(st, "24시간") {
						t.Errorf("Guidance(%s, %s) asks for the 24-hour reply before the reply step: %q", c, lang, st)
					}
				}
			})
		}
	}
}

func TestGuidanceFallbacks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		category, lang string
		want           Guide
	}{
		{"no-such-category", "en", Guidance("unknown", "en")},
		{"", "ko", Guidance("unknown", "ko")},
		{"dos", "fr", Guidance("dos", "en")},
		{"dos", "", Guidance("dos", "en")},
	}
	for _, tc := range tests {
		got := Guidance(tc.category, tc.lang)
		if got.Title != tc.want.Title || len(got.Steps) != len(tc.want.Steps) {
			t.Errorf("Guidance(%q, %q) = %q, want %q", tc.category, tc.lang, got.Title, tc.want.Title)
		}
	}
}

func TestGuidanceStepsAreCopies(t *testing.T) {
	t.Parallel()
	g := Guidance("spam", "en")
	g.Steps[0] = "changed"
	if Guidance("spam", "en").Steps[0] == "changed" {
		t.Fatal("modifying returned steps changed the shared guide")
	}
}

// The credential guides must carry the specific advice the service
// promises: rotate, check CloudTrail, and detach the quarantine policy only
// after cleanup.
func TestGuidanceCredentialContent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		category, lang string
		want           []string
	}{
		{"iam-quarantine", "en", []string{"Deactivate", "CloudTrail", "AWSCompromisedKeyQuarantine", "MFA"}},
		{"iam-quarantine", "ko", []string{"비활성화", "CloudTrail", "AWSCompromisedKeyQuarantine", "MFA"}},
		{"credentials-compromised", "en", []string{"Deactivate", "CloudTrail", "Delete the IAM users", "MFA"}},
		{"credentials-exposed", "ko", []string{"비활성화", "CloudTrail", "삭제", "MFA"}},
		{"dos", "en", []string{"security group", "snapshot", "Rebuild"}},
		{"port-scanning", "ko", []string{"보안 그룹", "스냅샷", "새로 구축"}},
		{"spam", "en", []string{"Amazon SES", "open relay", "reputation"}},
		{"open-proxy", "en", []string{"Close the proxy"}},
	}
	for _, tc := range tests {
		g := Guidance(tc.category, tc.lang)
		all := g.Summary + "\n" + strings.Join(g.Steps, "\n")
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("Guidance(%s, %s) does not mention %q", tc.category, tc.lang, w)
			}
		}
	}
	// Order matters for quarantine: detaching the policy comes after the
	// cleanup step.
	g := Guidance("iam-quarantine", "en")
	detach, cleanup := -1, -1
	for i, s := range g.Steps {
		if strings.Contains(s, "detach the AWSCompromisedKeyQuarantine") {
			detach = i
		}
		if strings.Contains(s, "Delete the IAM users") {
			cleanup = i
		}
	}
	if detach < 0 || cleanup < 0 || detach < cleanup {
		t.Errorf("quarantine guide: detach step %d must come after cleanup step %d", detach, cleanup)
	}
}

func hasHangul(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Hangul, r) {
			return true
		}
	}
	return false
}
