package cases_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/cases"
	"github.com/abusedesk/abusedesk/pkg/health"
)

var (
	t0  = time.Date(2025, 2, 10, 9, 15, 0, 0, time.UTC)
	now = time.Date(2025, 2, 12, 0, 0, 0, 0, time.UTC)
)

func update(updated time.Time, page int, status string, entities ...string) cases.Update {
	u := cases.Update{
		Account: "123456789012", EventArn: "arn:aws:health:global::event/ABUSE/X", Service: "ABUSE",
		Code: "AWS_ABUSE_DOS_REPORT", Category: "dos", Region: "us-west-2", Status: status,
		Description: "at " + updated.Format(time.RFC3339), Updated: updated, Page: page, TotalPages: 1,
	}
	for _, e := range entities {
		u.Entities = append(u.Entities, cases.Entity{Value: e, Status: "IMPAIRED"})
	}
	return u
}

func TestApplyRedeliveryIsIdempotent(t *testing.T) {
	t.Parallel()
	u := update(t0, 1, "open", "i-0a1b2c3d4e5f60718")
	c := cases.New(u, now)
	if rev := c.Apply(u, now); rev == nil || rev.N != 1 {
		t.Fatalf("first Apply = %+v, want revision 1", rev)
	}
	before, _ := jsonOf(c)
	if rev := c.Apply(u, now.Add(time.Hour)); rev != nil {
		t.Fatalf("redelivery gave revision %+v, want nil", rev)
	}
	after, _ := jsonOf(c)
	if before != after {
		t.Errorf("redelivery changed the case:\n%s\n%s", before, after)
	}
}

func TestApplyNewerUpdateAddsOnlyNewEntities(t *testing.T) {
	t.Parallel()
	c := cases.New(update(t0, 1, "open"), now)
	c.Apply(update(t0, 1, "open", "i-aaaaaaaa"), now)
	rev := c.Apply(update(t0.Add(24*time.Hour), 1, "open", "i-aaaaaaaa", "i-bbbbbbbb"), now)
	if rev == nil || rev.N != 2 {
		t.Fatalf("newer update gave %+v, want revision 2", rev)
	}
	if !slices.Equal(rev.NewEntities, []string{"i-bbbbbbbb"}) {
		t.Errorf("NewEntities = %q, want only the new one", rev.NewEntities)
	}
	if got := []int{c.Entities[0].Revision, c.Entities[1].Revision}; !slices.Equal(got, []int{1, 2}) {
		t.Errorf("entity revisions = %v", got)
	}
	if c.Description != "at 2025-02-11T09:15:00Z" {
		t.Errorf("Description = %q, want the newer update's", c.Description)
	}
}

func TestApplyPagesOfOneUpdate(t *testing.T) {
	t.Parallel()
	p1, p2 := update(t0, 1, "open", "i-aaaaaaaa"), update(t0, 2, "open", "i-bbbbbbbb")
	p1.TotalPages, p2.TotalPages = 2, 2
	c := cases.New(p1, now)
	r1, r2 := c.Apply(p1, now), c.Apply(p2, now)
	if r1 == nil || r2 == nil || r2.N != 2 || r2.Page != 2 || r2.TotalPages != 2 {
		t.Fatalf("pages gave %+v, %+v", r1, r2)
	}
	if r1.UpdateKey == r2.UpdateKey {
		t.Errorf("pages share the update key %q", r1.UpdateKey)
	}
	if c.Apply(p2, now) != nil {
		t.Errorf("a redelivered page made a revision")
	}
	if len(c.Entities) != 2 {
		t.Errorf("entities = %+v", c.Entities)
	}
}

func TestApplyLateOlderUpdateDoesNotReopen(t *testing.T) {
	t.Parallel()
	older, closed := update(t0, 1, "open", "i-aaaaaaaa"), update(t0.Add(48*time.Hour), 1, "closed", "i-aaaaaaaa")
	c := cases.New(closed, now)
	c.Apply(closed, now)
	rev := c.Apply(older, now)
	if rev == nil {
		t.Fatal("the older update was dropped; it is a distinct update and belongs on record")
	}
	if c.Status != "closed" {
		t.Errorf("Status = %q after a late older update, want closed", c.Status)
	}
	if c.Description != closed.Description {
		t.Errorf("Description = %q, want the newer update's", c.Description)
	}
}

