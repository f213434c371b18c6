package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/contacts"
	"github.com/abusedesk/abusedesk/pkg/report"
)

// Channel names, as recorded in the ledger.
const (
	ChannelEmail = "email"
	ChannelSNS   = "sns"
	ChannelBus   = "eventbridge"
)

// Dispatcher delivers one report revision to every audience. A channel left
// nil is skipped (and says so in the outcome).
type Dispatcher struct {
	Mailer  Mailer
	Alerter Alerter
	Events  EventPublisher
	Ledger  Ledger
	Email   EmailOptions
	Now     func() time.Time
	Log     *slog.Logger
}

// InFlight is how long a claim without an outcome is taken to be a
// delivery still under way rather than one that died: longer than any
// send with its retries takes.
const InFlight = 5 * time.Minute

// Delivery is what happened on one (channel, recipient).
type Delivery struct {
	Channel   string `json:"channel"`
	Recipient string `json:"recipient"`
	// State: sent, duplicate (sent before), in-progress (claimed moments
	// ago by a concurrent delivery), unknown (claimed long ago with no
	// recorded outcome), failed, skipped.
	State     string `json:"state"`
	MessageID string `json:"messageId,omitempty"`
	Detail    string `json:"detail,omitempty"`
}

// Outcome lists every delivery of a revision.
type Outcome struct {
	Deliveries []Delivery `json:"deliveries"`
}

// Count returns how many deliveries are in state.
func (o Outcome) Count(state string) int {
	n := 0
	for _, d := range o.Deliveries {
		if d.State == state {
			n++
		}
	}
	return n
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now().UTC()
}

func (d *Dispatcher) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.Default()
}

