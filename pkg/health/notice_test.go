package health_test

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/health"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		service, code string
		want          health.Category
	}{
		{"ABUSE", "AWS_ABUSE_DOS_REPORT", health.CategoryDoS},
		{"ABUSE", "AWS_ABUSE_EC2_EMAIL_SPAM_REPORT", health.CategorySpam},
		{"ABUSE", "AWS_ABUSE_EC2_PORT_SCANNING_REPORT", health.CategoryPortScan},
		{"ABUSE", "AWS_ABUSE_EC2_INTRUSION_ATTEMPT_REPORT", health.CategoryIntrusion},
		{"ABUSE", "AWS_ABUSE_EC2_PHISHING_REPORT", health.CategoryPhishing},
		{"ABUSE", "AWS_ABUSE_EC2_MALWARE_WEBSITE_REPORT", health.CategoryMalware},
		{"ABUSE", "AWS_ABUSE_EC2_BOTNET_REPORT", health.CategoryMalware},
		{"ABUSE", "AWS_ABUSE_EC2_OPEN_PROXY_REPORT", health.CategoryOpenProxy},
		{"ABUSE", "AWS_ABUSE_EC2_SPAM_WEBSITE_REPORT", health.CategorySpam},
		{"ABUSE", "AWS_ABUSE_EC2_FORUM_SPAM_REPORT", health.CategorySpam},
		{"ABUSE", "AWS_ABUSE_COPYRIGHT_DMCA_REPORT", health.CategoryCopyright},
		{"ABUSE", "AWS_ABUSE_PII_CONTENT_REMOVAL_REPORT", health.CategoryContent},
		{"RISK", "AWS_RISK_CREDENTIALS_EXPOSED", health.CategoryCredExposed},
		{"RISK", "AWS_RISK_CREDENTIALS_EXPOSURE_SUSPECTED", health.CategoryCredExposed},
		{"RISK", "AWS_RISK_CREDENTIALS_COMPROMISED", health.CategoryCredCompromis},
		{"RISK", "AWS_RISK_CREDENTIALS_COMPROMISE_SUSPECTED", health.CategoryCredCompromis},
		{"RISK", "AWS_RISK_IAM_QUARANTINE", health.CategoryQuarantine},
		// New codes land by their words, case-insensitively.
		{"ABUSE", "AWS_ABUSE_EC2_SSH_BRUTE_FORCE_REPORT", health.CategoryIntrusion},
		{"ABUSE", "aws_abuse_ddos_report", health.CategoryDoS},
		// Words must be whole: WINDOWS is not DOS.
		{"ABUSE", "AWS_ABUSE_WINDOWS_LICENSE_REPORT", health.CategoryUnknown},
		{"ABUSE", "AWS_ABUSE_EC2_CRYPTO_MINING_POOL_REPORT", health.CategoryUnknown},
		{"ABUSE", "AWS_ABUSE_MADE_UP_THING", health.CategoryUnknown},
		{"ABUSE", "", health.CategoryUnknown},
		{"ABUSE", "<script>DOS</script>", health.CategoryDoS},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			t.Parallel()
			if got := health.Classify(tt.service, tt.code); got != tt.want {
				t.Errorf("Classify(%q, %q) = %q, want %q", tt.service, tt.code, got, tt.want)
			}
			if !slices.Contains(health.Categories, health.Classify(tt.service, tt.code)) {
				t.Errorf("category %q not in Categories", health.Classify(tt.service, tt.code))
			}
		})
	}
}

func TestCategoryIsCredential(t *testing.T) {
	t.Parallel()
	for _, c := range health.Categories {
		want := strings.HasPrefix(string(c), "credentials-") || c == health.CategoryQuarantine
		if c.IsCredential() != want {
			t.Errorf("%s.IsCredential() = %v", c, c.IsCredential())
		}
	}
}

func TestAffectedAccount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, affected, envelope, want string
		warn                           string // substring of the warning; "" for none
	}{
		{"detail account", "123456789012", "123456789012", "123456789012", ""},
		{"org view: detail differs from envelope", "123456789012", "999988887777", "123456789012", ""},
		{"no detail account", "", "210987654321", "210987654321", ""},
		{"access key id in affectedAccount", "AKIAXXXXXXXXXX", "210987654321", "210987654321", "not a 12-digit account id: used the envelope account 210987654321"},
		{"13 digits", "1234567890123", "210987654321", "210987654321", "not a 12-digit"},
		{"neither valid", "AKIAXXXXXXXXXX", "1234567890", health.UnknownAccount, "no valid account id"},
		{"both empty", "", "", health.UnknownAccount, "lookups are skipped"},
		{"padded", " 123456789012 ", "", "123456789012", ""},
		{"hostile", "<b>1</b>\r\nX-Inject: 1", "", health.UnknownAccount, "no valid account id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := decodeOne(t, []byte(validEvent))
			ev.Account, ev.Detail.AffectedAccount = tt.envelope, tt.affected
			n, err := health.Validate(ev)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if n.Account != tt.want {
				t.Errorf("Account = %q, want %q", n.Account, tt.want)
			}
			warnings := strings.Join(n.Warnings, "\n")
			if tt.warn == "" && warnings != "" {
				t.Errorf("unexpected warnings %q", warnings)
			}
			if !strings.Contains(warnings, tt.warn) {
				t.Errorf("warnings %q lack %q", warnings, tt.warn)
			}
		})
	}
}

