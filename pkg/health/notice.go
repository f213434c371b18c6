package health

import (
	"github.com/abusedesk/abusedesk/pkg/awsx"

	"fmt"
	"regexp"
	"strings"
	"time"
)

// Services abusedesk handles. Routing is on the service, never on a list
// of codes: AWS publishes no complete list and adds codes without notice.
const (
	ServiceAbuse = "ABUSE"
	ServiceRisk  = "RISK"
)

// UnknownAccount stands in when neither the detail nor the envelope names a
// valid 12-digit account.
const UnknownAccount = "unknown"

// Notice is a validated abuse or risk event, normalised for the case model.
type Notice struct {
	Event    Event
	Service  string
	Code     string
	Category Category
	// Account is the affected account the case belongs to.
	Account  string
	Region   string
	Status   string
	Updated  time.Time
	Page     int
	Pages    int
	Warnings []string
}

var accountRE = regexp.MustCompile(`^[0-9]{12}$`)

// ValidAccount reports whether s is a 12-digit AWS account id.
func ValidAccount(s string) bool { return accountRE.MatchString(s) }

// Validate checks ev is a Health abuse or risk event and normalises it. It
// returns *InputError for input that is not a Health event at all and
// *SkipError for Health events of other services.
func Validate(ev Event) (Notice, error) { return ValidateAt(ev, time.Now()) }

// Plausible event times: Health began in 2016, and an update cannot come
// from the future (a day of slack covers clock skew). Outside this window a
// time is a forgery or corruption; accepting it would pin the case open (a
// later real update looks older) or break the report encoding (year 10000).
const (
	earliestEvent = 2010
	futureSlack   = 24 * time.Hour
)

var (
	codeRE      = regexp.MustCompile(`^[A-Z][A-Z0-9_]{2,127}$`)
	healthArnRE = regexp.MustCompile(`^arn:[a-z0-9-]+:health:[a-z0-9-]*:[0-9]{0,12}:event/[!-~]+$`)
)

// ValidateAt is Validate with the current time given, for tests.
func ValidateAt(ev Event, now time.Time) (Notice, error) {
	if ev.Source != "aws.health" {
		return Notice{}, invalid(fmt.Sprintf("source is %q, want aws.health", clip(ev.Source, 60)), nil)
	}
	d := ev.Detail
	if d.EventArn == "" || d.Service == "" || d.EventTypeCode == "" {
		return Notice{}, invalid("detail lacks eventArn, service or eventTypeCode", nil)
	}
	service := strings.ToUpper(strings.TrimSpace(d.Service))
	switch service {
	case ServiceAbuse, ServiceRisk:
	default:
		return Notice{}, &SkipError{Reason: fmt.Sprintf("service %s (%s) is not ABUSE or RISK", clip(d.Service, 40), clip(d.EventTypeCode, 80))}
	}
	switch ev.DetailType {
	case "AWS Health Abuse Event", "AWS Health Event":
	default:
		return Notice{}, invalid(fmt.Sprintf("detail-type is %q, want \"AWS Health Abuse Event\" or \"AWS Health Event\"", clip(ev.DetailType, 60)), nil)
	}
	if !codeRE.MatchString(strings.TrimSpace(d.EventTypeCode)) {
		return Notice{}, invalid(fmt.Sprintf("eventTypeCode %q is not an AWS event code (capital letters, digits and _)", clip(d.EventTypeCode, 80)), nil)
	}
	if len(d.EventArn) > 1600 || !healthArnRE.MatchString(d.EventArn) {
		return Notice{}, invalid(fmt.Sprintf("eventArn %q is not a Health event ARN", clip(d.EventArn, 120)), nil)
	}
	switch strings.ToLower(d.StatusCode) {
	case "", "open", "closed", "upcoming":
	default:
		return Notice{}, invalid(fmt.Sprintf("statusCode %q is not open, closed or upcoming", clip(d.StatusCode, 40)), nil)
	}
	if r := d.EventRegion; r != "" && r != "global" && !awsx.ValidRegion(r) {
		return Notice{}, invalid(fmt.Sprintf("eventRegion %q is not a region name", clip(r, 40)), nil)
	}
	if d.TotalPages > 0 && d.Page > d.TotalPages {
		return Notice{}, invalid(fmt.Sprintf("page %d of %d", d.Page, d.TotalPages), nil)
	}
	for _, t := range []struct {
		name string
		at   time.Time
	}{{"time", ev.Time}, {"startTime", d.StartTime.Time}, {"endTime", d.EndTime.Time}, {"lastUpdatedTime", d.LastUpdatedTime.Time}} {
		if t.at.IsZero() {
			continue // absent; "0001-01-01" is absent too, and caught below if nothing else is set
		}
		if t.at.Year() < earliestEvent || t.at.Year() > 9999 {
			return Notice{}, invalid(fmt.Sprintf("%s %s is not a plausible event time", t.name, t.at.Format(time.RFC3339)), nil)
		}
		// endTime is when AWS expects the issue to end and may lie ahead.
		if t.name != "endTime" && t.at.After(now.Add(futureSlack)) {
			return Notice{}, invalid(fmt.Sprintf("%s %s is in the future", t.name, t.at.Format(time.RFC3339)), nil)
		}
	}
	n := Notice{
		Event:    ev,
		Service:  service,
		Code:     strings.TrimSpace(d.EventTypeCode),
		Category: Classify(service, d.EventTypeCode),
		Region:   d.EventRegion,
		Status:   strings.ToLower(d.StatusCode),
		Page:     max(int(d.Page), 1),
		Pages:    max(int(d.TotalPages), 1),
	}
	if n.Status == "" {
		n.Status = "open"
	}
	if n.Region == "" || n.Region == "global" {
		if ev.Region != "" && ev.Region != "global" {
			n.Region = ev.Region
		}
	}
	n.Account, n.Warnings = affectedAccount(ev)
	// lastUpdatedTime identifies the update; older shapes lack it, so fall
	// back to the start and then the envelope time, in that order.
	for _, t := range []time.Time{d.LastUpdatedTime.Time, d.StartTime.Time, ev.Time} {
		if !t.IsZero() {
			n.Updated = t
			break
		}
	}
	if n.Updated.IsZero() {
		return Notice{}, invalid("event has no lastUpdatedTime, startTime or time: an update cannot be told from a redelivery, nor a deadline set", nil)
	}
	if n.Status == "closed" && d.EndTime.IsZero() {
		n.Warnings = append(n.Warnings, "event is closed but has no endTime")
	}
	return n, nil
}

// affectedAccount picks the account the case belongs to. In the
// organisation view detail.affectedAccount differs from the envelope
// account and is the right one; real samples also carry an access key id
// there, so an invalid value falls back to the envelope with a warning.
func affectedAccount(ev Event) (string, []string) {
	aff, env := strings.TrimSpace(ev.Detail.AffectedAccount), strings.TrimSpace(ev.Account)
	switch {
	case ValidAccount(aff):
		return aff, nil
	case aff == "" && ValidAccount(env):
		return env, nil
	case ValidAccount(env):
		return env, []string{fmt.Sprintf("detail.affectedAccount %q is not a 12-digit account id: used the envelope account %s", clip(aff, 40), env)}
	}
	return UnknownAccount, []string{fmt.Sprintf("no valid account id: detail.affectedAccount %q, envelope account %q; lookups are skipped", clip(aff, 40), clip(env, 40))}
}
