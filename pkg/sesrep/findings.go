package sesrep

import (
	"fmt"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/abusedesk/abusedesk/pkg/finding"
)

// ratio is a threshold kept as a fraction so comparisons against counts are
// exact: 5 bounces in 100 attempts is at 5 %, not a hair under it.
type ratio struct{ num, den uint64 }

// AWS's published thresholds
// (https://docs.aws.amazon.com/ses/latest/dg/faqs-enforcement.html).
var (
	bounceWarn     = ratio{2, 100}  // AWS asks senders to stay below 2 %
	bounceReview   = ratio{5, 100}  // account placed under review
	bouncePause    = ratio{10, 100} // sending may be paused
	complaintRev   = ratio{1, 1000} // 0.1 %: review
	complaintPause = ratio{5, 1000} // 0.5 %: sending may be paused
)

// LowVolume is the number of delivery attempts under which a 14-day rate is
// too noisy to act on alone: one bounce in 20 mails is already 5 %.
const LowVolume = 100

// atLeast reports count/attempts >= t without rounding, using 128-bit
// products so no realistic volume can overflow.
func (t ratio) atLeast(count, attempts int64) bool {
	if attempts <= 0 {
		return false
	}
	lh, ll := bits.Mul64(uint64(nonNeg(count)), t.den)
	rh, rl := bits.Mul64(uint64(attempts), t.num)
	return lh > rh || (lh == rh && ll >= rl)
}

// atLeastFloat compares a CloudWatch rate (a fraction) with t. The division
// yields the nearest float64 to the threshold, the same value a metric of
// exactly that rate would carry.
func (t ratio) atLeastFloat(v float64) bool { return v >= float64(t.num)/float64(t.den) }

func (t ratio) String() string { return formatFraction(int64(t.num), int64(t.den)) }

// Findings judges reports against AWS's published thresholds. Each metric
// yields at most one finding per region, the highest tier it reached.
func Findings(reports []Report) []finding.Finding {
	var out []finding.Finding
	for _, r := range reports {
		out = append(out, regionFindings(r)...)
	}
	finding.Sort(out)
	return out
}

func regionFindings(r Report) []finding.Finding {
	if !r.Enabled {
		return nil
	}
	var out []finding.Finding
	mk := func(id string, sev finding.Severity, title, reason string, ev map[string]string) {
		out = append(out, finding.Finding{
			ID: id, Source: "ses", Severity: sev, Title: title, Reason: reason,
			Resource: "ses:" + r.Region, Region: r.Region, Tactic: "impact", Evidence: ev,
		})
	}

	if a := r.Account; a != nil {
		ev := map[string]string{
			"enforcementStatus": a.EnforcementStatus,
			"sendingEnabled":    strconv.FormatBool(a.SendingEnabled),
			"productionAccess":  strconv.FormatBool(a.ProductionAccess),
		}
		switch a.EnforcementStatus {
		case StatusShutdown:
			mk("ses.enforcement-shutdown", finding.Critical,
				"SES sending is paused for this account",
				fmt.Sprintf("AWS has paused email sending from this account in %s (enforcement status SHUTDOWN) because of the mail it sent.", r.Region), ev)
		case StatusProbation:
			mk("ses.enforcement-probation", finding.High,
				"SES account is under review",
				fmt.Sprintf("AWS has placed this account's email sending in %s under review (enforcement status PROBATION); sending will be paused if the problem is not fixed.", r.Region), ev)
		}
	}

	low := r.DeliveryAttempts > 0 && r.DeliveryAttempts < LowVolume
	ev14 := func() map[string]string {
		ev := map[string]string{
			"basis":            "14-day GetSendStatistics",
			"from":             r.From.UTC().Format(time.RFC3339),
			"to":               r.To.UTC().Format(time.RFC3339),
			"deliveryAttempts": strconv.FormatInt(r.DeliveryAttempts, 10),
			"bounces":          strconv.FormatInt(r.Bounces, 10),
			"complaints":       strconv.FormatInt(r.Complaints, 10),
			"rejects":          strconv.FormatInt(r.Rejects, 10),
			"bounceRate":       r.BounceRateText(),
			"complaintRate":    r.ComplaintRateText(),
		}
		if low {
			ev["confidence"] = "low"
		}
		return ev
	}
	// Small volumes make a rate jumpy, so the finding drops a step and says
	// why rather than vanishing: a handful of mails from stolen keys still
	// matters.
	adjust := func(sev finding.Severity, reason string) (finding.Severity, string) {
		if !low {
			return sev, reason
		}
		return max(sev-1, finding.Low), reason + fmt.Sprintf(" Only %d delivery attempts were made, so this rate is less certain than it looks.", r.DeliveryAttempts)
	}
	rate14 := func(id string, sev finding.Severity, title, what string, count int64, t ratio, consequence string) {
		reason := fmt.Sprintf("In the 14 days to %s the account made %d delivery attempts in %s with %d %s, a rate of %s. That is at or above %s: %s.",
			r.To.UTC().Format(time.RFC3339), r.DeliveryAttempts, r.Region, count, what,
			formatFraction(count, r.DeliveryAttempts), t, consequence)
		sev, reason = adjust(sev, reason)
		mk(id, sev, title, reason, ev14())
	}

	switch b := r.Bounces; {
	case bouncePause.atLeast(b, r.DeliveryAttempts):
		rate14("ses.bounce-rate-pause", finding.High, "SES bounce rate at the level where sending may be paused", "bounces", b, bouncePause, "at this level AWS may pause the account's sending")
	case bounceReview.atLeast(b, r.DeliveryAttempts):
		rate14("ses.bounce-rate-review", finding.Medium, "SES bounce rate at the level where AWS reviews the account", "bounces", b, bounceReview, "at this level AWS places the account under review")
	case bounceWarn.atLeast(b, r.DeliveryAttempts):
		rate14("ses.bounce-rate-warning", finding.Low, "SES bounce rate above AWS's recommended level", "bounces", b, bounceWarn, "AWS asks senders to keep bounces below 2 % and reviews accounts from 5 %")
	}
	switch c := r.Complaints; {
	case complaintPause.atLeast(c, r.DeliveryAttempts):
		rate14("ses.complaint-rate-pause", finding.High, "SES complaint rate at the level where sending may be paused", "complaints", c, complaintPause, "at this level AWS may pause the account's sending")
	case complaintRev.atLeast(c, r.DeliveryAttempts):
		rate14("ses.complaint-rate-review", finding.Medium, "SES complaint rate at the level where AWS reviews the account", "complaints", c, complaintRev, "at this level AWS places the account under review")
	}
	if low {
		mk("ses.low-volume", finding.Info, "SES volume too small for firm rates",
			fmt.Sprintf("Only %d delivery attempts in 14 days in %s: bounce and complaint rates from so few mails are less certain.", r.DeliveryAttempts, r.Region), ev14())
	}

	if e := r.Enforced; e != nil {
		evCW := func(metric string, v float64, at *time.Time) map[string]string {
			ev := map[string]string{
				"basis":  "CloudWatch AWS/SES " + metric + " (AWS's enforced reputation metric over a representative volume, not 14 days)",
				"metric": metric,
				"value":  formatFloatPercent(v),
			}
			if at != nil {
				ev["at"] = at.UTC().Format(time.RFC3339)
			}
			return ev
		}
		cw := func(id string, sev finding.Severity, title, metric string, v float64, at *time.Time, t ratio, consequence string) {
			mk(id, sev, title, fmt.Sprintf("AWS's own enforced %s in %s is %s, at or above %s: %s. AWS computes this metric over a representative volume of recent mail, not over 14 days, and it is the figure AWS acts on.",
				metric, r.Region, formatFloatPercent(v), t, consequence), evCW(metric, v, at))
		}
		if v := e.BounceRate; v != nil {
			switch {
			case bouncePause.atLeastFloat(*v):
				cw("ses.enforced-bounce-rate-pause", finding.High, "AWS's enforced SES bounce rate is at the pause level", "Reputation.BounceRate", *v, e.BounceAt, bouncePause, "at this level AWS may pause the account's sending")
			case bounceReview.atLeastFloat(*v):
				cw("ses.enforced-bounce-rate-review", finding.Medium, "AWS's enforced SES bounce rate is at the review level", "Reputation.BounceRate", *v, e.BounceAt, bounceReview, "at this level AWS places the account under review")
			}
		}
		if v := e.ComplaintRate; v != nil {
			switch {
			case complaintPause.atLeastFloat(*v):
				cw("ses.enforced-complaint-rate-pause", finding.High, "AWS's enforced SES complaint rate is at the pause level", "Reputation.ComplaintRate", *v, e.ComplaintAt, complaintPause, "at this level AWS may pause the account's sending")
			case complaintRev.atLeastFloat(*v):
				cw("ses.enforced-complaint-rate-review", finding.Medium, "AWS's enforced SES complaint rate is at the review level", "Reputation.ComplaintRate", *v, e.ComplaintAt, complaintRev, "at this level AWS places the account under review")
			}
		}
	}
	return out
}

