package csvintake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/cases"
	"github.com/abusedesk/abusedesk/pkg/demo"
	"github.com/abusedesk/abusedesk/pkg/enrich"
	"github.com/abusedesk/abusedesk/pkg/evidence"
	"github.com/abusedesk/abusedesk/pkg/pipeline"
	"github.com/abusedesk/abusedesk/pkg/report"
)

const demoAccount = "123456789012"

var bothRegions = []string{"us-west-2", "us-east-1"}

// counter wraps the demo account's EC2 lookups and counts, per region,
// every value each call asked about.
type counter struct {
	conn enrich.Connector
	mu   sync.Mutex
	// calls per operation; asked["op region value"] per value.
	calls map[string]int
	asked map[string]int
	conns int
}

func newCounter(t testing.TB) *counter {
	t.Helper()
	w, err := demo.Default()
	if err != nil {
		t.Fatal(err)
	}
	return &counter{conn: w, calls: map[string]int{}, asked: map[string]int{}}
}

func (c *counter) Connect(ctx context.Context, account, caseID string) (*enrich.Account, error) {
	c.mu.Lock()
	c.conns++
	c.mu.Unlock()
	a, err := c.conn.Connect(ctx, account, caseID)
	if err != nil {
		return nil, err
	}
	cp := *a
	cp.EC2 = &countingEC2{EC2: a.EC2, c: c}
	return &cp, nil
}

func (c *counter) note(op, region string, values []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op+" "+region]++
	for _, v := range values {
		c.asked[op+" "+region+" "+v]++
	}
}

type countingEC2 struct {
	enrich.EC2
	c *counter
}

func (e *countingEC2) Instances(ctx context.Context, region string, ids []string) ([]evidence.Instance, error) {
	e.c.note("instances", region, ids)
	return e.EC2.Instances(ctx, region, ids)
}

func (e *countingEC2) InterfacesByPublicIP(ctx context.Context, region string, ips []netip.Addr) ([]evidence.NetworkInterface, error) {
	var vs []string
	for _, ip := range ips {
		vs = append(vs, ip.String())
	}
	e.c.note("interfaces", region, vs)
	return e.EC2.InterfacesByPublicIP(ctx, region, ips)
}

func (e *countingEC2) SecurityGroups(ctx context.Context, region string, ids []string) ([]evidence.SecurityGroup, error) {
	e.c.note("groups", region, ids)
	return e.EC2.SecurityGroups(ctx, region, ids)
}

var fixedNow = time.Date(2024, 6, 14, 9, 0, 0, 0, time.UTC)

func newImporter(t testing.TB, conn enrich.Connector) (*Importer, string) {
	t.Helper()
	w, err := demo.Default()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	return &Importer{Pipeline: &pipeline.Pipeline{
		Store:    &cases.FileStore{Dir: dir},
		Engine:   &enrich.Engine{Connector: conn, SESRegions: []string{"us-east-1"}},
		Sink:     report.DirSink{Dir: dir},
		Contacts: w.Contacts(),
		Now:      func() time.Time { return fixedNow },
	}}, dir
}

