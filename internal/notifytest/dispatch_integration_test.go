package notifytest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/abusedesk/abusedesk/internal/notifytest"
	"github.com/abusedesk/abusedesk/pkg/archive"
	"github.com/abusedesk/abusedesk/pkg/cases"
	"github.com/abusedesk/abusedesk/pkg/contacts"
	"github.com/abusedesk/abusedesk/pkg/finding"
	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/notify/ebus"
	"github.com/abusedesk/abusedesk/pkg/notify/sesmail"
	"github.com/abusedesk/abusedesk/pkg/notify/snsalert"
	"github.com/abusedesk/abusedesk/pkg/report"
	"github.com/abusedesk/abusedesk/pkg/store/dynamo"
)

// Hostile values an attacker controls on a compromised account.
const (
	hostileTag = `<script>alert("tag")</script>`
	hostileUA  = "curl/8.4\r\nX-Injected: yes\r\n<img src=x onerror=alert(1)>"
)

// peers is the notify stage wired to real SDK clients: SES v2 on
// aws-ses-v2-local, the ledger on dynalite, SNS, EventBridge and S3 on
// httptest servers speaking their protocols.
type peers struct {
	table     *dynamo.Table
	mailer    *sesmail.Mailer
	sesURL    string
	publishes atomic.Int32
	snsForms  chan url.Values
	putEvents atomic.Int32
	eventsIn  atomic.Int32
	sink      *archive.Sink
	alerter   *snsalert.Alerter
	bus       *ebus.Publisher
}

