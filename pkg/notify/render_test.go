package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/abusedesk/abusedesk/pkg/awslimits"
	"github.com/abusedesk/abusedesk/pkg/cases"
	"github.com/abusedesk/abusedesk/pkg/cloudtrail"
	"github.com/abusedesk/abusedesk/pkg/contacts"
	"github.com/abusedesk/abusedesk/pkg/evidence"
	"github.com/abusedesk/abusedesk/pkg/finding"
	"github.com/abusedesk/abusedesk/pkg/report"
)

const (
	hostileTag    = "<script>alert(1)</script>"
	hostileUA     = "aws-cli/2.0\r\nSubject: forged"
	hostileCustom = "Evil\r\nBcc: victim@example.com"
	secretKey     = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func testReport(rev int) *report.Report {
	updated := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	r := &report.Report{
		Schema: report.Schema, CaseID: "123456789012-0011223344556677", Revision: rev,
		Generated: updated.Add(5 * time.Minute), Account: "123456789012", Customer: "주식회사 예시",
		Service: "RISK", Code: "AWS_RISK_CREDENTIALS_COMPROMISED", Category: "credentials-compromised",
		Status: "open", Region: "global",
		EventArn:    "arn:aws:health:global::event/RISK/AWS_RISK_CREDENTIALS_COMPROMISED/AWS_RISK_CREDENTIALS_COMPROMISED_abc",
		Description: "Your key AKIAIOSFODNN7EXAMPLE with secret " + secretKey + " was found.\n<img src=x onerror=alert(1)>",
		Updated:     updated, RespondBy: updated.Add(report.ResponseWindow),
		Access: "assumed-role", Risk: finding.Critical,
		Findings: []finding.Finding{
			{ID: "iam.user-created", Severity: finding.Critical, Title: "Unknown IAM user created", Resource: "backdoor" + hostileTag, Reason: "created from user agent " + hostileUA},
			{ID: "ct.ua", Severity: finding.High, Title: "Tag " + hostileTag, Resource: "i-0aaaaaaaaaaaaaaa1", Reason: "[click](http://evil)"},
			{ID: "ec2.medium", Severity: finding.Medium, Title: "MEDIUM-FINDING-TITLE"},
			{ID: "ec2.low", Severity: finding.Low, Title: "LOW-FINDING-TITLE"},
		},
		Timeline:  []cloudtrail.TimelineEntry{{UserAgent: hostileUA, Severity: finding.High}},
		Raw:       evidence.Bundle{Gaps: []evidence.Gap{{Lookup: "iam", Reason: "AccessDenied"}}},
		Locations: map[string]string{"json": "s3://reports/c/1/report.json", "markdown": "s3://reports/c/1/report.en.md"},
	}
	r.Entities = []cases.Entity{{Value: "AKIAIOSFODNN7EXAMPLE", Revision: 1}}
	r.NewEntities = []string{"AKIAIOSFODNN7EXAMPLE"}
	if rev > 1 {
		r.Entities = append(r.Entities, cases.Entity{Value: "AKIAI44QH8DHBEXAMPLE", Revision: rev})
		r.NewEntities = []string{"AKIAI44QH8DHBEXAMPLE"}
	}
	return r
}

func testContact(lang string) contacts.Contact {
	return contacts.Contact{Account: "123456789012", Customer: "주식회사 예시", Language: lang, To: []string{"sec@example.co.kr"}, CC: []string{"ops@example.co.kr"}}
}

var testOptions = EmailOptions{
	From: "abuse@msp.example", FromName: "예시 MSP 보안관제팀", ReplyTo: []string{"soc@msp.example"},
	ConfigurationSet: "abusedesk", ReportLink: "https://portal.msp.example/cases/123456789012-0011223344556677",
}

func TestRenderEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		lang     string
		rev      int
		customer string
		subject  []string // substrings of the subject
		body     []string // substrings of both bodies
		notBody  []string // absent from both bodies
	}{
		{
			name: "korean first notice", lang: "ko", rev: 1,
			subject: []string{"[조치 요청]", "123456789012", "고객님 계정의 자격 증명 도용", "2026-05-02 21:00 KST"},
			body: []string{"안녕하세요, 주식회사 예시 담당자님.", "예시 MSP 보안관제팀", "이번에 새로 신고된 리소스", "AKIAIOSFODNN7EXAMPLE",
				"2026-05-02 21:00 KST (2026-05-02 12:00 UTC)", "AWSCompromisedKey", "CloudTrail", "Unknown IAM user created", testOptions.ReportLink},
			notBody: []string{"이전에 안내드린 리소스", "업데이트"},
		},
		{
			name: "english update names only new entities as new", lang: "en", rev: 3,
			subject: []string{"[Action required][Update 3]", "account 123456789012", "Compromised credentials in your account", "respond by 2026-05-02 12:00 UTC"},
			body:    []string{"Dear 주식회사 예시 team,", "update 3", "Newly reported resources", "AKIAI44QH8DHBEXAMPLE", "Resources already reported earlier", "AKIAIOSFODNN7EXAMPLE"},
		},
		{
			name: "unsupported language falls back to english", lang: "de", rev: 1,
			subject: []string{"[Action required]"},
			body:    []string{"Newly reported resources"},
		},
		{
			name: "hostile customer name stays on one line", lang: "en", rev: 1, customer: hostileCustom,
			body: []string{"Evil  Bcc: victim@example.com"}, notBody: []string{"\nBcc:"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := testContact(tc.lang)
			if tc.customer != "" {
				c.Customer = tc.customer
			}
			m, err := RenderEmail(testReport(tc.rev), c, testOptions)
			if err != nil {
				t.Fatalf("RenderEmail: %v", err)
			}
			for _, s := range tc.subject {
				if !strings.Contains(m.Subject, s) {
					t.Errorf("subject %q lacks %q", m.Subject, s)
				}
			}
			if strings.ContainsAny(m.Subject, "\r\n") || !utf8.ValidString(m.Subject) {
				t.Errorf("subject %q is not one valid UTF-8 line", m.Subject)
			}
			for name, body := range map[string]string{"html": m.HTML, "text": m.Text} {
				for _, s := range tc.body {
					want := s
					if name == "html" {
						want = htmlEscape(s)
					}
					if !strings.Contains(body, want) {
						t.Errorf("%s body lacks %q", name, want)
					}
				}
				for _, s := range append(tc.notBody, "MEDIUM-FINDING-TITLE", "LOW-FINDING-TITLE", secretKey) {
					if strings.Contains(body, s) {
						t.Errorf("%s body contains %q", name, s)
					}
				}
			}
			if strings.Contains(m.HTML, "http://evil") || strings.Contains(m.Text, "http://evil") {
				t.Error("attacker URL left clickable in the e-mail")
			}
			for _, s := range []string{"<script", "<img", "<a href=\"http://evil"} {
				if strings.Contains(strings.ToLower(m.HTML), s) {
					t.Errorf("HTML contains unescaped %q", s)
				}
			}
			if !strings.Contains(m.HTML, "&lt;script&gt;") {
				t.Error("HTML lost the escaped tag text instead of showing it")
			}
			for i, line := range strings.Split(m.Text, "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), "Subject: forged") || strings.HasPrefix(line, "Bcc:") {
					t.Errorf("text line %d was forged by attacker text: %q", i+1, line)
				}
			}
			if m.From != testOptions.From || m.FromName != testOptions.FromName || m.ConfigurationSet != "abusedesk" ||
				len(m.ReplyTo) != 1 || len(m.To) != 1 || len(m.CC) != 1 {
				t.Errorf("addressing not carried over: %+v", m)
			}
			for k, v := range m.Tags {
				if tagValue(v) != v || v == "" {
					t.Errorf("tag %s=%q is not a valid SES tag value", k, v)
				}
			}
		})
	}
}

