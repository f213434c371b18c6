package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/demo"
	"github.com/abusedesk/abusedesk/pkg/finding"
	"github.com/abusedesk/abusedesk/pkg/sesrep"
	"github.com/abusedesk/abusedesk/pkg/sesrep/sesaws"
)

func init() {
	register(command{
		name:    "ses",
		summary: "SES 14-day bounce and complaint rates and enforcement status per region",
		run:     runSES,
	})
}

// reputationSource is what the command reads: sesaws.Reader for real
// credentials, the demo world's SES for --demo.
type reputationSource interface {
	Reputation(ctx context.Context, region string, at time.Time) (sesrep.Report, error)
}

// demoSES opens the embedded demo account's SES; a var so tests can put
// their own world behind --demo, and nil means a build without the demo.
var demoSES = func(at time.Time) (reputationSource, error) {
	w, err := demo.Default()
	if err != nil {
		return nil, err
	}
	return w.SES(at), nil
}

// awsSES opens the real account behind the default credential chain and
// returns the region that chain is configured for.
var awsSES = func(ctx context.Context) (reputationSource, string, error) {
	cfg, err := awsx.LoadConfig(ctx, "", awsx.RetryOptions{})
	if err != nil {
		return nil, "", err
	}
	if cfg.Credentials == nil {
		return nil, "", errors.New("unable to find AWS credentials")
	}
	// Resolve now so a missing chain fails once, clearly, rather than once
	// per region.
	rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(rctx); err != nil {
		return nil, "", fmt.Errorf("unable to find AWS credentials: %w", err)
	}
	return sesaws.NewReader(cfg, sesaws.WithCloudWatch()), cfg.Region, nil
}

// regionList collects repeatable --region flags; commas also separate.
type regionList []string

func (r *regionList) String() string { return strings.Join(*r, ",") }

func (r *regionList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" || slices.Contains(*r, p) {
			continue
		}
		if !awsx.ValidRegion(p) {
			return fmt.Errorf("%q is not an AWS region name (e.g. us-east-1)", oneLine(p))
		}
		*r = append(*r, p)
	}
	return nil
}

type sesOutput struct {
	At       time.Time         `json:"at"`
	Reports  []sesrep.Report   `json:"reports"`
	Findings []finding.Finding `json:"findings"`
	Errors   []regionError     `json:"errors,omitempty"`
	// order is the regions as asked, so the table keeps the user's order
	// with failed regions in place.
	order []string
}

type regionError struct {
	Region string `json:"region"`
	Error  string `json:"error"`
}

func runSES(ctx context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("ses", flag.ContinueOnError)
	fs.SetOutput(s.err)
	var regions regionList
	fs.Var(&regions, "region", "region to check (repeatable; default: the configured region and us-east-1)")
	demo := fs.Bool("demo", false, "use the embedded demo account instead of AWS")
	format := fs.String("format", "text", "output format: text or json")
	atFlag := fs.String("at", "", "report time, RFC 3339 (default: now)")
	fs.Usage = func() {
		fmt.Fprintln(s.err, "usage: abusedesk ses [--region R ...] [--demo] [--format text|json] [--at RFC3339]")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.err, "abusedesk ses: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(s.err, "abusedesk ses: unknown format %q: want text or json\n", *format)
		return 2
	}
	at := time.Now().UTC()
	if *atFlag != "" {
		t, err := time.Parse(time.RFC3339, *atFlag)
		if err != nil {
			fmt.Fprintf(s.err, "abusedesk ses: unable to parse --at: %v\n", err)
			return 2
		}
		at = t.UTC()
	}

	var (
		src        reputationSource
		homeRegion string
	)
	if *demo {
		if demoSES == nil {
			fmt.Fprintln(s.err, "abusedesk ses: the embedded demo account is not available in this build")
			return 1
		}
		var err error
		if src, err = demoSES(at); err != nil {
			fmt.Fprintf(s.err, "abusedesk ses: %s\n", oneLine(err.Error()))
			return 1
		}
		homeRegion = "us-east-1"
	} else {
		var err error
		src, homeRegion, err = awsSES(ctx)
		if err != nil {
			fmt.Fprintf(s.err, "abusedesk ses: %s\nNo usable AWS credentials: configure them (AWS_PROFILE, environment, SSO) or run 'abusedesk ses --demo' for the embedded demo account.\n", oneLine(err.Error()))
			return 1
		}
	}
	if len(regions) == 0 {
		_ = regions.Set(homeRegion)
		_ = regions.Set("us-east-1")
	}

	out := readRegions(ctx, src, regions, at)
	var err error
	if *format == "json" {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		err = enc.Encode(out)
	} else {
		err = writeSESText(s.out, out)
	}
	if err != nil {
		fmt.Fprintf(s.err, "abusedesk ses: unable to write output: %v\n", err)
		return 1
	}
	if len(out.Errors) > 0 {
		return 1
	}
	return 0
}

