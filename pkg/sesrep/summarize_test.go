package sesrep

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/finding"
)

func TestSummarizeWindow(t *testing.T) {
	t.Parallel()
	from := at.Add(-Window)
	tests := []struct {
		name                   string
		points                 []Point
		wantAttempts, wantPts  int64
		wantFirst, wantLast    time.Time
		wantBounces, wantCompl int64
	}{
		{name: "no points"},
		{
			name: "point exactly 14 days back is in, a second earlier is out",
			points: []Point{
				{Timestamp: from, DeliveryAttempts: 10, Bounces: 1},
				{Timestamp: from.Add(-time.Second), DeliveryAttempts: 1000, Bounces: 900},
			},
			wantAttempts: 10, wantBounces: 1, wantPts: 1, wantFirst: from, wantLast: from,
		},
		{
			name: "points older than 14 days excluded",
			points: []Point{
				{Timestamp: at.Add(-15 * 24 * time.Hour), DeliveryAttempts: 500, Bounces: 400, Complaints: 50},
				{Timestamp: at.Add(-20 * 24 * time.Hour), DeliveryAttempts: 500, Bounces: 400},
				{Timestamp: at.Add(-time.Hour), DeliveryAttempts: 40, Complaints: 2},
			},
			wantAttempts: 40, wantCompl: 2, wantPts: 1, wantFirst: at.Add(-time.Hour), wantLast: at.Add(-time.Hour),
		},
		{
			name: "bucket stamped at or after the report time is later mail",
			points: []Point{
				{Timestamp: at, DeliveryAttempts: 70},
				{Timestamp: at.Add(time.Hour), DeliveryAttempts: 80},
				{Timestamp: at.Add(-15 * time.Minute), DeliveryAttempts: 5},
			},
			wantAttempts: 5, wantPts: 1, wantFirst: at.Add(-15 * time.Minute), wantLast: at.Add(-15 * time.Minute),
		},
		{
			name: "unordered points, first and last by time",
			points: []Point{
				{Timestamp: at.Add(-3 * time.Hour), DeliveryAttempts: 1},
				{Timestamp: at.Add(-10 * 24 * time.Hour), DeliveryAttempts: 2},
				{Timestamp: at.Add(-5 * 24 * time.Hour), DeliveryAttempts: 3},
			},
			wantAttempts: 6, wantPts: 3, wantFirst: at.Add(-10 * 24 * time.Hour), wantLast: at.Add(-3 * time.Hour),
		},
		{
			name:    "negative counts never make negative totals",
			points:  []Point{{Timestamp: at.Add(-time.Hour), DeliveryAttempts: -5, Bounces: -3}},
			wantPts: 1, wantFirst: at.Add(-time.Hour), wantLast: at.Add(-time.Hour),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := Summarize("us-east-1", tc.points, at)
			if r.DeliveryAttempts != tc.wantAttempts || r.Bounces != tc.wantBounces || r.Complaints != tc.wantCompl || int64(r.DataPoints) != tc.wantPts {
				t.Errorf("got attempts=%d bounces=%d complaints=%d points=%d", r.DeliveryAttempts, r.Bounces, r.Complaints, r.DataPoints)
			}
			if tc.wantPts == 0 {
				if r.FirstPoint != nil || r.LastPoint != nil {
					t.Errorf("first/last set without points")
				}
			} else if r.FirstPoint == nil || !r.FirstPoint.Equal(tc.wantFirst) || r.LastPoint == nil || !r.LastPoint.Equal(tc.wantLast) {
				t.Errorf("first %v last %v, want %v %v", r.FirstPoint, r.LastPoint, tc.wantFirst, tc.wantLast)
			}
			if (r.BounceRate == nil) != (tc.wantAttempts == 0) || (r.ComplaintRate == nil) != (tc.wantAttempts == 0) {
				t.Errorf("rates %v %v for %d attempts", r.BounceRate, r.ComplaintRate, tc.wantAttempts)
			}
			if !r.From.Equal(from) || !r.To.Equal(at) || !r.Enabled {
				t.Errorf("window %v..%v enabled %v", r.From, r.To, r.Enabled)
			}
		})
	}
}

// Zero sends must read "not applicable", never 0 % or NaN, also in JSON.
func TestSummarizeZeroSendsJSON(t *testing.T) {
	t.Parallel()
	r := Summarize("us-east-1", []Point{{Timestamp: at.Add(-time.Hour), Rejects: 2}}, at)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	s := string(b)
	if strings.Contains(s, "bounceRate") || strings.Contains(s, "NaN") {
		t.Errorf("zero-send report JSON carries a rate: %s", s)
	}
	if r.BounceRateText() != "n/a" || r.ComplaintRateText() != "n/a" {
		t.Errorf("rate text %q %q", r.BounceRateText(), r.ComplaintRateText())
	}
	if Verdict(r) != "no sends" {
		t.Errorf("verdict %q", Verdict(r))
	}
}