func newPeers(t *testing.T) *peers {
	t.Helper()
	ctx := context.Background()
	p := &peers{snsForms: make(chan url.Values, 200)}

	ddb := notifytest.DynamoDB(t)
	sesClient, sesURL := notifytest.SESv2(t)
	name := notifytest.UniqueName("abusedesk-notify-")
	if err := dynamo.CreateTable(ctx, ddb, name); err != nil {
		t.Fatal(err)
	}
	p.table = dynamo.New(ddb, name, dynamo.Options{})
	p.mailer = sesmail.New(ctx, sesClient, sesmail.Config{MaxSendRate: 1000})
	p.sesURL = sesURL

	snsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		n := p.publishes.Add(1)
		p.snsForms <- r.PostForm
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e9%02d</MessageId></PublishResult><ResponseMetadata><RequestId>f187a3c1-376f-11df-8963-01868b7c937a</RequestId></ResponseMetadata></PublishResponse>`, n)
	}))
	t.Cleanup(snsSrv.Close)
	busSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Entries []json.RawMessage }
		_ = json.NewDecoder(r.Body).Decode(&in)
		p.putEvents.Add(1)
		p.eventsIn.Add(int32(len(in.Entries)))
		out := `{"FailedEntryCount":0,"Entries":[` + strings.TrimSuffix(strings.Repeat(`{"EventId":"11710aed-b79e-4468-a20b-bb3c0c3b4860"},`, len(in.Entries)), ",") + `]}`
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, out)
	}))
	t.Cleanup(busSrv.Close)
	var mu sync.Mutex
	objects := map[string][]byte{}
	s3Srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		b, _ := io.ReadAll(r.Body)
		objects[r.URL.Path] = b
		w.Header().Set("ETag", `"d41d8cd98f00b204e9800998ecf8427e"`)
	}))
	t.Cleanup(s3Srv.Close)

	creds, region := notifytest.Credentials(), notifytest.Region
	p.sink = archive.New(s3.New(s3.Options{BaseEndpoint: aws.String(s3Srv.URL), Region: region, Credentials: creds, UsePathStyle: true}),
		archive.Config{Bucket: "abusedesk-reports"})
	p.alerter = snsalert.New(sns.New(sns.Options{BaseEndpoint: aws.String(snsSrv.URL), Region: region, Credentials: creds}),
		snsalert.Config{TopicArn: "arn:aws:sns:ap-northeast-2:111122223333:abusedesk-oncall"})
	p.bus = ebus.New(eventbridge.New(eventbridge.Options{BaseEndpoint: aws.String(busSrv.URL), Region: region, Credentials: creds}),
		ebus.Config{BusName: "abusedesk", Backoff: time.Millisecond})
	return p
}

// dispatcher wires the peers; ledger may wrap the table to simulate a crash.
func (p *peers) dispatcher(ledger notify.Ledger, mailer notify.Mailer) *notify.Dispatcher {
	return &notify.Dispatcher{
		Mailer: mailer, Alerter: p.alerter, Events: p.bus, Ledger: ledger,
		Email: notify.EmailOptions{From: "abuse-desk@example.com", FromName: "보안 관제팀", ConfigurationSet: "abusedesk"},
	}
}

// enriched builds an enriched case report for a fresh case and archives
// its JSON and Markdown renderings, as the enrich stage would.
func enriched(t *testing.T, p *peers, lang string) *report.Report {
	t.Helper()
	account := "123456789012"
	arn := notifytest.UniqueName("arn:aws:health:global::event/RISK/AWS_RISK_CREDENTIALS_EXPOSED/")
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r := &report.Report{
		Schema: "abusedesk.report/v1", CaseID: cases.Key(account, arn), Revision: 1, Generated: now,
		Account: account, Customer: "주식회사 예시", Language: lang,
		Service: "RISK", Code: "AWS_RISK_CREDENTIALS_EXPOSED", Category: "credentials", Status: "open",
		EventArn: arn, Updated: now, RespondBy: now.Add(24 * time.Hour),
		Entities:    []cases.Entity{{Value: "AKIAIOSFODNN7EXAMPLE", Revision: 1}},
		NewEntities: []string{"AKIAIOSFODNN7EXAMPLE"},
		Risk:        finding.High,
		Findings: []finding.Finding{{
			ID: "ec2.mining", Source: "ec2", Severity: finding.High,
			Title:    "Instance tagged " + hostileTag,
			Resource: "i-0abc (Name=" + hostileTag + ")",
			Reason:   "launched by a key used from user agent " + hostileUA,
		}},
	}
	ctx := context.Background()
	js, err := report.EncodeJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	r.Locations = map[string]string{}
	for name, body := range map[string][]byte{"report.json": js, "report.md": report.Markdown(r, lang)} {
		uri, err := p.sink.Put(ctx, r.CaseID, r.Revision, name, "", body)
		if err != nil {
			t.Fatal(err)
		}
		r.Locations[name] = uri
	}
	return r
}

var errCrashed = errors.New("worker crashed")

// crashingLedger lets the first e-mail reach SES and then "kills the
// worker" before its outcome is recorded: that Finish and every later call
// fail, as they would in a Lambda that died there.
type crashingLedger struct {
	notify.Ledger
	crashed atomic.Bool
}

func (l *crashingLedger) Claim(ctx context.Context, k notify.LedgerKey, now time.Time) (bool, *notify.Entry, error) {
	if l.crashed.Load() {
		return false, nil, errCrashed
	}
	return l.Ledger.Claim(ctx, k, now)
}

func (l *crashingLedger) Finish(ctx context.Context, e notify.Entry) error {
	if l.crashed.Load() {
		return errCrashed
	}
	if e.Key.Channel == notify.ChannelEmail && e.State == notify.StateSent {
		l.crashed.Store(true)
		return errCrashed
	}
	return l.Ledger.Finish(ctx, e)
}

type recipients struct{ first, second, cc string }

func newRecipients() recipients {
	return recipients{
		first:  notifytest.UniqueName("owner-") + "@example.co.kr",
		second: notifytest.UniqueName("security-") + "@example.co.kr",
		cc:     notifytest.UniqueName("cto-") + "@example.co.kr",
	}
}

func (rc recipients) contact() contacts.Contact {
	return contacts.Contact{
		Account: "123456789012", Customer: "주식회사 예시", Language: "ko",
		To: []string{"고객 담당자 <" + rc.first + ">", rc.second}, CC: []string{rc.cc},
	}
}

// assertOneEach checks aws-ses-v2-local holds exactly one e-mail for each
// address and returns them by address.
func assertOneEach(t *testing.T, p *peers, addrs ...string) map[string]notifytest.StoredEmail {
	t.Helper()
	emails, err := notifytest.SESStore(context.Background(), p.sesURL)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]notifytest.StoredEmail{}
	for _, a := range addrs {
		sent := notifytest.SentTo(emails, a)
		if len(sent) != 1 {
			t.Fatalf("%d e-mails to %s, want exactly 1", len(sent), a)
		}
		got[a] = sent[0]
	}
	return got
}

func TestRedeliveriesWithCrashSendOneEmailPerRecipient(t *testing.T) {
	t.Parallel()
	p := newPeers(t)
	r := enriched(t, p, "ko")
	rc := newRecipients()
	c := rc.contact()
	ctx := context.Background()

	// Delivery 1 dies right after SES accepted the first e-mail.
	if _, err := p.dispatcher(&crashingLedger{Ledger: p.table}, p.mailer).Deliver(ctx, r, c); err == nil {
		t.Fatal("crashed delivery reported success")
	}
	// Deliveries 2 and 3 are the Lambda retries.
	d := p.dispatcher(p.table, p.mailer)
	second, err := d.Deliver(ctx, r, c)
	if err != nil {
		t.Fatal(err)
	}
	// The crash was moments ago, so the claim reads as in progress; either
	// way it is not sent again, and the on-call alert reports it.
	if second.Count("in-progress") != 1 || second.Count("sent") != 4 {
		t.Fatalf("retry 1: %+v, want 1 in-progress (the crashed e-mail) and 4 sent", second.Deliveries)
	}
	third, err := d.Deliver(ctx, r, c)
	if err != nil {
		t.Fatal(err)
	}
	if third.Count("sent") != 0 || third.Count("duplicate") != 4 || third.Count("in-progress") != 1 {
		t.Fatalf("retry 2: %+v, want nothing sent", third.Deliveries)
	}

	stored := assertOneEach(t, p, rc.first, rc.second, rc.cc)
	if n := p.publishes.Load(); n != 1 {
		t.Fatalf("%d SNS publishes, want 1", n)
	}
	if n := p.putEvents.Load(); n != 1 {
		t.Fatalf("%d PutEvents calls, want 1", n)
	}

	// One ledger entry per notification; the crashed one stays claimed.
	for _, tt := range []struct {
		channel, recipient, state, messageID string
	}{
		// The ledger keys e-mail on the bare address, display name dropped.
		{notify.ChannelEmail, rc.first, notify.StateClaimed, ""},
		{notify.ChannelEmail, rc.second, notify.StateSent, stored[rc.second].MessageID},
		{notify.ChannelEmail, rc.cc, notify.StateSent, stored[rc.cc].MessageID},
		{notify.ChannelSNS, "oncall", notify.StateSent, ""},
		{notify.ChannelBus, notify.DetailCaseNotified, notify.StateSent, ""},
	} {
		k := notify.LedgerKey{CaseID: r.CaseID, Revision: r.Revision, Channel: tt.channel, Recipient: tt.recipient}
		e, err := p.table.Entry(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if e == nil || e.State != tt.state || (tt.messageID != "" && e.MessageID != tt.messageID) {
			t.Fatalf("ledger %s/%s = %+v, want state %s message %q", tt.channel, tt.recipient, e, tt.state, tt.messageID)
		}
	}

	// On-call hears about the delivery nobody can confirm.
	form := <-p.snsForms
	if msg := form.Get("Message"); !strings.Contains(msg, "DELIVERY PROBLEMS") || !strings.Contains(msg, rc.first) {
		t.Fatalf("alert does not flag the unknown delivery:\n%s", msg)
	}
	assertHarmless(t, "SNS subject", form.Get("Subject"))
	assertHarmless(t, "SNS message", form.Get("Message"))

	e := stored[rc.second]
	assertHarmless(t, "e-mail text", e.Body.Text)
	if strings.Contains(e.Body.HTML, "<script") || strings.Contains(e.Body.HTML, "<img") || strings.Contains(e.Body.HTML, "\nX-Injected") {
		t.Fatalf("hostile markup survived in the HTML body:\n%s", e.Body.HTML)
	}
	if !strings.Contains(e.Body.HTML, "&lt;script&gt;") {
		t.Fatalf("the tag is not shown escaped in the HTML body:\n%s", e.Body.HTML)
	}
	md := string(report.Markdown(r, "ko"))
	assertHarmless(t, "Markdown report", md)
	if strings.Contains(md, "<script") || strings.Contains(md, "<img") {
		t.Fatalf("hostile markup survived in the Markdown report:\n%s", md)
	}
}

// assertHarmless checks attacker CR/LF could not forge a line of its own.
func assertHarmless(t *testing.T, what, s string) {
	t.Helper()
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r", "\n"), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "X-Injected") || strings.HasPrefix(strings.TrimSpace(line), "<img") {
			t.Fatalf("%s has a forged line %q:\n%s", what, line, s)
		}
	}
}

func TestConcurrentDeliveriesSendOneEmailPerRecipient(t *testing.T) {
	t.Parallel()
	p := newPeers(t)
	r := enriched(t, p, "en")
	rc := newRecipients()
	c := rc.contact()
	d := p.dispatcher(p.table, p.mailer)

	const deliveries = 100
	var wg sync.WaitGroup
	var sent atomic.Int32
	for range deliveries {
		wg.Go(func() {
			out, err := d.Deliver(context.Background(), r, c)
			if err != nil {
				t.Error(err)
				return
			}
			for _, del := range out.Deliveries {
				if del.Channel == notify.ChannelEmail && del.State == "sent" {
					sent.Add(1)
				}
			}
		})
	}
	wg.Wait()
	assertOneEach(t, p, rc.first, rc.second, rc.cc)
	if n := sent.Load(); n != 3 {
		t.Fatalf("%d deliveries report an e-mail sent, want 3", n)
	}
	if n := p.publishes.Load(); n != 1 {
		t.Fatalf("%d SNS publishes, want 1", n)
	}
	if n := p.eventsIn.Load(); n != 1 {
		t.Fatalf("%d events put, want 1", n)
	}
}
