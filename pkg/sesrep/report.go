// Package sesrep measures an account's SES reputation: the 14-day bounce and
// complaint rates from GetSendStatistics and the enforcement status from SES
// v2 GetAccount, judged against AWS's published thresholds.
package sesrep

import "time"

// Report is one region's SES picture at a point in time.
type Report struct {
	Region string    `json:"region"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	// Enabled is false when SES has never been set up in the region (or is
	// not offered there); Reason then says which.
	Enabled          bool       `json:"enabled"`
	Reason           string     `json:"reason,omitempty"`
	DeliveryAttempts int64      `json:"deliveryAttempts"`
	Bounces          int64      `json:"bounces"`
	Complaints       int64      `json:"complaints"`
	Rejects          int64      `json:"rejects"`
	DataPoints       int        `json:"dataPoints"`
	FirstPoint       *time.Time `json:"firstPoint,omitempty"`
	LastPoint        *time.Time `json:"lastPoint,omitempty"`
	// Rates are nil when there were no delivery attempts: "not applicable",
	// never 0 % or NaN.
	BounceRate    *float64 `json:"bounceRate,omitempty"`
	ComplaintRate *float64 `json:"complaintRate,omitempty"`
	// Daily holds the 14 UTC days ending on To's day, oldest first, zeros
	// where nothing was sent, so a chart always has the same x axis. The
	// window starts mid-day 15 days back unless To is midnight; points in
	// that leading sliver count in the totals above but have no column.
	Daily   []Day    `json:"daily,omitempty"`
	Account *Account `json:"account,omitempty"`
	// Enforced holds CloudWatch's Reputation.* metrics when they were read.
	Enforced *Enforced `json:"enforced,omitempty"`
	// Gaps name the lookups that failed while others succeeded, so a
	// partial picture is never mistaken for a complete one.
	Gaps []string `json:"gaps,omitempty"`
}

// Day is one UTC day of the 14-day series.
type Day struct {
	Date             string `json:"date"` // YYYY-MM-DD
	DeliveryAttempts int64  `json:"deliveryAttempts"`
	Bounces          int64  `json:"bounces"`
	Complaints       int64  `json:"complaints"`
	Rejects          int64  `json:"rejects"`
}

// Account is SES v2 GetAccount's view of the region.
type Account struct {
	EnforcementStatus string   `json:"enforcementStatus,omitempty"` // HEALTHY, PROBATION, SHUTDOWN
	SendingEnabled    bool     `json:"sendingEnabled"`
	ProductionAccess  bool     `json:"productionAccess"`
	Max24HourSend     float64  `json:"max24HourSend"`
	MaxSendRate       float64  `json:"maxSendRate"`
	SentLast24Hours   float64  `json:"sentLast24Hours"`
	SuppressedReasons []string `json:"suppressedReasons,omitempty"`
}

// Enforced are the AWS/SES Reputation.BounceRate and
// Reputation.ComplaintRate CloudWatch metrics: the rates AWS actually
// enforces on. AWS computes them over a representative volume of recent
// mail, not over 14 days, so they can differ from the 14-day figures.
type Enforced struct {
	// Rates are fractions (0.05 is 5 %); nil when CloudWatch had no value.
	BounceRate    *float64   `json:"bounceRate,omitempty"`
	ComplaintRate *float64   `json:"complaintRate,omitempty"`
	BounceAt      *time.Time `json:"bounceAt,omitempty"`
	ComplaintAt   *time.Time `json:"complaintAt,omitempty"`
}

// Enforcement statuses GetAccount reports.
const (
	StatusHealthy   = "HEALTHY"
	StatusProbation = "PROBATION"
	StatusShutdown  = "SHUTDOWN"
)
