package notify_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/cases"
	"github.com/abusedesk/abusedesk/pkg/contacts"
	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/notify/outbox"
	"github.com/abusedesk/abusedesk/pkg/report"
)

// fakeChannels records what the dispatcher sends and fails on request.
type fakeChannels struct {
	mu       sync.Mutex
	emails   []notify.Email
	alerts   []notify.Alert
	events   []notify.Event
	emailErr map[string]error // by recipient
	alertErr error
}

func (f *fakeChannels) SendEmail(_ context.Context, m notify.Email) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.emailErr[m.To[0]]; err != nil {
		return "", err
	}
	f.emails = append(f.emails, m)
	return fmt.Sprintf("ses-%d", len(f.emails)), nil
}

func (f *fakeChannels) Publish(_ context.Context, a notify.Alert) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.alertErr != nil {
		return "", f.alertErr
	}
	f.alerts = append(f.alerts, a)
	return "sns-1", nil
}

func (f *fakeChannels) PutEvents(_ context.Context, evs []notify.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, evs...)
	return nil
}

var dispatchNow = time.Date(2025, 2, 10, 10, 0, 0, 0, time.UTC)

func dispatchReport(rev int, newEntities ...string) *report.Report {
	return &report.Report{
		Schema: report.Schema, CaseID: "123456789012-45cc3a24f11b3dfe", Revision: rev, Generated: dispatchNow,
		Account: "123456789012", Customer: "Demo", Language: "en", Service: "ABUSE", Code: "AWS_ABUSE_DOS_REPORT",
		Category: "dos", Status: "open", Region: "us-west-2", EventArn: "arn:aws:health:global::event/X",
		Updated: dispatchNow, RespondBy: dispatchNow.Add(report.ResponseWindow),
		Entities:    []cases.Entity{{Value: "i-0a1b2c3d4e5f60718", Revision: 1}},
		NewEntities: newEntities,
	}
}

var dispatchContact = contacts.Contact{Account: "123456789012", Customer: "Demo", Language: "en",
	To: []string{"sec@example.com"}, CC: []string{"ops@example.com"}}

func newDispatcher(t *testing.T, f *fakeChannels) (*notify.Dispatcher, *outbox.Ledger) {
	t.Helper()
	l := &outbox.Ledger{Dir: t.TempDir()}
	return &notify.Dispatcher{
		Mailer: f, Alerter: f, Events: f, Ledger: l,
		Email: notify.EmailOptions{From: "abuse-desk@msp.example"},
		Now:   func() time.Time { return dispatchNow },
	}, l
}

func states(o notify.Outcome) map[string]string {
	out := map[string]string{}
	for _, d := range o.Deliveries {
		out[d.Channel+"/"+d.Recipient] = d.State
	}
	return out
}

func TestDeliverSendsEachOnce(t *testing.T) {
	t.Parallel()
	f := &fakeChannels{}
	d, l := newDispatcher(t, f)
	r := dispatchReport(1, "i-0a1b2c3d4e5f60718")
	out, err := d.Deliver(context.Background(), r, dispatchContact)
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	want := map[string]string{"email/sec@example.com": "sent", "email/ops@example.com": "sent", "sns/oncall": "sent", "eventbridge/Case Notified": "sent"}
	if got := states(out); !equalStates(got, want) {
		t.Errorf("outcome %v, want %v", got, want)
	}
	if len(f.emails) != 2 || len(f.emails[0].To) != 1 || len(f.emails[0].CC) != 0 {
		t.Errorf("want one e-mail per address with no CC, got %+v", f.emails)
	}
	if tags := f.emails[0].Tags; tags["case"] != r.CaseID || tags["revision"] != "1" {
		t.Errorf("e-mail tags %v", tags)
	}
	if a := f.alerts[0].Attributes; a["caseId"] != r.CaseID || a["revision"] != "1" {
		t.Errorf("alert attributes %v", a)
	}
	// A second delivery of the same revision sends nothing.
	again, err := d.Deliver(context.Background(), r, dispatchContact)
	if err != nil {
		t.Fatalf("second Deliver: %v", err)
	}
	for k, s := range states(again) {
		if s != "duplicate" {
			t.Errorf("second delivery %s = %s, want duplicate", k, s)
		}
	}
	if len(f.emails) != 2 || len(f.alerts) != 1 || len(f.events) != 1 {
		t.Errorf("resent: %d e-mails, %d alerts, %d events", len(f.emails), len(f.alerts), len(f.events))
	}
	es, err := l.Entries()
	if err != nil || len(es) != 4 {
		t.Fatalf("ledger %d entries (%v), want 4", len(es), err)
	}
	for _, e := range es {
		if e.State != notify.StateSent {
			t.Errorf("ledger %+v", e)
		}
	}
}