func TestRenderEmailErrors(t *testing.T) {
	t.Parallel()
	noTo := testContact("en")
	noTo.To, noTo.CC = nil, nil
	tests := []struct {
		name string
		r    *report.Report
		c    contacts.Contact
		o    EmailOptions
	}{
		{"no report", nil, testContact("en"), testOptions},
		{"no sender", testReport(1), testContact("en"), EmailOptions{}},
		{"no recipients", testReport(1), noTo, testOptions},
	}
	for _, tc := range tests {
		if _, err := RenderEmail(tc.r, tc.c, tc.o); err == nil || !strings.HasPrefix(err.Error(), "unable to render e-mail") {
			t.Errorf("%s: err = %v, want an unable to render e-mail error", tc.name, err)
		}
	}
}

// A report with no findings, no deadline and no customer still renders.
func TestRenderEmailMinimal(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"en", "ko"} {
		m, err := RenderEmail(&report.Report{Account: "123456789012", Category: "???"}, contacts.Contact{Language: lang, To: []string{"a@example.com"}}, EmailOptions{From: "b@example.com"})
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		want := map[string]string{"en": "not stated", "ko": "명시되지 않음"}[lang]
		if !strings.Contains(m.Subject, want) || !strings.Contains(m.Text, report.Guidance("unknown", lang).Title) {
			t.Errorf("%s: subject %q / text lacks the deadline placeholder or the unknown guide", lang, m.Subject)
		}
	}
}

