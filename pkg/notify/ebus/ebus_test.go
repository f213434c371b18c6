package ebus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/abusedesk/abusedesk/internal/notifytest"
	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/notify/ebus"
)

type entry struct {
	Source, DetailType, Detail, EventBusName string
	Resources                                []string
	Time                                     any
}

// fakeBus speaks awsJson1.1 AWSEvents.PutEvents; fail decides per call and
// entry index which entries fail, and with which code ("" = accepted).
type fakeBus struct {
	mu    sync.Mutex
	calls [][]entry
	fail  func(call, i int, e entry) string
}

func (f *fakeBus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct{ Entries []entry }
	if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" || json.NewDecoder(r.Body).Decode(&in) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, in.Entries)
	call := len(f.calls)
	f.mu.Unlock()
	type result struct {
		EventId, ErrorCode, ErrorMessage string `json:",omitempty"`
	}
	out := struct {
		FailedEntryCount int
		Entries          []result
	}{}
	for i, e := range in.Entries {
		code := ""
		if f.fail != nil {
			code = f.fail(call, i, e)
		}
		if code != "" {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, result{ErrorCode: code, ErrorMessage: "failed"})
		} else {
			out.Entries = append(out.Entries, result{EventId: fmt.Sprintf("11710aed-b79e-4468-a20b-%012d", call*100+i)})
		}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func newBus(t *testing.T, f *fakeBus, cfg ebus.Config) *ebus.Publisher {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := eventbridge.New(eventbridge.Options{BaseEndpoint: aws.String(srv.URL), Region: notifytest.Region, Credentials: notifytest.Credentials()})
	cfg.Backoff = time.Millisecond
	return ebus.New(client, cfg)
}

func events(n int) []notify.Event {
	evs := make([]notify.Event, n)
	for i := range evs {
		evs[i] = notify.Event{
			Source: notify.EventSource, DetailType: notify.DetailCaseEnriched,
			Detail:    json.RawMessage(fmt.Sprintf(`{"caseId": "c-%d", "revision": 1}`, i)),
			Resources: []string{"arn:aws:ec2:ap-northeast-2:123456789012:instance/i-0abc"},
			Time:      time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		}
	}
	return evs
}

func caseIDs(entries []entry) []string {
	var ids []string
	for _, e := range entries {
		var d struct{ CaseID string }
		_ = json.Unmarshal([]byte(e.Detail), &d)
		ids = append(ids, d.CaseID)
	}
	return ids
}

func TestElevenEventsTwoCalls(t *testing.T) {
	t.Parallel()
	f := &fakeBus{}
	p := newBus(t, f, ebus.Config{BusName: "abusedesk"})
	if err := p.PutEvents(context.Background(), events(11)); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 2 || len(f.calls[0]) != 10 || len(f.calls[1]) != 1 {
		t.Fatalf("calls of sizes %v, want [10 1]", sizes(f.calls))
	}
	e := f.calls[0][0]
	if e.Source != "abusedesk" || e.DetailType != "Case Enriched" || e.EventBusName != "abusedesk" || e.Time == nil || e.Detail != `{"caseId":"c-0","revision":1}` {
		t.Fatalf("entry %+v", e)
	}
}

func sizes(calls [][]entry) []int {
	var s []int
	for _, c := range calls {
		s = append(s, len(c))
	}
	return s
}

func TestPartialFailureRetriesOnlyFailed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fail      func(call, i int, e entry) string
		wantCalls [][]string
		wantErr   string
	}{
		{
			name: "transient failures recover",
			fail: func(call, i int, e entry) string {
				if call == 1 && (i == 3 || i == 7) {
					return "ThrottlingException"
				}
				return ""
			},
			wantCalls: [][]string{{"c-0", "c-1", "c-2", "c-3", "c-4", "c-5", "c-6", "c-7", "c-8", "c-9"}, {"c-3", "c-7"}},
		},
		{
			name: "keeps failing",
			fail: func(call, i int, e entry) string {
				if strings.Contains(e.Detail, `"c-2"`) {
					return "InternalFailure"
				}
				return ""
			},
			wantCalls: [][]string{{"c-0", "c-1", "c-2", "c-3", "c-4", "c-5", "c-6", "c-7", "c-8", "c-9"}, {"c-2"}, {"c-2"}},
			wantErr:   "Case Enriched (InternalFailure)",
		},
		{
			name: "final code is not retried",
			fail: func(call, i int, e entry) string {
				if i == 0 {
					return "MalformedDetail"
				}
				return ""
			},
			wantCalls: [][]string{{"c-0", "c-1", "c-2", "c-3", "c-4", "c-5", "c-6", "c-7", "c-8", "c-9"}},
			wantErr:   "MalformedDetail",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeBus{fail: tt.fail}
			p := newBus(t, f, ebus.Config{MaxAttempts: 3})
			err := p.PutEvents(context.Background(), events(10))
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
			var got [][]string
			for _, c := range f.calls {
				got = append(got, caseIDs(c))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantCalls) {
				t.Fatalf("calls %v, want %v", got, tt.wantCalls)
			}
		})
	}
}

