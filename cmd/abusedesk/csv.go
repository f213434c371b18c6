package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/abusedesk/abusedesk/pkg/csvintake"
	"github.com/abusedesk/abusedesk/pkg/health"
)

func init() {
	register(command{name: "csv", summary: "import a list of accused IPs/instances (CSV) as one outbound case against the embedded demo account", run: runCSV})
}

// listFlag collects a repeatable flag; "a,b" counts as two values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func runCSV(ctx context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("csv", flag.ContinueOnError)
	fs.SetOutput(s.err)
	df := addDemoFlags(fs)
	account := fs.String("account", "", "affected account id (required)")
	caseID := fs.String("case", "", "attach to this existing case instead of opening an outbound-report case")
	category := fs.String("category", "", "category of a new case (spam, port-scanning, dos, ...); unknown when empty")
	notifyFlag := fs.Bool("notify", false, "also deliver the report (demo: to the outbox)")
	var regions listFlag
	fs.Var(&regions, "region", "region to look addresses up in; repeat or comma-separate (default: the case's region, else us-east-1)")
	fs.Usage = func() {
		fmt.Fprintln(s.err, "usage: abusedesk csv [--out DIR] --account ID [--case ID] [--region R ...] FILE")
		fmt.Fprintln(s.err, "\nFILE lists accused resources (IP addresses, instance ids or ARNs) with times, ports and")
		fmt.Fprintln(s.err, "log excerpts: CSV, semicolon or tab separated, UTF-8/UTF-16/CP949, header optional.")
		fmt.Fprintln(s.err, "'-' reads standard input. The demo account holds addresses in us-west-2 and us-east-1.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 || *account == "" {
		fs.Usage()
		return 2
	}
	if !health.ValidAccount(*account) {
		fmt.Fprintf(s.err, "abusedesk csv: --account %q is not a 12-digit account id\n", oneLine(*account))
		return 2
	}
	p, code := df.pipeline("csv", s, nil)
	if p == nil {
		return code
	}
	path := fs.Arg(0)
	data, err := readInput(path, s.in, csvintake.MaxBytes, "list")
	if err != nil {
		fmt.Fprintf(s.err, "%s: %v\n", path, err)
		return 1
	}
	start := time.Now()
	res, err := (&csvintake.Importer{Pipeline: p}).Import(ctx, data, csvintake.Options{
		Account: *account, CaseID: *caseID, Regions: regions, Category: *category,
		Source: filepath.Base(path),
	})
	if err == nil && *notifyFlag && res.Report != nil {
		res.Outcome, err = p.Notify(ctx, &res.Report.Report)
	}
	took := time.Since(start)
	if err != nil {
		fmt.Fprintf(s.err, "%s: %v\n", path, err)
		return 1
	}
	printImport(s.out, path, res, filepath.Join(*df.out, res.Case.ID), took)
	return 0
}

// printImport summarises an import; the per-resource detail is in the
// reports it points to.
func printImport(w io.Writer, label string, res csvintake.Result, dir string, took time.Duration) {
	c := res.Case
	if res.Report == nil {
		fmt.Fprintf(w, "%s: case %s %s: this list is already on the case, nothing to do (%s)\n", oneLine(label), c.ID, res.Status, took.Round(time.Microsecond))
		return
	}
	r, in := res.Report, res.Report.Intake
	fmt.Fprintf(w, "%s: case %s (%s, revision %d)\n", oneLine(label), c.ID, res.Status, r.Revision)
	fmt.Fprintf(w, "  account %s  %s %s  category %s  risk %s\n", r.Account, r.Service, r.Code, r.Category, strings.ToUpper(r.Risk.String()))
	fmt.Fprintf(w, "  list: %s, separator %s, %d row(s), %d line(s) not used, %d note(s)\n", in.Encoding, in.Separator, in.Rows, len(res.Parsed.Rejected), len(res.Parsed.Notes))
	// An unbalanced quote changes how every line after it was read, so it
	// is shown here rather than only in the report.
	shown := 0
	for _, n := range res.Parsed.Notes {
		if n.Kind != csvintake.ProblemQuote {
			continue
		}
		if shown == 5 {
			fmt.Fprintln(w, "  warning: more unbalanced quotes; see the report")
			break
		}
		shown++
		fmt.Fprintf(w, "  warning: line %d: %s\n", n.Line, oneLine(n.Reason))
	}
	fmt.Fprintf(w, "  %d resource(s) in the account or not checkable, %d not in the account (looked up in %s)\n",
		len(in.Resources), len(in.NotInAccount), strings.Join(in.Regions, ", "))
	for i, e := range in.Resources {
		if i == 10 {
			fmt.Fprintf(w, "  … and %d more\n", len(in.Resources)-10)
			break
		}
		desc := e.What
		if e.Status != csvintake.StatusFound {
			desc = e.Status + ": " + e.Reason
		}
		fmt.Fprintf(w, "  - %s  %d row(s)  [%s]  %s\n", oneLine(e.Resource.Value), e.Rows, e.Risk, oneLine(desc))
	}
	if len(res.Outcome.Deliveries) > 0 {
		var states []string
		for _, d := range res.Outcome.Deliveries {
			states = append(states, d.Channel+" "+d.State)
		}
		fmt.Fprintf(w, "  notified: %s\n", strings.Join(states, ", "))
	}
	var files []string
	for _, name := range []string{"report.json", "report.md", "report.en.md", "timeline.csv"} {
		if r.Locations[name] != "" {
			files = append(files, name)
		}
	}
	fmt.Fprintf(w, "  outputs: %s/{%s}\n", dir, strings.Join(files, ","))
	fmt.Fprintf(w, "  took %s\n", took.Round(time.Microsecond))
}