func TestRenderAlert(t *testing.T) {
	t.Parallel()
	long := testReport(2)
	long.Code = strings.Repeat("AWS_ABUSE_VERY_LONG_CODE_", 10)
	long.Category = "port-scanning"
	hostile := testReport(1)
	hostile.Category = "spam\r\n[abusedesk] forged"
	hostile.Account = "12345678901\n2"
	tests := []struct {
		name       string
		r          *report.Report
		subject    string // exact, when set
		message    []string
		notMessage []string
		category   string
	}{
		{
			name: "critical", r: testReport(1),
			subject: "[abusedesk] CRITICAL credentials-compromised 123456789012 AWS_RISK_CREDENTIALS_COMPROMISED",
			message: []string{"Respond by: 2026-05-02 12:00 UTC", "[CRITICAL] Unknown IAM user created", "Tag ‹script›alert(1)‹/script›",
				"json: s3://reports/c/1/report.json", "markdown: s3://reports/c/1/report.en.md", "Newly reported: AKIAIOSFODNN7EXAMPLE"},
			// Markup a chat tool or HTML subscriber would act on is broken.
			notMessage: []string{"MEDIUM-FINDING-TITLE", "LOW-FINDING-TITLE", secretKey, "<script", "](http"},
			category:   "credentials-compromised",
		},
		{name: "long code clipped", r: long, message: []string{"Newly reported: AKIAI44QH8DHBEXAMPLE"}, notMessage: []string{"AKIAIOSFODNN7EXAMPLE, "}, category: "port-scanning"},
		{name: "hostile fields", r: hostile, category: "spamabusedeskforged"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := RenderAlert(tc.r)
			if tc.subject != "" && a.Subject != tc.subject {
				t.Errorf("subject = %q, want %q", a.Subject, tc.subject)
			}
			if len(a.Subject) > awslimits.SNSSubjectMaxChars || a.Subject == "" {
				t.Errorf("subject is %d chars, want 1..%d", len(a.Subject), awslimits.SNSSubjectMaxChars)
			}
			for _, c := range a.Subject {
				if c < 0x20 || c > 0x7e {
					t.Fatalf("subject %q has non-printable-ASCII %q", a.Subject, c)
				}
			}
			for _, s := range []string{"주식회사", "<script"} {
				if strings.Contains(a.Subject, s) {
					t.Errorf("subject %q contains customer or attacker text %q", a.Subject, s)
				}
			}
			if strings.Count(a.Subject, "[abusedesk]") != 1 {
				t.Errorf("subject %q was forged", a.Subject)
			}
			for _, s := range tc.message {
				if !strings.Contains(a.Message, s) {
					t.Errorf("message lacks %q:\n%s", s, a.Message)
				}
			}
			for _, s := range tc.notMessage {
				if strings.Contains(a.Message, s) {
					t.Errorf("message contains %q", s)
				}
			}
			for i, line := range strings.Split(a.Message, "\n") {
				if strings.HasPrefix(line, "Subject:") || strings.HasPrefix(line, "[abusedesk]") || strings.Contains(line, "\r") {
					t.Errorf("message line %d forged: %q", i+1, line)
				}
			}
			if len(a.Message) > awslimits.SNSMessageMaxBytes {
				t.Errorf("message is %d bytes", len(a.Message))
			}
			if a.Attributes["category"] != tc.category || a.Attributes["risk"] != tc.r.Risk.String() || a.Attributes["account"] == "" {
				t.Errorf("attributes = %v", a.Attributes)
			}
		})
	}
}

