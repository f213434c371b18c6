package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/sesrep"
)

// fakeSES answers from per-region points through the real Summarize, so
// the command's figures are the package's figures.
type fakeSES struct {
	mu      sync.Mutex
	asked   []string
	points  map[string][]sesrep.Point
	account map[string]*sesrep.Account
	off     map[string]string
	fail    map[string]error
}

func (f *fakeSES) Reputation(_ context.Context, region string, at time.Time) (sesrep.Report, error) {
	f.mu.Lock()
	f.asked = append(f.asked, region)
	f.mu.Unlock()
	if err := f.fail[region]; err != nil {
		return sesrep.Report{}, err
	}
	if reason, ok := f.off[region]; ok {
		return sesrep.Report{Region: region, Reason: reason}, nil
	}
	r := sesrep.Summarize(region, f.points[region], at)
	r.Account = f.account[region]
	return r, nil
}

var cliAt = time.Date(2024, 5, 20, 12, 0, 0, 0, time.UTC)

func newFakeSES() *fakeSES {
	return &fakeSES{
		points: map[string][]sesrep.Point{
			"us-east-1": {{Timestamp: cliAt.Add(-time.Hour), DeliveryAttempts: 1000, Bounces: 100, Complaints: 1}},
			"us-west-2": nil,
		},
		account: map[string]*sesrep.Account{
			"us-east-1": {EnforcementStatus: sesrep.StatusProbation, SendingEnabled: true, ProductionAccess: true, Max24HourSend: 50000, MaxSendRate: 14},
		},
		off: map[string]string{"eu-west-1": "SES is not set up in this region\x1b[31m"},
	}
}

func TestSESCommand(t *testing.T) {
	f := newFakeSES()
	f.fail = map[string]error{"ap-south-1": errors.New("boom")}
	old := demoSES
	demoSES = func(time.Time) (reputationSource, error) { return f, nil }
	t.Cleanup(func() { demoSES = old })

	tests := []struct {
		name     string
		args     []string
		wantCode int
		check    func(t *testing.T, out, errOut string)
	}{
		{
			name: "text table per region",
			args: []string{"--demo", "--at", "2024-05-20T12:00:00Z", "--region", "us-east-1", "--region", "us-west-2,eu-west-1"},
			check: func(t *testing.T, out, _ string) {
				for _, want := range []string{
					"10.00%", "0.10%", "PROBATION", "pause level",
					"[high] ses.bounce-rate-pause", "ses.enforcement-probation",
				} {
					if !strings.Contains(out, want) {
						t.Errorf("output lacks %q:\n%s", want, out)
					}
				}
				if f := strings.Fields(lineWith(out, "us-east-1 ")); len(f) < 3 || f[1] != "1000" || f[2] != "100" {
					t.Errorf("us-east-1 row %q", lineWith(out, "us-east-1 "))
				}
				west := lineWith(out, "us-west-2 ")
				if strings.Count(west, "n/a") != 2 || !strings.Contains(west, "no sends") {
					t.Errorf("zero sends must print n/a rates: %q", west)
				}
				if !strings.Contains(lineWith(out, "eu-west-1 "), "not enabled") {
					t.Errorf("eu-west-1 row: %q", lineWith(out, "eu-west-1 "))
				}
				if strings.Contains(out, "\x1b") {
					t.Error("escape sequence from a reason reached the terminal")
				}
			},
		},
		{
			name: "json",
			args: []string{"--demo", "--format", "json", "--at", "2024-05-20T12:00:00Z", "--region", "us-east-1,us-west-2"},
			check: func(t *testing.T, out, _ string) {
				var got sesOutput
				if err := json.Unmarshal([]byte(out), &got); err != nil {
					t.Fatalf("not JSON: %v\n%s", err, out)
				}
				if !got.At.Equal(cliAt) || len(got.Reports) != 2 || got.Reports[0].Region != "us-east-1" || got.Reports[0].Bounces != 100 {
					t.Errorf("reports %+v", got.Reports)
				}
				if got.Reports[1].BounceRate != nil {
					t.Error("zero sends carried a bounce rate")
				}
				if len(got.Findings) == 0 {
					t.Error("no findings")
				}
			},
		},
		{
			name:     "a failing region is reported and fails the command",
			args:     []string{"--demo", "--at", "2024-05-20T12:00:00Z", "--region", "ap-south-1", "--region", "us-east-1"},
			wantCode: 1,
			check: func(t *testing.T, out, _ string) {
				if !strings.Contains(lineWith(out, "ap-south-1 "), "error") || !strings.Contains(out, "boom") {
					t.Errorf("failure not shown:\n%s", out)
				}
				if f := strings.Fields(lineWith(out, "us-east-1 ")); len(f) < 2 || f[1] != "1000" {
					t.Errorf("other regions must still print:\n%s", out)
				}
			},
		},
		{name: "bad format", args: []string{"--demo", "--format", "xml"}, wantCode: 2},
		{name: "bad time", args: []string{"--demo", "--at", "yesterday"}, wantCode: 2},
		{name: "stray argument", args: []string{"--demo", "us-east-1"}, wantCode: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), append([]string{"ses"}, tc.args...), stdio{out: &out, err: &errOut})
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.wantCode, errOut.String())
			}
			if tc.check != nil {
				tc.check(t, out.String(), errOut.String())
			}
		})
	}
}

