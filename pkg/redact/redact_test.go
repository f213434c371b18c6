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

// TestSecretsBypasses are the shapes a review used to slip secrets past an
// earlier redactor.
func TestSecretsBypasses(t *testing.T) {
	t.Parallel()
	const sk = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	token := strings.Repeat("FwoGZXIvYXdzE2", 12) // 168 chars, shorter than the old 200 limit
	pct := strings.NewReplacer("/", "%2F", "+", "%2B").Replace(sk)
	tests := []struct {
		name, in string
		leaked   []string
		kept     string
	}{
		{"key in a path", "Key at https://github.com/x/y/blob/main/" + sk + " and s3://bucket/keys/" + sk, []string{sk}, "https://github.com/x/y/blob/main/[redacted]"},
		{"key after an access key id", "AKIAIOSFODNN7EXAMPLE/" + sk, []string{sk}, "AKIAIOSFODNN7EXAMPLE/[redacted]"},
		{"key at the end of an ARN", "arn:aws:health:global::event/" + sk, []string{sk}, "event/[redacted]"},
		{"url-encoded key", "https://x.example/?k=" + pct, []string{sk, pct}, ""},
		{"pre-signed URL token", "https://b.s3.amazonaws.com/o?X-Amz-Security-Token=" + strings.ReplaceAll(token, "E", "%2F") + "&X-Amz-Date=1", []string{token[:30]}, "X-Amz-Date=1"},
		{"medium token", "token " + token, []string{token[:40]}, "token [redacted]"},
		{"userinfo", "https://admin:Pa55word!@host.example/x", []string{"Pa55word"}, "https://admin:[redacted]@host.example/x"},
		{"pwd", "pwd=hunter2x", []string{"hunter2x"}, "pwd=[redacted]"},
		{"quoted password with spaces", `password = "two words here"`, []string{"two words"}, `password = "[redacted]"`},
		{"JSON stays JSON", `{"secretAccessKey":"` + sk + `","accessKeyId":"ASIAEXAMPLE"}`, []string{sk}, `{"secretAccessKey":"[redacted]","accessKeyId":"ASIAEXAMPLE"}`},
		{"url-encoded assignment", "password%3Dhunter2x", []string{"hunter2x"}, "password=[redacted]"},
		{"xml", "<password>hunter2x</password>", []string{"hunter2x"}, "<password>[redacted]</password>"},
		{"zero-width split", "wJalrXUtnFEMI/K7MDENG\u200b/bPxRfiCYEXAMPLEKEY", []string{"bPxRfiCYEXAMPLEKEY"}, "[redacted]"},
		{"ARN path kept", "arn:aws:iam::123456789012:role/service-role/MyFunctionRole-abc123", nil, "MyFunctionRole-abc123"},
		{"hex hash kept", "sha1 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12 ok", nil, "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Secrets(tc.in)
			for _, l := range tc.leaked {
				if strings.Contains(got, l) {
					t.Errorf("Secrets(%q) = %q leaks %q", tc.in, got, l)
				}
			}
			if !strings.Contains(got, tc.kept) {
				t.Errorf("Secrets(%q) = %q, want it to contain %q", tc.in, got, tc.kept)
			}
		})
	}
}

func TestPathsAreNotKeys(t *testing.T) {
	t.Parallel()
	for _, p := range []string{
		"/tmp/TestScanPathsInputs3876512345/001/missing",
		"/tmp/TestScanPathsInputs38765123/001/missing",
		"s3://my-trail-bucket/AWSLogs/123456789012/CloudTrail/us-east-1/2025/02/10/file.json.gz",
		"arn:aws:lambda:us-east-1:123456789012:function:ProcessOrders2025Handler/Version7",
	} {
		if got := Secrets(p); got != p {
			t.Errorf("Secrets(%q) = %q, want it unchanged", p, got)
		}
	}
}