func TestApplyMergesTargetsAndWarnings(t *testing.T) {
	t.Parallel()
	a, b := update(t0, 1, "open"), update(t0.Add(time.Hour), 1, "open")
	a.Targets = health.Targets{IPs: []string{"203.0.113.1"}}
	b.Targets = health.Targets{IPs: []string{"203.0.113.2"}}
	a.Warnings = []string{"w1"}
	b.Warnings = []string{"w1", "w2"}
	c := cases.New(a, now)
	c.Apply(a, now)
	c.Apply(b, now)
	if !slices.Equal(c.Targets.IPs, []string{"203.0.113.1", "203.0.113.2"}) {
		t.Errorf("IPs = %q", c.Targets.IPs)
	}
	if !slices.Equal(c.Warnings, []string{"w1", "w2"}) {
		t.Errorf("Warnings = %q", c.Warnings)
	}
}

func TestUpdateKey(t *testing.T) {
	t.Parallel()
	seoul := time.FixedZone("KST", 9*3600)
	if a, b := cases.UpdateKey(t0, 1), cases.UpdateKey(t0.In(seoul), 1); a != b {
		t.Errorf("same instant in two zones: %q != %q", a, b)
	}
	if cases.UpdateKey(t0, 1) == cases.UpdateKey(t0, 2) || cases.UpdateKey(t0, 1) == cases.UpdateKey(t0.Add(time.Second), 1) {
		t.Error("distinct updates share a key")
	}
}

var caseIDRE = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)

func TestKey(t *testing.T) {
	t.Parallel()
	arn := "arn:aws:health:global::event/ABUSE/X"
	tests := []struct {
		name, account, arn, prefix string
	}{
		{"valid account", "123456789012", arn, "123456789012-"},
		{"unknown", health.UnknownAccount, arn, "unknown-"},
		{"10 digits", "1234567890", arn, "unknown-"},
		{"access key id", "AKIAXXXXXXXXXX", arn, "unknown-"},
		{"path traversal", "../../etc", arn, "unknown-"},
		{"hostile arn", "123456789012", "../../<script>\x00\n", "123456789012-"},
		{"empty", "", "", "unknown-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := cases.Key(tt.account, tt.arn)
			if !strings.HasPrefix(k, tt.prefix) || !caseIDRE.MatchString(k) {
				t.Errorf("Key = %q, want prefix %q and a safe id", k, tt.prefix)
			}
			if k != cases.Key(tt.account, tt.arn) {
				t.Error("Key is not stable")
			}
		})
	}
	if cases.Key("123456789012", arn) == cases.Key("210987654321", arn) {
		t.Error("the same eventArn in two accounts shares a case")
	}
	if cases.Key("1234567890", arn) == cases.Key("AKIAXXXXXXXXXX", arn) {
		t.Error("two different invalid accounts share a case")
	}
	// Pinned: case ids are stored in DynamoDB and S3 keys; changing the
	// derivation orphans every existing case.
	if got := cases.Key("123456789012", "arn:aws:health:global::event/ABUSE/AWS_ABUSE_DOS_REPORT/AWS_ABUSE_DOS_REPORT_A1B2C3D4E5"); got != "123456789012-45cc3a24f11b3dfe" {
		t.Errorf("Key derivation changed: %s", got)
	}
}

func TestLatestAndRevision(t *testing.T) {
	t.Parallel()
	c := cases.New(update(t0, 1, "open"), now)
	if c.Latest() != nil || c.Revision(1) != nil || c.Revision(0) != nil {
		t.Fatal("empty case has revisions")
	}
	c.Apply(update(t0, 1, "open"), now)
	c.Apply(update(t0.Add(time.Hour), 1, "open"), now)
	if c.Latest().N != 2 || c.Revision(1).N != 1 || c.Revision(3) != nil || c.Revision(-1) != nil {
		t.Errorf("revisions %+v", c.Revisions)
	}
}

func TestFileStoreCompareAndSet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := &cases.FileStore{Dir: t.TempDir()}
	u := update(t0, 1, "open", "i-aaaaaaaa")
	c := cases.New(u, now)
	if _, err := s.Load(ctx, c.ID); !errors.Is(err, cases.ErrNotFound) {
		t.Fatalf("Load of a missing case: %v", err)
	}
	c.Apply(u, now)
	if err := s.Save(ctx, c, 1); !errors.Is(err, cases.ErrConflict) {
		t.Errorf("Save of a new case with prev 1: %v, want ErrConflict", err)
	}
	if err := s.Save(ctx, c, 0); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if err := s.Save(ctx, c, 0); !errors.Is(err, cases.ErrConflict) {
		t.Errorf("second create: %v, want ErrConflict", err)
	}
	got, err := s.Load(ctx, c.ID)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	a, _ := jsonOf(got)
	b, _ := jsonOf(c)
	if a != b {
		t.Errorf("Load differs from what was saved:\n%s\n%s", a, b)
	}
	got.Apply(update(t0.Add(time.Hour), 1, "open"), now)
	if err := s.Save(ctx, got, 1); err != nil {
		t.Fatalf("Save revision 2: %v", err)
	}
	// A writer still holding the one-revision copy loses.
	c.Apply(update(t0.Add(2*time.Hour), 1, "open"), now)
	if err := s.Save(ctx, c, 1); !errors.Is(err, cases.ErrConflict) {
		t.Errorf("stale Save: %v, want ErrConflict", err)
	}
}

