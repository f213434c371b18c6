package sesaws

import (
	"github.com/abusedesk/abusedesk/pkg/sesrep"

	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/abusedesk/abusedesk/pkg/awsx"
)

// reply is one canned HTTP response.
type reply struct {
	status int
	header map[string]string
	body   []byte
}

// script answers the n-th call (0-based) to one operation in one region;
// past the end of the list the last reply repeats.
type script []reply

func (s script) at(n int) reply {
	if len(s) == 0 {
		return reply{status: http.StatusInternalServerError, body: []byte("no reply scripted")}
	}
	return s[min(n, len(s)-1)]
}

// fakeAWS is one httptest server standing in for SES v1 (query/XML), SES v2
// (REST/JSON) and CloudWatch (RPC v2 CBOR) in several regions. It tells
// regions apart by the SigV4 credential scope, which the real clients sign
// with the region they were created for.
type fakeAWS struct {
	t       *testing.T
	srv     *httptest.Server
	scripts map[string]script // "region op"

	mu    sync.Mutex
	calls map[string]int
	last  map[string][]byte // last request body per "region op"
}

var scopeRegion = regexp.MustCompile(`Credential=[^/]+/[0-9]{8}/([^/]+)/`)

func newFakeAWS(t *testing.T, scripts map[string]script) *fakeAWS {
	t.Helper()
	f := &fakeAWS{t: t, scripts: scripts, calls: map[string]int{}, last: map[string][]byte{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m := scopeRegion.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		http.Error(w, "unsigned request", http.StatusForbidden)
		return
	}
	region := m[1]
	var op string
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/":
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("Version") != "2010-12-01" {
			http.Error(w, "bad query request", http.StatusBadRequest)
			return
		}
		op = form.Get("Action")
	case r.Method == http.MethodGet && r.URL.Path == "/v2/email/account":
		op = "GetAccount"
	case r.Method == http.MethodPost && r.URL.Path == "/service/GraniteServiceVersion20100801/operation/GetMetricData":
		op = "GetMetricData"
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	key := region + " " + op
	f.mu.Lock()
	n := f.calls[key]
	f.calls[key]++
	f.last[key] = body
	f.mu.Unlock()
	rep := f.scripts[key].at(n)
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

func (f *fakeAWS) count(region, op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[region+" "+op]
}

func (f *fakeAWS) config() aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(f.srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		HTTPClient:   f.srv.Client(),
	}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "ses", name))
	if err != nil {
		t.Fatalf("unable to read fixture: %v", err)
	}
	return b
}

func xmlOK(b []byte) reply {
	return reply{status: 200, header: map[string]string{"Content-Type": "text/xml"}, body: b}
}

func jsonOK(b []byte) reply {
	return reply{status: 200, header: map[string]string{"Content-Type": "application/json"}, body: b}
}

func xmlThrottled(t *testing.T) reply {
	return reply{status: 400, header: map[string]string{"Content-Type": "text/xml"}, body: fixture(t, "throttling.xml")}
}

func jsonThrottled(t *testing.T) reply {
	return reply{status: 429, header: map[string]string{
		"Content-Type":     "application/json",
		"x-amzn-ErrorType": "TooManyRequestsException",
		"x-amzn-RequestId": "a1b2c3d4-e5f6-7890-abcd-ef0123456789",
	}, body: fixture(t, "too-many-requests.json")}
}

// statsXML renders points in the documented GetSendStatistics envelope.
func statsXML(points []sesrep.Point) []byte {
	var b strings.Builder
	b.WriteString(`<GetSendStatisticsResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><GetSendStatisticsResult><SendDataPoints>`)
	for _, p := range points {
		fmt.Fprintf(&b, "<member><DeliveryAttempts>%d</DeliveryAttempts><Timestamp>%s</Timestamp><Rejects>%d</Rejects><Bounces>%d</Bounces><Complaints>%d</Complaints></member>",
			p.DeliveryAttempts, p.Timestamp.UTC().Format(time.RFC3339), p.Rejects, p.Bounces, p.Complaints)
	}
	b.WriteString(`</SendDataPoints></GetSendStatisticsResult><ResponseMetadata><RequestId>c2b66ee5-c866-11e0-b17f-cddb0ab334db</RequestId></ResponseMetadata></GetSendStatisticsResponse>`)
	return []byte(b.String())
}

