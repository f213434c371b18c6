package cloudtrail

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/abusedesk/abusedesk/pkg/finding"
	"github.com/abusedesk/abusedesk/pkg/redact"
)

// Source is the finding source for everything this package reports.
const Source = "cloudtrail"

// Analysis is what Analyze reports.
type Analysis struct {
	Findings []finding.Finding `json:"findings"`
	Timeline []TimelineEntry   `json:"timeline"`
}

// TimelineEntry is one matched record.
type TimelineEntry struct {
	Time      time.Time        `json:"time"`
	Actor     string           `json:"actor"`
	SourceIP  string           `json:"sourceIP"`
	UserAgent string           `json:"userAgent"`
	Region    string           `json:"region"`
	Event     string           `json:"event"`
	Target    string           `json:"target"`
	Indicator string           `json:"indicator"`
	Severity  finding.Severity `json:"severity"`
}

// Analyze runs every registered indicator and sequence over recs (any order).
func Analyze(recs []Record) Analysis {
	a := NewAnalyzer()
	for i := range recs {
		a.Observe(&recs[i])
	}
	return a.Finish()
}

// maxMatchesPerIndicator bounds memory on noisy accounts; counts stay exact.
const maxMatchesPerIndicator = 5000

// match is the part of a matched record kept until Finish.
type match struct {
	ind      *Indicator
	hit      Hit
	time     time.Time
	actor    string
	ip       string
	ua       string
	region   string
	event    string
	eventID  string
	errCode  string
	severity finding.Severity
}

type keyUse struct {
	first     time.Time
	firstName string
	ips       map[string]time.Time
}

// Analyzer accumulates state over records in any order. Analyzers fed in
// parallel are combined with Merge; memory grows with the number of
// matches (capped) and distinct keys and regions, not with input size.
type Analyzer struct {
	matches map[string][]match
	counts  map[string]int // matches per indicator, including dropped ones
	regions map[string]int
	keys    map[string]*keyUse
	records int64
}

// NewAnalyzer returns an empty analyzer.
func NewAnalyzer() *Analyzer {
	return &Analyzer{
		matches: map[string][]match{},
		counts:  map[string]int{},
		regions: map[string]int{},
		keys:    map[string]*keyUse{},
	}
}

// maxTrackedKeys bounds the per-access-key table; past it new keys are not
// tracked (recon and new-IP sequences then only see the first ones).
const maxTrackedKeys = 50_000

// Observe feeds one record. rec is not retained.
func (a *Analyzer) Observe(rec *Record) {
	a.records++
	a.regions[rec.AWSRegion]++
	if k := rec.UserIdentity.AccessKeyID; k != "" {
		u := a.keys[k]
		if u == nil && len(a.keys) < maxTrackedKeys {
			u = &keyUse{}
			a.keys[k] = u
		}
		if u != nil {
			if u.first.IsZero() || rec.EventTime.Before(u.first) {
				u.first, u.firstName = rec.EventTime, rec.EventName
			}
			// Only long-term keys are followed across IPs: they are what
			// CreateAccessKey mints, and there are few of them.
			if strings.HasPrefix(k, "AKIA") && rec.SourceIPAddress != "" {
				if u.ips == nil {
					u.ips = map[string]time.Time{}
				}
				if t, ok := u.ips[rec.SourceIPAddress]; !ok && len(u.ips) < 32 || ok && rec.EventTime.Before(t) {
					u.ips[rec.SourceIPAddress] = rec.EventTime
				}
			}
		}
	}
	for _, ind := range registry.byEvent[baseEventName(rec.EventName)] {
		a.try(ind, rec)
	}
	for _, ind := range registry.any {
		a.try(ind, rec)
	}
}

func (a *Analyzer) try(ind *Indicator, rec *Record) {
	h, ok := ind.Match(rec)
	if !ok {
		return
	}
	a.counts[ind.ID]++
	if len(a.matches[ind.ID]) >= maxMatchesPerIndicator {
		return
	}
	sev := ind.Severity + finding.Severity(h.Bump)
	if rec.Failed() && !ind.CountsFailures {
		// An attempt AWS refused is worth seeing but less than a success.
		sev--
	}
	sev = min(max(sev, finding.Low), finding.Critical)
	a.matches[ind.ID] = append(a.matches[ind.ID], match{
		ind: ind, hit: h, time: rec.EventTime, actor: rec.Actor(), ip: rec.SourceIPAddress,
		ua: rec.UserAgent, region: rec.AWSRegion, event: rec.EventName, eventID: rec.EventID,
		errCode: rec.ErrorCode, severity: sev,
	})
}

