package notify

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"maps"
	"slices"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"github.com/abusedesk/abusedesk/pkg/awslimits"
	"github.com/abusedesk/abusedesk/pkg/contacts"
	"github.com/abusedesk/abusedesk/pkg/finding"
	"github.com/abusedesk/abusedesk/pkg/report"
)

// EmailOptions are the sender-side settings of the customer e-mail.
type EmailOptions struct {
	From     string
	FromName string // may be Korean; the SES adapter encodes it
	ReplyTo  []string
	// ConfigurationSet routes SES events (bounces, complaints) for our mail.
	ConfigurationSet string
	// ReportLink is where the customer can read the full report (a
	// presigned or portal URL); empty leaves the link out.
	ReportLink string
}

// Rendering limits. Attacker-influenced values are clipped so one hostile
// tag or user agent cannot swamp a message; lists are capped so a case
// with thousands of entities still makes a readable e-mail and a valid
// SNS message.
const (
	maxField         = 200
	maxReason        = 500
	maxDescription   = 4000
	maxEmailEntities = 50
	maxEmailFindings = 10
	maxAlertFindings = 10
	maxEventFindings = 20
	maxEventEntities = 100
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var funcs = map[string]any{"inc": func(i int) int { return i + 1 }}

// The templates are parsed on first use, not at package init: every stage
// imports this package, only notify renders e-mail, and init time is cold
// start time. A parse error is a build defect that the tests catch.
var (
	htmlEmail = sync.OnceValue(func() *htmltemplate.Template {
		return htmltemplate.Must(htmltemplate.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html.tmpl"))
	})
	textEmail = sync.OnceValue(func() *texttemplate.Template {
		return texttemplate.Must(texttemplate.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.txt.tmpl"))
	})
)

// emailData is everything the templates see. Every string from outside
// this project is already cleaned to one line, clipped and redacted; the
// HTML template escapes on top of that.
type emailData struct {
	Subject      string
	Customer     string
	FromName     string
	CaseID       string
	Account      string
	Service      string
	Code         string
	Region       string
	Risk         string
	RespondBy    string
	Revision     int
	Update       bool
	New, Old     []string
	MoreEntities int
	Findings     []findingRow
	MoreFindings int
	Guide        report.Guide
	Description  string
	ReportLink   string
}

type findingRow struct{ Severity, Title, Resource, Reason string }

func field(s string) string { return report.OneLine(s, maxField) }

// defanger breaks URLs in attacker-influenced text: mail clients turn
// "http://..." and "www...." into clickable links, and a link inside our
// own trusted e-mail is exactly what a phisher wants.
var defanger = strings.NewReplacer(
	"http://", "hxxp://", "https://", "hxxps://", "HTTP://", "hxxp://", "HTTPS://", "hxxps://",
	"ftp://", "fxp://", "www.", "www[.]", "WWW.", "WWW[.]",
)

// chatDefang breaks the markup that chat tools (AWS Chatbot, Slack) and
// HTML subscribers of an SNS topic would act on: links in angle brackets,
// Markdown links and images, tags. The alert is plain text, so look-alike
// characters keep it readable where escaping would litter it.
var chatDefang = strings.NewReplacer("<", "‹", ">", "›", "](", "] (", "![", "! [", "`", "'")

// alertField is field for the on-call alert: one line, URLs defanged,
// markup broken.
func alertField(s string) string { return alertText(s, maxField) }

// alertText is alertField clipped to n runes.
func alertText(s string, n int) string {
	return chatDefang.Replace(defanger.Replace(report.OneLine(s, n)))
}

// untrusted is field for text an attacker may have written (tags, user
// agents, names quoted in findings).
func untrusted(s string, n int) string { return defanger.Replace(report.OneLine(s, n)) }

// RenderEmail renders the customer e-mail for r in c.Language: HTML through
// html/template plus a plain-text alternative. The subject names the
// category, the account and the deadline. Only r.NewEntities are announced
// as newly reported; entities from earlier revisions are listed as already
// reported.
func RenderEmail(r *report.Report, c contacts.Contact, o EmailOptions) (Email, error) {
	if r == nil {
		return Email{}, errors.New("unable to render e-mail: no report")
	}
	if o.From == "" {
		return Email{}, errors.New("unable to render e-mail: no sender address")
	}
	if len(c.To) == 0 && len(c.CC) == 0 {
		return Email{}, fmt.Errorf("unable to render e-mail for account %s: no recipients", field(r.Account))
	}
	lang := report.Lang(c.Language)
	d := emailData{
		Customer:    field(c.Customer),
		FromName:    field(o.FromName),
		CaseID:      field(r.CaseID),
		Account:     field(r.Account),
		Service:     field(r.Service),
		Code:        field(r.Code),
		Region:      field(r.Region),
		Risk:        report.SeverityLabel(r.Risk, lang),
		RespondBy:   report.FormatTime(r.RespondBy, lang),
		Revision:    r.Revision,
		Update:      r.Revision > 1,
		Guide:       report.Guidance(r.Category, lang),
		Description: defanger.Replace(report.Multiline(r.Description, 0, maxDescription)),
		ReportLink:  strings.TrimSpace(o.ReportLink),
	}
	if d.Customer == "" {
		d.Customer = field(r.Customer)
	}
	d.New, d.Old, d.MoreEntities = splitEntities(r, maxEmailEntities)
	// Entities and the description quote the complaint: a URL there must
	// not become a link in our own trusted e-mail.
	for _, list := range [][]string{d.New, d.Old} {
		for i := range list {
			list[i] = defanger.Replace(list[i])
		}
	}
	top := r.Top()
	finding.Sort(top)
	for _, f := range top[:min(len(top), maxEmailFindings)] {
		d.Findings = append(d.Findings, findingRow{
			Severity: report.SeverityLabel(f.Severity, lang),
			Title:    untrusted(report.FindingTitle(f, lang), maxField),
			Resource: untrusted(f.Resource, maxField),
			Reason:   untrusted(f.Reason, maxReason),
		})
	}
	d.MoreFindings = max(0, len(top)-maxEmailFindings)
	d.Subject = emailSubject(lang, d, report.FormatTimeShort(r.RespondBy, lang), strings.EqualFold(r.Status, "closed"))

	var html, text bytes.Buffer
	if err := htmlEmail().ExecuteTemplate(&html, "email."+lang+".html.tmpl", d); err != nil {
		return Email{}, fmt.Errorf("unable to render e-mail HTML: %w", err)
	}
	if err := textEmail().ExecuteTemplate(&text, "email."+lang+".txt.tmpl", d); err != nil {
		return Email{}, fmt.Errorf("unable to render e-mail text: %w", err)
	}
	return Email{
		From:             o.From,
		FromName:         o.FromName,
		To:               append([]string(nil), c.To...),
		CC:               append([]string(nil), c.CC...),
		ReplyTo:          append([]string(nil), o.ReplyTo...),
		Subject:          d.Subject,
		HTML:             html.String(),
		Text:             text.String(),
		ConfigurationSet: o.ConfigurationSet,
		Tags: map[string]string{
			"case":     tagValue(r.CaseID),
			"category": tagValue(r.Category),
			"risk":     tagValue(r.Risk.String()),
		},
	}, nil
}

// emailSubject is built only from our own text and cleaned ids, so it is
// one line whatever the report holds.
func emailSubject(lang string, d emailData, respondBy string, closed bool) string {
	// A closed notice asks for nothing; its e-mail is a record, and a
	// "respond by" there would send people chasing a finished case.
	if closed {
		if lang == "ko" {
			return fmt.Sprintf("[종료 안내] AWS 계정 %s 침해 신고가 종료되었습니다: %s", d.Account, d.Guide.Title)
		}
		return fmt.Sprintf("[Closed] AWS abuse report for account %s is closed: %s", d.Account, d.Guide.Title)
	}
	if lang == "ko" {
		tag := "[조치 요청]"
		if d.Update {
			tag = fmt.Sprintf("[조치 요청][업데이트 %d]", d.Revision)
		}
		return fmt.Sprintf("%s AWS 계정 %s 침해 신고: %s (회신 기한 %s)", tag, d.Account, d.Guide.Title, respondBy)
	}
	tag := "[Action required]"
	if d.Update {
		tag = fmt.Sprintf("[Action required][Update %d]", d.Revision)
	}
	return fmt.Sprintf("%s AWS abuse report for account %s: %s (respond by %s)", tag, d.Account, d.Guide.Title, respondBy)
}

// splitEntities separates the entities this revision adds from those
// already notified, new first, and caps the total at n.
func splitEntities(r *report.Report, n int) (fresh, old []string, more int) {
	seen := make(map[string]bool, len(r.Entities)+len(r.NewEntities))
	total := 0
	add := func(list *[]string, v string) {
		if seen[v] {
			return
		}
		seen[v] = true
		total++
		if total <= n {
			*list = append(*list, field(v))
		}
	}
	for _, v := range r.NewEntities {
		add(&fresh, v)
	}
	for _, e := range r.Entities {
		add(&old, e.Value)
	}
	return fresh, old, max(0, total-n)
}

// tagValue keeps what SES accepts in a message tag value: ASCII letters,
// digits, underscore and dash, at most 256 characters.
func tagValue(s string) string {
	b := []byte(s)
	out := b[:0]
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
			out = append(out, c)
		default:
			out = append(out, '_')
		}
	}
	if len(out) > 256 {
		out = out[:256]
	}
	return string(out)
}

// asciiToken keeps the characters an SNS subject can carry and that
// cannot break a line: ASCII letters, digits and a little punctuation.
func asciiToken(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < n; i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '.':
			b.WriteByte(c)
		}
	}
	return b.String()
}

