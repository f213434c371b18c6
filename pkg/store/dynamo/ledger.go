package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/abusedesk/abusedesk/pkg/notify"
)

const (
	attrState   = "state"
	attrMsgID   = "messageId"
	attrError   = "error"
	attrUpdated = "updated"
	attrCaseID  = "caseId"
	attrRev     = "revision"
	attrChannel = "channel"
	attrRecip   = "recipient"
)

// ledgerSK puts the recipient last: it is the only free-text part, so a
// '#' inside an address cannot make two keys collide.
func ledgerSK(k notify.LedgerKey) string {
	return fmt.Sprintf("NOTIFY#%06d#%s#%s", k.Revision, k.Channel, k.Recipient)
}

func validKey(k notify.LedgerKey) error {
	if k.CaseID == "" || k.Channel == "" || k.Recipient == "" || k.Revision < 1 {
		return fmt.Errorf("unable to use ledger key %+v: case, revision, channel and recipient are required", k)
	}
	return nil
}

// Claim implements notify.Ledger with a conditional put: of any number of
// concurrent or repeated callers exactly one creates the entry. SES has no
// idempotency token, so claiming before sending is what makes a customer
// e-mail go out at most once per key; a worker that dies after sending and
// before Finish leaves the entry "claimed", which is reported, not re-sent.
func (t *Table) Claim(ctx context.Context, k notify.LedgerKey, now time.Time) (bool, *notify.Entry, error) {
	if err := validKey(k); err != nil {
		return false, nil, err
	}
	item := key(casePK(k.CaseID), ledgerSK(k))
	item[attrCaseID] = str(k.CaseID)
	item[attrRev] = &types.AttributeValueMemberN{Value: strconv.Itoa(k.Revision)}
	item[attrChannel] = str(k.Channel)
	item[attrRecip] = str(k.Recipient)
	item[attrState] = str(notify.StateClaimed)
	item[attrUpdated] = str(now.UTC().Format(time.RFC3339Nano))
	if v, ok := ttlValue(now, t.opts.LedgerTTL); ok {
		item[AttrTTL] = v
	}
	_, err := t.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(t.name),
		Item:      item,
		// A StateRetry entry is a failure that sent nothing: take it over.
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR #s = :retry"),
		ExpressionAttributeNames:  map[string]string{"#s": attrState},
		ExpressionAttributeValues: map[string]types.AttributeValue{":retry": str(notify.StateRetry)},
		// DynamoDB returns the winner's entry with the failure, saving a
		// read; dynalite does not, hence the fallback below.
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return true, &notify.Entry{Key: k, State: notify.StateClaimed, Updated: now.UTC()}, nil
	}
	ccf, ok := conditionFailed(err)
	if !ok {
		return false, nil, classify("claim "+ledgerSK(k)+" of case "+k.CaseID, err)
	}
	if len(ccf.Item) > 0 {
		e := decodeEntry(k, ccf.Item)
		return false, &e, nil
	}
	e, err := t.entry(ctx, k)
	if err != nil {
		return false, nil, err
	}
	return false, e, nil
}

// Entry reads a ledger entry; nil without error when there is none.
func (t *Table) Entry(ctx context.Context, k notify.LedgerKey) (*notify.Entry, error) {
	if err := validKey(k); err != nil {
		return nil, err
	}
	return t.entry(ctx, k)
}

func (t *Table) entry(ctx context.Context, k notify.LedgerKey) (*notify.Entry, error) {
	out, err := t.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(t.name),
		Key:            key(casePK(k.CaseID), ledgerSK(k)),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, classify("read ledger entry "+ledgerSK(k), err)
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	e := decodeEntry(k, out.Item)
	return &e, nil
}

func decodeEntry(k notify.LedgerKey, item map[string]types.AttributeValue) notify.Entry {
	e := notify.Entry{Key: k}
	get := func(name string) string {
		if v, ok := item[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	e.State = get(attrState)
	e.MessageID = get(attrMsgID)
	e.Error = get(attrError)
	if ts, err := time.Parse(time.RFC3339Nano, get(attrUpdated)); err == nil {
		e.Updated = ts
	}
	return e
}

// ErrNotClaimed is returned by Finish for an entry nobody claimed, or one
// already finished with a different outcome.
var ErrNotClaimed = errors.New("ledger entry not claimed")

// Finish implements notify.Ledger. The condition keeps a finished outcome
// from being overwritten by a different one, while repeating the same
// Finish (a retried Lambda) succeeds.
func (t *Table) Finish(ctx context.Context, e notify.Entry) error {
	if err := validKey(e.Key); err != nil {
		return err
	}
	switch e.State {
	case notify.StateSent, notify.StateFailed, notify.StateRetry:
	default:
		return fmt.Errorf("unable to finish %s: state %q is not sent, failed or retry", ledgerSK(e.Key), e.State)
	}
	updated := e.Updated
	if updated.IsZero() {
		updated = t.now()
	}
	_, err := t.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(t.name),
		Key:                 key(casePK(e.Key.CaseID), ledgerSK(e.Key)),
		UpdateExpression:    aws.String("SET #s = :s, #m = :m, #e = :e, #u = :u"),
		ConditionExpression: aws.String("attribute_exists(pk) AND (#s = :claimed OR #s = :s)"),
		ExpressionAttributeNames: map[string]string{
			"#s": attrState, "#m": attrMsgID, "#e": attrError, "#u": attrUpdated,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":s":       str(e.State),
			":m":       str(e.MessageID),
			":e":       str(e.Error),
			":u":       str(updated.UTC().Format(time.RFC3339Nano)),
			":claimed": str(notify.StateClaimed),
		},
	})
	if err != nil {
		if _, ok := conditionFailed(err); ok {
			return fmt.Errorf("unable to finish %s of case %s: %w", ledgerSK(e.Key), e.Key.CaseID, ErrNotClaimed)
		}
		return classify("finish "+ledgerSK(e.Key)+" of case "+e.Key.CaseID, err)
	}
	return nil
}