// Merge folds o into a; o must not be used afterwards.
func (a *Analyzer) Merge(o *Analyzer) {
	a.records += o.records
	for id, ms := range o.matches {
		room := maxMatchesPerIndicator - len(a.matches[id])
		a.matches[id] = append(a.matches[id], ms[:min(room, len(ms))]...)
	}
	for id, n := range o.counts {
		a.counts[id] += n
	}
	for r, n := range o.regions {
		a.regions[r] += n
	}
	for k, ou := range o.keys {
		u := a.keys[k]
		if u == nil {
			if len(a.keys) < maxTrackedKeys {
				a.keys[k] = ou
			}
			continue
		}
		if u.first.IsZero() || !ou.first.IsZero() && ou.first.Before(u.first) {
			u.first, u.firstName = ou.first, ou.firstName
		}
		for ip, t := range ou.ips {
			if u.ips == nil {
				u.ips = map[string]time.Time{}
			}
			if old, ok := u.ips[ip]; !ok && len(u.ips) < 32 || ok && t.Before(old) {
				u.ips[ip] = t
			}
		}
	}
}

// emitted is one finding in the making, with the matches behind it.
type emitted struct {
	f       finding.Finding
	matches []match
}

// Finish evaluates bursts and sequences and returns findings (sorted, one
// per indicator and resource) and the timeline of their records.
func (a *Analyzer) Finish() Analysis {
	for _, ms := range a.matches {
		slices.SortStableFunc(ms, func(x, y match) int { return x.time.Compare(y.time) })
	}
	var out []emitted
	for _, ind := range registry.all {
		ms := a.matches[ind.ID]
		if len(ms) == 0 || ind.Anchor {
			continue
		}
		if ind.Burst != nil {
			out = append(out, a.bursts(ind, ms)...)
			continue
		}
		out = append(out, group(ind, ms, a.counts[ind.ID])...)
	}
	for _, seq := range sequences {
		out = append(out, seq.eval(a)...)
	}
	var fs []finding.Finding
	var tl []TimelineEntry
	seen := map[string]bool{}
	for _, e := range out {
		fs = append(fs, e.f)
		for _, m := range e.matches {
			k := m.eventID + "|" + e.f.ID + "|" + m.time.String() + m.event
			if seen[k] {
				continue
			}
			seen[k] = true
			tl = append(tl, TimelineEntry{
				Time: m.time, Actor: clean(m.actor), SourceIP: clean(m.ip), UserAgent: clean(m.ua),
				Region: clean(m.region), Event: clean(m.event), Target: clean(m.hit.Target),
				Indicator: e.f.ID, Severity: e.f.Severity,
			})
		}
	}
	fs = finding.Dedupe(fs)
	finding.Sort(fs)
	slices.SortStableFunc(tl, func(x, y TimelineEntry) int {
		if c := x.Time.Compare(y.Time); c != 0 {
			return c
		}
		return cmp.Compare(x.Indicator, y.Indicator)
	})
	return Analysis{Findings: fs, Timeline: tl}
}

// group makes one finding per indicator and target from plain matches.
func group(ind *Indicator, ms []match, total int) []emitted {
	byTarget := map[string][]match{}
	var order []string
	for _, m := range ms {
		if _, ok := byTarget[m.hit.Target]; !ok {
			order = append(order, m.hit.Target)
		}
		byTarget[m.hit.Target] = append(byTarget[m.hit.Target], m)
	}
	out := make([]emitted, 0, len(order))
	for _, t := range order {
		g := byTarget[t]
		top := g[0]
		for _, m := range g[1:] {
			if m.severity > top.severity {
				top = m
			}
		}
		f := newFinding(ind, top, len(g))
		if total > len(ms) && len(order) == 1 {
			f.Evidence["count"] = strconv.Itoa(total)
		}
		out = append(out, emitted{f: f, matches: g})
	}
	return out
}

