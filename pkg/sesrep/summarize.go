package sesrep

import (
	"time"

	"github.com/abusedesk/abusedesk/pkg/finding"
)

// Window is how far back the figures look: AWS reports two weeks of data.
const Window = 14 * 24 * time.Hour

// Point is one GetSendStatistics data point (a 15-minute bucket).
type Point struct {
	Timestamp        time.Time `json:"timestamp"`
	DeliveryAttempts int64     `json:"deliveryAttempts"`
	Bounces          int64     `json:"bounces"`
	Complaints       int64     `json:"complaints"`
	Rejects          int64     `json:"rejects"`
}

// Summarize sums the points in the 14 days before at.
func Summarize(region string, points []Point, at time.Time) Report {
	r := Report{Region: region, From: at.Add(-Window), To: at, Enabled: true}
	for _, p := range points {
		if p.Timestamp.Before(r.From) || p.Timestamp.After(at) {
			continue
		}
		r.DeliveryAttempts += p.DeliveryAttempts
		r.Bounces += p.Bounces
		r.Complaints += p.Complaints
		r.Rejects += p.Rejects
		r.DataPoints++
	}
	if r.DeliveryAttempts > 0 {
		b := float64(r.Bounces) / float64(r.DeliveryAttempts)
		c := float64(r.Complaints) / float64(r.DeliveryAttempts)
		r.BounceRate, r.ComplaintRate = &b, &c
	}
	return r
}

// Findings judges reports against AWS's published thresholds.
func Findings(reports []Report) []finding.Finding {
	var out []finding.Finding
	for _, r := range reports {
		if r.BounceRate != nil && *r.BounceRate >= 0.10 {
			out = append(out, finding.Finding{ID: "ses.bounce-rate-pause", Source: "ses", Severity: finding.High,
				Title: "SES bounce rate at the level where sending may be paused", Region: r.Region})
		}
	}
	return out
}
