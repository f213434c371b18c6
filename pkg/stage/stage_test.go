package stage_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/abusedesk/abusedesk/pkg/app"
	"github.com/abusedesk/abusedesk/pkg/config"
	"github.com/abusedesk/abusedesk/pkg/health"
	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/stage"
)

func demoHandlers(t *testing.T) (*stage.Handlers, string) {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.FromEnv(func(k string) string {
		return map[string]string{config.EnvMode: "demo", config.EnvOutboxDir: dir}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := app.IngestHandlers(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return h, dir
}

func readEnvelope(t *testing.T, path string) stage.Envelope {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ev stage.Envelope
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestChain runs the three stages the way the bus chains them in AWS.
func TestChain(t *testing.T) {
	t.Parallel()
	h, dir := demoHandlers(t)
	ctx := context.Background()
	raw, err := os.ReadFile("../../events/risk-credentials-exposed.json")
	if err != nil {
		t.Fatal(err)
	}
	in, err := h.Ingest(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if in.Status != "opened" || in.Revision != 1 || in.Account != "123456789012" {
		t.Fatalf("ingest = %+v", in)
	}
	opened := readEnvelope(t, filepath.Join(dir, "bus", "event-Case-Opened.json"))
	en, err := h.Enrich(ctx, opened)
	if err != nil {
		t.Fatal(err)
	}
	if en.CaseID != in.CaseID || en.Risk != "critical" || en.Locations["report.json"] == "" {
		t.Fatalf("enrich = %+v", en)
	}
	enriched := readEnvelope(t, filepath.Join(dir, "bus", "event-Case-Enriched.json"))
	no, err := h.Notify(ctx, enriched)
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, d := range no.Deliveries {
		if d.State == "sent" {
			sent++
		}
	}
	if sent != 3 {
		t.Fatalf("notify sent %d, want e-mail + SNS + event: %+v", sent, no.Deliveries)
	}
	// A Lambda retry of notify sends nothing again.
	again, err := h.Notify(ctx, enriched)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range again.Deliveries {
		if d.State != "duplicate" {
			t.Fatalf("redelivered notify: %+v, want only duplicates", again.Deliveries)
		}
	}
	// A redelivered Health event re-announces the case without a new revision.
	dup, err := h.Ingest(ctx, raw)
	if err != nil || dup.Status != "duplicate" || dup.Revision != 1 {
		t.Fatalf("redelivered ingest = %+v, %v", dup, err)
	}
}

func TestIngestRejectsAndSkips(t *testing.T) {
	t.Parallel()
	h, dir := demoHandlers(t)
	ordinary, err := os.ReadFile("../../testdata/realdata/health/aws-health-event-sample-1.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.Ingest(context.Background(), ordinary)
	if err != nil || res.Status != "skipped" || res.Reason == "" {
		t.Fatalf("ordinary event: %+v, %v; want skipped with a reason", res, err)
	}
	for _, bad := range []string{``, `{}`, `[]`, `42`, `{"detail":{}}`, `{"source":"aws.health","detail-type":"AWS Health Event","detail":{"service":"RISK"}}`} {
		_, err := h.Ingest(context.Background(), json.RawMessage(bad))
		var ie *health.InputError
		if !errors.As(err, &ie) {
			t.Errorf("Ingest(%q) error = %v, want *health.InputError", bad, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "bus")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("rejected or skipped events announced something on the bus: %v", err)
	}
}

func TestLaterStagesRejectForeignEvents(t *testing.T) {
	t.Parallel()
	h, _ := demoHandlers(t)
	for _, ev := range []stage.Envelope{
		{Source: "aws.health", DetailType: notify.DetailCaseOpened, Detail: json.RawMessage(`{"caseId":"x","revision":1}`)},
		{Source: notify.EventSource, DetailType: notify.DetailCaseOpened, Detail: json.RawMessage(`{"caseId":"../etc","revision":1}`)},
		{Source: notify.EventSource, DetailType: notify.DetailCaseOpened, Detail: json.RawMessage(`{"caseId":"123456789012-0000000000000000","revision":0}`)},
		{Source: notify.EventSource, DetailType: notify.DetailCaseOpened, Detail: json.RawMessage(`"x"`)},
	} {
		if _, err := h.Enrich(context.Background(), ev); err == nil {
			t.Errorf("Enrich(%s %s %s) succeeded, want an error", ev.Source, ev.DetailType, ev.Detail)
		}
	}
	if _, err := h.Notify(context.Background(), stage.Envelope{Source: notify.EventSource, DetailType: notify.DetailCaseEnriched, Detail: json.RawMessage(`{"caseId":"123456789012-0000000000000000","revision":1}`)}); err == nil {
		t.Error("Notify for a report that does not exist succeeded")
	}
}

// TestLambdaAdapterGivesClearErrors: the payload reaches our validation, so
// an empty or garbled invocation fails with "invalid event: ..." instead of
// the runtime library's bare EOF or SyntaxError.
func TestLambdaAdapterGivesClearErrors(t *testing.T) {
	t.Parallel()
	h, _ := demoHandlers(t)
	handlers := map[string]interface {
		Invoke(context.Context, []byte) ([]byte, error)
	}{
		"ingest": stage.Lambda[json.RawMessage](h, "ingest", h.Ingest),
		"enrich": stage.Lambda(h, "enrich", h.Enrich),
		"notify": stage.Lambda(h, "notify", h.Notify),
	}
	for name, lh := range handlers {
		for _, payload := range []string{"", "   ", "null", "garbage", "[1,2]", `{"detail":`} {
			_, err := lh.Invoke(context.Background(), []byte(payload))
			var ie *health.InputError
			if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "invalid event: ") {
				t.Errorf("%s.Invoke(%q) error = %v, want an *health.InputError", name, payload, err)
			}
		}
	}
	raw, err := os.ReadFile("../../events/abuse-dos.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := handlers["ingest"].Invoke(context.Background(), raw)
	if err != nil || !strings.Contains(string(out), `"status":"opened"`) {
		t.Fatalf("ingest.Invoke(valid) = %s, %v", out, err)
	}
}

// TestRejectionEchoIsClippedAndRedacted: input quoted in an error is
// clipped on a rune boundary and a secret in it is redacted: the error is
// logged.
func TestRejectionEchoIsClippedAndRedacted(t *testing.T) {
	t.Parallel()
	h, _ := demoHandlers(t)
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	for _, id := range []string{strings.Repeat("가", 100), secret} {
		_, err := h.Enrich(context.Background(), stage.Envelope{Source: notify.EventSource, DetailType: notify.DetailCaseOpened,
			Detail: json.RawMessage(`{"caseId":"` + id + `","revision":1}`)})
		if err == nil || !utf8.ValidString(err.Error()) || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), strings.Repeat("가", 65)) {
			t.Errorf("Enrich error = %q, want a clipped, redacted echo", err)
		}
	}
}