// metricsCBOR renders a GetMetricData response the way CloudWatch's RPC v2
// CBOR protocol carries it (timestamps are tag 1, epoch seconds).
func metricsCBOR(series map[string]map[time.Time]float64) reply {
	var results cbor.List
	for id, pts := range series {
		var ts, vs cbor.List
		for at, v := range pts {
			ts = append(ts, &cbor.Tag{ID: 1, Value: cbor.Float64(float64(at.Unix()))})
			vs = append(vs, cbor.Float64(v))
		}
		results = append(results, cbor.Map{
			"Id": cbor.String(id), "Label": cbor.String(id), "StatusCode": cbor.String("Complete"),
			"Timestamps": ts, "Values": vs, "Messages": cbor.List{},
		})
	}
	return reply{status: 200, header: map[string]string{
		"Content-Type": "application/cbor", "Smithy-Protocol": "rpc-v2-cbor",
	}, body: cbor.Encode(cbor.Map{"MetricDataResults": results, "Messages": cbor.List{}})}
}

var at = time.Date(2024, 5, 20, 12, 0, 0, 0, time.UTC)

func testReader(f *fakeAWS, opts ...Option) *Reader {
	base := []Option{WithLimiters(NewLimiters(time.Nanosecond)), WithMaxAttempts(3), withBackoff(noBackoff{})}
	return NewReader(f.config(), append(base, opts...)...)
}

type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

func TestReputationDocumentedBodies(t *testing.T) {
	t.Parallel()
	// The documented example is from August 2011; report a day later.
	docAt := time.Date(2011, 8, 4, 0, 0, 0, 0, time.UTC)
	f := newFakeAWS(t, map[string]script{
		"eu-west-1 GetSendStatistics": {xmlOK(fixture(t, "get-send-statistics-documented.xml"))},
		"eu-west-1 GetAccount":        {jsonOK(fixture(t, "get-account-production.json"))},
	})
	rep, err := testReader(f).Reputation(context.Background(), "eu-west-1", docAt)
	if err != nil {
		t.Fatalf("Reputation: %v", err)
	}
	if !rep.Enabled || rep.Region != "eu-west-1" {
		t.Fatalf("got enabled=%v region=%q, want enabled eu-west-1", rep.Enabled, rep.Region)
	}
	if rep.DeliveryAttempts != 15 || rep.Bounces != 0 || rep.DataPoints != 2 {
		t.Errorf("got attempts=%d bounces=%d points=%d, want 15/0/2", rep.DeliveryAttempts, rep.Bounces, rep.DataPoints)
	}
	if rep.FirstPoint == nil || !rep.FirstPoint.Equal(time.Date(2011, 8, 3, 6, 53, 0, 0, time.UTC)) {
		t.Errorf("first point %v, want 2011-08-03T06:53Z", rep.FirstPoint)
	}
	if rep.LastPoint == nil || !rep.LastPoint.Equal(time.Date(2011, 8, 3, 19, 23, 0, 0, time.UTC)) {
		t.Errorf("last point %v, want 2011-08-03T19:23Z", rep.LastPoint)
	}
	a := rep.Account
	if a == nil {
		t.Fatal("no account")
	}
	if a.EnforcementStatus != sesrep.StatusHealthy || !a.ProductionAccess || !a.SendingEnabled ||
		a.Max24HourSend != 50000 || a.MaxSendRate != 14 || a.SentLast24Hours != 1234 ||
		strings.Join(a.SuppressedReasons, ",") != "BOUNCE,COMPLAINT" {
		t.Errorf("account %+v", *a)
	}
	if len(rep.Gaps) != 0 {
		t.Errorf("unexpected gaps %v", rep.Gaps)
	}
	if f.count("eu-west-1", "GetMetricData") != 0 {
		t.Error("CloudWatch was called without WithCloudWatch")
	}
}

