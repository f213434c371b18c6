package csvintake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/abusedesk/abusedesk/pkg/notify"
)

// fakeS3 serves GetObject path-style: objects by "/bucket/key", and the
// NoSuchKey error body S3 documents for anything else.
func fakeS3(t *testing.T, objects map[string][]byte) (*s3.Client, *int) {
	t.Helper()
	var mu sync.Mutex
	gets := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gets++
		mu.Unlock()
		body, ok := objects[r.URL.Path]
		if r.Method != http.MethodGet || !ok {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The resource you requested does not exist</Message>
  <Resource>%s</Resource>
  <RequestId>4442587FB7D0A2F9</RequestId>
</Error>`, r.URL.Path)
			return
		}
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Header().Set("ETag", `"0123456789abcdef0123456789abcdef"`)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	client := s3.NewFromConfig(aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: srv.Client(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	}, func(o *s3.Options) { o.UsePathStyle = true })
	return client, &gets
}

type busRecorder struct {
	mu  sync.Mutex
	evs []notify.Event
	err error
}

func (b *busRecorder) PutEvents(_ context.Context, evs []notify.Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	b.evs = append(b.evs, evs...)
	return nil
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, account, caseID string
		ok                   bool
	}{
		{"intake/123456789012/list.csv", "123456789012", "", true},
		{"intake/123456789012/2024/06/list.csv", "123456789012", "", true},
		{"intake/123456789012/123456789012-0123456789abcdef/list.csv", "123456789012", "123456789012-0123456789abcdef", true},
		{"intake/123456789012/210987654321-0123456789abcdef/list.csv", "", "", false},
		{"intake/123456789012/", "", "", false},
		{"intake/12345/list.csv", "", "", false},
		{"intake/123456789012/../210987654321/list.csv", "", "", false},
		{"reports/123456789012/list.csv", "", "", false},
	}
	for _, tt := range tests {
		a, c, err := ParseKey(tt.key)
		if (err == nil) != tt.ok || a != tt.account || c != tt.caseID {
			t.Errorf("ParseKey(%q) = %q %q %v, want %q %q ok %v", tt.key, a, c, err, tt.account, tt.caseID, tt.ok)
		}
	}
}

func s3Event(t *testing.T) events.S3Event {
	t.Helper()
	var ev events.S3Event
	if err := json.Unmarshal(readTestdata(t, "s3-put-event.json"), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestS3Handler(t *testing.T) {
	t.Parallel()
	ev := s3Event(t)
	// S3 URL-encodes keys in events ('+' is a space).
	const key = "intake/123456789012/AWS abuse list (June).csv"
	client, gets := fakeS3(t, map[string][]byte{"/example-bucket/" + key: readTestdata(t, "korean-semicolon.csv")})
	im, _ := newImporter(t, newCounter(t))
	bus := &busRecorder{}
	h := &S3Handler{S3: client, Bucket: "example-bucket", Importer: im, Regions: bothRegions, Bus: bus}

	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	got := resp.Imports[0]
	if got.Key != key || got.Status != "opened" || got.Revision != 1 || got.Rows != 4 || got.Resources != 2 {
		t.Errorf("import %+v", got)
	}
	if len(bus.evs) != 1 || bus.evs[0].DetailType != notify.DetailCaseEnriched || !strings.Contains(string(bus.evs[0].Detail), got.CaseID) {
		t.Errorf("bus events %+v, want one Case Enriched for %s", bus.evs, got.CaseID)
	}

	// A retry (at-least-once delivery) adds nothing but announces again,
	// in case the first announcement was what failed.
	resp, err = h.Handle(context.Background(), ev)
	if err != nil || resp.Imports[0].Status != "duplicate" || resp.Imports[0].Revision != 1 || len(bus.evs) != 2 {
		t.Errorf("retry: %v %+v, %d events", err, resp.Imports, len(bus.evs))
	}

	// What can never import is skipped, not failed, so it is not retried.
	skips := []func(*events.S3EventRecord){
		func(r *events.S3EventRecord) { r.S3.Bucket.Name = "other-bucket" },
		func(r *events.S3EventRecord) { r.EventName = "ObjectRemoved:Delete" },
		func(r *events.S3EventRecord) { r.S3.Object.URLDecodedKey = "reports/123456789012/x.csv" },
		func(r *events.S3EventRecord) { r.S3.Object.Size = MaxBytes + 1 },
		func(r *events.S3EventRecord) { r.S3.Object.URLDecodedKey = "intake/123456789012/gone.csv" },
	}
	for i, mod := range skips {
		e := s3Event(t)
		mod(&e.Records[0])
		before := *gets
		resp, err := h.Handle(context.Background(), e)
		if err != nil || resp.Imports[0].Status != "skipped" || resp.Imports[0].Reason == "" {
			t.Errorf("skip %d: %v %+v", i, err, resp.Imports)
		}
		if i < 4 && *gets != before {
			t.Errorf("skip %d read the object", i)
		}
		if i == 4 && !strings.Contains(resp.Imports[0].Reason, "no longer exists") {
			t.Errorf("missing object: %q, want NoSuchKey recognised", resp.Imports[0].Reason)
		}
	}

	// A failed announcement is an error, so Lambda retries.
	bus.err = errors.New("bus down")
	if _, err := h.Handle(context.Background(), ev); err == nil {
		t.Error("announcement failure not returned")
	}
}

func TestS3HandlerUnusableList(t *testing.T) {
	t.Parallel()
	ev := s3Event(t)
	client, _ := fakeS3(t, map[string][]byte{"/example-bucket/intake/123456789012/AWS abuse list (June).csv": []byte("ip\n10.0.0.1\n")})
	im, _ := newImporter(t, newCounter(t))
	h := &S3Handler{S3: client, Bucket: "example-bucket", Importer: im}
	resp, err := h.Handle(context.Background(), ev)
	if err != nil || resp.Imports[0].Status != "skipped" || !strings.Contains(resp.Imports[0].Reason, "no usable rows") {
		t.Errorf("%v %+v", err, resp.Imports)
	}
}
