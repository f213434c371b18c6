// Package awsxtest is a fake AWS endpoint for adapter tests and benchmarks:
// real SDK clients are pointed at it with BaseEndpoint and static
// credentials, and it answers with the response bodies AWS documents
// (stored under testdata/aws). It speaks the three wire protocols abusedesk
// uses: query/XML (EC2, IAM, STS), JSON 1.1 (CloudTrail) and REST-JSON
// (Lambda, API Gateway).
package awsxtest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Call is one request the server received.
type Call struct {
	Service   string // signing name: ec2, iam, sts, cloudtrail, lambda, apigateway
	Op        string // API operation name, e.g. DescribeInstances
	Region    string // signing region
	AccessKey string // access key id that signed the request
	At        time.Time
	Form      url.Values        // query protocol parameters
	Body      []byte            // raw request body
	Path      map[string]string // REST path parameters
	Query     url.Values        // REST query string
}

// Key is how handlers are registered: "service:Op".
func (c Call) Key() string { return c.Service + ":" + c.Op }

// Reply is what a handler answers. A zero Status means 200.
type Reply struct {
	Status int
	Body   string
	// ErrorType sets X-Amzn-ErrorType, which REST-JSON errors need.
	ErrorType string
	// Delay is extra latency for this reply only.
	Delay time.Duration
}

// Handler answers one call.
type Handler func(c Call) Reply

// Server is a fake AWS endpoint. Register handlers with Handle before use.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	handlers map[string]Handler
	calls    []Call
	latency  time.Duration
	inFlight int
	maxIn    int
}

// NewServer starts a server; it is closed when the test ends.
func NewServer(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{handlers: map[string]Handler{}}
	mux := http.NewServeMux()
	rest := map[string]string{
		"GET /2015-03-31/functions/":                          "lambda:ListFunctions",
		"GET /2015-03-31/functions/{name}/policy":             "lambda:GetPolicy",
		"GET /2021-10-31/functions/{name}/urls":               "lambda:ListFunctionUrlConfigs",
		"GET /restapis":                                       "apigateway:GetRestApis",
		"GET /restapis/{id}/resources":                        "apigateway:GetResources",
		"GET /v2/apis":                                        "apigateway:GetApis",
		"GET /v2/apis/{id}/integrations":                      "apigateway:GetIntegrations",
		"GET /restapis/{id}/resources/{rid}/methods/{method}": "apigateway:GetMethod",
	}
	for pattern, key := range rest {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			c := s.newCall(r)
			_, c.Op, _ = strings.Cut(key, ":")
			c.Path = map[string]string{}
			for _, p := range []string{"name", "id", "rid", "method"} {
				if v := r.PathValue(p); v != "" {
					c.Path[p] = v
				}
			}
			c.Query = r.URL.Query()
			s.serve(w, c, "application/json")
		})
	}
	mux.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
		c := s.newCall(r)
		if target := r.Header.Get("X-Amz-Target"); target != "" {
			_, c.Op, _ = strings.Cut(target, ".")
			s.serve(w, c, "application/x-amz-json-1.1")
			return
		}
		form, err := url.ParseQuery(string(c.Body))
		if err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		c.Form = form
		c.Op = form.Get("Action")
		s.serve(w, c, "text/xml")
	})
	s.Server = httptest.NewServer(mux)
	tb.Cleanup(s.Close)
	return s
}

func (s *Server) newCall(r *http.Request) Call {
	body, _ := io.ReadAll(r.Body)
	c := Call{At: time.Now(), Body: body}
	// Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...
	if _, cred, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		cred, _, _ = strings.Cut(cred, ",")
		parts := strings.Split(cred, "/")
		if len(parts) >= 4 {
			c.AccessKey, c.Region, c.Service = parts[0], parts[2], parts[3]
		}
	}
	return c
}