func TestReputationRegions(t *testing.T) {
	t.Parallel()
	recent := at.Add(-2 * time.Hour)
	tests := []struct {
		name        string
		scripts     func(t *testing.T) map[string]script
		opts        []Option
		wantEnabled bool
		wantReason  string // substring of Reason when not enabled
		wantGap     string // substring of a gap
		wantErr     error
		wantCalls   map[string]int // "op" -> calls in the region
		check       func(t *testing.T, r sesrep.Report)
	}{
		{
			name: "never used region answers with sandbox defaults",
			scripts: func(t *testing.T) map[string]script {
				return map[string]script{
					"ap-south-1 GetSendStatistics": {xmlOK(fixture(t, "get-send-statistics-empty.xml"))},
					"ap-south-1 GetAccount":        {jsonOK(fixture(t, "get-account-sandbox.json"))},
				}
			},
			wantReason: "not set up",
		},
		{
			name: "OptInRequired (a common query error) means not enabled",
			scripts: func(t *testing.T) map[string]script {
				return map[string]script{
					"ap-south-1 GetSendStatistics": {{status: 403, header: map[string]string{"Content-Type": "text/xml"}, body: fixture(t, "opt-in-required.xml")}},
					"ap-south-1 GetAccount":        {jsonOK(fixture(t, "get-account-sandbox.json"))},
				}
			},
			wantReason: "OptInRequired",
		},
		{
			name: "sandbox account that sent mail is enabled",
			scripts: func(t *testing.T) map[string]script {
				return map[string]script{
					"ap-south-1 GetSendStatistics": {xmlOK(statsXML([]sesrep.Point{{Timestamp: recent, DeliveryAttempts: 3}}))},
					"ap-south-1 GetAccount":        {jsonOK(fixture(t, "get-account-sandbox.json"))},
				}
			},
			wantEnabled: true,
			check: func(t *testing.T, r sesrep.Report) {
				if r.DeliveryAttempts != 3 {
					t.Errorf("attempts %d, want 3", r.DeliveryAttempts)
				}
			},
		},
		{
			name: "production account with zero sends has no rates",
			scripts: func(t *testing.T) map[string]script {
				return map[string]script{
					"ap-south-1 GetSendStatistics": {xmlOK(fixture(t, "get-send-statistics-empty.xml"))},
					"ap-south-1 GetAccount":        {jsonOK(fixture(t, "get-account-production.json"))},
				}
			},
			wantEnabled: true,
			check: func(t *testing.T, r sesrep.Report) {
				if r.BounceRate != nil || r.ComplaintRate != nil || r.BounceRateText() != "n/a" {
					t.Errorf("rates %v %v %q, want not applicable", r.BounceRate, r.ComplaintRate, r.BounceRateText())
				}
				if len(r.Daily) != 14 {
					t.Errorf("daily has %d days, want 14", len(r.Daily))
				}
			},
		},
		{
			name: "v1 throttled once then answers",
			scripts: func(t *testing.T) map[string]script {
				return map[string]script{
					"ap-south-1 GetSendStatistics": {xmlThrottled(t), xmlOK(statsXML([]sesrep.Point{{Timestamp: recent, DeliveryAttempts: 200, Bounces: 20}}))},
					"ap-south-1 GetAccount":        {jsonThrottled(t), jsonOK(fixture(t, "get-account-production.json"))},
				}
			},
			wantEnabled: true,
			wantCalls:   map[string]int{"GetSendStatistics": 2, "GetAccount": 2},
			check: func(t *testing.T, r sesrep.Report) {
				if r.Bounces != 20 || r.BounceRateText() != "10.00%" || len(r.Gaps) != 0 {
					t.Errorf("bounces %d rate %s gaps %v", r.Bounces, r.BounceRateText(), r.Gaps)
				}
			},
		},
		{
			name: "v1 throttled throughout leaves a gap, account still read",
			scripts: func(t *testing.T) map[string]script {
				return map[string]script{
					"ap-south-1 GetSendStatistics": {xmlThrottled(t)},
					"ap-south-1 GetAccount":        {jsonOK(fixture(t, "get-account-production.json"))},
				}
			},
			wantEnabled: true,
			wantGap:     "GetSendStatistics: Throttling",
			wantCalls:   map[string]int{"GetSendStatistics": 3},
			check: func(t *testing.T, r sesrep.Report) {
				if r.Account == nil || r.BounceRate != nil {
					t.Errorf("account %v rate %v", r.Account, r.BounceRate)
				}
			},
		},
		{
			name: "both throttled throughout is a classified error",
			scripts: func(t *testing.T) map[string]script {
				return map[string]script{
					"ap-south-1 GetSendStatistics": {xmlThrottled(t)},
					"ap-south-1 GetAccount":        {jsonThrottled(t)},
				}
			},
			wantErr:   awsx.ErrThrottled,
			wantCalls: map[string]int{"GetSendStatistics": 3, "GetAccount": 3},
		},
		{
			name: "access denied on statistics is a gap",
			scripts: func(t *testing.T) map[string]script {
				return map[string]script{
					"ap-south-1 GetSendStatistics": {{status: 403, header: map[string]string{"Content-Type": "text/xml"}, body: fixture(t, "access-denied.xml")}},
					"ap-south-1 GetAccount":        {jsonOK(fixture(t, "get-account-production.json"))},
				}
			},
			wantEnabled: true,
			wantGap:     "GetSendStatistics: AccessDenied",
			wantCalls:   map[string]int{"GetSendStatistics": 1},
		},
		{
			name: "CloudWatch enforced metrics",
			scripts: func(t *testing.T) map[string]script {
				return map[string]script{
					"ap-south-1 GetSendStatistics": {xmlOK(statsXML([]sesrep.Point{{Timestamp: recent, DeliveryAttempts: 1000, Bounces: 10}}))},
					"ap-south-1 GetAccount":        {jsonOK(fixture(t, "get-account-production.json"))},
					"ap-south-1 GetMetricData": {metricsCBOR(map[string]map[time.Time]float64{
						"bounce":    {at.Add(-2 * time.Hour): 0.03, at.Add(-time.Hour): 0.05},
						"complaint": {at.Add(-time.Hour): 0.0004},
					})},
				}
			},
			opts:        []Option{WithCloudWatch()},
			wantEnabled: true,
			check: func(t *testing.T, r sesrep.Report) {
				e := r.Enforced
				if e == nil || e.BounceRate == nil || *e.BounceRate != 0.05 || e.ComplaintRate == nil || *e.ComplaintRate != 0.0004 {
					t.Fatalf("enforced %+v", e)
				}
				if !e.BounceAt.Equal(at.Add(-time.Hour)) {
					t.Errorf("bounce at %v, want the newest point", e.BounceAt)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeAWS(t, tc.scripts(t))
			rep, err := testReader(f, tc.opts...).Reputation(context.Background(), "ap-south-1", at)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Reputation: %v", err)
			}
			for op, n := range tc.wantCalls {
				if got := f.count("ap-south-1", op); got != n {
					t.Errorf("%s called %d times, want %d", op, got, n)
				}
			}
			if tc.wantErr != nil {
				return
			}
			if rep.Enabled != tc.wantEnabled {
				t.Fatalf("enabled %v (reason %q), want %v", rep.Enabled, rep.Reason, tc.wantEnabled)
			}
			if tc.wantReason != "" && !strings.Contains(rep.Reason, tc.wantReason) {
				t.Errorf("reason %q, want it to mention %q", rep.Reason, tc.wantReason)
			}
			if tc.wantGap != "" && !strings.Contains(strings.Join(rep.Gaps, "\n"), tc.wantGap) {
				t.Errorf("gaps %q, want %q", rep.Gaps, tc.wantGap)
			}
			if tc.check != nil {
				tc.check(t, rep)
			}
		})
	}
}