func TestDeliverRejectedIsFailedAndAlerted(t *testing.T) {
	t.Parallel()
	f := &fakeChannels{emailErr: map[string]error{
		"sec@example.com": fmt.Errorf("unable to send e-mail: MessageRejected: Email address is not verified: %w", notify.ErrRejected),
	}}
	d, l := newDispatcher(t, f)
	out, err := d.Deliver(context.Background(), dispatchReport(1, "i-0a1b2c3d4e5f60718"), dispatchContact)
	if err != nil {
		t.Errorf("Deliver returned %v: a rejected message is final, not worth a retry", err)
	}
	got := states(out)
	if got["email/sec@example.com"] != "failed" || got["email/ops@example.com"] != "sent" || got["sns/oncall"] != "sent" {
		t.Errorf("outcome %v", got)
	}
	if out.Count("sent") != 3 || out.Count("failed") != 1 {
		t.Errorf("counts: sent %d, failed %d", out.Count("sent"), out.Count("failed"))
	}
	if len(f.alerts) != 1 || !strings.Contains(f.alerts[0].Message, "DELIVERY PROBLEMS") || !strings.Contains(f.alerts[0].Message, "sec@example.com: failed") || !strings.Contains(f.alerts[0].Message, "MessageRejected") {
		t.Errorf("on-call alert does not mention the rejection:\n%v", f.alerts)
	}
	es, _ := l.Entries()
	failed := 0
	for _, e := range es {
		if e.State == notify.StateFailed {
			failed++
			if e.Key.Recipient != "sec@example.com" || !strings.Contains(e.Error, "MessageRejected") {
				t.Errorf("failed entry %+v", e)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d failed ledger entries, want 1", failed)
	}
	// A redelivery does not retry a rejected message.
	f.emailErr = nil
	again, _ := d.Deliver(context.Background(), dispatchReport(1, "i-0a1b2c3d4e5f60718"), dispatchContact)
	if s := states(again)["email/sec@example.com"]; s != "failed" {
		t.Errorf("redelivery of a rejected e-mail: %s, want failed (not re-sent)", s)
	}
	if len(f.emails) != 1 {
		t.Errorf("%d e-mails sent, want 1", len(f.emails))
	}
}

func TestDeliverTransientErrorIsReturned(t *testing.T) {
	t.Parallel()
	boom := errors.New("Throttling: rate exceeded")
	f := &fakeChannels{alertErr: boom}
	d, _ := newDispatcher(t, f)
	out, err := d.Deliver(context.Background(), dispatchReport(1, "i-0a1b2c3d4e5f60718"), dispatchContact)
	if !errors.Is(err, boom) {
		t.Errorf("Deliver error %v, want the SNS failure for a retry", err)
	}
	if s := states(out)["sns/oncall"]; s != "failed" {
		t.Errorf("sns = %s", s)
	}
}

// TestDeliverClaimedIsUnknown: a claim with no outcome means a worker died
// mid-send; the message may have gone out, so it is not sent again.
func TestDeliverClaimedIsUnknown(t *testing.T) {
	t.Parallel()
	f := &fakeChannels{}
	d, l := newDispatcher(t, f)
	r := dispatchReport(1, "i-0a1b2c3d4e5f60718")
	// The claim is older than any send takes: its worker died.
	owned, _, err := l.Claim(context.Background(), notify.LedgerKey{CaseID: r.CaseID, Revision: 1, Channel: notify.ChannelEmail, Recipient: "sec@example.com"}, dispatchNow.Add(-notify.InFlight-time.Second))
	if err != nil || !owned {
		t.Fatalf("Claim: %v %v", owned, err)
	}
	out, err := d.Deliver(context.Background(), r, dispatchContact)
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if s := states(out)["email/sec@example.com"]; s != "unknown" {
		t.Errorf("claimed e-mail: %s, want unknown", s)
	}
	for _, m := range f.emails {
		if m.To[0] == "sec@example.com" {
			t.Error("a claimed e-mail was sent again")
		}
	}
	if len(f.alerts) != 1 || !strings.Contains(f.alerts[0].Message, "sec@example.com: unknown") {
		t.Errorf("on-call alert does not surface the unknown delivery: %v", f.alerts)
	}
}

func TestDeliverSentIsDuplicate(t *testing.T) {
	t.Parallel()
	f := &fakeChannels{}
	d, l := newDispatcher(t, f)
	r := dispatchReport(1, "i-0a1b2c3d4e5f60718")
	k := notify.LedgerKey{CaseID: r.CaseID, Revision: 1, Channel: notify.ChannelEmail, Recipient: "sec@example.com"}
	if _, _, err := l.Claim(context.Background(), k, dispatchNow); err != nil {
		t.Fatal(err)
	}
	if err := l.Finish(context.Background(), notify.Entry{Key: k, State: notify.StateSent, MessageID: "ses-earlier", Updated: dispatchNow}); err != nil {
		t.Fatal(err)
	}
	out, err := d.Deliver(context.Background(), r, dispatchContact)
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	for _, del := range out.Deliveries {
		if del.Recipient == "sec@example.com" && (del.State != "duplicate" || del.MessageID != "ses-earlier") {
			t.Errorf("sent e-mail: %+v, want duplicate with the earlier message id", del)
		}
	}
	if len(f.emails) != 1 || f.emails[0].To[0] != "ops@example.com" {
		t.Errorf("sent %+v, want only the other recipient", f.emails)
	}
}

func TestDeliverRevisionWithNothingNew(t *testing.T) {
	t.Parallel()
	f := &fakeChannels{}
	d, _ := newDispatcher(t, f)
	out, err := d.Deliver(context.Background(), dispatchReport(2), dispatchContact)
	if err != nil {
		t.Fatal(err)
	}
	if out.Count("skipped") != 1 || len(f.emails)+len(f.alerts)+len(f.events) != 0 {
		t.Errorf("outcome %+v, sent %d/%d/%d", out, len(f.emails), len(f.alerts), len(f.events))
	}
}

func TestDeliverMissingChannels(t *testing.T) {
	t.Parallel()
	d := &notify.Dispatcher{Ledger: &outbox.Ledger{Dir: t.TempDir()}, Email: notify.EmailOptions{From: "a@msp.example"}}
	out, err := d.Deliver(context.Background(), dispatchReport(1, "x"), dispatchContact)
	if err != nil {
		t.Fatal(err)
	}
	got := states(out)
	if got["email/"] != "skipped" || got["sns/"] != "skipped" {
		t.Errorf("outcome %v", got)
	}
	// No ledger: nothing can be sent exactly once, so nothing is sent.
	f := &fakeChannels{}
	d = &notify.Dispatcher{Mailer: f, Email: notify.EmailOptions{From: "a@msp.example"}}
	if _, err := d.Deliver(context.Background(), dispatchReport(1, "x"), dispatchContact); err == nil || len(f.emails) != 0 {
		t.Errorf("without a ledger: err %v, %d e-mails", err, len(f.emails))
	}
}

func equalStates(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestDeliverRetriesWhatSentNothing: a throttled e-mail and a failed alert
// sent nothing, so a redelivery sends them; an e-mail that failed in a way
// SES may have accepted (a 5xx) is final.
func TestDeliverRetriesWhatSentNothing(t *testing.T) {
	t.Parallel()
	throttled := fmt.Errorf("unable to send e-mail: %w", awsx.Classify(&smithy.GenericAPIError{Code: "TooManyRequestsException"}))
	f := &fakeChannels{
		emailErr: map[string]error{dispatchContact.To[0]: throttled},
		alertErr: errors.New("InternalError"),
	}
	d, _ := newDispatcher(t, f)
	r := dispatchReport(1, "i-0a1b2c3d4e5f60718")
	if _, err := d.Deliver(context.Background(), r, dispatchContact); err == nil {
		t.Fatal("first delivery: want an error so the caller retries")
	}
	f.mu.Lock()
	f.emailErr, f.alertErr = nil, nil
	f.mu.Unlock()
	out, err := d.Deliver(context.Background(), r, dispatchContact)
	if err != nil {
		t.Fatal(err)
	}
	if s := states(out); s["email/"+dispatchContact.To[0]] != "sent" || s["sns/oncall"] != "sent" {
		t.Fatalf("redelivery states %v, want the e-mail and the alert sent", s)
	}
	if n := sentTo(f, dispatchContact.To[0]); n != 1 || len(f.alerts) != 1 {
		t.Fatalf("sent %d e-mails to %s and %d alerts, want 1 each", n, dispatchContact.To[0], len(f.alerts))
	}
}

func sentTo(f *fakeChannels, rcpt string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, m := range f.emails {
		if m.To[0] == rcpt {
			n++
		}
	}
	return n
}

func TestDeliverAmbiguousEmailFailureIsFinal(t *testing.T) {
	t.Parallel()
	f := &fakeChannels{emailErr: map[string]error{dispatchContact.To[0]: errors.New("InternalFailure: 500")}}
	d, _ := newDispatcher(t, f)
	r := dispatchReport(1, "i-0a1b2c3d4e5f60718")
	if _, err := d.Deliver(context.Background(), r, dispatchContact); err != nil {
		t.Fatalf("a final failure is reported in the outcome, not returned for a retry: %v", err)
	}
	f.mu.Lock()
	f.emailErr = nil
	f.mu.Unlock()
	out, _ := d.Deliver(context.Background(), r, dispatchContact)
	if s := states(out)["email/"+dispatchContact.To[0]]; s != "failed" || sentTo(f, dispatchContact.To[0]) != 0 {
		t.Fatalf("e-mail state %q with %d sent, want failed and none sent", s, sentTo(f, dispatchContact.To[0]))
	}
}

// TestDeliverFreshClaimIsInProgress: a claim made moments ago belongs to a
// concurrent delivery that is still sending; it is neither re-sent nor
// reported as lost.
func TestDeliverFreshClaimIsInProgress(t *testing.T) {
	t.Parallel()
	f := &fakeChannels{}
	d, l := newDispatcher(t, f)
	r := dispatchReport(1, "i-0a1b2c3d4e5f60718")
	if _, _, err := l.Claim(context.Background(), notify.LedgerKey{CaseID: r.CaseID, Revision: 1, Channel: notify.ChannelEmail, Recipient: "sec@example.com"}, dispatchNow.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	out, err := d.Deliver(context.Background(), r, dispatchContact)
	if err != nil {
		t.Fatal(err)
	}
	if s := states(out)["email/sec@example.com"]; s != "in-progress" || sentTo(f, "sec@example.com") != 0 {
		t.Fatalf("fresh claim: state %q, %d sent; want in-progress and none", s, sentTo(f, "sec@example.com"))
	}
}

// TestDeliveryProblemsAreCleaned: a provider error quoted in the on-call
// alert is outside text like any other alert value: one line, markup and
// links broken.
func TestDeliveryProblemsAreCleaned(t *testing.T) {
	t.Parallel()
	f := &fakeChannels{emailErr: map[string]error{
		"sec@example.com": fmt.Errorf("unable to send e-mail: <a href=\"http://evil.example\">x</a>\r\nFORGED LINE: %w", notify.ErrRejected),
	}}
	d, _ := newDispatcher(t, f)
	if _, err := d.Deliver(context.Background(), dispatchReport(1, "i-0a1b2c3d4e5f60718"), dispatchContact); err != nil {
		t.Fatal(err)
	}
	if len(f.alerts) != 1 {
		t.Fatalf("%d alerts", len(f.alerts))
	}
	msg := f.alerts[0].Message
	if strings.Contains(msg, "<a") || strings.Contains(msg, "http://") || strings.Contains(msg, "\nFORGED LINE") || !strings.Contains(msg, "sec@example.com: failed") {
		t.Errorf("delivery problems not cleaned:\n%s", msg)
	}
}