func TestRenderAlertSizeBound(t *testing.T) {
	t.Parallel()
	r := testReport(1)
	for i := range 5000 {
		r.NewEntities = append(r.NewEntities, fmt.Sprintf("i-%017d", i))
		r.Findings = append(r.Findings, finding.Finding{ID: fmt.Sprint(i), Severity: finding.High, Title: strings.Repeat("가", 300), Reason: strings.Repeat("x", 5000)})
	}
	r.Locations = map[string]string{}
	for i := range 2000 {
		r.Locations[fmt.Sprint("k", i)] = strings.Repeat("한", 199)
	}
	a := RenderAlert(r)
	if len(a.Message) > maxAlertBytes || !utf8.ValidString(a.Message) {
		t.Fatalf("message is %d bytes (limit %d), valid UTF-8: %v", len(a.Message), maxAlertBytes, utf8.ValidString(a.Message))
	}
	if !strings.Contains(a.Message, "[truncated]") || !strings.Contains(a.Message, "(+4981 more)") {
		t.Error("oversized alert was not visibly capped")
	}
}

func TestClipBytes(t *testing.T) {
	t.Parallel()
	s := strings.Repeat("가", 100) // 3 bytes each
	for n := 20; n < 60; n++ {
		got := clipBytes(s, n)
		if len(got) > n || !utf8.ValidString(got) || !strings.HasSuffix(got, "[truncated]\n") {
			t.Fatalf("clipBytes(%d) = %q (%d bytes)", n, got, len(got))
		}
	}
	if got := clipBytes("short", 100); got != "short" {
		t.Errorf("clipBytes(short) = %q", got)
	}
}

func TestCaseEvent(t *testing.T) {
	t.Parallel()
	for _, dt := range []string{DetailCaseOpened, DetailCaseEnriched, DetailCaseNotified} {
		t.Run(dt, func(t *testing.T) {
			t.Parallel()
			r := testReport(2)
			ev, err := CaseEvent(dt, r)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Source != "abusedesk" || ev.DetailType != dt || !ev.Time.Equal(r.Generated) {
				t.Errorf("envelope = %q %q %v", ev.Source, ev.DetailType, ev.Time)
			}
			if len(ev.Resources) != 1 || ev.Resources[0] != r.EventArn {
				t.Errorf("resources = %v", ev.Resources)
			}
			var d struct {
				CaseID      string   `json:"caseId"`
				Revision    int      `json:"revision"`
				Account     string   `json:"account"`
				Service     string   `json:"service"`
				Code        string   `json:"code"`
				Category    string   `json:"category"`
				Status      string   `json:"status"`
				Risk        string   `json:"risk"`
				RespondBy   string   `json:"respondBy"`
				NewEntities []string `json:"newEntities"`
				Top         []struct {
					ID, Severity, Title, Resource string
				} `json:"topFindings"`
				Locations map[string]string `json:"locations"`
				Raw       json.RawMessage   `json:"raw"`
			}
			if err := json.Unmarshal(ev.Detail, &d); err != nil {
				t.Fatalf("detail is not JSON: %v", err)
			}
			if d.CaseID != r.CaseID || d.Revision != 2 || d.Account != r.Account || d.Service != "RISK" || d.Code != r.Code ||
				d.Category != r.Category || d.Status != "open" || d.Risk != "critical" || d.RespondBy != "2026-05-02T12:00:00Z" {
				t.Errorf("detail = %+v", d)
			}
			if len(d.NewEntities) != 1 || d.NewEntities[0] != "AKIAI44QH8DHBEXAMPLE" {
				t.Errorf("newEntities = %v, want only this revision's", d.NewEntities)
			}
			if len(d.Top) != 2 || d.Top[0].Severity != "critical" || d.Top[0].ID != "iam.user-created" || d.Top[1].Title != "Tag "+hostileTag {
				t.Errorf("topFindings = %+v", d.Top)
			}
			if d.Locations["json"] != r.Locations["json"] || d.Raw != nil {
				t.Errorf("locations = %v, raw = %s", d.Locations, d.Raw)
			}
			if strings.Contains(string(ev.Detail), "<script") {
				t.Error("detail carries a raw < (should be \\u003c escaped)")
			}
		})
	}
}

