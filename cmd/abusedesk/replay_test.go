package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const realHealth = "../../testdata/realdata/health"

func replay(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"replay"}, args...), stdio{in: strings.NewReader(stdin), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

var caseLine = regexp.MustCompile(`: case ([a-z0-9-]+) \((opened|updated), revision (\d+)\)`)

// written lists what a run left under dir.
func written(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestReplayRealSamples asserts the outcome testdata/realdata/README.md
// documents for each public sample, each replayed alone into a fresh
// directory.
func TestReplayRealSamples(t *testing.T) {
	t.Parallel()
	type outcome struct {
		code    int
		caseID  string // prefix of the case id; "" for no case
		stdout  string // substring
		stderr  string // substring
		warning string // substring of a report warning
	}
	want := map[string]outcome{
		"aws-health-abuse-event-sample-1.json":                    {0, "123456789012-", "(opened, revision 1)", "", ""},
		"aws-health-abuse-event-sample-2.json":                    {0, "123456789012-", "category dos", "", ""},
		"aws-health-event-sample-1.json":                          {0, "", "skipped: service ELASTICLOADBALANCING (AWS_ELASTICLOADBALANCING_OPERATIONAL_ISSUE) is not ABUSE or RISK", "", ""},
		"aws-health-event-sample-2.json":                          {0, "", "skipped: service EC2 (AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED) is not ABUSE or RISK", "", ""},
		"aws-health-tools-dos-mockpayload.putevents.json":         {1, "", "", `source is "awsmock.health", want aws.health`, ""},
		"aws-health-tools-risk-credentials-exposed.json":          {0, "123456789012-", "category credentials-exposed", "", ""},
		"hmrc-risk-credentials-exposed-org.json":                  {0, "123456789012-", "account 123456789012", "", ""},
		"hmrc-risk-credentials-exposed.sns-wrapped.json":          {0, "123456789012-", "account 123456789012", "", ""},
		"notify-and-remediate-risk-credentials-exposed-2025.json": {0, "unknown-", "account unknown", "", "no valid account id"},
	}
	files, err := filepath.Glob(realHealth + "/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	ids := map[string]string{}
	for _, f := range files {
		name := filepath.Base(f)
		w, ok := want[name]
		if !ok {
			t.Errorf("%s has no documented outcome in this test (add it here and to the README)", name)
			continue
		}
		dir := t.TempDir()
		code, stdout, stderr := replay(t, "", "--out", dir, f)
		if code != w.code {
			t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", name, code, w.code, stdout, stderr)
		}
		if !strings.Contains(stdout, w.stdout) || !strings.Contains(stderr, w.stderr) {
			t.Errorf("%s: want stdout ∋ %q, stderr ∋ %q\nstdout: %s\nstderr: %s", name, w.stdout, w.stderr, stdout, stderr)
		}
		m := caseLine.FindStringSubmatch(stdout)
		if w.caseID == "" {
			if m != nil {
				t.Errorf("%s: opened case %s, want none", name, m[1])
			}
			if got := written(t, dir); len(got) != 0 {
				t.Errorf("%s: wrote %q, want nothing", name, got)
			}
			continue
		}
		if m == nil || !strings.HasPrefix(m[1], w.caseID) || m[2] != "opened" {
			t.Errorf("%s: no opened case %s…: %s", name, w.caseID, stdout)
			continue
		}
		ids[name] = m[1]
		for _, p := range []string{"case.json", "report.json", "report.md", "outbox/r1"} {
			if _, err := os.Stat(filepath.Join(dir, m[1], p)); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		var r struct{ Warnings []string }
		if b, err := os.ReadFile(filepath.Join(dir, m[1], "report.json")); err == nil {
			json.Unmarshal(b, &r)
		}
		if w.warning != "" && !slices.ContainsFunc(r.Warnings, func(s string) bool { return strings.Contains(s, w.warning) }) {
			t.Errorf("%s: report warnings %q lack %q", name, r.Warnings, w.warning)
		}
	}
	if a, b := ids["hmrc-risk-credentials-exposed-org.json"], ids["hmrc-risk-credentials-exposed.sns-wrapped.json"]; a == "" || a != b {
		t.Errorf("the SNS-wrapped event opened case %q, the org form %q: want the same", b, a)
	}
}

// TestReplayAllSamplesTogether is `make demo`'s first step: every sample in
// one directory; only the mock payload fails, and the SNS copy of the org
// event is a redelivery.
func TestReplayAllSamplesTogether(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(realHealth + "/*.json")
	dir := t.TempDir()
	code, stdout, stderr := replay(t, "", append([]string{"--out", dir}, files...)...)
	if code != 1 || !strings.Contains(stderr, "1 of 9 file(s) failed") {
		t.Errorf("exit %d\nstderr: %s", code, stderr)
	}
	if strings.Count(stderr, "aws-health-tools-dos-mockpayload.putevents.json") != 1 {
		t.Errorf("the failing file should be named once:\n%s", stderr)
	}
	if !strings.Contains(stdout, "hmrc-risk-credentials-exposed.sns-wrapped.json: case ") || !strings.Contains(stdout, "already recorded: 3 already sent") {
		t.Errorf("the SNS copy is not a redelivery:\n%s", stdout)
	}
}

func TestReplayTwiceIsIdempotent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sample := realHealth + "/aws-health-abuse-event-sample-2.json"
	if code, _, stderr := replay(t, "", "--out", dir, sample); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	before := written(t, dir)
	code, stdout, _ := replay(t, "", "--out", dir, sample)
	if code != 0 || !strings.Contains(stdout, "already recorded: 3 already sent, nothing new written") {
		t.Errorf("second run: exit %d\n%s", code, stdout)
	}
	if after := written(t, dir); !slices.Equal(before, after) {
		t.Errorf("second run wrote files: %q → %q", before, after)
	}
}

const validEventJSON = `{"detail-type":"AWS Health Abuse Event","source":"aws.health","account":"123456789012",
"detail":{"eventArn":"arn:aws:health:global::event/X","service":"ABUSE","eventTypeCode":"AWS_ABUSE_DOS_REPORT",
"lastUpdatedTime":"Mon, 10 Feb 2025 09:15:00 GMT"}}`

func TestReplayBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, content, want string
	}{
		{"empty", "", "empty input"},
		{"truncated", `{"detail-type":"AWS Health Abuse Event","source":"aws.hea`, "not JSON"},
		{"not health", `{"detail-type":"x","source":"aws.ec2","detail":{}}`, `source is "aws.ec2"`},
		{"no detail fields", `{"detail-type":"AWS Health Event","source":"aws.health","detail":{}}`, "lacks eventArn"},
		{"array with one bad item", `[{"detail":{}}, 42]`, "item 1"},
		{"array with one valid and one invalid event", "[" + validEventJSON + "," + strings.Replace(validEventJSON, `"aws.health"`, `"aws.s3"`, 1) + "]", `item 1: invalid event: source is "aws.s3"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := filepath.Join(t.TempDir(), "event.json")
			if err := os.WriteFile(in, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "out")
			code, stdout, stderr := replay(t, "", "--out", out, in)
			if code == 0 {
				t.Errorf("exit 0 for bad input\nstdout: %s", stdout)
			}
			if !strings.Contains(stderr, in+": ") || !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks the file and %q:\n%s", tt.want, stderr)
			}
			if got := written(t, out); len(got) != 0 {
				t.Errorf("bad input wrote %q", got)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		t.Parallel()
		out := t.TempDir()
		code, _, stderr := replay(t, "", "--out", out, filepath.Join(out, "nope.json"))
		if code == 0 || !strings.Contains(stderr, "unable to read event") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("no files", func(t *testing.T) {
		t.Parallel()
		if code, _, stderr := replay(t, ""); code != 2 || !strings.Contains(stderr, "usage: abusedesk replay") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
}

func TestReplayStdin(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../events/abuse-dos.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	code, stdout, stderr := replay(t, string(raw), "--out", dir, "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := caseLine.FindStringSubmatch(stdout)
	if m == nil || !strings.HasPrefix(stdout, "-: case ") {
		t.Fatalf("no case from stdin:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, m[1], "report.json")); err != nil {
		t.Error(err)
	}
}

// TestReplaySummaryIsOneLinePerField: attacker text in the event cannot
// forge lines in the terminal summary.
func TestReplaySummaryIsOneLinePerField(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, stdout, stderr := replay(t, "", "--out", dir, "../../events/edge-hostile-description.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "Subject:") || strings.Contains(line, "\r") {
			t.Errorf("forged line %q", line)
		}
	}
}

func TestReplayDirectory(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../../events/*.json")
	code, stdout, stderr := replay(t, "", "--out", t.TempDir(), "../../events")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got := strings.Count(stdout, ": case "); got != len(files) {
		t.Fatalf("replayed %d events from the directory, want %d:\n%s", got, len(files), stdout)
	}
	if code, _, stderr := replay(t, "", "--out", t.TempDir(), t.TempDir()); code == 0 || !strings.Contains(stderr, "no *.json files") {
		t.Fatalf("an empty directory: exit %d, %s", code, stderr)
	}
}
