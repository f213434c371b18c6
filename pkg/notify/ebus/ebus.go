// Package ebus puts case events on a custom EventBridge bus.
//
// PutEvents succeeds as a call even when some entries fail: the answer's
// FailedEntryCount and per-entry ErrorCode say which. Only those entries
// are re-sent, and only for the codes AWS documents as retryable, so
// consumers see each accepted event once.
package ebus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/abusedesk/abusedesk/pkg/awslimits"
	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/notify"
)

type api interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Config for the publisher.
type Config struct {
	// BusName is the custom bus (name or ARN).
	BusName string
	// MaxEntryBytes bounds one entry and the entries of one request, as
	// AWS computes them; 0 means awslimits.EventBridgeEntryMaxBytes.
	MaxEntryBytes int
	// MaxAttempts per entry for retryable entry failures; 0 means 4.
	MaxAttempts int
	// Backoff before the first re-send, doubled each time with jitter;
	// 0 means 100ms.
	Backoff time.Duration
}

// Publisher implements notify.EventPublisher.
type Publisher struct {
	api api
	cfg Config
}

// New returns a Publisher on client.
func New(client *eventbridge.Client, cfg Config) *Publisher {
	return newPublisher(client, cfg)
}

func newPublisher(a api, cfg Config) *Publisher {
	if cfg.MaxEntryBytes <= 0 {
		cfg.MaxEntryBytes = awslimits.EventBridgeEntryMaxBytes
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 4
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 100 * time.Millisecond
	}
	return &Publisher{api: a, cfg: cfg}
}

// retryableEntry lists the entry error codes AWS documents as retryable
// (PutEventsResultEntry); any other code is final.
var retryableEntry = map[string]bool{"InternalFailure": true, "ThrottlingException": true}

