package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/abusedesk/abusedesk/internal/notifytest"
	"github.com/abusedesk/abusedesk/pkg/cases"
	"github.com/abusedesk/abusedesk/pkg/contacts"
	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/store/dynamo"
)

// newTable creates a fresh table on dynalite for one test.
func newTable(t *testing.T, opts dynamo.Options) (*dynamo.Table, *dynamodb.Client, string) {
	t.Helper()
	client := notifytest.DynamoDB(t)
	name := notifytest.UniqueName("abusedesk-test-")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := dynamo.CreateTable(ctx, client, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return dynamo.New(client, name, opts), client, name
}

func testCase(t *testing.T, updates int) *cases.Case {
	t.Helper()
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	u := cases.Update{
		Account: "123456789012", EventArn: "arn:aws:health:global::event/RISK/AWS_RISK_CREDENTIALS_EXPOSED/x",
		Service: "RISK", Code: "AWS_RISK_CREDENTIALS_EXPOSED", Category: "accountNotification", Status: "open",
	}
	c := cases.New(u, base)
	for i := range updates {
		u.Updated = base.Add(time.Duration(i) * time.Hour)
		u.Entities = []cases.Entity{{Value: fmt.Sprintf("AKIA%012d", i)}}
		c.Apply(u, base.Add(time.Duration(i)*time.Hour))
	}
	return c
}

func TestCaseSaveLoadCompareAndSet(t *testing.T) {
	t.Parallel()
	store, _, _ := newTable(t, dynamo.Options{})
	ctx := context.Background()

	if _, err := store.Load(ctx, "missing"); !errors.Is(err, cases.ErrNotFound) {
		t.Fatalf("Load(missing) = %v, want ErrNotFound", err)
	}
	c1 := testCase(t, 1)
	if err := store.Save(ctx, c1, 0); err != nil {
		t.Fatal(err)
	}
	got, err := store.Load(ctx, c1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != c1.ID || len(got.Revisions) != 1 || got.Entities[0].Value != c1.Entities[0].Value {
		t.Fatalf("loaded %+v, want %+v", got, c1)
	}

	tests := []struct {
		name    string
		updates int
		prev    int
		want    error
	}{
		{"create again", 1, 0, cases.ErrConflict},
		{"stale count", 3, 2, cases.ErrConflict},
		{"next revision", 2, 1, nil},
		{"same revision twice", 2, 1, cases.ErrConflict},
		{"following revision", 3, 2, nil},
	}
	for _, tt := range tests {
		err := store.Save(ctx, testCase(t, tt.updates), tt.prev)
		if !errors.Is(err, tt.want) {
			t.Fatalf("%s: Save = %v, want %v", tt.name, err, tt.want)
		}
	}
	got, err = store.Load(ctx, c1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Revisions) != 3 {
		t.Fatalf("stored %d revisions, want 3", len(got.Revisions))
	}
}

func TestCaseConcurrentSavesOneWins(t *testing.T) {
	t.Parallel()
	store, _, _ := newTable(t, dynamo.Options{})
	ctx := context.Background()
	base := testCase(t, 1)
	if err := store.Save(ctx, base, 0); err != nil {
		t.Fatal(err)
	}
	const writers = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for range writers {
		wg.Go(func() {
			err := store.Save(ctx, testCase(t, 2), 1)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, cases.ErrConflict):
				conflicts++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || conflicts != writers-1 {
		t.Fatalf("wins=%d conflicts=%d, want 1 and %d", wins, conflicts, writers-1)
	}
}

func TestCaseItemsCarryTTLAndRevisions(t *testing.T) {
	t.Parallel()
	store, client, name := newTable(t, dynamo.Options{CaseTTL: 48 * time.Hour})
	ctx := context.Background()
	c := testCase(t, 2)
	if err := store.Save(ctx, c, 0); err != nil {
		t.Fatal(err)
	}
	wantTTL := c.Latest().Received.Add(48 * time.Hour).Unix()
	for _, sk := range []string{"META", "REV#000001", "REV#000002"} {
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(name),
			Key: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: "CASE#" + c.ID},
				"sk": &types.AttributeValueMemberS{Value: sk},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		ttl, ok := out.Item["ttl"].(*types.AttributeValueMemberN)
		if !ok {
			t.Fatalf("%s: no ttl in %v", sk, out.Item)
		}
		if ttl.Value != strconv.FormatInt(wantTTL, 10) {
			t.Fatalf("%s: ttl %s, want %d", sk, ttl.Value, wantTTL)
		}
	}
}

func TestLedgerConcurrentClaimsOneWinner(t *testing.T) {
	t.Parallel()
	store, _, _ := newTable(t, dynamo.Options{})
	ctx := context.Background()
	k := notify.LedgerKey{CaseID: "123456789012-abc", Revision: 1, Channel: "email", Recipient: "sec#ops@example.com"}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

	const callers = 100
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for range callers {
		wg.Go(func() {
			won, e, err := store.Claim(ctx, k, now)
			if err != nil {
				t.Error(err)
				return
			}
			if e == nil || e.Key != k {
				t.Errorf("Claim returned entry %+v", e)
				return
			}
			if won {
				mu.Lock()
				winners++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if winners != 1 {
		t.Fatalf("%d winners, want 1", winners)
	}

	// A redelivery before Finish sees the claim: delivery unknown, no resend.
	won, e, err := store.Claim(ctx, k, now.Add(time.Minute))
	if err != nil || won || e.State != notify.StateClaimed {
		t.Fatalf("Claim after claim = %v %+v %v", won, e, err)
	}
	if err := store.Finish(ctx, notify.Entry{Key: k, State: notify.StateSent, MessageID: "m-1", Updated: now}); err != nil {
		t.Fatal(err)
	}
	// Repeating the same Finish (a retried worker) is fine; changing the
	// outcome is not.
	if err := store.Finish(ctx, notify.Entry{Key: k, State: notify.StateSent, MessageID: "m-1", Updated: now}); err != nil {
		t.Fatalf("repeated Finish: %v", err)
	}
	if err := store.Finish(ctx, notify.Entry{Key: k, State: notify.StateFailed, Error: "x"}); !errors.Is(err, dynamo.ErrNotClaimed) {
		t.Fatalf("Finish(failed) after sent = %v, want ErrNotClaimed", err)
	}
	won, e, err = store.Claim(ctx, k, now.Add(time.Hour))
	if err != nil || won || e.State != notify.StateSent || e.MessageID != "m-1" || !e.Updated.Equal(now) {
		t.Fatalf("Claim after sent = %v %+v %v", won, e, err)
	}
}

func TestLedgerRejectsBadInput(t *testing.T) {
	t.Parallel()
	store, _, _ := newTable(t, dynamo.Options{})
	ctx := context.Background()
	good := notify.LedgerKey{CaseID: "c", Revision: 1, Channel: "sns", Recipient: "oncall"}
	tests := []struct {
		name string
		run  func() error
		is   error
	}{
		{"claim without recipient", func() error {
			_, _, err := store.Claim(ctx, notify.LedgerKey{CaseID: "c", Revision: 1, Channel: "email"}, time.Now())
			return err
		}, nil},
		{"claim revision 0", func() error {
			_, _, err := store.Claim(ctx, notify.LedgerKey{CaseID: "c", Channel: "email", Recipient: "a@b.c"}, time.Now())
			return err
		}, nil},
		{"finish unclaimed", func() error {
			return store.Finish(ctx, notify.Entry{Key: good, State: notify.StateSent})
		}, dynamo.ErrNotClaimed},
		{"finish with claimed state", func() error {
			return store.Finish(ctx, notify.Entry{Key: good, State: notify.StateClaimed})
		}, nil},
	}
	for _, tt := range tests {
		err := tt.run()
		if err == nil {
			t.Fatalf("%s: no error", tt.name)
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Fatalf("%s: %v, want %v", tt.name, err, tt.is)
		}
	}
}

func TestContacts(t *testing.T) {
	t.Parallel()
	store, client, name := newTable(t, dynamo.Options{})
	ctx := context.Background()
	want := contacts.Contact{
		Account: "111122223333", Customer: "주식회사 예시", Language: "ko",
		To: []string{"보안팀 <sec@example.co.kr>"}, CC: []string{"cto@example.co.kr"},
	}
	if err := store.PutContact(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := store.Lookup(ctx, want.Account)
	if err != nil {
		t.Fatal(err)
	}
	if got.Customer != want.Customer || got.Language != "ko" || len(got.To) != 1 || got.To[0] != want.To[0] || len(got.CC) != 1 {
		t.Fatalf("Lookup = %+v, want %+v", got, want)
	}
	if _, err := store.Lookup(ctx, "999999999999"); !errors.Is(err, contacts.ErrNoContact) {
		t.Fatalf("Lookup(unknown) = %v, want ErrNoContact", err)
	}
	// A broken record must not silently fall back to the default recipient.
	_, err = client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: map[string]types.AttributeValue{
		"pk":       &types.AttributeValueMemberS{Value: "ACCOUNT#444455556666"},
		"sk":       &types.AttributeValueMemberS{Value: "CONTACT"},
		"language": &types.AttributeValueMemberS{Value: "fr"},
		"to":       &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "a@example.com"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.Lookup(ctx, "444455556666")
	if err == nil || errors.Is(err, contacts.ErrNoContact) {
		t.Fatalf("Lookup(invalid) = %v, want a validation error", err)
	}
	// Resolve falls back to the default with a note when there is no contact.
	c, note, err := contacts.Resolve(ctx, store, "999999999999", contacts.Contact{Language: "en", To: []string{"abuse@example.net"}})
	if err != nil || c.To[0] != "abuse@example.net" || note == "" {
		t.Fatalf("Resolve = %+v %q %v", c, note, err)
	}
}

// TestLedgerRetryEntryIsClaimedOnce: a failure that sent nothing is taken
// over by exactly one of the redeliveries.
func TestLedgerRetryEntryIsClaimedOnce(t *testing.T) {
	t.Parallel()
	store, _, _ := newTable(t, dynamo.Options{})
	ctx := context.Background()
	k := notify.LedgerKey{CaseID: "123456789012-def", Revision: 1, Channel: "email", Recipient: "ops@example.com"}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	if won, _, err := store.Claim(ctx, k, now); err != nil || !won {
		t.Fatalf("first claim = %v, %v", won, err)
	}
	if err := store.Finish(ctx, notify.Entry{Key: k, State: notify.StateRetry, Error: "throttled", Updated: now}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for range 20 {
		wg.Go(func() {
			won, _, err := store.Claim(ctx, k, now.Add(time.Minute))
			if err != nil {
				t.Error(err)
			}
			if won {
				mu.Lock()
				winners++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if winners != 1 {
		t.Fatalf("%d redeliveries took over the retry entry, want 1", winners)
	}
	if err := store.Finish(ctx, notify.Entry{Key: k, State: notify.StateSent, MessageID: "m-2", Updated: now}); err != nil {
		t.Fatal(err)
	}
	if won, e, err := store.Claim(ctx, k, now.Add(time.Hour)); err != nil || won || e.State != notify.StateSent {
		t.Fatalf("claim after the retried send = %v %+v %v", won, e, err)
	}
}
