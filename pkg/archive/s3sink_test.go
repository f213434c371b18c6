package archive_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/abusedesk/abusedesk/internal/notifytest"
	"github.com/abusedesk/abusedesk/pkg/archive"
	"github.com/abusedesk/abusedesk/pkg/awsx"
)

// fakeS3 is a path-style bucket in memory: PUT stores, GET returns or
// answers NoSuchKey the way S3 does.
type fakeS3 struct {
	mu      sync.Mutex
	objects map[string][]byte
	headers map[string]http.Header
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.Method {
	case http.MethodPut:
		b, _ := io.ReadAll(r.Body)
		f.objects[r.URL.Path] = b
		f.headers[r.URL.Path] = r.Header.Clone()
		w.Header().Set("ETag", `"6805f2cfc46c0f04559748bb039d69ae"`)
		w.WriteHeader(http.StatusOK)
	case http.MethodGet:
		b, ok := f.objects[r.URL.Path]
		if !ok {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>`+r.URL.Path+`</Key><RequestId>4442587FB7D0A2F9</RequestId><HostId>host</HostId></Error>`)
			return
		}
		w.Header().Set("Content-Type", "text/markdown")
		_, _ = w.Write(b)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func newSink(t *testing.T, cfg archive.Config) (*archive.Sink, *fakeS3) {
	t.Helper()
	f := &fakeS3{objects: map[string][]byte{}, headers: map[string]http.Header{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{BaseEndpoint: aws.String(srv.URL), Region: notifytest.Region, Credentials: notifytest.Credentials(), UsePathStyle: true})
	return archive.New(client, cfg), f
}

func TestPutGet(t *testing.T) {
	t.Parallel()
	sink, f := newSink(t, archive.Config{Bucket: "abusedesk-reports", KMSKeyID: "alias/abusedesk"})
	ctx := context.Background()
	body := []byte("# 보고서\n\n`<script>`")
	uri, err := sink.Put(ctx, "123456789012-0a1b2c3d4e5f6a7b", 2, "report.md", "text/markdown; charset=utf-8", body)
	if err != nil {
		t.Fatal(err)
	}
	if uri != "s3://abusedesk-reports/reports/123456789012-0a1b2c3d4e5f6a7b/r2/report.md" {
		t.Fatalf("uri %q", uri)
	}
	if loc, err := sink.Location("123456789012-0a1b2c3d4e5f6a7b", 2, "report.md"); err != nil || loc != uri {
		t.Fatalf("Location = %q, %v; want what Put returned, %q", loc, err, uri)
	}
	path := "/abusedesk-reports/reports/123456789012-0a1b2c3d4e5f6a7b/r2/report.md"
	h := f.headers[path]
	if h == nil {
		t.Fatalf("nothing stored at %s: %v", path, f.objects)
	}
	if h.Get("Content-Type") != "text/markdown; charset=utf-8" || h.Get("X-Amz-Server-Side-Encryption") != "aws:kms" || h.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id") != "alias/abusedesk" {
		t.Fatalf("headers %v", h)
	}
	got, err := sink.Get(ctx, "123456789012-0a1b2c3d4e5f6a7b", 2, "report.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(body) {
		t.Fatalf("got %q", got)
	}
	if _, err := sink.Get(ctx, "123456789012-0a1b2c3d4e5f6a7b", 3, "report.md"); !errors.Is(err, awsx.ErrNotFound) {
		t.Fatalf("Get(missing) = %v, want ErrNotFound", err)
	}
}

func TestKeysRejectTraversal(t *testing.T) {
	t.Parallel()
	sink, f := newSink(t, archive.Config{Bucket: "b"})
	tests := []struct {
		name, caseID, file string
		rev                int
	}{
		{"dotdot name", "c1", "..", 1},
		{"slash in name", "c1", "../../etc/passwd", 1},
		{"slash in case", "c1/../x", "report.md", 1},
		{"script in name", "c1", "<script>.md", 1},
		{"revision 0", "c1", "report.md", 0},
	}
	for _, tt := range tests {
		if _, err := sink.Put(context.Background(), tt.caseID, tt.rev, tt.file, "", []byte("x")); err == nil {
			t.Fatalf("%s: accepted", tt.name)
		}
	}
	for p := range f.objects {
		if !strings.HasPrefix(p, "/b/reports/") {
			t.Fatalf("object outside the prefix: %s", p)
		}
	}
	if len(f.objects) != 0 {
		t.Fatalf("%d objects written", len(f.objects))
	}
}