// readRegions asks every region at once; the reader's own limiter and
// retryer keep that within AWS's rates.
func readRegions(ctx context.Context, src reputationSource, regions []string, at time.Time) sesOutput {
	reports := make([]sesrep.Report, len(regions))
	errs := make([]error, len(regions))
	var g errgroup.Group
	g.SetLimit(4)
	for i, region := range regions {
		g.Go(func() error {
			reports[i], errs[i] = src.Reputation(ctx, region, at)
			return nil
		})
	}
	_ = g.Wait() // errors are per region, below

	out := sesOutput{At: at, Reports: []sesrep.Report{}, Findings: []finding.Finding{}, order: regions}
	for i, region := range regions {
		if errs[i] != nil {
			out.Errors = append(out.Errors, regionError{Region: region, Error: awsx.Reason(errs[i])})
			continue
		}
		out.Reports = append(out.Reports, reports[i])
	}
	if fs := sesrep.Findings(out.Reports); fs != nil {
		out.Findings = fs
	}
	return out
}

func writeSESText(w io.Writer, out sesOutput) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "SES reputation, 14 days to %s\n\n", out.At.Format(time.RFC3339))
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tATTEMPTS\tBOUNCES\tBOUNCE RATE\tCOMPLAINTS\tCOMPLAINT RATE\tSTATUS\tVERDICT")
	byRegion := map[string]sesrep.Report{}
	for _, r := range out.Reports {
		byRegion[r.Region] = r
	}
	failed := map[string]bool{}
	for _, e := range out.Errors {
		failed[e.Region] = true
	}
	for _, region := range out.order {
		if failed[region] {
			fmt.Fprintf(tw, "%s\t-\t-\tn/a\t-\tn/a\t-\terror\n", oneLine(region))
			continue
		}
		r, ok := byRegion[region]
		if !ok {
			continue
		}
		status := "-"
		if a := r.Account; a != nil {
			status = orDash(a.EnforcementStatus)
			if !a.SendingEnabled {
				status += " (sending off)"
			}
		}
		if !r.Enabled {
			fmt.Fprintf(tw, "%s\t-\t-\tn/a\t-\tn/a\t%s\t%s\n", oneLine(r.Region), oneLine(status), sesrep.Verdict(r))
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%s\t%s\t%s\n", oneLine(r.Region),
			r.DeliveryAttempts, r.Bounces, r.BounceRateText(),
			r.Complaints, r.ComplaintRateText(), oneLine(status), sesrep.Verdict(r))
	}
	_ = tw.Flush()

	var notes []string
	for _, r := range out.Reports {
		if !r.Enabled && r.Reason != "" {
			notes = append(notes, fmt.Sprintf("%s: %s", r.Region, r.Reason))
		}
		if a := r.Account; a != nil && r.Enabled {
			notes = append(notes, fmt.Sprintf("%s: production access %s, quota %s/24h at %s/s, %s sent in the last 24h",
				r.Region, yesNo(a.ProductionAccess), quota(a.Max24HourSend), quota(a.MaxSendRate), quota(a.SentLast24Hours)))
		}
		if e := r.Enforced; e != nil {
			notes = append(notes, fmt.Sprintf("%s: AWS's enforced reputation metrics (CloudWatch, over a representative volume, not 14 days): bounce %s, complaint %s",
				r.Region, pct(e.BounceRate), pct(e.ComplaintRate)))
		}
		for _, g := range r.Gaps {
			notes = append(notes, fmt.Sprintf("%s: could not read %s", r.Region, g))
		}
	}
	for _, e := range out.Errors {
		notes = append(notes, fmt.Sprintf("%s: %s", e.Region, e.Error))
	}
	if len(notes) > 0 {
		fmt.Fprintln(ew)
		for _, n := range notes {
			fmt.Fprintf(ew, "  %s\n", oneLine(n))
		}
	}
	if len(out.Findings) > 0 {
		fmt.Fprintln(ew, "\nFindings:")
		for _, f := range out.Findings {
			fmt.Fprintf(ew, "  [%s] %s (%s): %s\n", f.Severity, f.ID, oneLine(f.Region), oneLine(f.Reason))
		}
	}
	return ew.err
}

// errWriter keeps the first write error so the text writer need not check
// every line.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no (sandbox)"
}

func quota(v float64) string {
	if v < 0 {
		return "unlimited" // AWS reports -1 for an unlimited quota
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func pct(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*v*100, 'f', 2, 64) + "%"
}
