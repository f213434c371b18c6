package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/abusedesk/abusedesk/pkg/health"
	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/pipeline"
)

const (
	oldInstance = "arn:aws:ec2:us-west-2:123456789012:instance/i-0a1b2c3d4e5f60718"
	newInstance = "arn:aws:ec2:us-east-1:123456789012:instance/i-0fedcba9876543210"
)

// oneSet is what one notified revision leaves in its outbox and ledger.
var oneSet = map[string]int{"email/sent": 1, "sns/sent": 1, "eventbridge/sent": 1}

func TestSameEventTwiceNotifiesOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := notice(t, realdataDir+"/aws-health-abuse-event-sample-2.json")
	first := process(t, demo(t, dir), n)
	if first.Ingested.Status != pipeline.StatusOpened || first.Report == nil || first.Outcome.Count("sent") != 3 {
		t.Fatalf("first delivery: status %s, outcome %+v", first.Ingested.Status, first.Outcome)
	}
	before := files(t, dir)
	// The same process and a fresh one (a second CLI run) both see a
	// redelivery.
	for i, p := range []*pipeline.Pipeline{demo(t, dir), demo(t, dir)} {
		again := process(t, p, n)
		// A redelivery re-delivers from the archived report and the ledger
		// answers "already sent" for every channel.
		if again.Ingested.Status != pipeline.StatusDuplicate || again.Report == nil || again.Outcome.Count("duplicate") != 3 || again.Outcome.Count("sent") != 0 {
			t.Errorf("redelivery %d: status %s, report %v, outcome %+v", i, again.Ingested.Status, again.Report != nil, again.Outcome)
		}
	}
	if after := files(t, dir); !slices.Equal(before, after) {
		t.Errorf("redelivery wrote files:\n before %q\n after  %q", before, after)
	}
	if got := caseDirs(t, dir); len(got) != 1 {
		t.Errorf("cases %q, want one", got)
	}
	id := first.Ingested.Case.ID
	box, _ := os.ReadDir(filepath.Join(dir, id, "outbox", "r1"))
	var names []string
	for _, de := range box {
		names = append(names, de.Name())
	}
	if !slices.Equal(names, []string{"email-security@demo-customer.example.eml", "event-Case-Notified.json", "sns-oncall.json"}) {
		t.Errorf("outbox r1 = %q, want one e-mail, one SNS message, one event", names)
	}
	if got := ledgerStates(t, dir, id); !mapsEqual(got, oneSet) {
		t.Errorf("ledger = %v, want %v", got, oneSet)
	}
}