// maxAlertBytes leaves room under the SNS limit for the message attributes
// (which count against it) and for the dispatcher's delivery-problem
// preamble.
const maxAlertBytes = awslimits.SNSMessageMaxBytes - 16<<10

// RenderAlert renders the on-call SNS message. The subject is built only
// from ASCII fields this project controls (risk, category, account, event
// code) — never customer names or attacker text — on one line and under
// SNS's 100-character limit. The message lists the top findings with every
// outside value flattened to one line, so CR/LF in a user agent or tag
// cannot forge lines, then the respond-by time and the report locations.
func RenderAlert(r *report.Report) Alert {
	risk := strings.ToUpper(r.Risk.String())
	subject := strings.Join([]string{"[abusedesk]", risk, asciiToken(r.Category, 32), asciiToken(r.Account, 12), asciiToken(r.Code, 80)}, " ")
	subject = strings.TrimSpace(subject)
	if len(subject) > awslimits.SNSSubjectMaxChars {
		subject = strings.TrimRight(subject[:awslimits.SNSSubjectMaxChars], " ")
	}

	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("%s risk %s case for account %s", risk, alertField(r.Category), alertField(r.Account))
	line("Case: %s (revision %d)", alertField(r.CaseID), r.Revision)
	if r.Customer != "" {
		line("Customer: %s", alertField(r.Customer))
	}
	ev := alertField(r.Service) + " / " + alertField(r.Code)
	if r.Status != "" {
		ev += ", status " + alertField(r.Status)
	}
	if r.Region != "" {
		ev += ", region " + alertField(r.Region)
	}
	line("Event: %s", ev)
	line("Event ARN: %s", alertField(r.EventArn))
	line("Respond by: %s", report.FormatTime(r.RespondBy, "en"))
	if r.Access != "" {
		line("Account inspection: %s", alertField(r.Access))
	} else {
		line("Account inspection: none (could not inspect the account)")
	}
	if fresh, _, more := splitEntities(r, 20); len(fresh) > 0 {
		for i := range fresh {
			fresh[i] = alertField(fresh[i])
		}
		s := strings.Join(fresh, ", ")
		if more > 0 {
			s += fmt.Sprintf(" (+%d more)", more)
		}
		line("Newly reported: %s", s)
	}

	top := r.Top()
	finding.Sort(top)
	b.WriteString("\n")
	if len(top) == 0 {
		line("No high or critical findings (%d findings in total).", len(r.Findings))
	} else {
		line("Top findings (%d high or critical of %d):", len(top), len(r.Findings))
		for _, f := range top[:min(len(top), maxAlertFindings)] {
			s := fmt.Sprintf("- [%s] %s", strings.ToUpper(f.Severity.String()), alertField(f.Title))
			if f.Resource != "" {
				s += " | " + alertField(f.Resource)
			}
			line("%s", s)
			if f.Reason != "" {
				line("    %s", alertField(f.Reason))
			}
		}
		if n := len(top) - maxAlertFindings; n > 0 {
			line("- ... and %d more", n)
		}
	}
	if n := len(r.Raw.Gaps) + len(r.Warnings); n > 0 {
		line("Gaps and warnings: %d (see the report)", n)
	}
	if len(r.Locations) > 0 {
		b.WriteString("\n")
		line("Reports:")
		for _, k := range sortedKeys(r.Locations) {
			line("- %s: %s", alertField(k), alertField(r.Locations[k]))
		}
	}
	return Alert{
		Subject: subject,
		Message: clipBytes(b.String(), maxAlertBytes),
		Attributes: map[string]string{
			"category": asciiToken(r.Category, 64),
			"risk":     r.Risk.String(),
			"account":  asciiToken(r.Account, 12),
		},
	}
}