// TestFileStoreConcurrentCreate: of many writers creating the same case,
// exactly one wins.
func TestFileStoreConcurrentCreate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := &cases.FileStore{Dir: t.TempDir()}
	u := update(t0, 1, "open")
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 16 {
		wg.Go(func() {
			c := cases.New(u, now)
			c.Apply(u, now)
			if err := s.Save(ctx, c, 0); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, cases.ErrConflict) {
				t.Errorf("Save: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d writers created the case, want 1", wins)
	}
}

func TestFileStoreRejectsBadIDs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := &cases.FileStore{Dir: filepath.Join(dir, "store")}
	for _, id := range []string{"../escape", "", "A-UPPER", "a/b", strings.Repeat("a", 65)} {
		if _, err := s.Load(context.Background(), id); err == nil || errors.Is(err, cases.ErrNotFound) {
			t.Errorf("Load(%q) = %v, want a refusal", id, err)
		}
		if err := s.Save(context.Background(), &cases.Case{ID: id}, 0); err == nil {
			t.Errorf("Save(%q) succeeded", id)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "escape")); err == nil {
		t.Error("a case was written outside the store")
	}
}

func TestFileStoreCorruptCase(t *testing.T) {
	t.Parallel()
	s := &cases.FileStore{Dir: t.TempDir()}
	id := cases.Key("123456789012", "x")
	if err := cases.WriteFileAtomic(filepath.Join(s.Dir, id, "case.json"), []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	_, err := s.Load(context.Background(), id)
	if err == nil || errors.Is(err, cases.ErrNotFound) || !strings.Contains(err.Error(), "unable to parse case") {
		t.Errorf("Load of a corrupt case: %v", err)
	}
}

func jsonOf(c *cases.Case) (string, error) {
	b, err := json.MarshalIndent(c, "", " ")
	return string(b), err
}

// TestApplyTwoLateUpdates: the newest update decides the status however
// many older ones arrive after it, and in whatever order.
func TestApplyTwoLateUpdates(t *testing.T) {
	t.Parallel()
	closed := update(t0.Add(48*time.Hour), 1, "closed", "i-aaaaaaaa")
	closed.Entities[0].Status = "RESOLVED"
	c := cases.New(closed, now)
	c.Apply(closed, now)
	c.Apply(update(t0, 1, "open", "i-aaaaaaaa"), now)
	c.Apply(update(t0.Add(24*time.Hour), 1, "open", "i-aaaaaaaa"), now)
	if len(c.Revisions) != 3 {
		t.Fatalf("%d revisions", len(c.Revisions))
	}
	if c.Status != "closed" || c.Description != closed.Description {
		t.Errorf("status %q, description %q: a late update reopened the case", c.Status, c.Description)
	}
	if c.Entities[0].Status != "RESOLVED" {
		t.Errorf("entity status %q: a late update overwrote the newest", c.Entities[0].Status)
	}
}

func TestLatestUpdateNeverGoesBack(t *testing.T) {
	t.Parallel()
	newer := time.Date(2025, 2, 11, 10, 0, 0, 0, time.UTC)
	older := newer.Add(-24 * time.Hour)
	c := cases.New(cases.Update{Account: "123456789012", EventArn: "arn:aws:health:global::event/X"}, newer)
	c.Apply(cases.Update{Updated: newer, Status: "open", Entities: []cases.Entity{{Value: "a"}}}, newer)
	c.Apply(cases.Update{Updated: older, Status: "open", Entities: []cases.Entity{{Value: "b"}}}, newer)
	if len(c.Revisions) != 2 || !c.LatestUpdate().Equal(newer) {
		t.Fatalf("revisions %d, latest update %s; want 2 and %s", len(c.Revisions), c.LatestUpdate(), newer)
	}
}