func TestNewerUpdateNotifiesOnlyWhatIsNew(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := demo(t, dir)
	r1 := process(t, p, notice(t, eventsDir+"/abuse-dos.json"))
	r2 := process(t, p, notice(t, eventsDir+"/update-abuse-dos-r2.json"))
	if r2.Ingested.Status != pipeline.StatusUpdated || r2.Report == nil || r2.Report.Revision != 2 {
		t.Fatalf("update: status %s, report %+v", r2.Ingested.Status, r2.Report)
	}
	if r1.Ingested.Case.ID != r2.Ingested.Case.ID {
		t.Fatalf("the update opened a second case %s", r2.Ingested.Case.ID)
	}
	if !slices.Equal(r2.Report.NewEntities, []string{newInstance}) {
		t.Errorf("report NewEntities = %q", r2.Report.NewEntities)
	}
	if len(r2.Report.Entities) != 2 {
		t.Errorf("report Entities = %+v, want both", r2.Report.Entities)
	}
	id := r2.Ingested.Case.ID
	box := filepath.Join(dir, id, "outbox", "r2")
	text := emailText(t, filepath.Join(box, "email-security@demo-customer.example.eml"))
	if got := firstList(text); !slices.Equal(got, []string{newInstance}) {
		t.Errorf("e-mail's newly reported list = %q, want only %s\n%s", got, newInstance, text)
	}
	var ev struct {
		Detail struct {
			Revision    int      `json:"revision"`
			NewEntities []string `json:"newEntities"`
		} `json:"detail"`
	}
	b, err := os.ReadFile(filepath.Join(box, "event-Case-Notified.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Detail.Revision != 2 || !slices.Equal(ev.Detail.NewEntities, []string{newInstance}) {
		t.Errorf("event detail = %+v", ev.Detail)
	}
	var sns struct{ Message string }
	b, err = os.ReadFile(filepath.Join(box, "sns-oncall.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sns); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sns.Message, "Newly reported: "+newInstance+"\n") {
		t.Errorf("SNS message does not name only the new entity:\n%s", sns.Message)
	}
	want := map[string]int{"email/sent": 2, "sns/sent": 2, "eventbridge/sent": 2}
	if got := ledgerStates(t, dir, id); !mapsEqual(got, want) {
		t.Errorf("ledger = %v, want %v", got, want)
	}
	// Either update again, in any order, is a redelivery.
	for _, f := range []string{"update-abuse-dos-r2.json", "abuse-dos.json"} {
		if res := process(t, p, notice(t, eventsDir+"/"+f)); res.Ingested.Status != pipeline.StatusDuplicate {
			t.Errorf("%s again: %s", f, res.Ingested.Status)
		}
	}
}

// TestUpdateWithNothingNewIsRecordedNotAnnounced: a newer update that adds
// no entity (here: AWS closing the event) is a revision, but nobody is
// told again.
func TestUpdateWithNothingNewIsRecordedNotAnnounced(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := demo(t, dir)
	process(t, p, notice(t, eventsDir+"/abuse-dos.json"))
	raw, err := os.ReadFile(eventsDir + "/abuse-dos.json")
	if err != nil {
		t.Fatal(err)
	}
	closed := strings.NewReplacer(`"lastUpdatedTime": "Mon, 10 Feb 2025 09:15:00 GMT"`, `"lastUpdatedTime": "Wed, 12 Feb 2025 09:15:00 GMT", "endTime": "Wed, 12 Feb 2025 09:15:00 GMT"`,
		`"statusCode": "open"`, `"statusCode": "closed"`).Replace(string(raw))
	res := process(t, p, noticesOf(t, []byte(closed))[0])
	if res.Ingested.Status != pipeline.StatusUpdated || res.Report == nil || res.Report.Revision != 2 || res.Report.Status != "closed" {
		t.Fatalf("closing update: %s %+v", res.Ingested.Status, res.Report)
	}
	if res.Outcome.Count("skipped") != 1 || res.Outcome.Count("sent") != 0 {
		t.Errorf("outcome %+v, want one skip", res.Outcome)
	}
	if _, err := os.Stat(filepath.Join(dir, res.Ingested.Case.ID, "outbox", "r2")); !os.IsNotExist(err) {
		t.Errorf("outbox r2 exists (%v); nothing new was to be sent", err)
	}
}

func TestMultipageIsOneCase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := demo(t, dir)
	a := process(t, p, notice(t, eventsDir+"/edge-multipage-p1.json"))
	b := process(t, p, notice(t, eventsDir+"/edge-multipage-p2.json"))
	if a.Ingested.Case.ID != b.Ingested.Case.ID {
		t.Fatalf("pages opened two cases: %s, %s", a.Ingested.Case.ID, b.Ingested.Case.ID)
	}
	c := b.Ingested.Case
	if len(c.Revisions) != 2 || c.Revisions[0].Page != 1 || c.Revisions[1].Page != 2 || c.Revisions[1].TotalPages != 2 {
		t.Errorf("revisions %+v", c.Revisions)
	}
	if len(b.Report.NewEntities) == 0 || slices.ContainsFunc(b.Report.NewEntities, func(e string) bool { return slices.Contains(a.Report.NewEntities, e) }) {
		t.Errorf("page 2 new entities %q overlap page 1's %q", b.Report.NewEntities, a.Report.NewEntities)
	}
	if got := caseDirs(t, dir); len(got) != 1 {
		t.Errorf("cases %q", got)
	}
}

func TestUnknownAccountOpensCaseWithWarning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	res := process(t, demo(t, dir), notice(t, realdataDir+"/notify-and-remediate-risk-credentials-exposed-2025.json"))
	if res.Ingested.Status != pipeline.StatusOpened || res.Report == nil {
		t.Fatalf("status %s", res.Ingested.Status)
	}
	r := res.Report
	if r.Account != health.UnknownAccount || !strings.HasPrefix(r.CaseID, "unknown-") {
		t.Errorf("account %q, case %q", r.Account, r.CaseID)
	}
	if !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "no valid account id") }) {
		t.Errorf("report warnings %q lack the account warning", r.Warnings)
	}
	if len(r.Findings) != 1 || r.Findings[0].Source != "notice" {
		t.Errorf("findings %+v: with no account only the notice itself can be reported", r.Findings)
	}
	md, err := os.ReadFile(filepath.Join(dir, r.CaseID, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "no valid account id") {
		t.Errorf("report.md does not show the warning:\n%s", md)
	}
	if res.Outcome.Count("sent") == 0 {
		t.Errorf("nobody was told: %+v", res.Outcome)
	}
}

