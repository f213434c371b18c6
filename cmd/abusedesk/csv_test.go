package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/abusedesk/abusedesk/pkg/cases"
)

func TestCSVCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	list := "../../testdata/csv/spreadsheet-utf16le.txt"
	code, out, errOut := runCLI(t, "", "csv", "--out", dir, "--account", "123456789012", "--region", "us-west-2,us-east-1", list)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	m := regexp.MustCompile(`case (\d{12}-[0-9a-f]{16}) \(opened, revision 1\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no opened case in:\n%s", out)
	}
	id := m[1]
	for _, w := range []string{"utf-16le, separator tab, 5 row(s)", "2 resource(s) in the account", "1 not in the account", "203.0.113.10  3 row(s)"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	for _, name := range []string{"case.json", "report.json", "report.md", "report.en.md"} {
		if _, err := os.Stat(filepath.Join(dir, id, name)); err != nil {
			t.Error(err)
		}
	}

	// The same file again is a no-op; another file attaches as revision 2.
	code, out, _ = runCLI(t, "", "csv", "--out", dir, "--account", "123456789012", list)
	if code != 0 || !strings.Contains(out, "already on the case") {
		t.Errorf("re-import: exit %d\n%s", code, out)
	}
	stdin, err := os.ReadFile("../../testdata/csv/noheader.csv")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, string(stdin), "csv", "--out", dir, "--account", "123456789012", "--case", id, "--region", "us-west-2", "-")
	if code != 0 || !strings.Contains(out, "case "+id+" (updated, revision 2)") {
		t.Errorf("attach: exit %d\n%s%s", code, out, errOut)
	}
	c, err := (&cases.FileStore{Dir: dir}).Load(t.Context(), id)
	if err != nil || len(c.Revisions) != 2 {
		t.Errorf("case after attach: %v, %+v", err, c)
	}
}

func TestCSVCommandErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
	}{
		{"no account", "", []string{"csv", "--out", dir, "x.csv"}, 2},
		{"no file", "", []string{"csv", "--out", dir, "--account", "123456789012"}, 2},
		{"missing file", "", []string{"csv", "--out", dir, "--account", "123456789012", "/nonexistent.csv"}, 1},
		{"no usable rows", "ip\n10.0.0.1\n", []string{"csv", "--out", dir, "--account", "123456789012", "-"}, 1},
		{"unknown case", "203.0.113.1\n", []string{"csv", "--out", dir, "--account", "123456789012", "--case", "123456789012-0000000000000000", "-"}, 1},
		{"bad region", "203.0.113.1\n", []string{"csv", "--out", dir, "--account", "123456789012", "--region", "mars-1", "-"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if code, _, errOut := runCLI(t, tt.stdin, tt.args...); code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, errOut)
			}
		})
	}
}

// TestCSVCommandUnbalancedQuote: the rows after an unclosed quote are
// imported and the quote is named on the terminal, not only in the report.
func TestCSVCommandUnbalancedQuote(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "", "csv", "--out", dir, "--account", "123456789012", "--region", "us-west-2,us-east-1", "../../testdata/csv/unbalanced-quote.csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, w := range []string{"6 row(s), 0 line(s) not used, 2 note(s)", "warning: line 2: unbalanced quote at line 2", "warning: line 6: unbalanced quote at line 6", "203.0.113.10  2 row(s)"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// TestCSVCommandRedactsSecrets: secrets planted in a list reach neither the
// terminal nor any file the command writes, the outbox included.
func TestCSVCommandRedactsSecrets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "", "csv", "--out", dir, "--account", "123456789012", "--region", "us-west-2,us-east-1", "--notify", "../../testdata/csv/secrets.csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	secrets := []string{"wJalrXUtnFEMI", "bPxRfiCYEXAMPLEKEY", "FwoGZXIvYXdzEBYaDHqa0AP1", "Hunter2Hunter2"}
	for _, s := range secrets {
		if strings.Contains(out+errOut, s) {
			t.Errorf("terminal output contains %q", s)
		}
	}
	files := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s contains %q", path, s)
			}
		}
		return nil
	})
	if err != nil || files < 5 {
		t.Fatalf("walked %d files: %v", files, err)
	}
	if !strings.Contains(out, "notified:") {
		t.Errorf("no delivery in:\n%s", out)
	}
}