// A region without SES has no endpoint: its host name does not resolve.
func TestReputationRegionWithoutEndpoint(t *testing.T) {
	t.Parallel()
	cfg := aws.Config{
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		HTTPClient: &http.Client{Transport: &http.Transport{
			DialContext: func(_ context.Context, _, addr string) (net.Conn, error) {
				host, _, _ := net.SplitHostPort(addr)
				return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
			},
		}},
	}
	rep, err := NewReader(cfg, WithLimiters(NewLimiters(time.Nanosecond))).Reputation(context.Background(), "xx-nowhere-1", at)
	if err != nil {
		t.Fatalf("Reputation: %v", err)
	}
	if rep.Enabled || !strings.Contains(rep.Reason, "not offered") {
		t.Errorf("got enabled=%v reason=%q, want not offered", rep.Enabled, rep.Reason)
	}
	if fs := sesrep.Findings([]sesrep.Report{rep}); len(fs) != 0 {
		t.Errorf("a region without SES produced findings %v", fs)
	}
}

func TestReputationRejectsBadRegion(t *testing.T) {
	t.Parallel()
	f := newFakeAWS(t, nil)
	for _, region := range []string{"", "us-east-1.evil.com", "../x", "US-EAST-1"} {
		if _, err := testReader(f).Reputation(context.Background(), region, at); err == nil {
			t.Errorf("region %q accepted", region)
		}
	}
}