// clipBytes cuts s to at most n bytes on a rune boundary.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const cut = "\n[truncated]\n"
	n -= len(cut)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + cut
}

// Detail types of the case events on the bus.
const (
	DetailCaseOpened   = "Case Opened"
	DetailCaseEnriched = "Case Enriched"
	DetailCaseNotified = "Case Notified"
)

// EventSource is the Source of every abusedesk event.
const EventSource = "abusedesk"

// caseDetail is the compact event body: enough to route and triage on,
// never the raw lookup bundle (entries are size-limited and the bundle
// belongs in the archived JSON report).
type caseDetail struct {
	CaseID      string            `json:"caseId"`
	Revision    int               `json:"revision"`
	Account     string            `json:"account"`
	EventArn    string            `json:"eventArn,omitempty"`
	Service     string            `json:"service"`
	Code        string            `json:"code"`
	Category    string            `json:"category"`
	Status      string            `json:"status"`
	Region      string            `json:"region,omitempty"`
	Risk        finding.Severity  `json:"risk"`
	RespondBy   string            `json:"respondBy,omitempty"`
	NewEntities []string          `json:"newEntities"`
	MoreNew     int               `json:"moreNewEntities,omitempty"`
	Top         []eventFinding    `json:"topFindings"`
	TopTotal    int               `json:"topFindingsTotal"`
	Findings    int               `json:"findingsTotal"`
	Locations   map[string]string `json:"locations,omitempty"`
}