func values(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Resource.Value)
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// TestImportFiles: each realistic file becomes the expected grouped case.
func TestImportFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		found    []string
		notIn    []string
		unknown  []string          // not checked
		what     map[string]string // resource -> substring of What
		region   map[string]string
		rejected int
	}{
		{
			file: "spreadsheet-utf16le.txt", found: sorted("203.0.113.10", "198.51.100.77"), notIn: []string{"2001:db8:85a3::8a2e:370:7334"},
			what:   map[string]string{"203.0.113.10": "EC2 instance i-0a1b2c3d4e5f60718", "198.51.100.77": "EC2 instance i-0fedcba9876543210"},
			region: map[string]string{"203.0.113.10": "us-west-2", "198.51.100.77": "us-east-1"},
		},
		{
			file: "korean-semicolon.csv", found: sorted("203.0.113.20", "198.51.100.77"),
			what:   map[string]string{"203.0.113.20": "NAT gateway"},
			region: map[string]string{"203.0.113.20": "us-west-2"},
		},
		{file: "korean-cp949.csv", found: []string{"203.0.113.20"}, what: map[string]string{"203.0.113.20": "NAT gateway"}},
		{file: "noheader.csv", found: []string{"203.0.113.10"}, notIn: sorted("2001:db8::5", "192.0.2.200")},
		{file: "bad-rows.csv", found: []string{"203.0.113.10"}, rejected: 5},
		{
			file: "instances-arns.csv", found: sorted("i-0a1b2c3d4e5f60718", "i-0fedcba9876543210"),
			notIn: []string{"i-0123456789abcdef0"}, unknown: []string{"arn:aws:s3:::leaky-bucket-example"},
			what: map[string]string{"i-0a1b2c3d4e5f60718": "c5.2xlarge"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			cnt := newCounter(t)
			im, dir := newImporter(t, cnt)
			data := readTestdata(t, tt.file)
			res, err := im.Import(context.Background(), data, Options{Account: demoAccount, Regions: bothRegions, Source: tt.file})
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if want := cases.Key(demoAccount, "csv:"+hex.EncodeToString(sum[:])); res.Case.ID != want || res.Status != pipeline.StatusOpened {
				t.Errorf("case %s %s, want %s opened", res.Case.ID, res.Status, want)
			}
			in := res.Report.Intake
			var found, unknown []string
			for _, e := range in.Resources {
				switch e.Status {
				case StatusFound:
					found = append(found, e.Resource.Value)
				case StatusNotChecked:
					unknown = append(unknown, e.Resource.Value)
				}
				if w := tt.what[e.Resource.Value]; w != "" && !strings.Contains(e.What, w) {
					t.Errorf("%s is %q, want it to mention %q", e.Resource.Value, e.What, w)
				}
				if w := tt.region[e.Resource.Value]; w != "" && e.Region != w {
					t.Errorf("%s in %q, want %q", e.Resource.Value, e.Region, w)
				}
			}
			slices.Sort(found)
			if !slices.Equal(found, tt.found) || !slices.Equal(unknown, tt.unknown) || !slices.Equal(values(in.NotInAccount), tt.notIn) {
				t.Errorf("found %v, not checked %v, not in account %v; want %v, %v, %v", found, unknown, values(in.NotInAccount), tt.found, tt.unknown, tt.notIn)
			}
			if len(in.Rejected) != tt.rejected {
				t.Errorf("%d rejected, want %d", len(in.Rejected), tt.rejected)
			}
			for k, n := range cnt.asked {
				if n > 1 {
					t.Errorf("%s asked %d times, want at most once", k, n)
				}
			}
			if len(res.Case.Entities) != len(in.Resources)+len(in.NotInAccount) {
				t.Errorf("%d case entities, want one per resource (%d)", len(res.Case.Entities), len(in.Resources)+len(in.NotInAccount))
			}
			// One report in the replay layout, readable by the notify stage.
			b, err := os.ReadFile(filepath.Join(dir, res.Case.ID, "report.json"))
			if err != nil {
				t.Fatal(err)
			}
			if r, err := report.DecodeJSON(b); err != nil || r.CaseID != res.Case.ID {
				t.Errorf("report.json: %v, case %v", err, r)
			}
			for _, name := range []string{"report.md", "report.en.md", "r1/report.json"} {
				if _, err := os.Stat(filepath.Join(dir, res.Case.ID, name)); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// bigList writes rows spread over the given IPs, cycling through time
// formats, with separators and quotes in the excerpts and some multi-line
// excerpts. A CSV writer quotes what needs quoting, as exports do.
func bigList(rows int, ips []string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"Source IP", "Timestamp", "Destination", "Port", "Protocol", "Details"})
	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	ports := []int{25, 465, 587, 22, 3389}
	for i := range rows {
		at := base.Add(time.Duration(i) * 37 * time.Second)
		var when string
		switch i % 3 {
		case 0:
			when = at.Format(time.RFC3339)
		case 1:
			when = at.Format(time.RFC1123)
		default:
			when = fmt.Sprint(at.Unix())
		}
		details := fmt.Sprintf("attempt %d, user \"admin\"; pw spray", i)
		if i%100 == 0 {
			details = fmt.Sprintf("line one of %d\nline two, with comma", i)
		}
		_ = w.Write([]string{ips[(i*7)%len(ips)], when, fmt.Sprintf("192.0.2.%d", i%250+1), fmt.Sprint(ports[i%len(ports)]), "tcp", details})
	}
	w.Flush()
	return b.Bytes()
}

func distinctIPs() []string {
	ips := []string{"203.0.113.10", "203.0.113.20", "198.51.100.77"}
	for i := range 24 {
		ips = append(ips, fmt.Sprintf("198.51.100.%d", 100+i))
	}
	for i := range 10 {
		ips = append(ips, fmt.Sprintf("2001:db8:1::%x", 0x10+i))
	}
	return ips
}

// TestImportTenThousandRows: 10,000 rows about 37 addresses cost one
// lookup per address per region, in one batched call per region.
func TestImportTenThousandRows(t *testing.T) {
	t.Parallel()
	ips := distinctIPs()
	if len(ips) != 37 {
		t.Fatalf("%d ips, want 37", len(ips))
	}
	cnt := newCounter(t)
	im, _ := newImporter(t, cnt)
	res, err := im.Import(context.Background(), bigList(10_000, ips), Options{Account: demoAccount, Regions: bothRegions})
	if err != nil {
		t.Fatal(err)
	}
	in := res.Report.Intake
	if in.Rows != 10_000 || len(in.Rejected) != 0 {
		t.Fatalf("%d rows, %d rejected (%v), want 10000 and 0", in.Rows, len(in.Rejected), in.Rejected[:min(3, len(in.Rejected))])
	}
	total := 0
	for _, e := range append(slices.Clone(in.Resources), in.NotInAccount...) {
		total += e.Rows
	}
	if n := len(in.Resources) + len(in.NotInAccount); n != 37 || total != 10_000 {
		t.Errorf("%d groups holding %d rows, want 37 holding 10000", n, total)
	}
	if got := values(in.Resources); !slices.Equal(got, sorted("203.0.113.10", "203.0.113.20", "198.51.100.77")) {
		t.Errorf("found %v", got)
	}
	for _, region := range bothRegions {
		if n := cnt.calls["interfaces "+region]; n != 1 {
			t.Errorf("%d InterfacesByPublicIP calls in %s, want 1", n, region)
		}
		for _, ip := range ips {
			if n := cnt.asked["interfaces "+region+" "+ip]; n != 1 {
				t.Errorf("%s asked %d times in %s, want once", ip, n, region)
			}
		}
	}
	for k, n := range cnt.asked {
		if n > 1 {
			t.Errorf("%s asked %d times, want at most once", k, n)
		}
	}
	if cnt.conns != 1 {
		t.Errorf("%d connects, want 1", cnt.conns)
	}
}

// An import that died after saving the case but before archiving left a
// revision without a report; the retry makes it instead of calling the
// list a duplicate for ever.
func TestImportDuplicateMakesMissingReport(t *testing.T) {
	t.Parallel()
	im, dir := newImporter(t, newCounter(t))
	ctx := context.Background()
	opts := Options{Account: demoAccount, Regions: bothRegions}
	data := readTestdata(t, "korean-semicolon.csv")
	first, err := im.Import(ctx, data, opts)
	if err != nil {
		t.Fatal(err)
	}
	lost := filepath.Join(dir, first.Case.ID, "r1", "report.json")
	if err := os.Remove(lost); err != nil {
		t.Fatal(err)
	}
	again, err := im.Import(ctx, data, opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Status != pipeline.StatusDuplicate || again.Revision != nil || again.Existing == nil || again.Existing.N != 1 ||
		again.Report == nil || again.Report.Revision != 1 || len(again.Case.Revisions) != 1 {
		t.Fatalf("retry: %s revision %v existing %v report %v with %d revisions; want the duplicate's report made",
			again.Status, again.Revision, again.Existing, again.Report != nil, len(again.Case.Revisions))
	}
	if _, err := os.Stat(lost); err != nil {
		t.Errorf("report.json not archived again: %v", err)
	}
	third, err := im.Import(ctx, data, opts)
	if err != nil {
		t.Fatal(err)
	}
	if third.Status != pipeline.StatusDuplicate || third.Report != nil {
		t.Errorf("third import: %s, report %v; want a plain duplicate", third.Status, third.Report != nil)
	}
}

// A list with a credential category reads CloudTrail; its matches are
// archived as timeline.csv, as the pipeline does for a notice.
func TestImportArchivesTimeline(t *testing.T) {
	t.Parallel()
	im, _ := newImporter(t, newCounter(t))
	res, err := im.Import(context.Background(), readTestdata(t, "korean-semicolon.csv"),
		Options{Account: demoAccount, Regions: bothRegions, Category: "credentials-compromised"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Report.Timeline) == 0 {
		t.Fatal("no timeline: the demo account's CloudTrail should match something")
	}
	loc := res.Report.Locations["timeline.csv"]
	if loc == "" {
		t.Fatalf("locations %v: no timeline.csv", res.Report.Locations)
	}
	b, err := os.ReadFile(loc)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n < len(res.Report.Timeline)+1 {
		t.Errorf("timeline.csv has %d lines, want %d", n, len(res.Report.Timeline)+1)
	}
}

func TestImportIdempotentAndAttach(t *testing.T) {
	t.Parallel()
	cnt := newCounter(t)
	im, _ := newImporter(t, cnt)
	ctx := context.Background()
	opts := Options{Account: demoAccount, Regions: bothRegions}
	first, err := im.Import(ctx, readTestdata(t, "korean-semicolon.csv"), opts)
	if err != nil {
		t.Fatal(err)
	}
	again, err := im.Import(ctx, readTestdata(t, "korean-semicolon.csv"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Status != pipeline.StatusDuplicate || again.Revision != nil || again.Case.ID != first.Case.ID || len(again.Case.Revisions) != 1 {
		t.Errorf("re-import: %s revision %v case %s with %d revisions; want duplicate of %s", again.Status, again.Revision, again.Case.ID, len(again.Case.Revisions), first.Case.ID)
	}
	if cnt.conns != 1 {
		t.Errorf("%d connects, want 1: a duplicate looks nothing up", cnt.conns)
	}

	// Two more lists attached in the same second are two revisions.
	opts.CaseID = first.Case.ID
	for i, f := range []string{"noheader.csv", "spreadsheet-utf16le.txt"} {
		res, err := im.Import(ctx, readTestdata(t, f), opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != pipeline.StatusUpdated || res.Revision == nil || res.Revision.N != i+2 || res.Case.ID != first.Case.ID {
			t.Fatalf("attach %s: %s revision %+v case %s, want revision %d of %s", f, res.Status, res.Revision, res.Case.ID, i+2, first.Case.ID)
		}
	}
	res, _ := im.Import(ctx, readTestdata(t, "noheader.csv"), opts)
	if res.Status != pipeline.StatusDuplicate {
		t.Errorf("re-attach: %s, want duplicate", res.Status)
	}
	if !slices.ContainsFunc(res.Case.Entities, func(e cases.Entity) bool { return e.Value == "2001:db8::5" && e.Revision == 2 }) {
		t.Errorf("entities %+v: want 2001:db8::5 added by revision 2", res.Case.Entities)
	}

	for _, bad := range []Options{
		{Account: demoAccount, CaseID: "123456789012-00000000000000ff"}, // no such case
		{Account: "210987654321", CaseID: first.Case.ID},                // another account's case
		{Account: "12345"},                                                   // not an account
		{Account: demoAccount, CaseID: "../etc"},                             // not a case id
		{Account: demoAccount, Regions: []string{"us-west-2; rm -rf"}},       // not a region
		{Account: demoAccount, Category: "<script>", Regions: []string{"x"}}, // not a category
	} {
		if _, err := im.Import(ctx, readTestdata(t, "bad-rows.csv"), bad); err == nil {
			t.Errorf("Import(%+v) succeeded, want an error", bad)
		}
	}
}

func TestImportNoUsableRows(t *testing.T) {
	t.Parallel()
	im, _ := newImporter(t, newCounter(t))
	_, err := im.Import(context.Background(), []byte("ip,time\n10.0.0.1,2024-06-10\nnope,2024-06-10\n"), Options{Account: demoAccount})
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %v, want one naming line 2", err)
	}
}

func TestImportAccountNotReachable(t *testing.T) {
	t.Parallel()
	im, _ := newImporter(t, newCounter(t))
	// The demo world only opens its own account: every resource is
	// "not checked", none is claimed to be absent.
	res, err := im.Import(context.Background(), readTestdata(t, "noheader.csv"), Options{Account: "210987654321"})
	if err != nil {
		t.Fatal(err)
	}
	in := res.Report.Intake
	if len(in.NotInAccount) != 0 || len(in.Resources) != 3 {
		t.Fatalf("resources %v not in account %v", values(in.Resources), values(in.NotInAccount))
	}
	for _, e := range in.Resources {
		if e.Status != StatusNotChecked || !strings.Contains(e.Reason, "could not be inspected") {
			t.Errorf("%s: %s %q", e.Resource.Value, e.Status, e.Reason)
		}
	}
}

// TestMarkdownEscapesCells: log excerpts, tags and reasons from the file or
// the account cannot add rows, columns, headings, links or HTML.
func TestMarkdownEscapesCells(t *testing.T) {
	t.Parallel()
	im, _ := newImporter(t, newCounter(t))
	hostile := "ip,time,port,log\n" +
		"203.0.113.10,2024-06-10T00:00:00Z,25,\"| forged | row |\n# Heading\n<script>alert(1)</script> [x](http://evil.example) aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n" +
		"203.0.113.77,2024-06-10T00:00:00Z,25,\"</td>|**bold**\"\n" +
		"nope | # <b>,2024-06-10,25,x\n"
	res, err := im.Import(context.Background(), []byte(hostile), Options{Account: demoAccount, Regions: bothRegions})
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "ko"} {
		md := string(Markdown(res.Report, lang))
		for _, bad := range []string{"<script>", "](http", "\n# Heading", "| forged | row |", "wJalrXUtnFEMI", "<b>", "</td>", "**bold**"} {
			if strings.Contains(md, bad) {
				t.Errorf("%s Markdown contains %q", lang, bad)
			}
		}
		// Every table row keeps its column count: escaped pipes are \|.
		var cols int
		for _, l := range strings.Split(md, "\n") {
			if !strings.HasPrefix(l, "|") {
				cols = 0
				continue
			}
			n := strings.Count(l, "|") - strings.Count(l, `\|`)
			if cols == 0 {
				cols = n
			} else if n != cols {
				t.Errorf("%s table row has %d cells, header %d: %s", lang, n, cols, l)
			}
		}
	}
}

// TestImportRedactsSecrets: a key, session token or password in any cell
// (excerpt, destination, protocol, a bad address, an ARN, a time or port
// quoted in a note, text after an unbalanced quote) reaches no file the
// import writes, while the rows around them still count.
func TestImportRedactsSecrets(t *testing.T) {
	t.Parallel()
	im, dir := newImporter(t, newCounter(t))
	res, err := im.Import(context.Background(), readTestdata(t, "secrets.csv"),
		Options{Account: demoAccount, Regions: bothRegions, Source: "list aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.csv"})
	if err != nil {
		t.Fatal(err)
	}
	in := res.Report.Intake
	if got := sorted(append(values(in.Resources), values(in.NotInAccount)...)...); !slices.Equal(got, sorted("203.0.113.10", "203.0.113.20", "203.0.113.77")) {
		t.Errorf("resources %v, want the three addresses", got)
	}
	if got := lines(in.Rejected); !slices.Equal(got, []int{5, 6}) {
		t.Errorf("rejected lines %v, want 5 (key as address) and 6 (key in ARN)", got)
	}
	secrets := []string{"wJalrXUtnFEMI", "bPxRfiCYEXAMPLEKEY", "FwoGZXIvYXdzEBYaDHqa0AP1", "Hunter2Hunter2"}
	files := 0
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		// In any case: a lower-cased key gives the key away just the same.
		for _, s := range secrets {
			if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(s))) {
				t.Errorf("%s contains %q", path, s)
			}
		}
		return nil
	})
	if err != nil || files < 4 {
		t.Fatalf("walked %d files: %v", files, err)
	}
	// Redacted, not dropped: the excerpts are still there.
	b, err := os.ReadFile(filepath.Join(dir, res.Case.ID, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("login failed; aws_secret_access_key=[redacted]")) {
		t.Errorf("report.json lacks the redacted excerpt:\n%s", b)
	}
}

// TestMarkdownSaysListOrigin: a list opened without a category reads as a
// list the user supplied (the outbound-list guide), not as an AWS notice
// that fits no category; with a category it gets that category's guide; a
// list attached to a Health case of unknown category keeps that case's
// wording.
func TestMarkdownSaysListOrigin(t *testing.T) {
	t.Parallel()
	im, _ := newImporter(t, newCounter(t))
	ctx := context.Background()
	plain, err := im.Import(ctx, readTestdata(t, "noheader.csv"), Options{Account: demoAccount, Regions: bothRegions})
	if err != nil {
		t.Fatal(err)
	}
	spam, err := im.Import(ctx, readTestdata(t, "instances-arns.csv"), Options{Account: demoAccount, Regions: bothRegions, Category: "spam"})
	if err != nil {
		t.Fatal(err)
	}
	attached := *plain.Report
	attached.Code, attached.Category = "AWS_ABUSE_SOMETHING_NEW", "unknown"
	tests := []struct {
		name       string
		r          *Report
		category   string
		noCategory bool // the "no category was given" sentence
	}{
		{"no category", plain.Report, "outbound-list", true},
		{"spam", spam.Report, "spam", false},
		{"health notice, unknown category", &attached, "unknown", false},
	}
	for _, tt := range tests {
		for _, lang := range []string{"en", "ko"} {
			md := string(Markdown(tt.r, lang))
			g := report.Guidance(tt.category, lang)
			checks := []struct {
				text string
				want bool
			}{
				{mt(lang, "origin"), true},
				{mt(lang, "noCategory"), tt.noCategory},
				{g.Summary, true},
				{": " + g.Title + "\n", true},
			}
			for _, c := range checks {
				if strings.Contains(md, c.text) != c.want {
					t.Errorf("%s %s: contains %q = %v, want %v", tt.name, lang, c.text, !c.want, c.want)
				}
			}
		}
		if tt.r.Intake.Origin != Origin || tt.r.Category != tt.category {
			t.Errorf("%s: origin %q category %q", tt.name, tt.r.Intake.Origin, tt.r.Category)
		}
	}
	if !strings.Contains(Origin, "supplied by the user") {
		t.Errorf("Origin = %q", Origin)
	}
}
