//go:build linux

package rietest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

type env struct {
	root, rie string
	fns       []string
}

// setup finds the host bootstraps and the emulator. Without them the test
// skips, unless ABUSEDESK_RIE=1 (make test) says they must be there.
func setup(t *testing.T) env {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := RepoRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	fns, err := Functions(root)
	if err != nil {
		t.Fatal(err)
	}
	e := env{root: root, rie: filepath.Join(root, "build", "tools", "aws-lambda-rie"), fns: fns}
	required := os.Getenv("ABUSEDESK_RIE") == "1"
	var missing []string
	for _, p := range append([]string{e.rie}, e.bootstraps()...) {
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, p)
		}
	}
	if len(fns) == 0 {
		missing = append(missing, "functions/*/main.go")
	}
	if len(missing) > 0 {
		if required {
			t.Fatalf("ABUSEDESK_RIE=1 but missing %v (run make lambdas-host)", missing)
		}
		t.Skipf("RIE or bootstraps missing (%v); run make lambdas-host or set ABUSEDESK_RIE=1", missing)
	}
	return e
}

func (e env) bootstraps() []string {
	var out []string
	for _, fn := range e.fns {
		out = append(out, e.bootstrap(fn))
	}
	return out
}

func (e env) bootstrap(fn string) string {
	return filepath.Join(e.root, "build", "host", fn, "bootstrap")
}

func (e env) start(t *testing.T, ctx context.Context, fn, outbox string) *Emulator {
	t.Helper()
	em, err := Start(ctx, Options{RIE: e.rie, Bootstrap: e.bootstrap(fn), Function: fn, OutboxDir: outbox})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		em.Close()
		if t.Failed() {
			t.Logf("%s emulator logs:\n%s", fn, em.Logs())
		}
	})
	return em
}

// eventBridgeConsumers are the functions EventBridge invokes; csvimport
// takes S3 notifications, for which {"hello":"world"} is an empty batch.
var eventBridgeConsumers = map[string]bool{"ingest": true, "enrich": true, "notify": true}

// waitFor polls cond until it holds or 5 s pass (a safety net for output
// still in flight, not a timing assertion).
func waitFor(ctx context.Context, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			return cond()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return true
}

// testCtx is a safety net against a hung emulator, not a timing assertion.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestMalformedEventIsAnErrorResponseNotACrash(t *testing.T) {
	e := setup(t)
	for _, fn := range e.fns {
		t.Run(fn, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			em := e.start(t, ctx, fn, t.TempDir())
			cases := []struct {
				name, event string
				handlerLogs bool // the handler ran and must log the error
			}{
				{"truncated JSON", `{"version":"0","source":`, false},
				{"wrong shape", `[1,2,3]`, false},
				{"wrong field types", `{"Records":7,"detail-type":7}`, false},
			}
			if eventBridgeConsumers[fn] {
				cases = append(cases, struct {
					name, event string
					handlerLogs bool
				}{"not an EventBridge event", `{"hello":"world"}`, true})
			}
			for _, tc := range cases {
				before := strings.Count(em.Logs(), `"level":"ERROR"`)
				r, err := em.Invoke(ctx, []byte(tc.event))
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if !r.FunctionError() || r.ErrorType == "" || r.ErrorMessage == "" {
					t.Fatalf("%s: want a function error payload, got %d %s", tc.name, r.Status, r.Body)
				}
				if !em.Running() {
					t.Fatalf("%s: emulator exited", tc.name)
				}
				// The function's stdout reaches us through the emulator's
				// pipe, possibly after the response: wait for the line.
				if tc.handlerLogs && !waitFor(ctx, func() bool { return strings.Count(em.Logs(), `"level":"ERROR"`) > before }) {
					t.Errorf("%s: handler returned %q without logging it at ERROR", tc.name, r.ErrorMessage)
				}
			}
			// One INIT for all invocations: the runtime survived each
			// error instead of crashing and being restarted.
			if n := strings.Count(em.Logs(), "INIT REPORT"); n != 1 {
				t.Fatalf("want exactly one INIT, got %d", n)
			}
			if strings.Contains(em.Logs(), "Runtime exited") {
				t.Fatal("runtime exited")
			}
		})
	}
}

