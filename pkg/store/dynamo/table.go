// Package dynamo keeps cases, their revisions, the notification ledger and
// the contact directory in one DynamoDB table.
//
// Table layout (string keys pk/sk, TTL attribute "ttl", created by infra):
//
//	pk                sk                                   what
//	CASE#<case id>    META                                 the case: doc (JSON), revisions (N)
//	CASE#<case id>    REV#<000001>                         one revision: doc (JSON)
//	CASE#<case id>    NOTIFY#<000001>#<channel>#<recip.>   ledger entry: state, messageId, error
//	ACCOUNT#<id>      CONTACT                              contact: customer, language, to, cc
//
// Concurrency is by conditional writes only, which dynalite and DynamoDB
// agree on: a case is saved with a compare-and-set on its revision count,
// a ledger entry is claimed with attribute_not_exists. Cases and ledger
// entries carry a ttl (epoch seconds) so DynamoDB expires old ones; contacts
// do not expire.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/cases"
	"github.com/abusedesk/abusedesk/pkg/contacts"
	"github.com/abusedesk/abusedesk/pkg/notify"
)

// Attribute names shared with the infrastructure definition.
const (
	AttrPK  = "pk"
	AttrSK  = "sk"
	AttrTTL = "ttl"
)

// api is exactly what the store calls.
type api interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// Options tune retention.
type Options struct {
	// CaseTTL is how long a case lives after its last revision; 0 means
	// DefaultCaseTTL, negative means never expire.
	CaseTTL time.Duration
	// LedgerTTL is how long a ledger entry lives after its claim. It must
	// outlast every redelivery of the event (Lambda retries, Health
	// re-sends), or an expired entry would let a late redelivery send
	// again; 0 means DefaultLedgerTTL, negative means never expire.
	LedgerTTL time.Duration
}

// Defaults for Options.
const (
	DefaultCaseTTL   = 400 * 24 * time.Hour
	DefaultLedgerTTL = 400 * 24 * time.Hour
)

// Table is the single-table store. It implements cases.Store,
// notify.Ledger and contacts.Directory.
type Table struct {
	api  api
	name string
	opts Options
	now  func() time.Time
}

// New returns a store on the named table.
func New(client *dynamodb.Client, table string, opts Options) *Table {
	return newTable(client, table, opts)
}

func newTable(a api, table string, opts Options) *Table {
	if opts.CaseTTL == 0 {
		opts.CaseTTL = DefaultCaseTTL
	}
	if opts.LedgerTTL == 0 {
		opts.LedgerTTL = DefaultLedgerTTL
	}
	return &Table{api: a, name: table, opts: opts, now: time.Now}
}

func ttlValue(from time.Time, d time.Duration) (types.AttributeValue, bool) {
	if d < 0 {
		return nil, false
	}
	return &types.AttributeValueMemberN{Value: fmt.Sprint(from.Add(d).Unix())}, true
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: str(pk), AttrSK: str(sk)}
}

// conditionFailed reports whether err is DynamoDB's answer to a failed
// condition expression, returning the typed error (whose Item is the
// current item when ALL_OLD was requested and the server supports it).
func conditionFailed(err error) (*types.ConditionalCheckFailedException, bool) {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ccf, true
	}
	return nil, false
}

// classify is the one place SDK errors leave this package.
func classify(what string, err error) error {
	return fmt.Errorf("unable to %s: %w", what, awsx.Classify(err))
}

// CreateTable creates the table as infra does (pk/sk strings, on-demand),
// for tests and local runs. TTL is not enabled here: dynalite does not
// implement UpdateTimeToLive; infra enables it on attribute "ttl".
func CreateTable(ctx context.Context, client *dynamodb.Client, name string) error {
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(AttrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(AttrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(AttrSK), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		return classify("create table "+name, err)
	}
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("unable to wait for table %s: %w", name, err)
	}
	return nil
}

var (
	_ cases.Store        = (*Table)(nil)
	_ notify.Ledger      = (*Table)(nil)
	_ contacts.Directory = (*Table)(nil)
)
