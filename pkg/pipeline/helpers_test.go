package pipeline_test

import (
	"context"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/app"
	"github.com/abusedesk/abusedesk/pkg/config"
	"github.com/abusedesk/abusedesk/pkg/health"
	"github.com/abusedesk/abusedesk/pkg/notify/outbox"
	"github.com/abusedesk/abusedesk/pkg/pipeline"
)

const (
	eventsDir   = "../../events"
	realdataDir = "../../testdata/realdata/health"
)

// fixedNow is the clock of every test run, so reports are reproducible.
var fixedNow = time.Date(2025, 2, 12, 0, 0, 0, 0, time.UTC)

func demo(t testing.TB, dir string) *pipeline.Pipeline {
	t.Helper()
	p, err := app.Demo(config.Config{}, dir, func() time.Time { return fixedNow }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("app.Demo: %v", err)
	}
	return p
}

// notices reads a file and validates each event in it.
func notices(t testing.TB, path string) []health.Notice {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return noticesOf(t, raw)
}

func noticesOf(t testing.TB, raw []byte) []health.Notice {
	t.Helper()
	evs, err := health.Decode(raw)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	var out []health.Notice
	for _, ev := range evs {
		n, err := health.Validate(ev)
		if err != nil {
			t.Fatalf("Validate: %v", err)
		}
		out = append(out, n)
	}
	return out
}

func notice(t testing.TB, path string) health.Notice {
	t.Helper()
	ns := notices(t, path)
	if len(ns) != 1 {
		t.Fatalf("%s holds %d events, want 1", path, len(ns))
	}
	return ns[0]
}

func process(t testing.TB, p *pipeline.Pipeline, n health.Notice) pipeline.Result {
	t.Helper()
	res, err := p.Process(context.Background(), n)
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	return res
}

// files lists the regular files under dir, relative to it.
func files(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

// caseDirs lists the case directories under dir.
func caseDirs(t testing.TB, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		if de.IsDir() {
			out = append(out, de.Name())
		}
	}
	return out
}

func ledgerStates(t testing.TB, dir, caseID string) map[string]int {
	t.Helper()
	es, err := (&outbox.Ledger{Dir: filepath.Join(dir, caseID, "ledger")}).Entries()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range es {
		out[e.Key.Channel+"/"+e.State]++
	}
	return out
}

// emailText returns the decoded text/plain part of an .eml file.
func emailText(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			t.Fatalf("%s: no text/plain part: %v", path, err)
		}
		if strings.HasPrefix(part.Header.Get("Content-Type"), "text/plain") {
			b, err := io.ReadAll(part)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
}

// firstList returns the first block of "  - item" lines of an e-mail's
// text: the newly reported resources.
func firstList(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		item, ok := strings.CutPrefix(line, "  - ")
		switch {
		case ok:
			out = append(out, strings.TrimSpace(item))
		case len(out) > 0:
			return out
		}
	}
	return out
}
