package cloudtrail

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScanPathsInputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rec := `{"eventTime":"2024-01-01T00:00:00Z","eventName":"A","userIdentity":{"type":"Root"}}`
	write := func(name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := func(target, name string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Skipf("no symlinks here: %v", err)
		}
		return p
	}
	good := write("logs/a.json", rec)
	write("logs/sub/b.jsonl", rec+"\n{\"eventName\":\n"+rec+"\n")
	write("logs/README", "not json\n")
	link(filepath.Join(dir, "logs"), "logs/sub/self")      // a loop, if followed
	link(filepath.Join(dir, "loop2"), "loop1")             // loop1 -> loop2 -> loop1
	link(filepath.Join(dir, "loop1"), "loop2")             //
	link(filepath.Join(dir, "loop1"), "logs/dangling-ish") // a link to a loop inside a walked directory
	dirLink := link(filepath.Join(dir, "logs"), "logs-link")
	tests := []struct {
		name    string
		paths   []string
		records int64
		files   int
		errs    []string // paths that must be reported
	}{
		{"directory walk skips links and reads bad lines past", []string{filepath.Join(dir, "logs")}, 3, 3, nil},
		{"link to a directory is walked", []string{dirLink}, 3, 3, nil},
		{"file", []string{good}, 1, 1, nil},
		{"device named explicitly", []string{os.DevNull}, 0, 0, []string{os.DevNull}},
		{"link loop named explicitly", []string{filepath.Join(dir, "loop1")}, 0, 0, []string{"loop1"}},
		{"missing path does not stop the others", []string{filepath.Join(dir, "missing"), good}, 1, 1, []string{"missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := ScanPaths(context.Background(), tt.paths, ScanOptions{Workers: 2})
			if res.Stats.Records != tt.records || res.Stats.Files != tt.files {
				t.Errorf("scanned %d files, %d records; want %d, %d", res.Stats.Files, res.Stats.Records, tt.files, tt.records)
			}
			if (err != nil) != (len(tt.errs) > 0) || len(res.Errors) != len(tt.errs) {
				t.Fatalf("err %v, errors %+v, want errors for %v", err, res.Errors, tt.errs)
			}
			for i, want := range tt.errs {
				if !strings.Contains(res.Errors[i].Path, want) {
					t.Errorf("error %d names %q, want %q", i, res.Errors[i].Path, want)
				}
			}
		})
	}
}
