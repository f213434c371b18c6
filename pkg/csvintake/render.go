package csvintake

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/abusedesk/abusedesk/pkg/finding"
	"github.com/abusedesk/abusedesk/pkg/health"
	"github.com/abusedesk/abusedesk/pkg/report"
)

// Markdown caps: every list shows this many before "and N more".
const (
	mdCell      = 200
	mdExcerpt   = 300
	mdMaxRows   = 200
	mdMaxIssues = 50
	mdFindings  = 3
)

var mdText = map[string]map[string]string{
	"en": {
		"resources":    "Resources in the supplied list",
		"summary":      "%s: %d record(s), %d usable row(s) about %d resource(s); %d line(s) not used. Looked up in %s.",
		"file":         "File",
		"noResources":  "None of the listed resources is in this account.",
		"colResource":  "Resource",
		"colRows":      "Rows",
		"colFirst":     "First seen (UTC)",
		"colLast":      "Last seen (UTC)",
		"colPorts":     "Ports",
		"colWhat":      "What it is",
		"colOwner":     "Who owns it",
		"colFindings":  "Findings",
		"colWhy":       "Why",
		"notChecked":   "could not be checked: %s",
		"excerpts":     "Log excerpts from the list",
		"notInAccount": "Not in this account",
		"notInBody":    "These were looked up and no resource in the account holds them: they may be released, belong to another account, or live in a region not checked.",
		"unused":       "Lines not used",
		"notes":        "Rows kept with a cell ignored",
		"line":         "line %d",
		"more":         "… and %d more",
		"truncated":    "The list was cut at %d rows; the rest was not read.",
		"origin":       "This is an outbound resource list supplied by the user: the resources, times, ports and log excerpts below come from that file, not from an AWS Health notice.",
		"noCategory":   "No abuse category was given with the list, so the guidance below is the general response.",
	},
	"ko": {
		"resources":    "신고 목록의 리소스",
		"summary":      "%s: 레코드 %d건, 사용 가능한 행 %d건(리소스 %d개), 사용하지 않은 줄 %d건. 조회 리전: %s.",
		"file":         "파일",
		"noResources":  "목록의 리소스 중 이 계정에 있는 것은 없습니다.",
		"colResource":  "리소스",
		"colRows":      "행 수",
		"colFirst":     "최초 관측 (UTC)",
		"colLast":      "최종 관측 (UTC)",
		"colPorts":     "포트",
		"colWhat":      "리소스 종류",
		"colOwner":     "소유자",
		"colFindings":  "점검 결과",
		"colWhy":       "사유",
		"notChecked":   "확인 불가: %s",
		"excerpts":     "목록에 포함된 로그 발췌",
		"notInAccount": "이 계정에 없는 리소스",
		"notInBody":    "조회했으나 이 계정의 리소스가 보유하고 있지 않습니다. 이미 반납되었거나, 다른 계정의 것이거나, 조회하지 않은 리전에 있을 수 있습니다.",
		"unused":       "사용하지 않은 줄",
		"notes":        "일부 값을 무시하고 사용한 행",
		"line":         "%d번째 줄",
		"more":         "… 외 %d건",
		"truncated":    "목록이 %d행에서 잘렸습니다. 나머지는 읽지 않았습니다.",
		"origin":       "이 목록은 사용자가 제공한 외부 공격(아웃바운드) 리소스 목록입니다. 아래의 리소스, 시간, 포트, 로그 발췌는 AWS Health 알림이 아니라 이 파일에서 가져온 것입니다.",
		"noCategory":   "목록에 침해 유형이 지정되지 않았으므로 아래 안내는 일반적인 대응 절차입니다.",
	},
}

func mt(lang, k string) string { return mdText[report.Lang(lang)][k] }

// Markdown renders the standard case report with the list's sections
// after its overview. The per-resource table replaces the standard entity list,
// which would only repeat it. Every cell that came from the file or from
// the account is escaped.
func Markdown(r *Report, lang string) []byte {
	base := r.Report
	base.Entities, base.NewEntities = nil, nil
	var list strings.Builder
	listCase := r.Code == Code && r.Category == string(health.CategoryOutboundList)
	writeIntake(&list, &r.Intake, listCase, lang)
	md := string(report.Markdown(&base, lang))
	// The list is what this case is about, so it goes right after the
	// overview (the first H2 section); appended if the layout changes.
	first := strings.Index(md, "\n## ")
	if first < 0 {
		return []byte(md + "\n" + list.String())
	}
	next := strings.Index(md[first+1:], "\n## ")
	if next < 0 {
		return []byte(md + "\n" + list.String())
	}
	at := first + 1 + next + 1
	return []byte(md[:at] + list.String() + md[at:])
}

func esc(s string) string { return report.EscapeMarkdown(s, mdCell) }

