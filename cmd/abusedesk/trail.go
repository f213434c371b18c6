package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/abusedesk/abusedesk/pkg/cloudtrail"
	"github.com/abusedesk/abusedesk/pkg/finding"
)

func init() {
	register(command{
		name:    "trail",
		summary: "scan CloudTrail log files for compromise indicators, or print them as Athena SQL",
		run:     runTrail,
	})
}

func trailUsage(w io.Writer) {
	fmt.Fprintln(w, `usage:
  abusedesk trail scan [--format table|json|csv] [--progress] [--workers N] PATH...
      PATH is a file, a directory (read recursively) or - for stdin. Files may be
      gzip'd S3 objects, {"Records":[...]}, JSON arrays, one record per line, or
      LookupEvents output. csv prints the timeline. Exit status is 0 whether or
      not there are findings, 1 when an input could not be read.
  abusedesk trail sql [--table NAME]
      Print the indicators as one Athena query over a CloudTrail table.`)
}

func runTrail(ctx context.Context, args []string, s stdio) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		trailUsage(s.out)
		return 0
	}
	switch args[0] {
	case "scan":
		return trailScan(ctx, args[1:], s)
	case "sql":
		return trailSQL(args[1:], s)
	}
	fmt.Fprintf(s.err, "abusedesk trail: unknown subcommand %q\n", args[0])
	trailUsage(s.err)
	return 2
}

func trailSQL(args []string, s stdio) int {
	fs := flag.NewFlagSet("trail sql", flag.ContinueOnError)
	fs.SetOutput(s.err)
	table := fs.String("table", "cloudtrail_logs", "Athena table holding the CloudTrail logs")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	q, err := cloudtrail.AthenaSQL(*table)
	if err != nil {
		fmt.Fprintln(s.err, "abusedesk trail sql:", err)
		return 2
	}
	fmt.Fprint(s.out, q)
	return 0
}

func trailScan(ctx context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("trail scan", flag.ContinueOnError)
	fs.SetOutput(s.err)
	format := fs.String("format", "table", "output format: table, json or csv (timeline)")
	progress := fs.Bool("progress", false, "show a progress bar on stderr even when it is not a terminal")
	workers := fs.Int("workers", 0, "files parsed at once (0 = number of CPUs)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch *format {
	case "table", "json", "csv":
	default:
		fmt.Fprintf(s.err, "abusedesk trail scan: unknown --format %q (want table, json or csv)\n", *format)
		return 2
	}
	paths := fs.Args()
	if len(paths) == 0 {
		fmt.Fprintln(s.err, "abusedesk trail scan: give at least one PATH (or - for stdin)")
		return 2
	}
	prog := &cloudtrail.Progress{}
	stopBar := func() {}
	if *progress || isTerminal(s.err) {
		stopBar = startProgressBar(s.err, prog)
	}
	start := time.Now()
	res, err := cloudtrail.ScanPaths(ctx, paths, cloudtrail.ScanOptions{Workers: *workers, Progress: prog, Stdin: s.in})
	stopBar()
	elapsed := time.Since(start)
	if err != nil && res.Stats.Files == 0 && len(res.Errors) == 0 {
		fmt.Fprintln(s.err, "abusedesk trail scan:", err)
		return 1
	}
	var werr error
	switch *format {
	case "json":
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		werr = enc.Encode(res)
	case "csv":
		werr = cloudtrail.WriteTimelineCSV(s.out, res.Timeline)
	default:
		werr = writeTrailTable(s.out, res, elapsed)
	}
	if werr != nil {
		fmt.Fprintln(s.err, "abusedesk trail scan:", werr)
		return 1
	}
	for _, e := range res.Errors {
		fmt.Fprintf(s.err, "abusedesk trail scan: %s: %s\n", e.Path, e.Err)
	}
	if err != nil {
		return 1
	}
	return 0
}

// maxTableTimeline keeps the terminal summary readable; json and csv carry
// the full timeline.
const maxTableTimeline = 40

func writeTrailTable(w io.Writer, res cloudtrail.ScanResult, elapsed time.Duration) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	st := res.Stats
	mb := float64(st.Bytes) / 1e6
	secs := max(elapsed.Seconds(), 1e-9)
	fmt.Fprintf(tw, "Scanned %d files, %d records (%.1f MB) in %s: %.0f records/s, %.1f MB/s\n",
		st.Files, st.Records, mb, elapsed.Round(time.Millisecond), float64(st.Records)/secs, mb/secs)
	if len(st.Skipped) > 0 {
		var parts []string
		for _, k := range []string{cloudtrail.SkipDigest, cloudtrail.SkipValidation, cloudtrail.SkipInsight, cloudtrail.SkipNoIdentity, cloudtrail.SkipUnknown, cloudtrail.SkipMalformed} {
			if n := st.Skipped[k]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s=%d", k, n))
			}
		}
		fmt.Fprintf(tw, "Skipped: %s\n", strings.Join(parts, " "))
	}
	fmt.Fprintf(tw, "Overall risk: %s\n\n", finding.Overall(res.Findings))
	if len(res.Findings) == 0 {
		fmt.Fprintln(tw, "No findings.")
	} else {
		fmt.Fprintln(tw, "SEVERITY\tINDICATOR\tTACTIC\tRESOURCE\tREGION\tCOUNT\tTITLE")
		for _, f := range res.Findings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Severity, f.ID, f.Tactic, f.Resource, f.Region, f.Evidence["count"], f.Title)
		}
	}
	if len(res.Timeline) > 0 {
		fmt.Fprintf(tw, "\nTimeline (%d matched records", len(res.Timeline))
		if len(res.Timeline) > maxTableTimeline {
			fmt.Fprintf(tw, ", first %d; use --format csv for all", maxTableTimeline)
		}
		fmt.Fprintln(tw, "):")
		fmt.Fprintln(tw, "TIME (UTC)\tSEVERITY\tINDICATOR\tEVENT\tACTOR\tSOURCE IP\tREGION\tTARGET")
		for i, e := range res.Timeline {
			if i == maxTableTimeline {
				break
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format(time.DateTime), e.Severity, e.Indicator, e.Event, e.Actor, e.SourceIP, e.Region, e.Target)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("unable to write table: %w", err)
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// startProgressBar redraws one stderr line twice a second until stopped.
func startProgressBar(w io.Writer, p *cloudtrail.Progress) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
				drawProgress(w, p, time.Since(start))
			}
		}
	}()
	return func() {
		if done == nil {
			return
		}
		close(done)
		<-finished
		done = nil
	}
}

func drawProgress(w io.Writer, p *cloudtrail.Progress, elapsed time.Duration) {
	in, total, recs := p.InputBytes.Load(), p.TotalBytes.Load(), p.Records.Load()
	secs := max(elapsed.Seconds(), 1e-9)
	bar := ""
	if total > 0 {
		const width = 30
		frac := min(float64(in)/float64(total), 1)
		n := int(frac * width)
		bar = fmt.Sprintf("[%s%s] %3.0f%% ", strings.Repeat("=", n), strings.Repeat(" ", width-n), frac*100)
	}
	fmt.Fprintf(w, "\r\033[K%s%.1f MB read, %.1f MB/s, %d records, %.0f records/s", bar, float64(in)/1e6, float64(in)/1e6/secs, recs, float64(recs)/secs)
}