// TestConcurrentDeliveries: EventBridge delivers at least once, so the
// same event may be processed many times at once; exactly one revision and
// one set of notifications may come of it.
func TestConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	n := notice(t, eventsDir+"/abuse-dos.json")
	for _, shared := range []bool{true, false} {
		name := map[bool]string{true: "one pipeline", false: "a pipeline each"}[shared]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			one := demo(t, dir)
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				results []pipeline.Result
			)
			for range 20 {
				p := one
				if !shared {
					p = demo(t, dir)
				}
				wg.Go(func() {
					res, err := p.Process(context.Background(), n)
					if err != nil {
						t.Errorf("Process: %v", err)
						return
					}
					mu.Lock()
					results = append(results, res)
					mu.Unlock()
				})
			}
			wg.Wait()
			emails := 0
			for _, r := range results {
				for _, d := range r.Outcome.Deliveries {
					if d.Channel == notify.ChannelEmail && d.State == "sent" {
						emails++
					}
				}
			}
			if emails != 1 {
				t.Errorf("%d e-mails sent, want 1", emails)
			}
			c, err := one.Store.Load(context.Background(), results[0].Ingested.Case.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Revisions) != 1 {
				t.Errorf("%d revisions, want 1", len(c.Revisions))
			}
			if got := ledgerStates(t, dir, c.ID); !mapsEqual(got, oneSet) {
				t.Errorf("ledger = %v, want %v", got, oneSet)
			}
			if shared {
				opened := 0
				for _, r := range results {
					if r.Ingested.Status != pipeline.StatusDuplicate {
						opened++
					}
				}
				if opened != 1 {
					t.Errorf("%d deliveries were not duplicates, want 1", opened)
				}
			}
		})
	}
}

func TestProcessRejectsMissingRevision(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := demo(t, dir)
	res := process(t, p, notice(t, eventsDir+"/abuse-dos.json"))
	if _, err := p.Enrich(context.Background(), res.Ingested.Case, 7); err == nil || !strings.Contains(err.Error(), "no revision 7") {
		t.Errorf("Enrich of a missing revision: %v", err)
	}
	p.Notifier = nil
	if _, err := p.Notify(context.Background(), res.Report); err == nil {
		t.Error("Notify without a notifier succeeded")
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// flakyAlerter fails its first Publish, as an SNS outage would.
type flakyAlerter struct {
	notify.Alerter
	failed bool
}

func (f *flakyAlerter) Publish(ctx context.Context, a notify.Alert) (string, error) {
	if !f.failed {
		f.failed = true
		return "", errors.New("InternalError: SNS is down")
	}
	return f.Alerter.Publish(ctx, a)
}

// TestRedeliveryFinishesAnInterruptedRun: the on-call alert failed the
// first time; replaying the same event sends it, and only it.
func TestRedeliveryFinishesAnInterruptedRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := notice(t, realdataDir+"/aws-health-abuse-event-sample-2.json")
	p := demo(t, dir)
	flaky := &flakyAlerter{}
	base := p.Notifier
	p.Notifier = func(caseID string, rev int) *notify.Dispatcher {
		d := base(caseID, rev)
		flaky.Alerter = d.Alerter
		d.Alerter = flaky
		return d
	}
	if _, err := p.Process(context.Background(), n); err == nil {
		t.Fatal("first run: want the SNS failure reported for a retry")
	}
	again, err := p.Process(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	st := map[string]string{}
	for _, d := range again.Outcome.Deliveries {
		st[d.Channel] = d.State
	}
	if st["sns"] != "sent" || st["email"] != "duplicate" || st["eventbridge"] != "duplicate" {
		t.Fatalf("redelivery outcome %v, want the alert sent and the rest already sent", st)
	}
}

// TestSecretsNeverStored plants a leaked secret key, a session token and a
// password where attackers and complainants can put text, and checks that
// no file the pipeline writes holds any of them.
func TestSecretsNeverStored(t *testing.T) {
	t.Parallel()
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	token := strings.Repeat("IQoJb3JpZ2luX2VjEJr", 15)
	raw, err := os.ReadFile("../../events/abuse-dos.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	d := ev["detail"].(map[string]any)
	d["eventDescription"] = []any{map[string]any{"language": "en_US",
		"latestDescription": "leaked: aws_secret_access_key=" + secret + " aws_session_token=" + token + " password=Hunter2Secret!"}}
	d["affectedEntities"] = append(d["affectedEntities"].([]any),
		map[string]any{"entityValue": secret}, map[string]any{"entityValue": "token " + token})
	d["affectedAccount"] = secret
	b, _ := json.Marshal(ev)
	dir := t.TempDir()
	n := noticesOf(t, b)[0]
	if _, err := demo(t, dir).Process(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	written := 0
	err = filepath.WalkDir(dir, func(path string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		written++
		for _, s := range []string{secret, token[:60], "Hunter2Secret"} {
			if strings.Contains(string(body), s) {
				t.Errorf("%s holds a secret (%.12s…)", path, s)
			}
		}
		return nil
	})
	if err != nil || written < 5 {
		t.Fatalf("walked %d files: %v", written, err)
	}
}
