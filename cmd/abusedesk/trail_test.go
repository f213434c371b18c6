package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/abusedesk/abusedesk/pkg/cloudtrail"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, stdio{in: strings.NewReader(stdin), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

func TestTrailScan(t *testing.T) {
	t.Parallel()
	stratus := "../../testdata/cloudtrail/stratus-red-team"
	clean := "../../testdata/cloudtrail/clean"
	shapes := "../../testdata/cloudtrail/shapes"
	createAdmin, err := os.ReadFile(stratus + "/aws.persistence.iam-create-admin-user.json")
	if err != nil {
		t.Fatal(err)
	}
	badLine, err := os.ReadFile(shapes + "/lines-with-bad-line.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	notJSON := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notJSON, []byte("not CloudTrail\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const noRecords = "No CloudTrail records found"
	tests := []struct {
		name      string
		stdin     string
		args      []string
		code      int
		wantOut   []string
		rejectOut []string
		wantErr   []string
	}{
		{name: "table with findings exits 0", args: []string{"trail", "scan", stratus}, wantOut: []string{"cloudtrail-tampered", "Timeline", "Overall risk: critical"}, rejectOut: []string{noRecords}},
		{name: "clean exits 0 without findings", args: []string{"trail", "scan", clean}, wantOut: []string{"No findings.", "Overall risk: info"}, rejectOut: []string{"Timeline", noRecords}},
		{name: "stdin", stdin: string(createAdmin), args: []string{"trail", "scan", "-"}, wantOut: []string{"seq-create-user-then-admin"}},
		{name: "missing path is an error", args: []string{"trail", "scan", "/nonexistent/trail"}, code: 1, rejectOut: []string{"Scanned"}, wantErr: []string{"/nonexistent/trail"}},
		{name: "missing path does not hide the others", args: []string{"trail", "scan", "/nonexistent/trail", stratus}, code: 1, wantOut: []string{"Overall risk: critical"}, wantErr: []string{"/nonexistent/trail"}},
		{name: "device is an error naming it", args: []string{"trail", "scan", os.DevNull}, code: 1, wantErr: []string{os.DevNull, "not a regular file or directory"}},
		{name: "not JSON is skipped but never reads as clean", args: []string{"trail", "scan", notJSON}, wantOut: []string{"Scanned 1 files, 0 records", "not-an-event=1", noRecords, "not a clean result"}, rejectOut: []string{"Overall risk", "No findings."}},
		{name: "not JSON, json format, says so on stderr", args: []string{"trail", "scan", "--format", "json", notJSON}, wantOut: []string{`"records": 0`}, wantErr: []string{"no CloudTrail records found"}},
		{name: "bad JSON Lines line is skipped, the rest read", stdin: string(badLine), args: []string{"trail", "scan", "-"}, wantOut: []string{"Scanned 1 files, 3 records", "malformed-line=1", "Overall risk"}},
		{name: "bad JSON Lines line, csv, reported on stderr", stdin: string(badLine), args: []string{"trail", "scan", "--format", "csv", "-"}, wantErr: []string{"skipped 1 line(s)"}},
		{name: "no path is a usage error", args: []string{"trail", "scan"}, code: 2, wantErr: []string{"usage: abusedesk trail scan"}},
		{name: "bad format", args: []string{"trail", "scan", "--format", "xml", clean}, code: 2},
		{name: "negative workers", args: []string{"trail", "scan", "--workers", "-5", clean}, code: 2, wantErr: []string{"--workers must be at least 1"}},
		{name: "zero workers", args: []string{"trail", "scan", "--workers", "0", clean}, code: 2, wantErr: []string{"--workers must be at least 1"}},
		{name: "one worker", args: []string{"trail", "scan", "--workers", "1", clean}, wantOut: []string{"No findings."}},
		{name: "corrupt input is an error", stdin: `{"Records":[{"eventName":`, args: []string{"trail", "scan", "-"}, code: 1},
		{name: "sql", args: []string{"trail", "sql", "--table", "ct_logs"}, wantOut: []string{"FROM ct_logs", "UNION ALL", "'iam-admin-policy-attached'"}},
		{name: "sql rejects injection", args: []string{"trail", "sql", "--table", "x; DROP TABLE y"}, code: 2},
		{name: "sql rejects arguments", args: []string{"trail", "sql", "extra"}, code: 2, wantErr: []string{"usage: abusedesk trail sql"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, r := range tt.rejectOut {
				if strings.Contains(out, r) {
					t.Errorf("output has %q:\n%s", r, out)
				}
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// Asking for help succeeds; missing or wrong arguments are usage errors
// (exit 2) with the usage on stderr, at every level of the CLI.
func TestHelpAndUsageExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // must appear on stdout ("" for none at all)
		stderr string // must appear on stderr ("" for none at all)
	}{
		{"no arguments", nil, 2, "", "usage: abusedesk <command>"},
		{"help", []string{"help"}, 0, "usage: abusedesk <command>", ""},
		{"-h", []string{"-h"}, 0, "usage: abusedesk <command>", ""},
		{"--help", []string{"--help"}, 0, "usage: abusedesk <command>", ""},
		{"unknown command", []string{"nope"}, 2, "", "unknown command"},
		{"trail without subcommand", []string{"trail"}, 2, "", "usage: abusedesk trail <subcommand>"},
		{"trail -h", []string{"trail", "-h"}, 0, "usage: abusedesk trail <subcommand>", ""},
		{"trail help", []string{"trail", "help"}, 0, "usage: abusedesk trail <subcommand>", ""},
		{"trail unknown subcommand", []string{"trail", "nope"}, 2, "", "unknown subcommand"},
		{"trail scan -h", []string{"trail", "scan", "-h"}, 0, "", "usage: abusedesk trail scan [flags] PATH...\n"},
		{"trail scan --help", []string{"trail", "scan", "--help"}, 0, "", "-workers int"},
		{"trail sql -h", []string{"trail", "sql", "-h"}, 0, "", "usage: abusedesk trail sql [flags]\n"},
		{"trail scan unknown flag", []string{"trail", "scan", "--nope", "x"}, 2, "", "usage: abusedesk trail scan"},
		{"trail sql unknown flag", []string{"trail", "sql", "--nope"}, 2, "", "usage: abusedesk trail sql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			for _, c := range []struct{ name, got, want string }{{"stdout", out, tt.stdout}, {"stderr", errOut, tt.stderr}} {
				if c.want == "" && c.got != "" {
					t.Errorf("%s should be empty:\n%s", c.name, c.got)
				}
				if !strings.Contains(c.got, c.want) {
					t.Errorf("%s lacks %q:\n%s", c.name, c.want, c.got)
				}
			}
		})
	}
}

func TestTrailScanJSONAndCSV(t *testing.T) {
	t.Parallel()
	dir := "../../testdata/cloudtrail/stratus-red-team"
	code, out, errOut := runCLI(t, "", "trail", "scan", "--format", "json", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res cloudtrail.ScanResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Stats.Records == 0 || len(res.Findings) == 0 || len(res.Timeline) == 0 {
		t.Fatalf("json result incomplete: %+v", res.Stats)
	}
	code, out, errOut = runCLI(t, "", "trail", "scan", "--format", "csv", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(res.Timeline)+1 || strings.Join(rows[0], ",") != strings.Join(cloudtrail.TimelineCSVHeader, ",") {
		t.Errorf("csv has %d rows for %d timeline entries; header %v", len(rows), len(res.Timeline), rows[0])
	}
}