// Deliver sends r to c (one e-mail per address, so each is exactly-once on
// its own), then the on-call alert, then the "Case Notified" event. A
// revision that adds no entity is not re-announced. The error is non-nil
// only for failures worth a retry by the caller; per-message failures are
// in the outcome and in the on-call alert.
func (d *Dispatcher) Deliver(ctx context.Context, r *report.Report, c contacts.Contact) (Outcome, error) {
	var out Outcome
	if r.Revision > 1 && len(r.NewEntities) == 0 {
		out.Deliveries = append(out.Deliveries, Delivery{Channel: "all", State: "skipped", Detail: "revision adds no new entity: nothing new to notify"})
		return out, nil
	}
	var errs []error
	var failures []string

	recipients := addressees(slices.Concat(c.To, c.CC))
	if d.Mailer == nil || len(recipients) == 0 {
		out.Deliveries = append(out.Deliveries, Delivery{Channel: ChannelEmail, State: "skipped", Detail: "no mailer or no recipient"})
	}
	if d.Mailer != nil {
		for _, to := range recipients {
			rcpt := to.key
			del, err := d.once(ctx, r, ChannelEmail, rcpt, func(ctx context.Context) (string, error) {
				one := c
				one.To, one.CC = []string{to.display}, nil
				m, err := RenderEmail(r, one, d.Email)
				if err != nil {
					return "", err
				}
				if m.Tags == nil {
					m.Tags = map[string]string{}
				}
				m.Tags["case"], m.Tags["revision"] = r.CaseID, strconv.Itoa(r.Revision)
				return d.Mailer.SendEmail(ctx, m)
			})
			out.Deliveries = append(out.Deliveries, del)
			// An in-progress claim is reported too: the concurrent worker
			// may be sending it, or may have died after SES accepted it.
			if del.State == "failed" || del.State == "unknown" || del.State == "in-progress" {
				failures = append(failures, fmt.Sprintf("e-mail to %s: %s (%s)", rcpt, del.State, del.Detail))
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
	}

	if d.Alerter != nil {
		del, err := d.once(ctx, r, ChannelSNS, "oncall", func(ctx context.Context) (string, error) {
			a := RenderAlert(r)
			if len(failures) > 0 {
				// Provider errors are outside text: cleaned like every
				// other alert value.
				lines := make([]string, len(failures))
				for i, f := range failures {
					lines[i] = alertText(f, maxReason)
				}
				a.Message = "DELIVERY PROBLEMS:\n- " + strings.Join(lines, "\n- ") + "\n\n" + a.Message
			}
			if a.Attributes == nil {
				a.Attributes = map[string]string{}
			}
			a.Attributes["caseId"] = r.CaseID
			a.Attributes["revision"] = strconv.Itoa(r.Revision)
			if loc := r.Locations["report.json"]; loc != "" {
				a.Attributes[AlertReportAttribute] = loc
			}
			return d.Alerter.Publish(ctx, a)
		})
		out.Deliveries = append(out.Deliveries, del)
		if err != nil {
			errs = append(errs, err)
		}
	} else {
		out.Deliveries = append(out.Deliveries, Delivery{Channel: ChannelSNS, State: "skipped", Detail: "no on-call topic"})
	}

	if d.Events != nil {
		del, err := d.once(ctx, r, ChannelBus, DetailCaseNotified, func(ctx context.Context) (string, error) {
			ev, err := CaseEvent(DetailCaseNotified, r)
			if err != nil {
				return "", err
			}
			return "", d.Events.PutEvents(ctx, []Event{ev})
		})
		out.Deliveries = append(out.Deliveries, del)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// once claims (case, revision, channel, recipient) and sends only if this
// caller won the claim. The claim comes first on purpose: SES has no
// idempotency token, so a worker that dies after SES accepted a message but
// before recording it must not cause a second e-mail on redelivery.
func (d *Dispatcher) once(ctx context.Context, r *report.Report, channel, rcpt string, send func(context.Context) (string, error)) (Delivery, error) {
	k := LedgerKey{CaseID: r.CaseID, Revision: r.Revision, Channel: channel, Recipient: rcpt}
	del := Delivery{Channel: channel, Recipient: rcpt}
	if d.Ledger == nil {
		return Delivery{Channel: channel, Recipient: rcpt, State: "failed", Detail: "no ledger configured"}, errors.New("unable to deliver: no ledger configured")
	}
	owned, prev, err := d.Ledger.Claim(ctx, k, d.now())
	if err != nil {
		del.State, del.Detail = "failed", "ledger: "+err.Error()
		return del, fmt.Errorf("unable to claim %s/%s: %w", channel, rcpt, err)
	}
	if !owned {
		switch {
		case prev != nil && prev.State == StateSent:
			del.State, del.MessageID, del.Detail = "duplicate", prev.MessageID, "already sent"
		case prev != nil && prev.State == StateFailed:
			del.State, del.Detail = "failed", "failed earlier: "+prev.Error
		case prev != nil && d.now().Sub(prev.Updated) < InFlight:
			del.State, del.Detail = "in-progress", fmt.Sprintf("claimed %s ago by another delivery with no outcome yet: still sending, or lost if that worker died", d.now().Sub(prev.Updated).Round(time.Second))
		default:
			del.State, del.Detail = "unknown", "claimed earlier with no recorded outcome: check the provider before re-sending by hand"
		}
		return del, nil
	}
	id, sendErr := send(ctx)
	e := Entry{Key: k, Updated: d.now(), MessageID: id}
	if sendErr != nil {
		e.State, e.Error = StateFailed, sendErr.Error()
		if retryable(channel, sendErr) {
			e.State = StateRetry
		}
		del.State, del.Detail = "failed", sendErr.Error()
		d.log().ErrorContext(ctx, "notification failed", "case", r.CaseID, "revision", r.Revision, "channel", channel, "retryable", e.State == StateRetry, "error", sendErr)
	} else {
		e.State = StateSent
		del.State, del.MessageID = "sent", id
	}
	if err := d.Ledger.Finish(ctx, e); err != nil {
		return del, fmt.Errorf("unable to record %s/%s outcome: %w", channel, rcpt, err)
	}
	if e.State == StateRetry {
		return del, fmt.Errorf("unable to send %s to %s: %w", channel, rcpt, sendErr)
	}
	return del, nil
}

// retryable says whether a failed send may be tried again by a redelivery.
// A throttled e-mail was certainly not accepted; any other e-mail failure
// (a 5xx, a timeout) may have been, and SES has no idempotency token, so it
// is final. SNS and EventBridge failures are retried: a rare duplicate
// alert or event is better than none.
func retryable(channel string, err error) bool {
	if errors.Is(err, ErrRejected) {
		return false
	}
	if channel == ChannelEmail {
		return errors.Is(err, awsx.ErrThrottled)
	}
	return true
}

// addressee is one e-mail recipient: as written in the directory (display
// name included, for the message) and as the ledger keys it.
type addressee struct{ display, key string }

// addressees keys recipients on their bare, lower-cased address and drops
// repeats: editing a display name in the directory must not make a
// redelivery send again.
func addressees(list []string) []addressee {
	var out []addressee
	for _, a := range list {
		key := a
		if p, err := mail.ParseAddress(a); err == nil {
			key = p.Address
		}
		key = strings.ToLower(strings.TrimSpace(key))
		if key == "" || slices.ContainsFunc(out, func(x addressee) bool { return x.key == key }) {
			continue
		}
		out = append(out, addressee{display: a, key: key})
	}
	return out
}
