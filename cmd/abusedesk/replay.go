package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/abusedesk/abusedesk/pkg/app"
	"github.com/abusedesk/abusedesk/pkg/config"
	"github.com/abusedesk/abusedesk/pkg/health"
	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/pipeline"
)

func init() {
	register(command{name: "replay", summary: "run the whole pipeline on event files against the embedded demo account", run: runReplay})
}

func runReplay(ctx context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(s.err)
	df := addDemoFlags(fs)
	contactsFile := fs.String("contacts", "", "JSON contacts file (default: the demo account's own contact; also $"+config.EnvContactsFile+")")
	fs.Usage = func() {
		fmt.Fprintln(s.err, "usage: abusedesk replay [--out DIR] FILE|DIR...")
		fmt.Fprintln(s.err, "\nEach FILE holds an AWS Health event (EventBridge shape, an array of them or of")
		fmt.Fprintln(s.err, "PutEvents entries, or an SNS delivery). A DIR replays its *.json files in name\norder; '-' reads standard input.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	p, code := df.pipeline("replay", s, func(c *config.Config) {
		if *contactsFile != "" {
			c.ContactsFile = *contactsFile
		}
	})
	if p == nil {
		return code
	}
	failed := 0
	files, err := expandDirs(fs.Args())
	if err != nil {
		fmt.Fprintln(s.err, "abusedesk replay:", err)
		return 1
	}
	for _, path := range files {
		if err := replayFile(ctx, p, path, *df.out, s); err != nil {
			fmt.Fprintf(s.err, "%s: %v\n", path, err)
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(s.err, "abusedesk replay: %d of %d file(s) failed\n", failed, len(files))
		return 1
	}
	return 0
}

// replayFile runs every event in one file. A skipped event is reported and
// is not an error; invalid input is, and a file with any invalid event is
// rejected whole so that nothing is written for it.
func replayFile(ctx context.Context, p *pipeline.Pipeline, path, out string, s stdio) error {
	raw, err := readInput(path, s.in, health.MaxEventBytes, "event")
	if err != nil {
		return err
	}
	evs, err := health.Decode(raw)
	if err != nil {
		return err
	}
	// The caller prefixes errors with the path; only an item index is
	// added here.
	label := func(i int) string {
		if len(evs) > 1 {
			return fmt.Sprintf("%s[%d]", path, i)
		}
		return path
	}
	errLabel := func(i int, err error) error {
		if len(evs) > 1 {
			return fmt.Errorf("item %d: %w", i, err)
		}
		return err
	}
	var errs []error
	notices := make([]*health.Notice, len(evs))
	for i, ev := range evs {
		n, err := health.Validate(ev)
		switch {
		case health.IsSkip(err):
			fmt.Fprintf(s.out, "%s: %v\n", label(i), err)
		case err != nil:
			errs = append(errs, errLabel(i, err))
		default:
			notices[i] = &n
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for i, n := range notices {
		if n == nil {
			continue
		}
		start := time.Now()
		res, err := p.Process(ctx, *n)
		took := time.Since(start)
		if err != nil {
			errs = append(errs, errLabel(i, err))
			continue
		}
		printSummary(s.out, label(i), res, out, took)
	}
	return errors.Join(errs...)
}

func printSummary(w io.Writer, label string, res pipeline.Result, out string, took time.Duration) {
	c := res.Ingested.Case
	if res.Ingested.Status == pipeline.StatusDuplicate {
		fmt.Fprintf(w, "%s: case %s revision %d already recorded: %s (%s)\n", label, c.ID, res.Ingested.Revision.N, deliveries(res.Outcome), took.Round(time.Microsecond))
		return
	}
	r := res.Report
	fmt.Fprintf(w, "%s: case %s (%s, revision %d)\n", label, c.ID, res.Ingested.Status, r.Revision)
	fmt.Fprintf(w, "  account %s  %s %s  category %s  risk %s\n", r.Account, r.Service, r.Code, r.Category, strings.ToUpper(r.Risk.String()))
	top := r.Top()
	for i, f := range top {
		if i == 3 {
			fmt.Fprintf(w, "  … and %d more high/critical finding(s)\n", len(top)-3)
			break
		}
		fmt.Fprintf(w, "  - [%s] %s (%s)\n", f.Severity, oneLine(f.Title), oneLine(f.Resource))
	}
	fmt.Fprintf(w, "  notified: %s\n", byChannel(res.Outcome))
	var files []string
	for _, name := range []string{"report.json", "report.md", "report.en.md", "timeline.csv"} {
		if r.Locations[name] != "" {
			files = append(files, name)
		}
	}
	fmt.Fprintf(w, "  outputs: %s/{%s} and %s\n", filepath.Join(out, c.ID), strings.Join(files, ","), app.DemoOutboxDir(out, c.ID, r.Revision))
	fmt.Fprintf(w, "  took %s\n", took.Round(time.Microsecond))
}

var stateWords = map[string]string{
	"sent": "sent", "duplicate": "already sent", "in-progress": "being sent by another run",
	"unknown": "unknown (check by hand)", "failed": "FAILED", "skipped": "skipped",
}

// deliveries summarises a redelivery's outcome by state, e.g. "3 already
// sent, nothing new written".
func deliveries(o notify.Outcome) string {
	var parts []string
	for _, st := range []string{"duplicate", "sent", "in-progress", "failed", "unknown", "skipped"} {
		if n := o.Count(st); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, stateWords[st]))
		}
	}
	if len(parts) == 0 {
		return "nothing to deliver"
	}
	if o.Count("sent") == 0 {
		parts = append(parts, "nothing new written")
	}
	return strings.Join(parts, ", ")
}

// byChannel summarises a first delivery per channel, e.g. "e-mail sent
// (2), SNS sent, EventBridge sent".
func byChannel(o notify.Outcome) string {
	names := map[string]string{notify.ChannelEmail: "e-mail", notify.ChannelSNS: "SNS", notify.ChannelBus: "EventBridge"}
	var parts []string
	for _, ch := range []string{notify.ChannelEmail, notify.ChannelSNS, notify.ChannelBus, "all"} {
		counts := map[string]int{}
		var order []string
		for _, d := range o.Deliveries {
			if d.Channel != ch {
				continue
			}
			if ch == "all" {
				return oneLine(d.Detail)
			}
			if counts[d.State] == 0 {
				order = append(order, d.State)
			}
			counts[d.State]++
		}
		for _, st := range order {
			p := names[ch] + " " + stateWords[st]
			if counts[st] > 1 {
				p += fmt.Sprintf(" (%d)", counts[st])
			}
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}