func TestSummarizeDaily(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		at        time.Time
		wantFirst string
		wantLast  string
	}{
		{"midday report ends on its own day", time.Date(2024, 5, 20, 12, 0, 0, 0, time.UTC), "2024-05-07", "2024-05-20"},
		{"midnight report ends the day before", time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC), "2024-05-06", "2024-05-19"},
		{"non-UTC report time uses UTC days", time.Date(2024, 5, 20, 1, 0, 0, 0, time.FixedZone("CEST", 2*3600)), "2024-05-06", "2024-05-19"},
		{"across a month end", time.Date(2024, 3, 3, 9, 0, 0, 0, time.UTC), "2024-02-19", "2024-03-03"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lastDay, _ := time.Parse(time.DateOnly, tc.wantLast)
			points := []Point{
				{Timestamp: lastDay.Add(3 * time.Hour), DeliveryAttempts: 7, Bounces: 1},
				{Timestamp: lastDay.Add(-time.Minute), DeliveryAttempts: 5, Complaints: 1},
			}
			r := Summarize("us-east-1", points, tc.at)
			if len(r.Daily) != 14 {
				t.Fatalf("%d days, want 14", len(r.Daily))
			}
			if r.Daily[0].Date != tc.wantFirst || r.Daily[13].Date != tc.wantLast {
				t.Errorf("days %s..%s, want %s..%s", r.Daily[0].Date, r.Daily[13].Date, tc.wantFirst, tc.wantLast)
			}
			for i := 1; i < len(r.Daily); i++ {
				prev, _ := time.Parse(time.DateOnly, r.Daily[i-1].Date)
				cur, _ := time.Parse(time.DateOnly, r.Daily[i].Date)
				if cur.Sub(prev) != 24*time.Hour {
					t.Errorf("day %d %s does not follow %s", i, r.Daily[i].Date, r.Daily[i-1].Date)
				}
			}
			// The first point is on the last day only if it is before
			// the report time.
			var wantLastDay int64
			if lastDay.Add(3 * time.Hour).Before(tc.at) {
				wantLastDay = 7
			}
			if r.Daily[13].DeliveryAttempts != wantLastDay || r.Daily[12].DeliveryAttempts != 5 || r.Daily[12].Complaints != 1 {
				t.Errorf("last days %+v %+v", r.Daily[12], r.Daily[13])
			}
			var sum int64
			for _, d := range r.Daily {
				sum += d.DeliveryAttempts
			}
			if sum != r.DeliveryAttempts {
				t.Errorf("daily sum %d != total %d", sum, r.DeliveryAttempts)
			}
		})
	}
}

func report(attempts, bounces, complaints int64) Report {
	return Summarize("us-east-1", []Point{{Timestamp: at.Add(-time.Hour), DeliveryAttempts: attempts, Bounces: bounces, Complaints: complaints}}, at)
}

type want struct {
	id  string
	sev finding.Severity
}