func (s *Server) serve(w http.ResponseWriter, c Call, contentType string) {
	s.mu.Lock()
	s.calls = append(s.calls, c)
	h := s.handlers[c.Key()]
	latency := s.latency
	s.inFlight++
	s.maxIn = max(s.maxIn, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if latency > 0 {
		time.Sleep(latency)
	}
	if h == nil {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(http.StatusNotImplemented)
		fmt.Fprintf(w, "no fake handler for %s", c.Key())
		return
	}
	rep := h(c)
	if rep.Delay > 0 {
		time.Sleep(rep.Delay)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-RequestId", "c6104cbe-af31-11e0-8154-cbc7ccf896c7")
	if rep.ErrorType != "" {
		w.Header().Set("X-Amzn-ErrorType", rep.ErrorType)
	}
	if rep.Status == 0 {
		rep.Status = http.StatusOK
	}
	w.WriteHeader(rep.Status)
	io.WriteString(w, rep.Body)
}

// Handle registers h for key "service:Op" (service is the signing name).
func (s *Server) Handle(key string, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[key] = h
}

// Calls returns the calls received so far, optionally only those with key.
func (s *Server) Calls(key string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if key == "" || c.Key() == key {
			out = append(out, c)
		}
	}
	return out
}

// SetLatency injects d before every reply (benchmarks, fan-out tests).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// MaxInFlight is the most requests the server was handling at once, which
// shows whether a client fanned out.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxIn
}

// Reset forgets the recorded calls and the in-flight high-water mark.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.maxIn = s.inFlight
}

// Config returns an aws.Config whose clients all talk to the server with
// static credentials; retry is the retryer constructor to install (nil keeps
// the SDK default).
func (s *Server) Config(region string, retry func() aws.Retryer) aws.Config {
	cfg := aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDBASEEXAMPLE", "base-secret", ""),
		HTTPClient:   s.Client(),
	}
	if retry != nil {
		cfg.Retryer = retry
	}
	return cfg
}

// Static answers every call with body.
func Static(body string) Handler { return func(Call) Reply { return Reply{Body: body} } }

// Pages answers successive calls with successive bodies, repeating the last.
func Pages(bodies ...string) Handler {
	var mu sync.Mutex
	n := 0
	return func(Call) Reply {
		mu.Lock()
		defer mu.Unlock()
		b := bodies[min(n, len(bodies)-1)]
		n++
		return Reply{Body: b}
	}
}

// Sequence answers successive calls with successive replies, repeating the
// last; use it for "throttled once, then fine".
func Sequence(replies ...Reply) Handler {
	var mu sync.Mutex
	n := 0
	return func(Call) Reply {
		mu.Lock()
		defer mu.Unlock()
		r := replies[min(n, len(replies)-1)]
		n++
		return r
	}
}

// QueryError is the error body IAM and STS return (awsQuery protocol).
func QueryError(status int, code, message string) Reply {
	return Reply{Status: status, Body: fmt.Sprintf(`<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <Error>
    <Type>Sender</Type>
    <Code>%s</Code>
    <Message>%s</Message>
  </Error>
  <RequestId>4a2e5bf1-8f93-11e4-8a7b-4f4f1d4b1ed0</RequestId>
</ErrorResponse>`, code, message)}
}

// EC2Error is the error body EC2 returns (ec2Query protocol).
func EC2Error(status int, code, message string) Reply {
	return Reply{Status: status, Body: fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>`, code, message)}
}

// JSONError is the error body JSON 1.1 services return (CloudTrail).
func JSONError(status int, code, message string) Reply {
	return Reply{Status: status, Body: fmt.Sprintf(`{"__type":%q,"message":%q}`, code, message)}
}

// RESTError is a REST-JSON error (Lambda, API Gateway): the code travels in
// X-Amzn-ErrorType.
func RESTError(status int, code, message string) Reply {
	return Reply{Status: status, ErrorType: code, Body: fmt.Sprintf(`{"Type":"User","Message":%q}`, message)}
}

// Body reads testdata/aws/<name> from the repository root and renders it as a
// text/template with data (files without actions come back verbatim).
func Body(tb testing.TB, name string, data any) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(root(tb), "testdata", "aws", name))
	if err != nil {
		tb.Fatalf("unable to read fixture: %v", err)
	}
	t, err := template.New(name).Option("missingkey=error").Parse(string(b))
	if err != nil {
		tb.Fatalf("unable to parse fixture %s: %v", name, err)
	}
	var out bytes.Buffer
	if err := t.Execute(&out, data); err != nil {
		tb.Fatalf("unable to render fixture %s: %v", name, err)
	}
	return out.String()
}

func root(tb testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("unable to find working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("unable to find repository root above %s", dir)
		}
		dir = parent
	}
}
