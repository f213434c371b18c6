package outbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/notify/outbox"
)

var now = time.Date(2025, 2, 10, 10, 0, 0, 0, time.UTC)

func TestEncodeEML(t *testing.T) {
	t.Parallel()
	m := notify.Email{
		From: "abuse-desk@msp.example", FromName: "예시 MSP 보안관제팀",
		To: []string{"sec@example.co.kr"}, CC: []string{"ops@example.co.kr"}, ReplyTo: []string{"soc@msp.example"},
		Subject: "[조치 요청] 침해 신고\r\nBcc: victim@example.com",
		Text:    "안녕하세요.\nline two = with equals",
		HTML:    "<p>안녕하세요.</p>",
	}
	b, err := outbox.EncodeEML(m, now)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a parseable message: %v\n%s", err, b)
	}
	if msg.Header.Get("Bcc") != "" {
		t.Error("a newline in the subject forged a Bcc header")
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "[조치 요청] 침해 신고 Bcc: victim@example.com" {
		t.Errorf("subject %q (%v)", subject, err)
	}
	from, err := mail.ParseAddress(msg.Header.Get("From"))
	if err != nil || from.Name != m.FromName || from.Address != m.From {
		t.Errorf("from %+v (%v)", from, err)
	}
	if d, err := msg.Header.Date(); err != nil || !d.Equal(now) {
		t.Errorf("date %v (%v)", d, err)
	}
	for _, h := range []string{"To", "Cc", "Reply-To"} {
		if msg.Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p)
		parts[strings.SplitN(p.Header.Get("Content-Type"), ";", 2)[0]] = string(body)
	}
	// Quoted-printable text travels with CRLF line breaks.
	if strings.ReplaceAll(parts["text/plain"], "\r\n", "\n") != m.Text || parts["text/html"] != m.HTML {
		t.Errorf("parts %q", parts)
	}
}

