// Package outbox is the local stand-in for SES, SNS and EventBridge: it
// writes what would have been sent to a directory, as a customer e-mail
// (.eml), an SNS message (JSON) and an EventBridge event (JSON), and keeps
// the notification ledger as files so local replays are idempotent too.
package outbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/abusedesk/abusedesk/pkg/cases"
	"github.com/abusedesk/abusedesk/pkg/notify"
)

// Outbox writes messages under Dir. Now fixes the Date header and file
// contents for reproducible output.
type Outbox struct {
	Dir string
	Now func() time.Time
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._@-]+`)

func (o *Outbox) path(kind, key, ext string) string {
	name := unsafeName.ReplaceAllString(key, "_")
	if len(name) > 64 {
		name = name[:64]
	}
	return filepath.Join(o.Dir, kind+"-"+name+ext)
}

func (o *Outbox) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now().UTC()
}

// messageID is derived from the content so re-rendering is stable.
func messageID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "outbox-" + hex.EncodeToString(h.Sum(nil)[:12])
}

// SendEmail writes the message as RFC 5322 .eml: multipart/alternative with
// a text and an HTML part, UTF-8, headers RFC 2047-encoded.
func (o *Outbox) SendEmail(_ context.Context, m notify.Email) (string, error) {
	if len(m.To) == 0 {
		return "", fmt.Errorf("unable to write e-mail: no recipient")
	}
	b, err := EncodeEML(m, o.now())
	if err != nil {
		return "", err
	}
	id := messageID(m.From, strings.Join(m.To, ","), m.Subject, m.Text)
	if err := cases.WriteFileAtomic(o.path("email", m.To[0], ".eml"), b); err != nil {
		return "", err
	}
	return id, nil
}

// EncodeEML renders m as a MIME message.
func EncodeEML(m notify.Email, date time.Time) ([]byte, error) {
	var buf bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	from := (&mail.Address{Name: m.FromName, Address: m.From}).String()
	hdr("From", from)
	hdr("To", addrList(m.To))
	if len(m.CC) > 0 {
		hdr("Cc", addrList(m.CC))
	}
	if len(m.ReplyTo) > 0 {
		hdr("Reply-To", addrList(m.ReplyTo))
	}
	// Fold between encoded-words so no header line runs past 78 columns.
	hdr("Subject", strings.ReplaceAll(mime.BEncoding.Encode("UTF-8", oneLine(m.Subject)), "?= =?", "?=\r\n =?"))
	hdr("Date", date.UTC().Format(time.RFC1123Z))
	// Derived from the content, like the id SendEmail returns, so a
	// re-rendered message keeps its identity.
	hdr("Message-ID", "<"+messageID(m.From, strings.Join(m.To, ","), m.Subject, m.Text)+"@abusedesk.invalid>")
	hdr("MIME-Version", "1.0")
	w := multipart.NewWriter(&buf)
	hdr("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": w.Boundary()}))
	buf.WriteString("\r\n")
	for _, part := range []struct{ ctype, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		pw, err := w.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype + "; charset=UTF-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, fmt.Errorf("unable to encode e-mail: %w", err)
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(part.body)); err != nil {
			return nil, fmt.Errorf("unable to encode e-mail: %w", err)
		}
		qp.Close()
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("unable to encode e-mail: %w", err)
	}
	return buf.Bytes(), nil
}

func addrList(as []string) string {
	out := make([]string, len(as))
	for i, a := range as {
		if p, err := mail.ParseAddress(a); err == nil {
			out[i] = p.String()
		} else {
			out[i] = mime.BEncoding.Encode("UTF-8", oneLine(a))
		}
	}
	return strings.Join(out, ", ")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Publish writes the SNS message as JSON in the shape of a Publish request.
func (o *Outbox) Publish(_ context.Context, a notify.Alert) (string, error) {
	id := messageID(a.Subject, a.Message)
	b, err := json.MarshalIndent(struct {
		Subject           string            `json:"Subject"`
		Message           string            `json:"Message"`
		MessageAttributes map[string]string `json:"MessageAttributes,omitempty"`
	}{a.Subject, a.Message, a.Attributes}, "", "  ")
	if err != nil {
		return "", fmt.Errorf("unable to encode alert: %w", err)
	}
	return id, cases.WriteFileAtomic(o.path("sns", "oncall", ".json"), append(b, '\n'))
}

// PutEvents writes each event as JSON in the shape EventBridge delivers it.
func (o *Outbox) PutEvents(_ context.Context, evs []notify.Event) error {
	for _, ev := range evs {
		b, err := json.MarshalIndent(struct {
			Source     string          `json:"source"`
			DetailType string          `json:"detail-type"`
			Time       string          `json:"time,omitempty"`
			Resources  []string        `json:"resources,omitempty"`
			Detail     json.RawMessage `json:"detail"`
		}{ev.Source, ev.DetailType, timeOrEmpty(ev.Time), ev.Resources, ev.Detail}, "", "  ")
		if err != nil {
			return fmt.Errorf("unable to encode event: %w", err)
		}
		if err := cases.WriteFileAtomic(o.path("event", strings.ReplaceAll(ev.DetailType, " ", "-"), ".json"), append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Ledger is a file-per-key notification ledger. Claims use O_EXCL, which is
// atomic on local filesystems, so concurrent local runs still send once.
type Ledger struct {
	Dir string
	mu  sync.Mutex
}

func (l *Ledger) file(k notify.LedgerKey) string {
	key := fmt.Sprintf("%s|%d|%s|%s", k.CaseID, k.Revision, k.Channel, k.Recipient)
	return filepath.Join(l.Dir, base64.RawURLEncoding.EncodeToString([]byte(key))+".json")
}

// Claim implements notify.Ledger.
func (l *Ledger) Claim(_ context.Context, k notify.LedgerKey, now time.Time) (bool, *notify.Entry, error) {
	if err := os.MkdirAll(l.Dir, 0o755); err != nil {
		return false, nil, fmt.Errorf("unable to create ledger: %w", err)
	}
	e := notify.Entry{Key: k, State: notify.StateClaimed, Updated: now.UTC()}
	b, _ := json.Marshal(e)
	f, err := os.OpenFile(l.file(k), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if errors.Is(err, fs.ErrExist) {
		// A StateRetry entry sent nothing: take it over. The mutex makes
		// the read-then-write atomic within this process, which is all a
		// local run has.
		l.mu.Lock()
		defer l.mu.Unlock()
		prev, rerr := l.read(k)
		if rerr != nil || prev.State != notify.StateRetry {
			return false, prev, rerr
		}
		if err := cases.WriteFileAtomic(l.file(k), b); err != nil {
			return false, nil, fmt.Errorf("unable to claim: %w", err)
		}
		return true, nil, nil
	}
	if err != nil {
		return false, nil, fmt.Errorf("unable to claim: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		return false, nil, fmt.Errorf("unable to claim: %w", err)
	}
	return true, nil, nil
}

func (l *Ledger) read(k notify.LedgerKey) (*notify.Entry, error) {
	b, err := os.ReadFile(l.file(k))
	if err != nil {
		return nil, fmt.Errorf("unable to read ledger entry: %w", err)
	}
	var e notify.Entry
	if len(bytes.TrimSpace(b)) == 0 {
		// A claim whose writer died before writing: still a claim.
		return &notify.Entry{Key: k, State: notify.StateClaimed}, nil
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("unable to parse ledger entry: %w", err)
	}
	return &e, nil
}

// Finish implements notify.Ledger.
func (l *Ledger) Finish(_ context.Context, e notify.Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("unable to encode ledger entry: %w", err)
	}
	return cases.WriteFileAtomic(l.file(e.Key), b)
}

// Entries lists the ledger, for reports and tests.
func (l *Ledger) Entries() ([]notify.Entry, error) {
	des, err := os.ReadDir(l.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("unable to list ledger: %w", err)
	}
	var out []notify.Entry
	for _, de := range des {
		if !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(l.Dir, de.Name()))
		if err != nil {
			return nil, fmt.Errorf("unable to read ledger: %w", err)
		}
		var e notify.Entry
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("unable to parse ledger entry %s: %w", de.Name(), err)
		}
		out = append(out, e)
	}
	return out, nil
}