func TestSESCommandDefaultRegions(t *testing.T) {
	f := newFakeSES()
	old := demoSES
	demoSES = func(time.Time) (reputationSource, error) { return f, nil }
	t.Cleanup(func() { demoSES = old })
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"ses", "--demo"}, stdio{out: &out, err: &errOut}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if len(f.asked) != 1 || f.asked[0] != "us-east-1" {
		t.Errorf("asked %v, want the home region once (us-east-1 is both)", f.asked)
	}
}

func TestSESCommandWithoutDemoWiring(t *testing.T) {
	old := demoSES
	demoSES = nil
	t.Cleanup(func() { demoSES = old })
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"ses", "--demo"}, stdio{out: &out, err: &errOut}); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(errOut.String(), "demo account is not available") {
		t.Errorf("stderr %q", errOut.String())
	}
}

// With no credential source at all the real chain fails and the command
// points at --demo.
func TestSESCommandWithoutCredentials(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "",
		"AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_REGION": "us-east-1",
	} {
		t.Setenv(k, v)
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"ses"}, stdio{out: &out, err: &errOut}); code != 1 {
		t.Fatalf("exit %d, stdout %s", code, out.String())
	}
	if !strings.Contains(errOut.String(), "--demo") {
		t.Errorf("stderr does not suggest --demo: %q", errOut.String())
	}
}

// The embedded demo account answers offline with its story: us-east-1 on
// probation after a bounce spike, eu-west-1 without SES.
func TestSESCommandEmbeddedDemo(t *testing.T) {
	var out, errOut bytes.Buffer
	args := []string{"ses", "--demo", "--format", "json", "--at", "2024-05-20T12:00:00Z", "--region", "us-east-1,us-west-2,eu-west-1"}
	if code := run(context.Background(), args, stdio{out: &out, err: &errOut}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var got sesOutput
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if len(got.Reports) != 3 || got.Reports[2].Enabled || !got.Reports[0].Enabled || got.Reports[0].DeliveryAttempts == 0 {
		t.Fatalf("reports %+v", got.Reports)
	}
	ids := map[string]bool{}
	for _, f := range got.Findings {
		ids[f.ID] = true
	}
	if !ids["ses.enforcement-probation"] {
		t.Errorf("findings %v lack the demo's probation", ids)
	}
}

func TestSESCommandErrorsAreClassifiedText(t *testing.T) {
	t.Parallel()
	f := newFakeSES()
	f.fail = map[string]error{"us-east-1": awsx.Classify(errors.New("plain"))}
	out := readRegions(context.Background(), f, []string{"us-east-1"}, cliAt)
	if len(out.Errors) != 1 || out.Errors[0].Error != "plain" || len(out.Reports) != 0 {
		t.Errorf("errors %+v", out)
	}
}

func lineWith(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}
