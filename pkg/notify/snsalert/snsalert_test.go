package snsalert_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/abusedesk/abusedesk/internal/notifytest"
	"github.com/abusedesk/abusedesk/pkg/awslimits"
	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/notify/snsalert"
)

func TestSubject(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 150)
	tests := []struct {
		name, in, want string
	}{
		{"ascii kept", "abusedesk: credentials exposed (123456789012)", "abusedesk: credentials exposed (123456789012)"},
		{"korean romanized", "[보안 경고] 한국 계정", "[boan gyeonggo] hanguk gyejeong"},
		{"crlf and tabs folded", "alert\r\nBcc: x@evil.test\t<script>", "alert Bcc: x@evil.test <script>"},
		{"leading space trimmed", "   \n  risk", "risk"},
		{"other non-ascii dropped", "caf\u00e9 \U0001F525 ok", "caf ok"},
		{"nothing left", "\U0001F525\u00e9", "abusedesk alert"},
		{"long cut below 100", long, strings.Repeat("a", 96) + "..."},
	}
	for _, tt := range tests {
		got := snsalert.Subject(tt.in)
		if got != tt.want {
			t.Errorf("%s: Subject(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
		if len(got) >= 100 || strings.ContainsFunc(got, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
			t.Errorf("%s: %q breaks SNS subject rules", tt.name, got)
		}
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	korean := strings.Repeat("가", 100_000) // 300,000 bytes of 3-byte runes
	tests := []struct {
		name      string
		msg       string
		limit     int
		truncated bool
	}{
		{"fits", "short", 100, false},
		{"exact", strings.Repeat("x", 100), 100, false},
		{"300 KB korean", korean, awslimits.SNSMessageMaxBytes, true},
		{"invalid utf-8", "ok\xff\xfe" + strings.Repeat("b", 500), 200, true},
	}
	for _, tt := range tests {
		got := snsalert.Truncate(tt.msg, tt.limit, "s3://bucket/reports/c/r1/report.md")
		if len(got) > tt.limit {
			t.Fatalf("%s: %d bytes > limit %d", tt.name, len(got), tt.limit)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("%s: invalid UTF-8", tt.name)
		}
		hasNote := strings.Contains(got, "full report: s3://bucket/reports/c/r1/report.md]")
		if hasNote != tt.truncated {
			t.Fatalf("%s: truncation note present=%v, want %v", tt.name, hasNote, tt.truncated)
		}
		if tt.truncated && !strings.Contains(got, fmt.Sprintf("of %d bytes shown", len(strings.ToValidUTF8(tt.msg, "\uFFFD")))) {
			t.Fatalf("%s: note does not give the original size: %q", tt.name, got[len(got)-120:])
		}
	}
}

// fakeSNS speaks the SNS query protocol: a form-encoded POST, an XML answer.
type fakeSNS struct {
	mu    sync.Mutex
	forms []url.Values
}

func (f *fakeSNS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	f.forms = append(f.forms, r.PostForm)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	if r.PostForm.Get("Action") != "Publish" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>unknown</Message></Error><RequestId>r</RequestId></ErrorResponse>`)
		return
	}
	_, _ = io.WriteString(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult>
    <MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId>
  </PublishResult>
  <ResponseMetadata>
    <RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId>
  </ResponseMetadata>
</PublishResponse>`)
}

func TestPublish300KB(t *testing.T) {
	t.Parallel()
	f := &fakeSNS{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := sns.New(sns.Options{BaseEndpoint: aws.String(srv.URL), Region: notifytest.Region, Credentials: notifytest.Credentials()})
	topic := "arn:aws:sns:ap-northeast-2:123456789012:abusedesk-oncall"
	a := snsalert.New(client, snsalert.Config{TopicArn: topic})

	msg := "UA: curl/8.0\r\nX-Injected: 1\n" + strings.Repeat("로그 ", 75_000) // ~300 KB
	attrs := map[string]string{
		"category": "credentials", "risk": "high", "account": "123456789012",
		"report": "s3://abusedesk-reports/reports/c1/r1/report.md", "AWS.bad": "x", "empty": "",
	}
	id, err := a.Publish(context.Background(), notify.Alert{Subject: "[보안 경고] <script>alert(1)</script>\r\nBcc: x", Message: msg, Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	if id != "567910cd-659e-55d4-8ccb-5aaf14679dc0" {
		t.Fatalf("message id %q", id)
	}
	form := f.forms[0]
	if form.Get("TopicArn") != topic {
		t.Fatalf("topic %q", form.Get("TopicArn"))
	}
	if s := form.Get("Subject"); strings.ContainsAny(s, "\r\n") || len(s) >= 100 || !strings.HasPrefix(s, "[boan gyeonggo]") {
		t.Fatalf("subject %q", s)
	}
	got := map[string]string{}
	attrBytes := 0
	for i := 1; form.Get(fmt.Sprintf("MessageAttributes.entry.%d.Name", i)) != ""; i++ {
		p := fmt.Sprintf("MessageAttributes.entry.%d.", i)
		if dt := form.Get(p + "Value.DataType"); dt != "String" {
			t.Fatalf("attribute %s has type %q", form.Get(p+"Name"), dt)
		}
		got[form.Get(p+"Name")] = form.Get(p + "Value.StringValue")
		attrBytes += len(form.Get(p+"Name")) + len("String") + len(form.Get(p+"Value.StringValue"))
	}
	want := map[string]string{"category": "credentials", "risk": "high", "account": "123456789012", "report": attrs["report"]}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("attributes %v, want %v", got, want)
	}
	body := form.Get("Message")
	if total := len(body) + attrBytes; total > awslimits.SNSMessageMaxBytes {
		t.Fatalf("message %d + attributes %d bytes exceed the SNS limit", len(body), attrBytes)
	}
	if !utf8.ValidString(body) || !strings.HasSuffix(body, "full report: "+attrs["report"]+"]") {
		t.Fatalf("truncated message does not end with the report pointer: %q", body[len(body)-100:])
	}
}