type eventFinding struct {
	ID       string           `json:"id"`
	Severity finding.Severity `json:"severity"`
	Title    string           `json:"title"`
	Resource string           `json:"resource,omitempty"`
}

// CaseEvent builds the EventBridge entry for a case: Source "abusedesk",
// DetailType one of "Case Opened", "Case Enriched", "Case Notified", and a
// compact detail.
func CaseEvent(detailType string, r *report.Report) (Event, error) {
	switch detailType {
	case DetailCaseOpened, DetailCaseEnriched, DetailCaseNotified:
	default:
		return Event{}, fmt.Errorf("unable to build case event: detail type %q is not one of %q, %q, %q",
			detailType, DetailCaseOpened, DetailCaseEnriched, DetailCaseNotified)
	}
	if r == nil {
		return Event{}, errors.New("unable to build case event: no report")
	}
	d := caseDetail{
		CaseID: field(r.CaseID), Revision: r.Revision, Account: field(r.Account),
		EventArn: field(r.EventArn), Service: field(r.Service), Code: field(r.Code), Category: field(r.Category),
		Status: field(r.Status), Region: field(r.Region), Risk: r.Risk,
		NewEntities: []string{}, Top: []eventFinding{}, Findings: len(r.Findings),
	}
	if !r.RespondBy.IsZero() {
		d.RespondBy = r.RespondBy.UTC().Format(time.RFC3339)
	}
	seen := map[string]bool{}
	for _, v := range r.NewEntities {
		if seen[v] {
			continue
		}
		seen[v] = true
		if len(d.NewEntities) < maxEventEntities {
			d.NewEntities = append(d.NewEntities, field(v))
		} else {
			d.MoreNew++
		}
	}
	top := r.Top()
	finding.Sort(top)
	d.TopTotal = len(top)
	for _, f := range top[:min(len(top), maxEventFindings)] {
		d.Top = append(d.Top, eventFinding{ID: field(f.ID), Severity: f.Severity, Title: field(f.Title), Resource: field(f.Resource)})
	}
	if len(r.Locations) > 0 {
		d.Locations = make(map[string]string, len(r.Locations))
		for k, v := range r.Locations {
			d.Locations[field(k)] = field(v)
		}
	}
	body, err := json.Marshal(d)
	if err != nil {
		return Event{}, fmt.Errorf("unable to build case event: %w", err)
	}
	// Source, detail type and time count towards the entry size too; the
	// legacy 256 KB limit is the one every partition accepts.
	if n := len(body) + len(EventSource) + len(detailType) + awslimits.EventBridgeTimeBytes; n >= awslimits.EventBridgeEntryMaxBytesLegacy {
		return Event{}, fmt.Errorf("unable to build case event: entry is %d bytes, limit %d", n, awslimits.EventBridgeEntryMaxBytesLegacy)
	}
	ev := Event{Source: EventSource, DetailType: detailType, Detail: body, Time: r.Generated}
	if strings.HasPrefix(r.EventArn, "arn:") {
		ev.Resources = []string{r.EventArn}
	}
	return ev, nil
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
