package sesrep

import (
	"time"
)

// Window is how far back the figures look: AWS reports two weeks of data.
const Window = 14 * 24 * time.Hour

// days is the length of the daily series: one column per day of Window.
const days = int(Window / (24 * time.Hour))

// Point is one GetSendStatistics data point (a 15-minute bucket).
type Point struct {
	Timestamp        time.Time `json:"timestamp"`
	DeliveryAttempts int64     `json:"deliveryAttempts"`
	Bounces          int64     `json:"bounces"`
	Complaints       int64     `json:"complaints"`
	Rejects          int64     `json:"rejects"`
}

// Summarize sums the points in the 14 days before at. The window is
// half-open, [at-14d, at): a point's timestamp starts its 15-minute bucket,
// so a bucket stamped at the report time holds only later mail. Negative
// counts (never sent by AWS, but input is input) count as zero so a rate
// can never go negative.
func Summarize(region string, points []Point, at time.Time) Report {
	at = at.UTC()
	r := Report{Region: region, From: at.Add(-Window), To: at, Enabled: true}

	// The last column is the day holding the instant just before at, so a
	// midnight report charts exactly the 14 whole days it sums.
	last := truncDay(at.Add(-time.Nanosecond))
	first := last.AddDate(0, 0, -(days - 1))
	r.Daily = make([]Day, days)
	for i := range r.Daily {
		r.Daily[i].Date = first.AddDate(0, 0, i).Format(time.DateOnly)
	}

	var firstTS, lastTS time.Time
	for _, p := range points {
		ts := p.Timestamp.UTC()
		if ts.Before(r.From) || !ts.Before(at) {
			continue
		}
		a, b, c, j := nonNeg(p.DeliveryAttempts), nonNeg(p.Bounces), nonNeg(p.Complaints), nonNeg(p.Rejects)
		r.DeliveryAttempts += a
		r.Bounces += b
		r.Complaints += c
		r.Rejects += j
		r.DataPoints++
		if r.DataPoints == 1 || ts.Before(firstTS) {
			firstTS = ts
		}
		if r.DataPoints == 1 || ts.After(lastTS) {
			lastTS = ts
		}
		if d := truncDay(ts); !d.Before(first) {
			i := int(d.Sub(first) / (24 * time.Hour))
			r.Daily[i].DeliveryAttempts += a
			r.Daily[i].Bounces += b
			r.Daily[i].Complaints += c
			r.Daily[i].Rejects += j
		}
	}
	if r.DataPoints > 0 {
		r.FirstPoint, r.LastPoint = &firstTS, &lastTS
	}
	if r.DeliveryAttempts > 0 {
		b := float64(r.Bounces) / float64(r.DeliveryAttempts)
		c := float64(r.Complaints) / float64(r.DeliveryAttempts)
		r.BounceRate, r.ComplaintRate = &b, &c
	}
	return r
}

func truncDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func nonNeg(v int64) int64 { return max(v, 0) }
