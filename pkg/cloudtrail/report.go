package cloudtrail

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/abusedesk/abusedesk/pkg/finding"
)

// TimelineCSVHeader is the header row WriteTimelineCSV writes.
var TimelineCSVHeader = []string{"time", "severity", "indicator", "actor", "source_ip", "user_agent", "region", "event", "target"}

// WriteTimelineCSV writes the timeline as CSV. Cells that a spreadsheet
// would run as a formula are prefixed with a quote, since user agents and
// names are attacker-controlled.
func WriteTimelineCSV(w io.Writer, tl []TimelineEntry) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(TimelineCSVHeader); err != nil {
		return fmt.Errorf("unable to write timeline CSV: %w", err)
	}
	for _, e := range tl {
		row := []string{e.Time.UTC().Format(time.RFC3339), e.Severity.String(), e.Indicator, e.Actor, e.SourceIP, e.UserAgent, e.Region, e.Event, e.Target}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("unable to write timeline CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("unable to write timeline CSV: %w", err)
	}
	return nil
}

func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// TimelineMarkdown renders the high and critical entries of a timeline as a
// Markdown table for a case report body; lower severities belong in the
// CSV/JSON attachment.
func TimelineMarkdown(tl []TimelineEntry) string {
	var b strings.Builder
	n := 0
	for _, e := range tl {
		if !e.Severity.AtLeast(finding.High) {
			continue
		}
		if n == 0 {
			b.WriteString("| Time (UTC) | Severity | Indicator | Actor | Source IP | Region | Event | Target |\n")
			b.WriteString("|---|---|---|---|---|---|---|---|\n")
		}
		n++
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
			e.Time.UTC().Format("2006-01-02 15:04:05"), e.Severity, mdEscape(e.Indicator), mdEscape(e.Actor),
			mdEscape(e.SourceIP), mdEscape(e.Region), mdEscape(e.Event), mdEscape(e.Target))
	}
	return b.String()
}

// mdEscape neutralises Markdown and HTML in attacker-controlled text so a
// crafted user name cannot inject links, images or table cells.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range clean(s) {
		switch r {
		case '\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '#', '+', '-', '!', '|', '<', '>', '~', '&':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
