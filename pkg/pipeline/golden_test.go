package pipeline_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from this run")

const goldenDir = "testdata/golden"

// TestGoldenReports replays every events/ file in order, as `make demo`
// does, and compares each revision's reports with the reviewed goldens.
// Only the output directory is masked: the clock is fixed and the demo
// account is embedded, so everything else must be reproducible.
func TestGoldenReports(t *testing.T) {
	paths, err := filepath.Glob(eventsDir + "/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no events: %v", err)
	}
	dir := t.TempDir()
	p := demo(t, dir)
	seen := map[string]bool{}
	for _, path := range paths {
		name := filepath.Base(path)
		seen[name] = true
		res := process(t, p, notice(t, path))
		if res.Report == nil {
			t.Errorf("%s: no report (status %s)", name, res.Ingested.Status)
			continue
		}
		revDir := filepath.Join(dir, res.Report.CaseID, fmt.Sprintf("r%d", res.Report.Revision))
		want := []string{"report.json", "report.md"}
		if res.Report.Language != "en" {
			want = append(want, "report.en.md")
		}
		for _, f := range want {
			got, err := os.ReadFile(filepath.Join(revDir, f))
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			got = bytes.ReplaceAll(got, []byte(dir), []byte("$OUT"))
			compareGolden(t, filepath.Join(goldenDir, name, f), got)
		}
		// No golden may be left over from a report that is no longer made.
		if olds, _ := os.ReadDir(filepath.Join(goldenDir, name)); len(olds) != len(want) && !*update {
			t.Errorf("%s: %d golden files, want %d", name, len(olds), len(want))
		}
	}
	gone, _ := os.ReadDir(goldenDir)
	for _, de := range gone {
		if !seen[de.Name()] {
			if *update {
				os.RemoveAll(filepath.Join(goldenDir, de.Name()))
				continue
			}
			t.Errorf("golden %s has no event file", de.Name())
		}
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%v (run go test ./pkg/pipeline -run TestGoldenReports -update, then review the diff)", err)
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from this run (review, then -update if intended):\n%s", path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first differing line with a little context.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, w, g)
		}
	}
	return "(lengths differ)"
}