func TestValidAccount(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"123456789012": true, "000000000000": true, "12345678901": false, "1234567890123": false,
		"12345678901a": false, "": false, "１２３４５６７８９０１２": false, "123456789012\n": false,
	} {
		if got := health.ValidAccount(s); got != want {
			t.Errorf("ValidAccount(%q) = %v", s, got)
		}
	}
}

func TestExtractTargets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		entities []string
		metadata map[string]string
		desc     string
		region   string
		want     health.Targets
	}{
		{
			name:     "instance arns and ids",
			entities: []string{"arn:aws:ec2:us-west-2:123456789012:instance/i-0a1b2c3d4e5f60718", "i-0123abcd"},
			region:   "us-west-2",
			want: health.Targets{
				InstanceIDs: []string{"i-0a1b2c3d4e5f60718", "i-0123abcd"},
				ARNs:        []string{"arn:aws:ec2:us-west-2:123456789012:instance/i-0a1b2c3d4e5f60718"},
				Regions:     []string{"us-west-2"},
			},
		},
		{
			name:     "ips: public v4 and v6 kept, private, loopback and link-local dropped",
			entities: []string{"203.0.113.10", "2001:db8::1", "10.0.0.5", "192.168.1.1", "fd00::1", "127.0.0.1", "169.254.169.254"},
			desc:     "Traffic from 198.51.100.77. Also ::ffff:203.0.113.11 and 172.16.0.9.",
			want:     health.Targets{IPs: []string{"203.0.113.10", "2001:db8::1", "198.51.100.77", "203.0.113.11"}},
		},
		{
			name:     "access keys and iam users",
			entities: []string{"AKIAIOSFODNN7EXAMPLE", "arn:aws:iam::123456789012:user/dev/alice"},
			metadata: map[string]string{"userName": "bob", "accessKeyId": "ASIAIOSFODNN7EXAMPLE"},
			want: health.Targets{
				AccessKeyIDs: []string{"AKIAIOSFODNN7EXAMPLE", "ASIAIOSFODNN7EXAMPLE"},
				UserNames:    []string{"bob", "alice"},
				ARNs:         []string{"arn:aws:iam::123456789012:user/dev/alice"},
			},
		},
		{
			name:     "placeholders are not ids",
			entities: []string{"ACCESS_KEY_ID_HERE", "arn:ec2-1-101002929", "i-1234", "AKIAXXXXXXXXXX"},
		},
		{
			name:     "hostile text yields only well-formed values",
			entities: []string{"i-0123456789abcdef0; rm -rf /", "arn:aws:iam::123456789012:user/<script>alert(1)</script>"},
			metadata: map[string]string{"userName": "alice\r\nBcc: victim@example.com"},
			desc:     "<img src=x onerror=alert(1)> 203.0.113.5\"><script> AKIAIOSFODNN7EXAMPLE`",
			want: health.Targets{
				InstanceIDs:  []string{"i-0123456789abcdef0"},
				IPs:          []string{"203.0.113.5"},
				AccessKeyIDs: []string{"AKIAIOSFODNN7EXAMPLE"},
				ARNs:         []string{"arn:aws:iam::123456789012:user/<script>alert(1)</script>"},
			},
		},
		{
			name:     "duplicates collapse",
			entities: []string{"i-0123abcd", "i-0123abcd", "203.0.113.10"},
			desc:     "203.0.113.10 and i-0123abcd again",
			want:     health.Targets{InstanceIDs: []string{"i-0123abcd"}, IPs: []string{"203.0.113.10"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var n health.Notice
			for _, e := range tt.entities {
				n.Event.Detail.AffectedEntities = append(n.Event.Detail.AffectedEntities, health.Entity{EntityValue: e})
			}
			n.Event.Detail.EventMetadata = tt.metadata
			if tt.desc != "" {
				n.Event.Detail.EventDescription = health.Descriptions{{Language: "en_US", LatestDescription: tt.desc}}
			}
			n.Region = tt.region
			got := health.ExtractTargets(n)
			check := func(kind string, got, want []string) {
				if !slices.Equal(got, want) {
					t.Errorf("%s = %q, want %q", kind, got, want)
				}
			}
			check("InstanceIDs", got.InstanceIDs, tt.want.InstanceIDs)
			check("IPs", got.IPs, tt.want.IPs)
			check("AccessKeyIDs", got.AccessKeyIDs, tt.want.AccessKeyIDs)
			check("UserNames", got.UserNames, tt.want.UserNames)
			check("ARNs", got.ARNs, tt.want.ARNs)
			check("Regions", got.Regions, tt.want.Regions)
		})
	}
}