// The GetSendStatistics limiter is shared per (account, region): a second
// call inside the interval must wait, and one that cannot wait before its
// deadline never reaches AWS.
func TestReputationLimiterPerAccountAndRegion(t *testing.T) {
	t.Parallel()
	f := newFakeAWS(t, map[string]script{
		"us-east-1 GetSendStatistics": {xmlOK(fixture(t, "get-send-statistics-empty.xml"))},
		"us-east-1 GetAccount":        {jsonOK(fixture(t, "get-account-production.json"))},
		"eu-west-1 GetSendStatistics": {xmlOK(fixture(t, "get-send-statistics-empty.xml"))},
		"eu-west-1 GetAccount":        {jsonOK(fixture(t, "get-account-production.json"))},
	})
	lims := NewLimiters(time.Hour)
	a1 := NewReader(f.config(), WithLimiters(lims), WithAccount("111122223333"))
	a2 := NewReader(f.config(), WithLimiters(lims), WithAccount("111122223333"))
	other := NewReader(f.config(), WithLimiters(lims), WithAccount("444455556666"))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := a1.Reputation(ctx, "us-east-1", at); err != nil {
		t.Fatalf("first call: %v", err)
	}
	rep, err := a2.Reputation(ctx, "us-east-1", at)
	if err != nil {
		t.Fatalf("second call: %v", err)
	}
	if !strings.Contains(strings.Join(rep.Gaps, "\n"), "rate limit") {
		t.Errorf("gaps %q, want the limiter to refuse within the deadline", rep.Gaps)
	}
	if n := f.count("us-east-1", "GetSendStatistics"); n != 1 {
		t.Errorf("GetSendStatistics reached AWS %d times, want 1", n)
	}
	for _, c := range []struct {
		r      *Reader
		region string
	}{{a1, "eu-west-1"}, {other, "us-east-1"}} {
		rep, err := c.r.Reputation(ctx, c.region, at)
		if err != nil || len(rep.Gaps) != 0 {
			t.Errorf("%s: err %v gaps %v, want its own limiter", c.region, err, rep.Gaps)
		}
	}
}

func TestReputationMetricsRequest(t *testing.T) {
	t.Parallel()
	f := newFakeAWS(t, map[string]script{
		"us-east-1 GetSendStatistics": {xmlOK(fixture(t, "get-send-statistics-empty.xml"))},
		"us-east-1 GetAccount":        {jsonOK(fixture(t, "get-account-production.json"))},
		"us-east-1 GetMetricData":     {metricsCBOR(nil)},
	})
	rep, err := testReader(f, WithCloudWatch()).Reputation(context.Background(), "us-east-1", at)
	if err != nil {
		t.Fatalf("Reputation: %v", err)
	}
	if rep.Enforced != nil {
		t.Errorf("enforced %+v, want nil without data", rep.Enforced)
	}
	f.mu.Lock()
	body := f.last["us-east-1 GetMetricData"]
	f.mu.Unlock()
	v, err := cbor.Decode(body)
	if err != nil {
		t.Fatalf("request is not CBOR: %v", err)
	}
	got := fmt.Sprint(v)
	for _, want := range []string{"AWS/SES", "Reputation.BounceRate", "Reputation.ComplaintRate"} {
		if !strings.Contains(got, want) {
			t.Errorf("GetMetricData request lacks %q", want)
		}
	}
}