// TestStagesChainOverTheDemoBus replays a sample through the real bootstraps:
// ingest opens a case, and each later stage consumes the event the previous
// one put on the (file-backed) demo bus.
func TestStagesChainOverTheDemoBus(t *testing.T) {
	e := setup(t)
	if !slices.Contains(e.fns, "ingest") {
		t.Skip("no ingest function")
	}
	ctx := testCtx(t)
	outbox := t.TempDir()
	event, err := os.ReadFile(filepath.Join(e.root, "events", "abuse-dos.json"))
	if err != nil {
		t.Fatal(err)
	}

	ingest := e.start(t, ctx, "ingest", outbox)
	var opened struct {
		Status   string `json:"status"`
		CaseID   string `json:"caseId"`
		Revision int    `json:"revision"`
	}
	invokeJSON(t, ctx, ingest, event, &opened)
	if opened.Status != "opened" || opened.CaseID == "" || opened.Revision != 1 {
		t.Fatalf("ingest = %+v, want a newly opened case at revision 1", opened)
	}
	var again struct {
		Status string `json:"status"`
		CaseID string `json:"caseId"`
	}
	invokeJSON(t, ctx, ingest, event, &again)
	if again.Status != "duplicate" || again.CaseID != opened.CaseID {
		t.Fatalf("replayed ingest = %+v, want duplicate of %s", again, opened.CaseID)
	}

	next := []struct{ fn, consumes string }{{"enrich", "Case Opened"}, {"notify", "Case Enriched"}}
	for _, st := range next {
		if !slices.Contains(e.fns, st.fn) {
			t.Logf("no %s function; chain stops here", st.fn)
			return
		}
		entry, err := os.ReadFile(filepath.Join(outbox, "bus", "event-"+strings.ReplaceAll(st.consumes, " ", "-")+".json"))
		if err != nil {
			t.Fatalf("previous stage did not put %q on the bus: %v", st.consumes, err)
		}
		ev, err := AsEventBridgeEvent(entry, "test-"+st.fn, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		em := e.start(t, ctx, st.fn, outbox)
		var got map[string]any
		invokeJSON(t, ctx, em, ev, &got)
		if got["caseId"] != opened.CaseID {
			t.Fatalf("%s answered for case %v, want %s: %v", st.fn, got["caseId"], opened.CaseID, got)
		}
		if st.fn == "notify" {
			if d, _ := got["deliveries"].([]any); len(d) == 0 {
				t.Fatalf("notify made no deliveries: %v", got)
			}
		}
	}
	// Notify hands its "Case Notified" event to the outbox like its other
	// deliveries; look for it wherever demo mode filed it.
	var notified []string
	err = filepath.WalkDir(outbox, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), `"Case Notified"`) {
			notified = append(notified, p)
		}
		return err
	})
	if err != nil || len(notified) == 0 {
		t.Fatalf("notify did not emit Case Notified (walk error %v)", err)
	}
}

func invokeJSON(t *testing.T, ctx context.Context, em *Emulator, event []byte, into any) {
	t.Helper()
	r, err := em.Invoke(ctx, event)
	if err != nil {
		t.Fatal(err)
	}
	if r.FunctionError() {
		t.Fatalf("function error %s: %s", r.ErrorType, r.ErrorMessage)
	}
	if err := json.Unmarshal(r.Body, into); err != nil {
		t.Fatalf("unable to decode response %q: %v", r.Body, err)
	}
}

func TestInitDurationParsing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, logs string
		want       time.Duration
		wantErr    bool
	}{
		{"rapid init report", "x\n03 Dec 2026 16:58:29,997 [INFO] (rapid) INIT REPORT(durationMs: 21.960000)\n", 21960 * time.Microsecond, false},
		{"absent", "START RequestId: x\n", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := InitDuration(tc.logs)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("InitDuration = %v, %v; want %v (err %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
	got, err := ReportInitDuration("REPORT RequestId: abc\tInit Duration: 0.42 ms\tDuration: 23.50 ms\t")
	if err != nil || got != 420*time.Microsecond {
		t.Fatalf("ReportInitDuration = %v, %v", got, err)
	}
}

func TestAsEventBridgeEvent(t *testing.T) {
	t.Parallel()
	entry := []byte(`{"source":"abusedesk","detail-type":"Case Opened","detail":{"caseId":"c1","revision":1}}`)
	b, err := AsEventBridgeEvent(entry, "id-1", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if ev["detail-type"] != "Case Opened" || ev["id"] != "id-1" || ev["time"] != "2026-01-02T03:04:05Z" ||
		ev["detail"].(map[string]any)["caseId"] != "c1" || ev["version"] != "0" {
		t.Fatalf("envelope = %v", ev)
	}
	if _, err := AsEventBridgeEvent([]byte("{"), "x", time.Now()); err == nil {
		t.Fatal("want an error for a malformed entry")
	}
}