func TestFindingsThresholds(t *testing.T) {
	t.Parallel()
	f64 := func(v float64) *float64 { return &v }
	tests := []struct {
		name string
		r    Report
		want []want
	}{
		{"zero sends", report(0, 0, 0), nil},
		{"healthy", report(10000, 100, 5), nil},
		{"bounce just under 2 %", report(10000, 199, 0), nil},
		{"bounce exactly 2 %", report(10000, 200, 0), []want{{"ses.bounce-rate-warning", finding.Low}}},
		{"bounce just under 5 %", report(10000, 499, 0), []want{{"ses.bounce-rate-warning", finding.Low}}},
		{"bounce exactly 5 %", report(10000, 500, 0), []want{{"ses.bounce-rate-review", finding.Medium}}},
		{"bounce just under 10 %", report(10000, 999, 0), []want{{"ses.bounce-rate-review", finding.Medium}}},
		{"bounce exactly 10 %", report(10000, 1000, 0), []want{{"ses.bounce-rate-pause", finding.High}}},
		// 0.1 % and 0.5 % are the classic float traps: 3/3000 is exactly
		// 0.1 % but 0.001*3000 is not exactly 3 in binary.
		{"complaint just under 0.1 %", report(3000, 0, 2), nil},
		{"complaint exactly 0.1 %", report(3000, 0, 3), []want{{"ses.complaint-rate-review", finding.Medium}}},
		{"complaint just under 0.5 %", report(3000, 0, 14), []want{{"ses.complaint-rate-review", finding.Medium}}},
		{"complaint exactly 0.5 %", report(3000, 0, 15), []want{{"ses.complaint-rate-pause", finding.High}}},
		{"both at pause", report(1000, 100, 5), []want{{"ses.bounce-rate-pause", finding.High}, {"ses.complaint-rate-pause", finding.High}}},
		{"huge volume does not overflow", report(1<<62, 1<<59, 0), []want{{"ses.bounce-rate-pause", finding.High}}},
		{
			"low volume lowers severity and says so", report(50, 5, 0),
			[]want{{"ses.bounce-rate-pause", finding.Medium}, {"ses.low-volume", finding.Info}},
		},
		{"exactly 100 attempts is not low volume", report(100, 10, 0), []want{{"ses.bounce-rate-pause", finding.High}}},
		{
			"probation", withAccount(report(10000, 0, 0), StatusProbation),
			[]want{{"ses.enforcement-probation", finding.High}},
		},
		{
			"shutdown", withAccount(report(0, 0, 0), StatusShutdown),
			[]want{{"ses.enforcement-shutdown", finding.Critical}},
		},
		{"healthy account", withAccount(report(10000, 0, 0), StatusHealthy), nil},
		{
			"enforced metrics at thresholds",
			withEnforced(report(10000, 0, 0), f64(0.05), f64(0.005)),
			[]want{{"ses.enforced-bounce-rate-review", finding.Medium}, {"ses.enforced-complaint-rate-pause", finding.High}},
		},
		{
			"enforced metrics just under",
			withEnforced(report(10000, 0, 0), f64(0.0499), f64(0.00099)), nil,
		},
		{"not enabled yields nothing", Report{Region: "us-east-1", Account: &Account{EnforcementStatus: StatusShutdown}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fs := Findings([]Report{tc.r})
			var got []want
			for _, f := range fs {
				got = append(got, want{f.ID, f.Severity})
				if f.Source != "ses" || f.Region != "us-east-1" || f.Reason == "" || f.Title == "" || len(f.Evidence) == 0 {
					t.Errorf("incomplete finding %+v", f)
				}
			}
			slices.SortFunc(got, func(a, b want) int { return strings.Compare(a.id, b.id) })
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func withAccount(r Report, status string) Report {
	r.Account = &Account{EnforcementStatus: status, SendingEnabled: status != StatusShutdown, ProductionAccess: true}
	return r
}

func withEnforced(r Report, bounce, complaint *float64) Report {
	r.Enforced = &Enforced{BounceRate: bounce, ComplaintRate: complaint}
	return r
}

func TestFindingsText(t *testing.T) {
	t.Parallel()
	low := Findings([]Report{report(50, 5, 0)})
	for _, f := range low {
		if f.ID == "ses.bounce-rate-pause" {
			if !strings.Contains(f.Reason, "less certain") || f.Evidence["confidence"] != "low" {
				t.Errorf("low-volume finding does not say so: %q %v", f.Reason, f.Evidence)
			}
			if f.Evidence["bounceRate"] != "10.00%" || f.Evidence["deliveryAttempts"] != "50" || f.Evidence["bounces"] != "5" {
				t.Errorf("evidence %v", f.Evidence)
			}
		}
	}
	cw := Findings([]Report{withEnforced(report(0, 0, 0), nil, func() *float64 { v := 0.006; return &v }())})
	if len(cw) != 1 || !strings.Contains(cw[0].Reason, "not over 14 days") || !strings.Contains(cw[0].Evidence["basis"], "representative volume") {
		t.Errorf("CloudWatch finding does not explain its basis: %+v", cw)
	}
	// Two regions with the same problem stay two findings after Dedupe.
	east, west := report(100, 10, 0), report(100, 10, 0)
	west.Region = "eu-west-1"
	if fs := finding.Dedupe(Findings([]Report{east, west})); len(fs) != 2 {
		t.Errorf("dedupe merged regions: %v", fs)
	}
}

func TestFormatFraction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		num, den int64
		want     string
	}{
		{0, 10, "0.00%"},
		{1, 3, "33.33%"},
		{2, 3, "66.66%"}, // truncated: never rounds up to a threshold
		{4999, 100000, "4.99%"},
		{5, 100, "5.00%"},
		{3, 3000, "0.10%"},
		{10, 10, "100.00%"},
		{1, 0, "n/a"},
	}
	for _, tc := range tests {
		if got := formatFraction(tc.num, tc.den); got != tc.want {
			t.Errorf("formatFraction(%d, %d) = %q, want %q", tc.num, tc.den, got, tc.want)
		}
	}
}

func BenchmarkSummarize(b *testing.B) {
	// A full two weeks of 15-minute buckets, as GetSendStatistics returns.
	points := make([]Point, 14*96)
	for i := range points {
		points[i] = Point{Timestamp: at.Add(-time.Duration(i) * 15 * time.Minute), DeliveryAttempts: 100, Bounces: 2, Complaints: 1}
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = Summarize("us-east-1", points, at)
	}
}

var at = time.Date(2024, 5, 20, 12, 0, 0, 0, time.UTC)