func TestOutboxWritesOneFilePerMessage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	o := &outbox.Outbox{Dir: dir, Now: func() time.Time { return now }}
	ctx := context.Background()
	m := notify.Email{From: "a@msp.example", To: []string{"../../etc/passwd@example.com"}, Subject: "s", Text: "t", HTML: "h"}
	id1, err := o.SendEmail(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	id2, _ := o.SendEmail(ctx, m)
	if id1 == "" || id1 != id2 {
		t.Errorf("message ids %q, %q: want stable, derived from content", id1, id2)
	}
	if _, err := o.SendEmail(ctx, notify.Email{From: "a@msp.example"}); err == nil {
		t.Error("an e-mail with no recipient was written")
	}
	if _, err := o.Publish(ctx, notify.Alert{Subject: "s", Message: "m", Attributes: map[string]string{"caseId": "c"}}); err != nil {
		t.Fatal(err)
	}
	if err := o.PutEvents(ctx, []notify.Event{{Source: "abusedesk", DetailType: "Case Notified", Detail: json.RawMessage(`{"caseId":"c"}`), Time: now}}); err != nil {
		t.Fatal(err)
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
		kind, _, _ := strings.Cut(de.Name(), "-")
		if strings.ContainsAny(de.Name(), "/\\") || (kind != "email" && kind != "sns" && kind != "event") {
			t.Errorf("unsafe file name %q", de.Name())
		}
	}
	if len(names) != 3 {
		t.Errorf("files %q, want an e-mail, an SNS message and an event", names)
	}
	var ev struct {
		Source     string          `json:"source"`
		DetailType string          `json:"detail-type"`
		Time       string          `json:"time"`
		Detail     json.RawMessage `json:"detail"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "event-Case-Notified.json"))
	if err != nil {
		t.Fatal(err)
	}
	var detail bytes.Buffer
	if err := json.Unmarshal(b, &ev); err != nil || json.Compact(&detail, ev.Detail) != nil {
		t.Fatalf("event %s: %v", b, err)
	}
	if ev.Source != "abusedesk" || ev.DetailType != "Case Notified" || ev.Time != "2025-02-10T10:00:00Z" || detail.String() != `{"caseId":"c"}` {
		t.Errorf("event %+v (%v)", ev, err)
	}
}

func TestLedgerClaimIsExclusive(t *testing.T) {
	t.Parallel()
	l := &outbox.Ledger{Dir: filepath.Join(t.TempDir(), "ledger")}
	k := notify.LedgerKey{CaseID: "123456789012-x", Revision: 1, Channel: notify.ChannelEmail, Recipient: "a|b@example.com"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	owners := 0
	for range 20 {
		wg.Go(func() {
			owned, _, err := l.Claim(context.Background(), k, now)
			if err != nil {
				t.Errorf("Claim: %v", err)
			}
			if owned {
				mu.Lock()
				owners++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if owners != 1 {
		t.Fatalf("%d owners, want 1", owners)
	}
	owned, prev, err := l.Claim(context.Background(), k, now)
	if owned || err != nil || prev == nil || prev.State != notify.StateClaimed {
		t.Errorf("re-claim: %v %+v %v", owned, prev, err)
	}
	if err := l.Finish(context.Background(), notify.Entry{Key: k, State: notify.StateSent, MessageID: "m-1", Updated: now}); err != nil {
		t.Fatal(err)
	}
	_, prev, _ = l.Claim(context.Background(), k, now)
	if prev == nil || prev.State != notify.StateSent || prev.MessageID != "m-1" {
		t.Errorf("after Finish: %+v", prev)
	}
	other := k
	other.Recipient = "b@example.com"
	if owned, _, _ := l.Claim(context.Background(), other, now); !owned {
		t.Error("another recipient's claim collided with an existing one")
	}
	es, err := l.Entries()
	if err != nil || len(es) != 2 {
		t.Errorf("Entries: %d (%v)", len(es), err)
	}
}

// TestLedgerEmptyClaimIsClaimed: a worker that died between creating the
// claim file and writing it still holds the claim.
func TestLedgerEmptyClaimIsClaimed(t *testing.T) {
	t.Parallel()
	l := &outbox.Ledger{Dir: t.TempDir()}
	k := notify.LedgerKey{CaseID: "c", Revision: 1, Channel: notify.ChannelSNS, Recipient: "oncall"}
	if _, _, err := l.Claim(context.Background(), k, now); err != nil {
		t.Fatal(err)
	}
	des, _ := os.ReadDir(l.Dir)
	if len(des) != 1 {
		t.Fatalf("ledger files %v", des)
	}
	if err := os.WriteFile(filepath.Join(l.Dir, des[0].Name()), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	owned, prev, err := l.Claim(context.Background(), k, now)
	if owned || err != nil || prev == nil || prev.State != notify.StateClaimed {
		t.Errorf("empty claim: %v %+v %v", owned, prev, err)
	}
}

func TestLedgerEntriesOfMissingDir(t *testing.T) {
	t.Parallel()
	es, err := (&outbox.Ledger{Dir: filepath.Join(t.TempDir(), "none")}).Entries()
	if err != nil || es != nil {
		t.Errorf("Entries: %v %v", es, err)
	}
}

func TestLedgerRetryEntryCanBeClaimedAgain(t *testing.T) {
	t.Parallel()
	l := &outbox.Ledger{Dir: t.TempDir()}
	ctx := context.Background()
	k := notify.LedgerKey{CaseID: "123456789012-abc", Revision: 1, Channel: "sns", Recipient: "oncall"}
	now := time.Date(2025, 2, 10, 0, 0, 0, 0, time.UTC)
	if won, _, err := l.Claim(ctx, k, now); !won || err != nil {
		t.Fatalf("first claim = %v, %v", won, err)
	}
	if err := l.Finish(ctx, notify.Entry{Key: k, State: notify.StateRetry, Error: "throttled"}); err != nil {
		t.Fatal(err)
	}
	if won, _, err := l.Claim(ctx, k, now); !won || err != nil {
		t.Fatalf("claim of a retry entry = %v, %v; want it taken over", won, err)
	}
	if won, e, err := l.Claim(ctx, k, now); won || err != nil || e.State != notify.StateClaimed {
		t.Fatalf("second claim = %v %+v %v; want the takeover to hold", won, e, err)
	}
}