func TestCaseEventErrors(t *testing.T) {
	t.Parallel()
	for _, dt := range []string{"", "Case Closed", "case opened"} {
		if _, err := CaseEvent(dt, testReport(1)); err == nil {
			t.Errorf("CaseEvent(%q) accepted an unknown detail type", dt)
		}
	}
	if _, err := CaseEvent(DetailCaseOpened, nil); err == nil {
		t.Error("CaseEvent(nil report) succeeded")
	}
}

// The detail stays small however large the case is.
func TestCaseEventBounded(t *testing.T) {
	t.Parallel()
	r := testReport(1)
	for i := range 10000 {
		r.NewEntities = append(r.NewEntities, fmt.Sprintf("i-%017d", i))
		r.Findings = append(r.Findings, finding.Finding{ID: fmt.Sprint(i), Severity: finding.Critical, Title: strings.Repeat("t", 1000)})
	}
	ev, err := CaseEvent(DetailCaseEnriched, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Detail) >= awslimits.EventBridgeEntryMaxBytesLegacy/4 {
		t.Errorf("detail is %d bytes", len(ev.Detail))
	}
	var d struct {
		More     int `json:"moreNewEntities"`
		TopTotal int `json:"topFindingsTotal"`
	}
	if err := json.Unmarshal(ev.Detail, &d); err != nil || d.More != 10001-maxEventEntities || d.TopTotal != 10002 {
		t.Errorf("counts = %+v, err %v", d, err)
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

func BenchmarkRenderEmail(b *testing.B) {
	r, c := testReport(2), testContact("ko")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RenderEmail(r, c, testOptions); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderAlert(b *testing.B) {
	r := testReport(2)
	b.ReportAllocs()
	for b.Loop() {
		RenderAlert(r)
	}
}

func BenchmarkCaseEvent(b *testing.B) {
	r := testReport(2)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CaseEvent(DetailCaseNotified, r); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRenderEmailClosedIsARecordNotARequest(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"ko", "en"} {
		r := testReport(1)
		r.Status = "closed"
		c := contacts.Contact{Account: r.Account, Customer: "Example", Language: lang, To: []string{"sec@example.com"}}
		m, err := RenderEmail(r, c, EmailOptions{From: "abuse@msp.example"})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(m.Subject, "조치 요청") || strings.Contains(m.Subject, "Action required") ||
			!(strings.Contains(m.Subject, "[종료 안내]") || strings.Contains(m.Subject, "[Closed]")) {
			t.Errorf("%s: closed subject %q", lang, m.Subject)
		}
	}
}

func TestRenderEmailDefangsComplaintText(t *testing.T) {
	t.Parallel()
	r := testReport(1)
	r.Description = "see [click](http://evil.example/x) or www.evil.example"
	r.NewEntities = append(r.NewEntities, "https://evil.example/landing")
	r.Entities = append(r.Entities, cases.Entity{Value: "https://evil.example/landing", Revision: 1})
	c := contacts.Contact{Account: r.Account, Customer: "Example", Language: "en", To: []string{"sec@example.com"}}
	m, err := RenderEmail(r, c, EmailOptions{From: "abuse@msp.example"})
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{m.HTML, m.Text} {
		for _, live := range []string{"http://evil", "https://evil", "www.evil"} {
			if strings.Contains(part, live) {
				t.Errorf("e-mail keeps a live link %q", live)
			}
		}
	}
	if !strings.Contains(m.Text, "hxxp://evil.example/x") {
		t.Error("the defanged URL is not shown")
	}
}