// BounceRateText is the 14-day bounce rate for people: "n/a" without sends.
func (r Report) BounceRateText() string { return formatFraction(r.Bounces, r.DeliveryAttempts) }

// ComplaintRateText is the 14-day complaint rate for people.
func (r Report) ComplaintRateText() string { return formatFraction(r.Complaints, r.DeliveryAttempts) }

// Verdict is the report's one-word outcome for tables: the most severe
// finding's tier, "ok", or why there is nothing to judge.
func Verdict(r Report) string {
	if !r.Enabled {
		return "not enabled"
	}
	fs := regionFindings(r)
	finding.Sort(fs)
	for _, f := range fs {
		if f.ID == "ses.low-volume" {
			continue
		}
		switch f.ID {
		case "ses.enforcement-shutdown":
			return "paused"
		case "ses.enforcement-probation":
			return "under review"
		}
		switch {
		case strings.HasSuffix(f.ID, "-pause"):
			return "pause level"
		case strings.HasSuffix(f.ID, "-review"):
			return "review level"
		case strings.HasSuffix(f.ID, "-warning"):
			return "warning"
		}
	}
	if r.DeliveryAttempts == 0 {
		return "no sends"
	}
	if r.DeliveryAttempts < LowVolume {
		return "ok (low volume)"
	}
	return "ok"
}

// formatFraction renders num/den as a percentage with two decimals,
// truncated rather than rounded so a rate just under a threshold never
// prints as the threshold itself (4.999 % shows as 4.99 %, not 5.00 %).
func formatFraction(num, den int64) string {
	if den <= 0 {
		return "n/a"
	}
	q := new(big.Int).Mul(big.NewInt(nonNeg(num)), big.NewInt(10000))
	q.Quo(q, big.NewInt(den))
	hundredths := new(big.Int).Rem(q, big.NewInt(100)).Int64()
	whole := new(big.Int).Quo(q, big.NewInt(100))
	return fmt.Sprintf("%s.%02d%%", whole, hundredths)
}

func formatFloatPercent(v float64) string {
	return strconv.FormatFloat(v*100, 'f', 2, 64) + "%"
}
