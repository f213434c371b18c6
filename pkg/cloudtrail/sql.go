package cloudtrail

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

var tableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)

// AthenaSQL renders every indicator that a single query can express as one
// Athena (Presto/Trino) query over the standard CloudTrail table (the one
// the CloudTrail console creates: eventname, eventsource, useridentity,
// requestparameters as a JSON string, ...). Bursts become hourly or
// ten-minute buckets. Sequences need joins across time and are listed as
// comments. table is validated because it is pasted into SQL.
func AthenaSQL(table string) (string, error) {
	if !tableName.MatchString(table) {
		return "", fmt.Errorf("unable to render SQL: invalid table name %q", table)
	}
	var parts, skipped []string
	for _, ind := range Indicators() {
		if ind.Anchor {
			continue
		}
		if ind.SQL == "" {
			skipped = append(skipped, ind.ID)
			continue
		}
		sev := ind.Severity.String()
		if ind.Burst == nil {
			parts = append(parts, fmt.Sprintf(
				"SELECT '%s' AS indicator, '%s' AS severity, eventtime, eventname, useridentity.arn AS actor, sourceipaddress, useragent, awsregion, 1 AS matches\nFROM %s\nWHERE %s",
				ind.ID, sev, table, ind.SQL))
			continue
		}
		bucketExpr := "date_trunc('hour', from_iso8601_timestamp(eventtime))"
		if ind.Burst.Window <= 10*time.Minute {
			// Athena has no 10-minute date_trunc; bucket on the epoch instead.
			bucketExpr = "from_unixtime(floor(to_unixtime(from_iso8601_timestamp(eventtime)) / 600) * 600)"
		}
		having := fmt.Sprintf("count(*) >= %d", max(ind.Burst.Min, 1))
		if ind.Burst.MinDistinct > 0 && ind.Burst.DistinctColumn != "" {
			having += fmt.Sprintf(" AND count(DISTINCT %s) >= %d", ind.Burst.DistinctColumn, ind.Burst.MinDistinct)
		}
		parts = append(parts, fmt.Sprintf(
			"SELECT '%s' AS indicator, '%s' AS severity, min(eventtime) AS eventtime, arbitrary(eventname) AS eventname, useridentity.arn AS actor, arbitrary(sourceipaddress) AS sourceipaddress, arbitrary(useragent) AS useragent, arbitrary(awsregion) AS awsregion, count(*) AS matches\nFROM %s\nWHERE %s\nGROUP BY useridentity.arn, %s\nHAVING %s",
			ind.ID, sev, table, ind.SQL, bucketExpr, having))
	}
	var b strings.Builder
	b.WriteString("-- abusedesk CloudTrail indicators as one Athena query.\n")
	b.WriteString("-- Add a partition filter (e.g. AND eventtime > '2024-01-01') to each WHERE for large trails.\n")
	if len(skipped) > 0 {
		b.WriteString("-- Not expressible in one query (run 'abusedesk trail scan' on the matching records): " + strings.Join(skipped, ", ") + "\n")
	}
	b.WriteString(strings.Join(parts, "\nUNION ALL\n"))
	b.WriteString("\nORDER BY eventtime;\n")
	return b.String(), nil
}