func writeIntake(b *strings.Builder, in *Intake, noCategory bool, lang string) {
	t := func(k string) string { return mt(lang, k) }
	fmt.Fprintf(b, "## %s\n\n", t("resources"))
	b.WriteString(t("origin"))
	if noCategory {
		b.WriteString(" " + t("noCategory"))
	}
	b.WriteString("\n\n")
	src := in.Source
	if src == "" {
		src = in.SHA256[:min(12, len(in.SHA256))]
	}
	fmt.Fprintf(b, t("summary")+"\n\n", t("file")+" "+esc(src), in.Records, in.Rows,
		len(in.Resources)+len(in.NotInAccount), len(in.Rejected), esc(strings.Join(in.Regions, ", ")))
	if in.Truncated {
		fmt.Fprintf(b, t("truncated")+"\n\n", in.Rows)
	}
	if len(in.Resources) == 0 {
		b.WriteString(t("noResources") + "\n\n")
	} else {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n|---|---:|---|---|---|---|---|---|\n",
			t("colResource"), t("colRows"), t("colFirst"), t("colLast"), t("colPorts"), t("colWhat"), t("colOwner"), t("colFindings"))
		for _, e := range in.Resources[:min(len(in.Resources), mdMaxRows)] {
			what := esc(e.What)
			if e.Status == StatusNotChecked {
				what = fmt.Sprintf(t("notChecked"), esc(e.Reason))
			}
			fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", resourceCell(e), e.Rows, when(e.FirstSeen), when(e.LastSeen),
				ports(e.Group), what, esc(e.Owner), findingsCell(e.Findings, lang))
		}
		if n := len(in.Resources) - mdMaxRows; n > 0 {
			fmt.Fprintf(b, "\n"+t("more")+"\n", n)
		}
		b.WriteString("\n")
		writeExcerpts(b, in.Resources, lang)
	}
	if len(in.NotInAccount) > 0 {
		fmt.Fprintf(b, "## %s\n\n%s\n\n", t("notInAccount"), t("notInBody"))
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n|---|---:|---|---|---|---|\n",
			t("colResource"), t("colRows"), t("colFirst"), t("colLast"), t("colPorts"), t("colWhy"))
		for _, e := range in.NotInAccount[:min(len(in.NotInAccount), mdMaxRows)] {
			fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s |\n", resourceCell(e), e.Rows, when(e.FirstSeen), when(e.LastSeen), ports(e.Group), esc(e.Reason))
		}
		if n := len(in.NotInAccount) - mdMaxRows; n > 0 {
			fmt.Fprintf(b, "\n"+t("more")+"\n", n)
		}
		b.WriteString("\n")
	}
	writeProblems(b, t("unused"), in.Rejected, lang)
	writeProblems(b, t("notes"), in.Notes, lang)
}

func resourceCell(e Entry) string {
	s := esc(e.Resource.Value)
	if e.Region != "" {
		s += " (" + esc(e.Region) + ")"
	}
	return s
}

func when(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func ports(g Group) string {
	var parts []string
	for _, p := range g.Ports {
		parts = append(parts, strconv.Itoa(p))
	}
	s := strings.Join(parts, ", ")
	if g.MorePorts > 0 {
		s += fmt.Sprintf(" +%d", g.MorePorts)
	}
	if len(g.Protocols) > 0 {
		s = strings.TrimSpace(s + " " + esc(strings.Join(g.Protocols, "/")))
	}
	if s == "" {
		return "–"
	}
	return s
}

func findingsCell(fs []finding.Finding, lang string) string {
	if len(fs) == 0 {
		return "–"
	}
	sorted := append([]finding.Finding{}, fs...)
	finding.Sort(sorted)
	var parts []string
	for _, f := range sorted[:min(len(sorted), mdFindings)] {
		parts = append(parts, report.SeverityLabel(f.Severity, lang)+": "+esc(f.Title))
	}
	if n := len(sorted) - mdFindings; n > 0 {
		parts = append(parts, fmt.Sprintf(mt(lang, "more"), n))
	}
	// <br> is ours, not the input's: the cell text around it is escaped.
	return strings.Join(parts, "<br>")
}

func writeExcerpts(b *strings.Builder, es []Entry, lang string) {
	var lines []string
	for _, e := range es {
		for _, x := range e.Excerpts {
			lines = append(lines, "- **"+esc(e.Resource.Value)+"**: "+report.EscapeMarkdown(x, mdExcerpt))
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(b, "### %s\n\n", mt(lang, "excerpts"))
	for _, l := range lines[:min(len(lines), mdMaxIssues)] {
		b.WriteString(l + "\n")
	}
	if n := len(lines) - mdMaxIssues; n > 0 {
		fmt.Fprintf(b, "- "+mt(lang, "more")+"\n", n)
	}
	b.WriteString("\n")
}

func writeProblems(b *strings.Builder, title string, ps []Problem, lang string) {
	if len(ps) == 0 {
		return
	}
	fmt.Fprintf(b, "## %s\n\n", title)
	for _, p := range ps[:min(len(ps), mdMaxIssues)] {
		fmt.Fprintf(b, "- "+mt(lang, "line")+": %s\n", p.Line, esc(p.Reason))
	}
	if n := len(ps) - mdMaxIssues; n > 0 {
		fmt.Fprintf(b, "- "+mt(lang, "more")+"\n", n)
	}
	b.WriteString("\n")
}

// EncodeJSON renders the report as indented JSON with a trailing newline.
func EncodeJSON(r *Report) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("unable to encode report: %w", err)
	}
	return append(b, '\n'), nil
}

// archive writes the list's reports the way the pipeline writes a case's,
// with the list's own Markdown and JSON.
func (im *Importer) archive(ctx context.Context, r *Report) error {
	return report.Archive(ctx, im.Pipeline.Sink, &r.Report,
		func(lang string) []byte { return Markdown(r, lang) },
		func() ([]byte, error) { return EncodeJSON(r) })
}
