package sesmail_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/abusedesk/abusedesk/internal/notifytest"
	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/notify/sesmail"
)

type response struct {
	status int
	body   string
}

// fakeSES answers SendEmail with the scripted responses in order (the last
// one repeats) and GetAccount with account; it records SendEmail bodies.
type fakeSES struct {
	mu        sync.Mutex
	responses []response
	account   response
	bodies    []map[string]any
}

func (f *fakeSES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v2/email/account":
		w.WriteHeader(f.account.status)
		_, _ = io.WriteString(w, f.account.body)
	case r.Method == http.MethodPost && r.URL.Path == "/v2/email/outbound-emails":
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.bodies = append(f.bodies, body)
		resp := f.responses[min(len(f.bodies), len(f.responses))-1]
		w.WriteHeader(resp.status)
		_, _ = io.WriteString(w, resp.body)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func (f *fakeSES) sent() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.bodies...)
}

func newFake(t *testing.T, f *fakeSES, cfg sesmail.Config) *sesmail.Mailer {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := sesv2.New(sesv2.Options{BaseEndpoint: aws.String(srv.URL), Region: notifytest.Region, Credentials: notifytest.Credentials()})
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = time.Millisecond
	}
	return sesmail.New(context.Background(), client, cfg)
}

const accountJSON = `{"ProductionAccessEnabled":true,"SendQuota":{"Max24HourSend":50000,"MaxSendRate":14,"SentLast24Hours":12},"SendingEnabled":true}`

func koreanEmail(to ...string) notify.Email {
	return notify.Email{
		From: "abuse-desk@example.com", FromName: "보안 관제팀",
		To: to, CC: []string{"김철수 <cc@example.co.kr>"},
		Subject: "[보안 경고] 계정 123456789012 자격 증명 노출\r\nBcc: evil@example.net",
		HTML:    "<p>안녕하세요</p>", Text: "안녕하세요",
		Tags: map[string]string{"risk": "high", "case": "c-1"},
	}
}

func decodeWord(t *testing.T, addr string) string {
	t.Helper()
	a, err := mail.ParseAddress(addr)
	if err != nil {
		t.Fatalf("SES would get an unparsable address %q: %v", addr, err)
	}
	return a.Name
}

func TestSendEmailRequestShape(t *testing.T) {
	t.Parallel()
	f := &fakeSES{responses: []response{{200, `{"MessageId":"0100018f-abc"}`}}, account: response{200, accountJSON}}
	m := newFake(t, f, sesmail.Config{ConfigurationSet: "abusedesk", ReplyTo: []string{"soc@example.com"}})
	if got := float64(m.Limit()); got != 14 {
		t.Fatalf("limit %v, want the account's MaxSendRate 14", got)
	}
	id, err := m.SendEmail(context.Background(), koreanEmail("고객 담당자 <owner@example.co.kr>"))
	if err != nil {
		t.Fatal(err)
	}
	if id != "0100018f-abc" {
		t.Fatalf("message id %q", id)
	}
	body := f.sent()[0]
	from := body["FromEmailAddress"].(string)
	if !strings.HasPrefix(from, "=?utf-8?") || strings.ContainsFunc(from, func(r rune) bool { return r > 0x7e }) {
		t.Fatalf("From %q is not an ASCII RFC 2047 encoded-word", from)
	}
	if name := decodeWord(t, from); name != "보안 관제팀" {
		t.Fatalf("From decodes to %q", name)
	}
	dest := body["Destination"].(map[string]any)
	to := dest["ToAddresses"].([]any)[0].(string)
	if name := decodeWord(t, to); name != "고객 담당자" || strings.ContainsFunc(to, func(r rune) bool { return r > 0x7e }) {
		t.Fatalf("To %q", to)
	}
	simple := body["Content"].(map[string]any)["Simple"].(map[string]any)
	subj := simple["Subject"].(map[string]any)
	if subj["Charset"] != "UTF-8" {
		t.Fatalf("subject charset %v", subj["Charset"])
	}
	if s := subj["Data"].(string); strings.ContainsAny(s, "\r\n") || !strings.HasPrefix(s, "[보안 경고]") {
		t.Fatalf("subject %q", s)
	}
	for _, part := range []string{"Html", "Text"} {
		c := simple["Body"].(map[string]any)[part].(map[string]any)
		if c["Charset"] != "UTF-8" || c["Data"] == "" {
			t.Fatalf("%s body %v", part, c)
		}
	}
	if body["ConfigurationSetName"] != "abusedesk" {
		t.Fatalf("configuration set %v", body["ConfigurationSetName"])
	}
	if rt := body["ReplyToAddresses"].([]any); len(rt) != 1 || rt[0] != "soc@example.com" {
		t.Fatalf("reply-to %v", rt)
	}
	tags := fmt.Sprint(body["EmailTags"])
	if !strings.Contains(tags, "Name:case Value:c-1") || !strings.Contains(tags, "Name:risk Value:high") {
		t.Fatalf("tags %s", tags)
	}
}

func TestSendEmailErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		responses []response
		wantErr   bool
		is        error // when set, the error must match it
		wantCalls int
	}{
		{"rejected is final", []response{{400, `{"__type":"MessageRejected","message":"Email address is not verified. The following identities failed the check in region US-EAST-1: owner@example.co.kr"}`}}, true, notify.ErrRejected, 1},
		{"unverified mail-from is final", []response{{400, `{"__type":"MailFromDomainNotVerifiedException","message":"mail from domain not verified"}`}}, true, notify.ErrRejected, 1},
		{"throttled then sent", []response{{429, `{"__type":"TooManyRequestsException","message":"Maximum sending rate exceeded."}`}, {429, `{"__type":"TooManyRequestsException","message":"Maximum sending rate exceeded."}`}, {200, `{"MessageId":"m-3"}`}}, false, nil, 3},
		{"throttled past attempts", []response{{429, `{"__type":"TooManyRequestsException","message":"Maximum sending rate exceeded."}`}}, true, awsx.ErrThrottled, 5},
		// A 5xx may come after SES accepted the message; retrying could send twice.
		{"server error is not retried", []response{{500, `{"__type":"InternalFailure","message":"internal"}`}}, true, nil, 1},
		{"access denied", []response{{403, `{"__type":"AccessDeniedException","message":"not authorized to perform ses:SendEmail"}`}}, true, awsx.ErrAccessDenied, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeSES{responses: tt.responses}
			m := newFake(t, f, sesmail.Config{MaxSendRate: 1000})
			id, err := m.SendEmail(context.Background(), koreanEmail("owner@example.co.kr"))
			if got := len(f.sent()); got != tt.wantCalls {
				t.Fatalf("%d SendEmail calls, want %d", got, tt.wantCalls)
			}
			switch {
			case !tt.wantErr && err != nil:
				t.Fatal(err)
			case tt.wantErr && err == nil:
				t.Fatalf("sent (%s), want error", id)
			case tt.is != nil && !errors.Is(err, tt.is):
				t.Fatalf("err %v, want %v", err, tt.is)
			}
			if !errors.Is(tt.is, notify.ErrRejected) && errors.Is(err, notify.ErrRejected) {
				t.Fatalf("err %v must not be ErrRejected", err)
			}
		})
	}
}

func TestSendEmailValidatesBeforeCalling(t *testing.T) {
	t.Parallel()
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf("r%d@example.com", i)
	}
	tests := []struct {
		name string
		mod  func(*notify.Email)
	}{
		{"no recipients", func(e *notify.Email) { e.To = nil }},
		{"bad recipient", func(e *notify.Email) { e.To = []string{"not an address"} }},
		{"bad sender", func(e *notify.Email) { e.From = "nobody" }},
		{"too many recipients", func(e *notify.Email) { e.To = many }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeSES{responses: []response{{200, `{"MessageId":"x"}`}}}
			m := newFake(t, f, sesmail.Config{MaxSendRate: 1000})
			e := koreanEmail("owner@example.com")
			tt.mod(&e)
			if _, err := m.SendEmail(context.Background(), e); err == nil {
				t.Fatal("no error")
			}
			if n := len(f.sent()); n != 0 {
				t.Fatalf("%d calls for an invalid e-mail", n)
			}
		})
	}
}

func TestAccountRateFallsBackToSandbox(t *testing.T) {
	t.Parallel()
	f := &fakeSES{account: response{400, `{"__type":"BadRequestException","message":"no account"}`}}
	m := newFake(t, f, sesmail.Config{})
	if got := float64(m.Limit()); got != 1 {
		t.Fatalf("limit %v, want the sandbox rate 1", got)
	}
}

func TestAddressEncoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, display, addr, want string
	}{
		{"bare", "", "a@example.com", "a@example.com"},
		{"ascii name", "Abuse Desk", "a@example.com", `"Abuse Desk" <a@example.com>`},
		{"korean name", "보안팀", "a@example.com", "=?utf-8?b?67O07JWI7YyA?= <a@example.com>"},
		{"newline in name", "SOC\r\nBcc: x@evil.test", "a@example.com", `"SOC Bcc: x@evil.test" <a@example.com>`},
	}
	for _, tt := range tests {
		got, err := sesmail.Address(tt.display, tt.addr)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got != tt.want {
			t.Fatalf("%s: %q, want %q", tt.name, got, tt.want)
		}
		if tt.display != "" {
			dec := new(mime.WordDecoder)
			name := decodeWord(t, got)
			if _, err := dec.DecodeHeader(got); err != nil || (tt.name == "korean name" && name != tt.display) {
				t.Fatalf("%s: decodes to %q (%v)", tt.name, name, err)
			}
		}
	}
}

// Against aws-ses-v2-local: the real client's request is accepted and the
// stored message keeps the Korean subject and display name.
func TestSendEmailEmulator(t *testing.T) {
	t.Parallel()
	client, endpoint := notifytest.SESv2(t)
	m := sesmail.New(context.Background(), client, sesmail.Config{MaxSendRate: 1000})
	to := notifytest.UniqueName("owner-") + "@example.co.kr"
	id, err := m.SendEmail(context.Background(), koreanEmail("고객 <"+to+">"))
	if err != nil {
		t.Fatal(err)
	}
	emails, err := notifytest.SESStore(context.Background(), endpoint)
	if err != nil {
		t.Fatal(err)
	}
	got := notifytest.SentTo(emails, to)
	if len(got) != 1 || got[0].MessageID != id {
		t.Fatalf("store has %d e-mails to %s (%+v), want 1 with id %s", len(got), to, got, id)
	}
	if !strings.HasPrefix(got[0].Subject, "[보안 경고]") || decodeWord(t, got[0].From) != "보안 관제팀" {
		t.Fatalf("stored subject %q from %q", got[0].Subject, got[0].From)
	}
}