// Validate checks what EventBridge would refuse, and that the event is one
// of ours, before anything is sent.
func Validate(ev notify.Event) error {
	if ev.Source != notify.EventSource {
		return fmt.Errorf("unable to put event: source %q is not %q", ev.Source, notify.EventSource)
	}
	switch ev.DetailType {
	case notify.DetailCaseOpened, notify.DetailCaseEnriched, notify.DetailCaseNotified:
	default:
		return fmt.Errorf("unable to put event: detail-type %q is not one of %q, %q, %q", ev.DetailType,
			notify.DetailCaseOpened, notify.DetailCaseEnriched, notify.DetailCaseNotified)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(ev.Detail, &obj); err != nil || obj == nil {
		return fmt.Errorf("unable to put event %s: detail must be a JSON object", ev.DetailType)
	}
	return nil
}

// EntrySize is the size AWS counts for an entry ("Calculating PutEvents
// event entry size"): 14 bytes for a set Time, plus the UTF-8 bytes of
// Source, DetailType, Detail and each resource.
func EntrySize(e types.PutEventsRequestEntry) int {
	n := len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
	if e.Time != nil {
		n += awslimits.EventBridgeTimeBytes
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// PutEvents implements notify.EventPublisher.
func (p *Publisher) PutEvents(ctx context.Context, evs []notify.Event) error {
	entries := make([]types.PutEventsRequestEntry, 0, len(evs))
	for _, ev := range evs {
		if err := Validate(ev); err != nil {
			return err
		}
		e, err := p.entry(ev)
		if err != nil {
			return err
		}
		entries = append(entries, e)
	}
	var errs []error
	for _, batch := range p.batches(entries) {
		if err := p.putBatch(ctx, batch); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (p *Publisher) entry(ev notify.Event) (types.PutEventsRequestEntry, error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, ev.Detail); err != nil {
		return types.PutEventsRequestEntry{}, fmt.Errorf("unable to put event %s: %w", ev.DetailType, err)
	}
	e := types.PutEventsRequestEntry{
		Source:     aws.String(ev.Source),
		DetailType: aws.String(ev.DetailType),
		Detail:     aws.String(compact.String()),
		Resources:  ev.Resources,
	}
	if p.cfg.BusName != "" {
		e.EventBusName = aws.String(p.cfg.BusName)
	}
	if !ev.Time.IsZero() {
		e.Time = aws.Time(ev.Time)
	}
	if EntrySize(e) < p.cfg.MaxEntryBytes {
		return e, nil
	}
	slim, err := Slim(compact.Bytes(), p.cfg.MaxEntryBytes-(EntrySize(e)-compact.Len())-1)
	if err != nil {
		return types.PutEventsRequestEntry{}, fmt.Errorf("unable to put event %s: %w", ev.DetailType, err)
	}
	e.Detail = aws.String(string(slim))
	return e, nil
}

// slimFieldMax is the largest top-level detail member kept in a slimmed
// detail: identifiers and report keys are small, entity lists are not.
const slimFieldMax = 2048

// Slim reduces an oversize detail object to a pointer: its small top-level
// members (ids, account, report object keys) in name order while they fit
// in budget bytes, plus "detailTruncated": true and the original size, so
// a consumer fetches the full report from the archive.
func Slim(detail []byte, budget int) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(detail, &obj); err != nil {
		return nil, fmt.Errorf("unable to slim detail: %w", err)
	}
	out := map[string]json.RawMessage{
		"detailTruncated": json.RawMessage("true"),
		"detailBytes":     json.RawMessage(fmt.Sprint(len(detail))),
	}
	size := func() int { b, _ := json.Marshal(out); return len(b) }
	if size() > budget {
		return nil, fmt.Errorf("unable to slim detail: %d bytes leave no room for a pointer", budget)
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if _, taken := out[k]; taken || len(obj[k]) > slimFieldMax {
			continue
		}
		out[k] = obj[k]
		if size() > budget {
			delete(out, k)
		}
	}
	return json.Marshal(out)
}

// batches splits entries into requests of at most 10 entries whose sizes
// total less than the limit.
func (p *Publisher) batches(entries []types.PutEventsRequestEntry) [][]types.PutEventsRequestEntry {
	var out [][]types.PutEventsRequestEntry
	var cur []types.PutEventsRequestEntry
	size := 0
	for _, e := range entries {
		n := EntrySize(e)
		if len(cur) > 0 && (len(cur) == awslimits.EventBridgeBatchMaxEntries || size+n >= p.cfg.MaxEntryBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, e)
		size += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func (p *Publisher) putBatch(ctx context.Context, pending []types.PutEventsRequestEntry) error {
	var final []string
	for attempt := 1; ; attempt++ {
		out, err := p.api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: pending})
		if err != nil {
			return fmt.Errorf("unable to put %d events: %w", len(pending), awsx.Classify(err))
		}
		if out.FailedEntryCount == 0 {
			break
		}
		var retry []types.PutEventsRequestEntry
		var codes []string
		for i, r := range out.Entries {
			if i >= len(pending) || r.ErrorCode == nil {
				continue
			}
			code := aws.ToString(r.ErrorCode)
			desc := fmt.Sprintf("%s (%s)", aws.ToString(pending[i].DetailType), code)
			if retryableEntry[code] {
				retry = append(retry, pending[i])
				codes = append(codes, desc)
			} else {
				final = append(final, desc)
			}
		}
		if len(retry) == 0 {
			break
		}
		if attempt >= p.cfg.MaxAttempts {
			final = append(final, codes...)
			break
		}
		if err := sleep(ctx, p.backoff(attempt)); err != nil {
			return fmt.Errorf("unable to retry %d failed events: %w", len(retry), err)
		}
		pending = retry
	}
	if len(final) > 0 {
		slices.Sort(final)
		return fmt.Errorf("unable to put %d events: %s", len(final), strings.Join(final, ", "))
	}
	return nil
}

func (p *Publisher) backoff(attempt int) time.Duration {
	d := p.cfg.Backoff << (attempt - 1)
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
