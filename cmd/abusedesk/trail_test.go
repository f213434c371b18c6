package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
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
	createAdmin, err := os.ReadFile(stratus + "/aws.persistence.iam-create-admin-user.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		stdin     string
		args      []string
		code      int
		wantOut   []string
		rejectOut []string
	}{
		{"table with findings exits 0", "", []string{"trail", "scan", stratus}, 0, []string{"cloudtrail-tampered", "Timeline", "Overall risk: critical"}, nil},
		{"clean exits 0 without findings", "", []string{"trail", "scan", clean}, 0, []string{"No findings."}, []string{"Timeline"}},
		{"stdin", string(createAdmin), []string{"trail", "scan", "-"}, 0, []string{"seq-create-user-then-admin"}, nil},
		{"missing path is an error", "", []string{"trail", "scan", "/nonexistent/trail"}, 1, nil, nil},
		{"no path is a usage error", "", []string{"trail", "scan"}, 2, nil, nil},
		{"bad format", "", []string{"trail", "scan", "--format", "xml", clean}, 2, nil, nil},
		{"corrupt input is an error", `{"Records":[{"eventName":`, []string{"trail", "scan", "-"}, 1, nil, nil},
		{"sql", "", []string{"trail", "sql", "--table", "ct_logs"}, 0, []string{"FROM ct_logs", "UNION ALL", "'iam-admin-policy-attached'"}, nil},
		{"sql rejects injection", "", []string{"trail", "sql", "--table", "x; DROP TABLE y"}, 2, nil, nil},
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
