package report

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/abusedesk/abusedesk/pkg/cloudtrail"
	"github.com/abusedesk/abusedesk/pkg/finding"
)

// Field limits for attacker-influenced text: enough to recognise a value,
// short enough that one hostile tag or user agent cannot swamp the report.
const (
	maxCell        = 200
	maxReason      = 600
	maxDescription = 4000
	maxList        = 50 // entities, gaps, warnings shown before "and N more"
	maxTimeline    = 50
)

// kst is fixed rather than loaded so rendering never depends on the host's
// tzdata (Lambda's provided runtime has none); Korea has no DST.
var kst = time.FixedZone("KST", 9*60*60)

// FormatTime shows t in UTC and, for Korean readers, also in KST. A zero
// time reads as "not stated".
func FormatTime(t time.Time, lang string) string {
	if t.IsZero() {
		return text(lang, "notStated")
	}
	u := t.UTC().Format("2006-01-02 15:04 UTC")
	if Lang(lang) == "ko" {
		return t.In(kst).Format("2006-01-02 15:04 KST") + " (" + u + ")"
	}
	return u
}

// FormatTimeShort is FormatTime for tight spaces such as a subject line:
// KST only for Korean readers, UTC otherwise.
func FormatTimeShort(t time.Time, lang string) string {
	if t.IsZero() {
		return text(lang, "notStated")
	}
	if Lang(lang) == "ko" {
		return t.In(kst).Format("2006-01-02 15:04 KST")
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// SeverityLabel is a severity as readers of lang expect it.
func SeverityLabel(s finding.Severity, lang string) string {
	if Lang(lang) == "ko" {
		switch s {
		case finding.Critical:
			return "심각"
		case finding.High:
			return "높음"
		case finding.Medium:
			return "보통"
		case finding.Low:
			return "낮음"
		default:
			return "정보"
		}
	}
	return strings.ToUpper(s.String())
}

var texts = map[string]map[string]string{
	"en": {
		"title":         "Abuse case",
		"overview":      "Overview",
		"account":       "Account",
		"event":         "AWS event",
		"status":        "Status",
		"region":        "Region",
		"eventArn":      "Event ARN",
		"risk":          "Risk",
		"respondBy":     "Respond by",
		"corroborated":  "(no single critical finding, but %d or more high findings corroborate each other)",
		"overdue":       "— overdue: reply to AWS now",
		"revision":      "Revision",
		"generated":     "Generated",
		"access":        "Account inspection",
		"noAccess":      "the account could not be inspected; findings come from the AWS notice only",
		"notStated":     "not stated",
		"description":   "AWS notice",
		"entities":      "Affected resources",
		"newEntity":     "newly reported",
		"oldEntity":     "already reported in an earlier revision",
		"findings":      "High-risk findings",
		"noFindings":    "No high or critical findings.",
		"colSeverity":   "Severity",
		"colFinding":    "Finding",
		"colResource":   "Resource",
		"colReason":     "Why it matters",
		"guidance":      "What to do now",
		"timeline":      "Timeline of high-risk activity",
		"colIndicators": "Indicators",
		"colTime":       "Time (UTC)",
		"colActor":      "Actor",
		"colSourceIP":   "Source IP",
		"colUserAgent":  "User agent",
		"colEvent":      "Event",
		"colTarget":     "Target",
		"gaps":          "Gaps and warnings",
		"gapLine":       "%s%s could not be checked: %s",
		"more":          "… and %d more",
		"details":       "Full details",
		"detailsBody":   "This report shows only high and critical findings. %d lower-severity findings, the full timeline and the raw lookup data are in the JSON report",
		"detailsNone":   "The full timeline and the raw lookup data are in the JSON report",
		"jsonAt":        ": %s",
		"jsonNoLoc":     " (report.json, archived next to this report).",
	},
	"ko": {
		"title":         "침해 신고 케이스",
		"overview":      "개요",
		"account":       "계정",
		"event":         "AWS 이벤트",
		"status":        "상태",
		"region":        "리전",
		"eventArn":      "이벤트 ARN",
		"risk":          "위험도",
		"respondBy":     "회신 기한",
		"corroborated":  "(심각 항목은 없지만 높음 항목 %d건 이상이 서로 뒷받침함)",
		"overdue":       "— 기한이 지났습니다. 지금 바로 AWS에 회신해 주십시오",
		"revision":      "리비전",
		"generated":     "작성 시각",
		"access":        "계정 점검 방식",
		"noAccess":      "계정을 점검하지 못했습니다. 아래 내용은 AWS 알림만을 근거로 합니다",
		"notStated":     "명시되지 않음",
		"description":   "AWS 알림 원문",
		"entities":      "대상 리소스",
		"newEntity":     "이번에 새로 신고됨",
		"oldEntity":     "이전 리비전에서 이미 안내됨",
		"findings":      "주요 위험 항목",
		"noFindings":    "위험도 높음 이상의 항목은 없습니다.",
		"colSeverity":   "위험도",
		"colFinding":    "항목",
		"colResource":   "리소스",
		"colReason":     "판단 근거",
		"guidance":      "지금 하셔야 할 조치",
		"timeline":      "위험 활동 타임라인",
		"colIndicators": "탐지 항목",
		"colTime":       "시각 (UTC)",
		"colActor":      "주체",
		"colSourceIP":   "출발지 IP",
		"colUserAgent":  "사용자 에이전트",
		"colEvent":      "이벤트",
		"colTarget":     "대상",
		"gaps":          "확인하지 못한 항목 및 경고",
		"gapLine":       "%s%s 확인 불가: %s",
		"more":          "… 외 %d건",
		"details":       "전체 내용",
		"detailsBody":   "이 보고서에는 위험도 높음·심각 항목만 담았습니다. 그 밖의 항목 %d건과 전체 타임라인, 조회 원본 데이터는 JSON 보고서에서 확인하실 수 있습니다",
		"detailsNone":   "전체 타임라인과 조회 원본 데이터는 JSON 보고서에서 확인하실 수 있습니다",
		"jsonAt":        ": %s",
		"jsonNoLoc":     " (이 보고서와 같은 위치의 report.json).",
	},
}

func text(lang, key string) string { return texts[Lang(lang)][key] }

// JSONLocation picks the JSON report's location from r.Locations: the
// "json" key, else any location ending in .json.
func JSONLocation(r *Report) string {
	if loc, ok := r.Locations["json"]; ok {
		return loc
	}
	for _, k := range slices.Sorted(maps.Keys(r.Locations)) {
		if strings.HasSuffix(r.Locations[k], ".json") {
			return r.Locations[k]
		}
	}
	return ""
}

// Markdown renders the human report in lang ("ko" or "en"; anything else
// is "en"). The body keeps only high and critical findings (r.Top()), then
// the category guidance, the timeline's high and critical entries, gaps
// and warnings, and a pointer to the JSON report for everything else.
// Every value that did not come from this project is escaped.
func Markdown(r *Report, lang string) []byte {
	lang = Lang(lang)
	t := func(k string) string { return text(lang, k) }
	e := func(s string) string { return EscapeMarkdown(s, maxCell) }
	var b strings.Builder
	g := Guidance(r.Category, lang)

	fmt.Fprintf(&b, "# %s %s: %s\n\n", t("title"), e(r.CaseID), g.Title)

	fmt.Fprintf(&b, "## %s\n\n", t("overview"))
	account := e(r.Account)
	if r.Customer != "" {
		account += " (" + e(r.Customer) + ")"
	}
	item := func(k, v string) { fmt.Fprintf(&b, "- **%s**: %s\n", t(k), v) }
	item("account", account)
	item("event", e(r.Service)+" / "+e(r.Code))
	if r.Status != "" {
		item("status", e(r.Status))
	}
	if r.Region != "" {
		item("region", e(r.Region))
	}
	item("eventArn", e(r.EventArn))
	risk := "**" + SeverityLabel(r.Risk, lang) + "**"
	if finding.Corroborated(r.Findings) {
		risk += " " + fmt.Sprintf(t("corroborated"), finding.CorroborationCount)
	}
	item("risk", risk)
	respond := "**" + FormatTime(r.RespondBy, lang) + "**"
	if !r.RespondBy.IsZero() && r.Generated.After(r.RespondBy) {
		respond += " " + t("overdue")
	}
	item("respondBy", respond)
	item("revision", strconv.Itoa(r.Revision))
	item("generated", FormatTime(r.Generated, lang))
	if r.Access != "" {
		item("access", e(r.Access))
	} else {
		item("access", t("noAccess"))
	}
	b.WriteString("\n")

	if ents := entityLines(r, lang, e); len(ents) > 0 {
		fmt.Fprintf(&b, "### %s\n\n", t("entities"))
		for _, l := range ents {
			b.WriteString("- " + l + "\n")
		}
		b.WriteString("\n")
	}

	if d := strings.TrimSpace(r.Description); d != "" {
		fmt.Fprintf(&b, "### %s\n\n", t("description"))
		// A quoted block with escaped lines: AWS's text keeps its line
		// structure but nothing in it can become markup.
		for _, l := range strings.Split(Multiline(d, 0, maxDescription), "\n") {
			b.WriteString("> " + EscapeMarkdown(l, 0) + "\n")
		}
		b.WriteString("\n")
	}

	top := r.Top()
	finding.Sort(top)
	fmt.Fprintf(&b, "## %s\n\n", t("findings"))
	if len(top) == 0 {
		b.WriteString(t("noFindings") + "\n\n")
	} else {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n|---|---|---|---|\n", t("colSeverity"), t("colFinding"), t("colResource"), t("colReason"))
		for _, f := range top {
			res := e(f.Resource)
			if f.Region != "" {
				res += " (" + e(f.Region) + ")"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", SeverityLabel(f.Severity, lang), e(FindingTitle(f, lang)), res, EscapeMarkdown(f.Reason, maxReason))
		}
		b.WriteString("\n")
	}

	fmt.Fprintf(&b, "## %s: %s\n\n", t("guidance"), g.Title)
	b.WriteString(g.Summary + "\n\n")
	for i, s := range g.Steps {
		fmt.Fprintf(&b, "%d. %s\n", i+1, s)
	}
	b.WriteString("\n")

	tl := timelineRows(r.Timeline)
	if len(tl) > 0 {
		fmt.Fprintf(&b, "## %s\n\n", t("timeline"))
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n|---|---|---|---|---|---|---|---|\n",
			t("colTime"), t("colSeverity"), t("colEvent"), t("colIndicators"), t("colActor"), t("colSourceIP"), t("colUserAgent"), t("colTarget"))
		for _, te := range tl[:min(len(tl), maxTimeline)] {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
				te.Time.UTC().Format("2006-01-02 15:04:05"), SeverityLabel(te.Severity, lang),
				e(te.Event), e(te.Indicator), e(te.Actor), e(te.SourceIP), e(te.UserAgent), e(te.Target))
		}
		if n := len(tl) - maxTimeline; n > 0 {
			b.WriteString("\n" + fmt.Sprintf(t("more"), n) + "\n")
		}
		b.WriteString("\n")
	}

	gaps := gapLines(r, lang)
	if len(gaps) > 0 {
		fmt.Fprintf(&b, "## %s\n\n", t("gaps"))
		for _, l := range gaps[:min(len(gaps), maxList)] {
			b.WriteString("- " + l + "\n")
		}
		if n := len(gaps) - maxList; n > 0 {
			b.WriteString("- " + fmt.Sprintf(t("more"), n) + "\n")
		}
		b.WriteString("\n")
	}

	fmt.Fprintf(&b, "## %s\n\n", t("details"))
	if rest := len(r.Findings) - len(top); rest > 0 {
		fmt.Fprintf(&b, t("detailsBody"), rest)
	} else {
		b.WriteString(t("detailsNone"))
	}
	if loc := JSONLocation(r); loc != "" {
		fmt.Fprintf(&b, t("jsonAt")+".\n", e(loc))
	} else {
		b.WriteString(t("jsonNoLoc") + "\n")
	}
	return []byte(b.String())
}

// entityLines lists affected resources, new ones first, each marked as new
// or already reported so a revision does not re-announce old entities.
func entityLines(r *Report, lang string, e func(string) string) []string {
	var fresh, old []string
	seen := map[string]bool{}
	for _, v := range r.NewEntities {
		if !seen[v] {
			seen[v] = true
			fresh = append(fresh, e(v)+" — "+text(lang, "newEntity"))
		}
	}
	for _, en := range r.Entities {
		if !seen[en.Value] {
			seen[en.Value] = true
			old = append(old, e(en.Value)+" — "+text(lang, "oldEntity"))
		}
	}
	out := append(fresh, old...)
	if n := len(out) - maxList; n > 0 {
		out = append(out[:maxList], fmt.Sprintf(text(lang, "more"), n))
	}
	return out
}

// gapLines are the lookups that could not run and the pipeline's warnings,
// escaped: gap reasons can quote AWS error messages.
func gapLines(r *Report, lang string) []string {
	var out []string
	for _, g := range r.Raw.Gaps {
		where := ""
		if g.Target != "" {
			where += " " + EscapeMarkdown(g.Target, maxCell)
		}
		if g.Region != "" {
			where += " (" + EscapeMarkdown(g.Region, maxCell) + ")"
		}
		out = append(out, fmt.Sprintf(text(lang, "gapLine"), EscapeMarkdown(g.Lookup, maxCell), where, EscapeMarkdown(g.Reason, maxReason)))
	}
	for _, w := range r.Warnings {
		out = append(out, EscapeMarkdown(w, maxReason))
	}
	return out
}

// timelineRows keeps the high and critical entries and merges the entries
// of one CloudTrail record (one per indicator or sequence it matched) into
// one row that lists every indicator, most severe first.
func timelineRows(tl []cloudtrail.TimelineEntry) []cloudtrail.TimelineEntry {
	var out []cloudtrail.TimelineEntry
	idx := map[string]int{}
	for _, te := range tl {
		if te.Severity < finding.High {
			continue
		}
		k := te.Time.UTC().Format(time.RFC3339Nano) + "\x00" + te.Event + "\x00" + te.Actor + "\x00" + te.SourceIP
		i, seen := idx[k]
		if !seen {
			idx[k] = len(out)
			out = append(out, te)
			continue
		}
		if !slices.Contains(strings.Split(out[i].Indicator, ", "), te.Indicator) {
			if te.Severity > out[i].Severity {
				out[i].Indicator = te.Indicator + ", " + out[i].Indicator
				out[i].Severity = te.Severity
			} else {
				out[i].Indicator += ", " + te.Indicator
			}
		}
	}
	return out
}
