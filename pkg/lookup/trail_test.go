package lookup

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/awsx/awsxtest"
	"github.com/abusedesk/abusedesk/pkg/evidence"
)

func trailQuery() evidence.TrailQuery {
	return evidence.TrailQuery{Attribute: "AccessKeyId", Value: "AKIAIOSFODNN7EXAMPLE",
		Start: time.Date(2024, 5, 13, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 5, 20, 12, 0, 0, 0, time.UTC)}
}

func TestLookupEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		pageCap       int
		pages         []string // built per test server
		wantPages     int
		wantRecords   int
		wantSkipped   int
		wantTruncated bool
	}{
		{name: "one page", pageCap: 5, wantPages: 1, wantRecords: 3},
		{name: "follows NextToken", pageCap: 5, wantPages: 3, wantRecords: 9},
		{name: "cap hit marks truncated", pageCap: 2, wantPages: 2, wantRecords: 6, wantTruncated: true},
		{name: "bad CloudTrailEvent skipped and counted", pageCap: 5, wantPages: 1, wantRecords: 2, wantSkipped: 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := fakeAccount(t)
			switch i {
			case 0:
				s.Handle("cloudtrail:LookupEvents", awsxtest.Static(trailPage(t, "", 3)))
			case 1, 2:
				s.Handle("cloudtrail:LookupEvents", awsxtest.Pages(trailPage(t, "t2", 3), trailPage(t, "t3", 3), trailPage(t, "", 3)))
			case 3:
				s.Handle("cloudtrail:LookupEvents", awsxtest.Static(trailPage(t, "", 3, 1)))
			}
			acct, err := connect(t, s, Options{TrailPageCap: tt.pageCap}).Connect(t.Context(), memberAccount, "c")
			if err != nil {
				t.Fatal(err)
			}
			res, err := acct.Trail.LookupEvents(t.Context(), "us-east-1", trailQuery())
			if err != nil {
				t.Fatalf("LookupEvents: %v", err)
			}
			if res.Pages != tt.wantPages || len(res.Records) != tt.wantRecords || res.Skipped != tt.wantSkipped || res.Truncated != tt.wantTruncated {
				t.Errorf("pages %d records %d skipped %d truncated %v; want %d %d %d %v",
					res.Pages, len(res.Records), res.Skipped, res.Truncated, tt.wantPages, tt.wantRecords, tt.wantSkipped, tt.wantTruncated)
			}
			if len(res.Records) > 0 {
				r := res.Records[0]
				if r.EventName != "CreateUser" || r.UserIdentity.AccessKeyID != "AKIAIOSFODNN7EXAMPLE" || r.SourceIPAddress != "198.51.100.23" {
					t.Errorf("record = %+v, want the parsed CloudTrailEvent", r)
				}
			}
			calls := s.Calls("cloudtrail:LookupEvents")
			var req struct {
				LookupAttributes []struct{ AttributeKey, AttributeValue string }
				MaxResults       int
				StartTime        float64
				NextToken        string
			}
			if err := json.Unmarshal(calls[0].Body, &req); err != nil {
				t.Fatal(err)
			}
			if len(req.LookupAttributes) != 1 || req.LookupAttributes[0].AttributeKey != "AccessKeyId" || req.MaxResults != 50 ||
				int64(req.StartTime) != trailQuery().Start.Unix() || calls[0].Region != "us-east-1" {
				t.Errorf("request = %s in %s", calls[0].Body, calls[0].Region)
			}
			if len(calls) > 1 {
				_ = json.Unmarshal(calls[1].Body, &req)
				if req.NextToken != "t2" {
					t.Errorf("second page NextToken = %q, want t2", req.NextToken)
				}
			}
		})
	}
}

func TestLookupEventsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		replies   []awsxtest.Reply
		wantErr   error
		wantCalls int
	}{
		{"throttled then fine", []awsxtest.Reply{awsxtest.JSONError(http.StatusBadRequest, "ThrottlingException", "Rate exceeded")}, nil, 2},
		{"500 then fine", []awsxtest.Reply{awsxtest.JSONError(http.StatusInternalServerError, "InternalServerError", "")}, nil, 2},
		{"throttled throughout", []awsxtest.Reply{awsxtest.JSONError(400, "ThrottlingException", "Rate exceeded"),
			awsxtest.JSONError(400, "ThrottlingException", "Rate exceeded"), awsxtest.JSONError(400, "ThrottlingException", "Rate exceeded")}, awsx.ErrThrottled, 3},
		{"unsupported attribute", nil, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := fakeAccount(t)
			s.Handle("cloudtrail:LookupEvents", awsxtest.Sequence(append(tt.replies, awsxtest.Reply{Body: trailPage(t, "", 1)})...))
			acct := openMember(t, s)
			q := trailQuery()
			if tt.replies == nil {
				q.Attribute = "Bogus"
			}
			_, err := acct.Trail.LookupEvents(t.Context(), "us-east-1", q)
			switch {
			case tt.replies == nil && err == nil:
				t.Fatal("want an error for an unsupported attribute")
			case tt.replies != nil && tt.wantErr == nil && err != nil:
				t.Fatalf("LookupEvents: %v", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if n := len(s.Calls("cloudtrail:LookupEvents")); n != tt.wantCalls {
				t.Errorf("calls = %d, want %d", n, tt.wantCalls)
			}
		})
	}
}

// TestLookupEventsQuota runs many cases at once against one account and
// region through the default process-wide limiter and checks, from the
// server's timestamps, that no one-second window saw more than two calls —
// retries included. Another region's calls are paced separately.
func TestLookupEventsQuota(t *testing.T) {
	t.Parallel()
	s := fakeAccount(t)
	// Every case's first page is throttled once: retries must be paced too.
	var mu sync.Mutex
	seen := map[string]bool{}
	s.Handle("cloudtrail:LookupEvents", func(c awsxtest.Call) awsxtest.Reply {
		mu.Lock()
		defer mu.Unlock()
		k := c.AccessKey + c.Region
		if !seen[k] {
			seen[k] = true
			return awsxtest.JSONError(http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		}
		return awsxtest.Reply{Body: trailPage(t, "", 1)}
	})
	limiter := NewTrailLimiter(trailQuota, trailWindow) // the production settings, private to this test
	conn := connect(t, s, Options{TrailLimiter: limiter})
	const cases = 4
	var wg sync.WaitGroup
	errs := make(chan error, cases*2)
	for i := range cases {
		acct, err := conn.Connect(t.Context(), memberAccount, fmt.Sprintf("case-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			wg.Go(func() {
				if _, err := acct.Trail.LookupEvents(t.Context(), region, trailQuery()); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("LookupEvents: %v", err)
	}
	byRegion := map[string][]time.Time{}
	for _, c := range s.Calls("cloudtrail:LookupEvents") {
		byRegion[c.Region] = append(byRegion[c.Region], c.At)
	}
	for region, ts := range byRegion {
		if len(ts) != cases*2 {
			t.Errorf("%s: %d calls, want %d (one throttled attempt and one retry per case)", region, len(ts), cases*2)
		}
		sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
		for i := range ts {
			n := 0
			for j := i; j < len(ts) && ts[j].Sub(ts[i]) < time.Second; j++ {
				n++
			}
			if n > trailQuota {
				t.Errorf("%s: %d calls within 1s starting at call %d, want at most %d", region, n, i, trailQuota)
			}
		}
	}
}
