package cloudtrail

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"
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
