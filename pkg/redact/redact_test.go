package redact

import (
	"strings"
	"testing"
)

func TestSecrets(t *testing.T) {
	t.Parallel()
	secret := "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	token := strings.Repeat("IQoJb3JpZ2luX2VjEJr", 15)
	tests := []struct {
		name, in string
		leaked   string // must not appear
		kept     string // must appear
	}{
		{"bare secret key", "found " + secret + " in repo", secret, "found [redacted] in repo"},
		{"quoted assignment", `aws_secret_access_key = "` + secret + `"`, secret, "aws_secret_access_key"},
		{"password assignment", "password=hunter2hunter2", "hunter2", "password=[redacted]"},
		{"session token", "token " + token, token[:60], "token [redacted]"},
		{"sha1 hex kept", "commit 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12", "", "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"},
		{"access key id kept", "AKIAIOSFODNN7EXAMPLE", "", "AKIAIOSFODNN7EXAMPLE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Secrets(tc.in)
			if tc.leaked != "" && strings.Contains(got, tc.leaked) {
				t.Errorf("Secrets(%q) = %q leaks %q", tc.in, got, tc.leaked)
			}
			if !strings.Contains(got, tc.kept) {
				t.Errorf("Secrets(%q) = %q, want it to contain %q", tc.in, got, tc.kept)
			}
		})
	}
}