// bursts reports each Hit.Key whose matches reach the indicator's
// threshold within its window.
func (a *Analyzer) bursts(ind *Indicator, ms []match) []emitted {
	byKey := map[string][]match{}
	var order []string
	for _, m := range ms {
		if _, ok := byKey[m.hit.Key]; !ok {
			order = append(order, m.hit.Key)
		}
		byKey[m.hit.Key] = append(byKey[m.hit.Key], m)
	}
	var out []emitted
	for _, k := range order {
		g := byKey[k]
		// The largest window that meets both thresholds.
		lo, bestN, bestLo, bestHi, found := 0, 0, 0, 0, false
		for hi := range g {
			for g[hi].time.Sub(g[lo].time) > ind.Burst.Window {
				lo++
			}
			count := hi - lo + 1
			if count < ind.Burst.Min || count <= bestHi-bestLo+1 && found {
				continue
			}
			d := 0
			if ind.Burst.MinDistinct > 0 {
				if d = distinct(g[lo : hi+1]); d < ind.Burst.MinDistinct {
					continue
				}
			}
			bestN, bestLo, bestHi, found = d, lo, hi, true
		}
		if !found {
			continue
		}
		win := g[bestLo : bestHi+1]
		top := win[0]
		for _, m := range win {
			if m.severity > top.severity {
				top = m
			}
		}
		f := newFinding(ind, top, len(win))
		f.Resource = clean(k)
		f.Evidence["firstTime"] = win[0].time.UTC().Format(time.RFC3339)
		f.Evidence["lastTime"] = win[len(win)-1].time.UTC().Format(time.RFC3339)
		if ind.Burst.MinDistinct > 0 {
			f.Evidence["distinct"] = strconv.Itoa(bestN)
			f.Evidence["values"] = clean(strings.Join(distinctValues(win), ", "))
		}
		f.Reason = fmt.Sprintf("%s %d matching calls between %s and %s.", ind.Explain, len(win),
			f.Evidence["firstTime"], f.Evidence["lastTime"])
		out = append(out, emitted{f: f, matches: win})
	}
	return out
}

func distinct(ms []match) int { return len(distinctValues(ms)) }

func distinctValues(ms []match) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		if !seen[m.hit.Distinct] {
			seen[m.hit.Distinct] = true
			out = append(out, m.hit.Distinct)
		}
	}
	slices.Sort(out)
	return out
}

func newFinding(ind *Indicator, m match, count int) finding.Finding {
	reason := ind.Explain
	if m.hit.Detail != "" {
		reason += " " + clean(m.hit.Detail)
	}
	if m.errCode != "" && !ind.CountsFailures {
		reason += " (AWS refused the call: " + clean(m.errCode) + ".)"
	}
	ev := map[string]string{
		"eventName": clean(m.event),
		"eventTime": m.time.UTC().Format(time.RFC3339),
		"actor":     clean(m.actor),
		"sourceIP":  clean(m.ip),
		"userAgent": clean(m.ua),
		"count":     strconv.Itoa(count),
	}
	if m.eventID != "" {
		ev["eventID"] = clean(m.eventID)
	}
	if m.errCode != "" {
		ev["errorCode"] = clean(m.errCode)
	}
	resource := m.hit.Target
	if resource == "" {
		resource = m.actor
	}
	return finding.Finding{
		ID: ind.ID, Source: Source, Severity: m.severity, Title: ind.Title, Reason: reason,
		Resource: clean(resource), Region: clean(m.region), Tactic: ind.Tactic, Evidence: ev,
	}
}

// clean makes attacker-controlled text (user agents, names, error codes)
// safe to print and to keep: secret-looking tokens are redacted, control
// characters are escaped and length is bounded. HTML and CSV escaping stay
// the job of the writer that emits those formats.
func clean(s string) string {
	const maxLen = 300
	s = redact.Secrets(s)
	if len(s) <= maxLen && !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= maxLen {
			b.WriteString("…")
			break
		}
		if unsafeRune(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unsafeRune reports what clean escapes: invalid UTF-8, control
// characters, zero-width marks and bidi embeddings, overrides and isolates.
func unsafeRune(r rune) bool {
	return r == unicode.ReplacementChar || unicode.IsControl(r) || r >= 0x200b && r <= 0x200f ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}