func TestOversizeDetailSlimmedToPointer(t *testing.T) {
	t.Parallel()
	f := &fakeBus{}
	const limit = 4096
	p := newBus(t, f, ebus.Config{MaxEntryBytes: limit})
	big := notify.Event{
		Source: notify.EventSource, DetailType: notify.DetailCaseNotified,
		Detail: json.RawMessage(fmt.Sprintf(`{"caseId":"c-big","account":"123456789012","report":{"json":"s3://b/reports/c-big/r1/report.json"},"entities":[%s]}`,
			strings.TrimSuffix(strings.Repeat(`"i-0123456789abcdef0",`, 400), ","))),
	}
	if err := p.PutEvents(context.Background(), []notify.Event{big}); err != nil {
		t.Fatal(err)
	}
	sent := f.calls[0][0]
	size := ebus.EntrySize(types.PutEventsRequestEntry{Source: &sent.Source, DetailType: &sent.DetailType, Detail: &sent.Detail})
	if size >= limit {
		t.Fatalf("entry is %d bytes, limit %d", size, limit)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(sent.Detail), &d); err != nil {
		t.Fatal(err)
	}
	if d["detailTruncated"] != true || d["caseId"] != "c-big" || d["entities"] != nil || !strings.Contains(fmt.Sprint(d["report"]), "s3://b/reports/c-big/r1/report.json") {
		t.Fatalf("slimmed detail %v", d)
	}
	if int(d["detailBytes"].(float64)) <= limit {
		t.Fatalf("detailBytes %v does not record the original size", d["detailBytes"])
	}
}

func TestBatchesRespectTotalSize(t *testing.T) {
	t.Parallel()
	f := &fakeBus{}
	p := newBus(t, f, ebus.Config{MaxEntryBytes: 1000})
	evs := make([]notify.Event, 3)
	for i := range evs {
		evs[i] = notify.Event{Source: notify.EventSource, DetailType: notify.DetailCaseOpened,
			Detail: json.RawMessage(fmt.Sprintf(`{"caseId":"c-%d","pad":%q}`, i, strings.Repeat("x", 400)))}
	}
	if err := p.PutEvents(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes(f.calls)) != "[2 1]" {
		t.Fatalf("calls of sizes %v, want [2 1]", sizes(f.calls))
	}
}

func TestValidateBeforeSending(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ev   notify.Event
	}{
		{"foreign source", notify.Event{Source: "aws.health", DetailType: notify.DetailCaseOpened, Detail: json.RawMessage(`{}`)}},
		{"unknown detail-type", notify.Event{Source: notify.EventSource, DetailType: "Case\r\nOpened", Detail: json.RawMessage(`{}`)}},
		{"detail not an object", notify.Event{Source: notify.EventSource, DetailType: notify.DetailCaseOpened, Detail: json.RawMessage(`["x"]`)}},
		{"detail not json", notify.Event{Source: notify.EventSource, DetailType: notify.DetailCaseOpened, Detail: json.RawMessage(`<script>`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeBus{}
			p := newBus(t, f, ebus.Config{})
			if err := p.PutEvents(context.Background(), append(events(2), tt.ev)); err == nil {
				t.Fatal("no error")
			}
			if len(f.calls) != 0 {
				t.Fatalf("%d calls made for an invalid batch", len(f.calls))
			}
		})
	}
}
