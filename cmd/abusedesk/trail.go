package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
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
	fmt.Fprintln(w, `usage: abusedesk trail <subcommand> [flags] [args]

subcommands:
  scan  scan CloudTrail log files for compromise indicators
  sql   print the indicators as one Athena query over a CloudTrail table

Run 'abusedesk trail <subcommand> -h' for its flags.`)
}

func runTrail(ctx context.Context, args []string, s stdio) int {
	if len(args) == 0 {
		trailUsage(s.err)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "-help", "help":
		trailUsage(s.out)
		return 0
	case "scan":
		return trailScan(ctx, args[1:], s)
	case "sql":
		return trailSQL(args[1:], s)
	}
	fmt.Fprintf(s.err, "abusedesk trail: unknown subcommand %q\n\n", args[0])
	trailUsage(s.err)
	return 2
}

func trailSQL(args []string, s stdio) int {
	fs := flag.NewFlagSet("trail sql", flag.ContinueOnError)
	fs.SetOutput(s.err)
	table := fs.String("table", "cloudtrail_logs", "Athena table holding the CloudTrail logs")
	fs.Usage = func() {
		fmt.Fprintln(s.err, "usage: abusedesk trail sql [flags]")
		fmt.Fprintln(s.err, "\nPrint the indicators as one Athena query over a CloudTrail table.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.err, "abusedesk trail sql: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
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
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "files parsed at once")
	fs.Usage = func() {
		fmt.Fprintln(s.err, "usage: abusedesk trail scan [flags] PATH...")
		fmt.Fprintln(s.err, `
PATH is a file, a directory (read recursively; links inside are not followed)
or - for stdin. Files may be gzip'd S3 objects, {"Records":[...]}, JSON arrays,
one record per line (a line that does not parse is skipped and counted) or
LookupEvents output. csv prints the timeline. Exit status is 0 whether or not
there are findings, 1 when an input could not be read, 2 for a usage error.`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	switch *format {
	case "table", "json", "csv":
	default:
		fmt.Fprintf(s.err, "abusedesk trail scan: unknown --format %q (want table, json or csv)\n", *format)
		return 2
	}
	if *workers < 1 {
		fmt.Fprintf(s.err, "abusedesk trail scan: --workers must be at least 1, got %d\n", *workers)
		return 2
	}
	paths := fs.Args()
	if len(paths) == 0 {
		fmt.Fprintln(s.err, "abusedesk trail scan: give at least one PATH (or - for stdin)")
		fs.Usage()
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
	if err != nil && len(res.Errors) == 0 {
		// Not one input's failure but the scan's own (interrupted).
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
		// When every input failed the errors below are the whole story; a
		// table of zeros would only bury them.
		if res.Stats.Files > 0 || len(res.Errors) == 0 {
			werr = writeTrailTable(s.out, res, elapsed)
		}
	}
	if werr != nil {
		fmt.Fprintln(s.err, "abusedesk trail scan:", werr)
		return 1
	}
	for _, e := range res.Errors {
		fmt.Fprintf(s.err, "abusedesk trail scan: %s: %s\n", e.Path, e.Err)
	}
	if *format != "table" {
		// The table says these itself; json and csv readers may not look.
		if n := res.Stats.Skipped[cloudtrail.SkipBadLine]; n > 0 {
			fmt.Fprintf(s.err, "abusedesk trail scan: skipped %d line(s) that are not valid JSON\n", n)
		}
		if res.Stats.Records == 0 {
			fmt.Fprintln(s.err, "abusedesk trail scan:", noRecords(res.Stats))
		}
	}
	if err != nil {
		return 1
	}
	return 0
}

// noRecords says plainly that nothing was analysed, so an empty result is
// not read as a clean one.
func noRecords(st cloudtrail.Stats) string {
	return fmt.Sprintf("no CloudTrail records found in %d file(s): nothing was analysed, so this is not a clean result", st.Files)
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
		for _, k := range []string{cloudtrail.SkipDigest, cloudtrail.SkipValidation, cloudtrail.SkipInsight, cloudtrail.SkipNoIdentity, cloudtrail.SkipUnknown, cloudtrail.SkipMalformed, cloudtrail.SkipBadLine} {
			if n := st.Skipped[k]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s=%d", k, n))
			}
		}
		fmt.Fprintf(tw, "Skipped: %s\n", strings.Join(parts, " "))
	}
	if st.Records == 0 {
		fmt.Fprintf(tw, "No CloudTrail records found: nothing was analysed, so this is not a clean result.\n")
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("unable to write table: %w", err)
		}
		return nil
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