func TestTargetsMerge(t *testing.T) {
	t.Parallel()
	a := health.Targets{IPs: []string{"203.0.113.1"}, Regions: []string{"us-west-2"}}
	b := health.Targets{IPs: []string{"203.0.113.2", "203.0.113.1"}, InstanceIDs: []string{"i-0123abcd"}}
	m := a.Merge(b)
	if !slices.Equal(m.IPs, []string{"203.0.113.1", "203.0.113.2"}) || !slices.Equal(m.InstanceIDs, []string{"i-0123abcd"}) || !slices.Equal(m.Regions, []string{"us-west-2"}) {
		t.Errorf("Merge = %+v", m)
	}
	if len(a.IPs) != 1 || len(b.IPs) != 2 {
		t.Errorf("Merge modified its inputs: %+v %+v", a, b)
	}
}

func TestValidateRejectsImplausibleFields(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	base := func() health.Event {
		return health.Event{Source: "aws.health", DetailType: "AWS Health Abuse Event", Account: "123456789012",
			Detail: health.Detail{EventArn: "arn:aws:health:global::event/AWS_ABUSE_DOS_REPORT_1", Service: "ABUSE",
				EventTypeCode: "AWS_ABUSE_DOS_REPORT", StatusCode: "open",
				LastUpdatedTime: health.Time{Time: time.Date(2025, 2, 10, 0, 0, 0, 0, time.UTC)}}}
	}
	tests := []struct {
		name string
		edit func(*health.Event)
		want string // "" means valid
	}{
		{"valid", func(*health.Event) {}, ""},
		{"closed", func(e *health.Event) { e.Detail.StatusCode = "closed" }, ""},
		{"endTime ahead is fine", func(e *health.Event) { e.Detail.EndTime = health.Time{Time: now.Add(14 * 24 * time.Hour)} }, ""},
		{"code with markup", func(e *health.Event) { e.Detail.EventTypeCode = "AWS_ABUSE_<script>_REPORT" }, "eventTypeCode"},
		{"code with CRLF", func(e *health.Event) { e.Detail.EventTypeCode = "AWS_ABUSE\r\nX" }, "eventTypeCode"},
		{"code blank", func(e *health.Event) { e.Detail.EventTypeCode = " " }, "eventTypeCode"},
		{"arn blank", func(e *health.Event) { e.Detail.EventArn = "   " }, "eventArn"},
		{"arn traversal", func(e *health.Event) { e.Detail.EventArn = "../../../../tmp/pwned" }, "eventArn"},
		{"arn NUL", func(e *health.Event) { e.Detail.EventArn = "arn:aws:health:global::event/X\x00" }, "eventArn"},
		{"status markup", func(e *health.Event) { e.Detail.StatusCode = "<b>pwn</b>" }, "statusCode"},
		{"page beyond total", func(e *health.Event) { e.Detail.Page, e.Detail.TotalPages = 5, 2 }, "page 5 of 2"},
		{"year 9999", func(e *health.Event) {
			e.Detail.LastUpdatedTime = health.Time{Time: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)}
		}, "future"},
		{"next century", func(e *health.Event) {
			e.Detail.LastUpdatedTime = health.Time{Time: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
		}, "future"},
		{"before Health existed", func(e *health.Event) {
			e.Detail.StartTime = health.Time{Time: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)}
		}, "plausible"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := base()
			tt.edit(&ev)
			_, err := health.ValidateAt(ev, now)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ValidateAt: %v", err)
				}
				return
			}
			var ie *health.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ValidateAt error = %v, want *InputError mentioning %q", err, tt.want)
			}
		})
	}
}

func TestDecodeBOMAndSNSEnvelope(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../events/abuse-dos.json")
	if err != nil {
		t.Fatal(err)
	}
	bom := append([]byte("\xef\xbb\xbf"), raw...)
	if evs, err := health.Decode(bom); err != nil || len(evs) != 1 {
		t.Fatalf("Decode with a byte-order mark = %d events, %v", len(evs), err)
	}
	env, _ := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "m-1", "Message": string(raw)})
	evs, err := health.Decode(env)
	if err != nil || len(evs) != 1 || evs[0].Detail.EventTypeCode != "AWS_ABUSE_DOS_REPORT" {
		t.Fatalf("Decode of an SNS envelope = %+v, %v", evs, err)
	}
	bad, _ := json.Marshal(map[string]string{"Type": "Notification", "Message": "not json"})
	var ie *health.InputError
	if _, err := health.Decode(bad); !errors.As(err, &ie) {
		t.Fatalf("Decode of an SNS envelope with a bad message = %v, want *InputError", err)
	}
}
