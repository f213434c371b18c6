package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/abusedesk/abusedesk/pkg/awslimits"
	"github.com/abusedesk/abusedesk/pkg/cases"
)

const (
	skMeta     = "META"
	attrDoc    = "doc"
	attrRevs   = "revisions"
	attrAcct   = "account"
	attrStatus = "status"
)

func casePK(id string) string { return "CASE#" + id }

func revSK(n int) string { return fmt.Sprintf("REV#%06d", n) }

// Load implements cases.Store with a strongly consistent read, so a
// compare-and-set that follows sees the latest revision count.
func (t *Table) Load(ctx context.Context, id string) (*cases.Case, error) {
	out, err := t.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(t.name),
		Key:            key(casePK(id), skMeta),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, classify("load case "+id, err)
	}
	if len(out.Item) == 0 {
		return nil, fmt.Errorf("unable to load case %s: %w", id, cases.ErrNotFound)
	}
	doc, ok := out.Item[attrDoc].(*types.AttributeValueMemberS)
	if !ok {
		return nil, fmt.Errorf("unable to load case %s: item has no %s", id, attrDoc)
	}
	var c cases.Case
	if err := json.Unmarshal([]byte(doc.Value), &c); err != nil {
		return nil, fmt.Errorf("unable to decode case %s: %w", id, err)
	}
	return &c, nil
}

// Save implements cases.Store: the META item is written only if it holds
// exactly prevRevisions revisions (or does not exist for 0). Revision items
// are written after the compare-and-set succeeds; they are a queryable copy
// of what META already holds, so a crash between the two loses nothing.
func (t *Table) Save(ctx context.Context, c *cases.Case, prevRevisions int) error {
	if c == nil || c.ID == "" {
		return errors.New("unable to save case: no case id")
	}
	if prevRevisions < 0 || len(c.Revisions) < prevRevisions {
		return fmt.Errorf("unable to save case %s: %d revisions cannot follow %d", c.ID, len(c.Revisions), prevRevisions)
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("unable to encode case %s: %w", c.ID, err)
	}
	// Leave room for keys and the other attributes; DynamoDB would refuse
	// the item with a ValidationException that names no cause.
	if len(doc) > awslimits.DynamoDBItemMaxBytes-4096 {
		return fmt.Errorf("unable to save case %s: %d bytes exceed the DynamoDB item limit", c.ID, len(doc))
	}
	item := key(casePK(c.ID), skMeta)
	item[attrDoc] = str(string(doc))
	item[attrRevs] = &types.AttributeValueMemberN{Value: strconv.Itoa(len(c.Revisions))}
	item[attrAcct] = str(c.Account)
	item[attrStatus] = str(c.Status)
	last := c.Opened
	if r := c.Latest(); r != nil && r.Received.After(last) {
		last = r.Received
	}
	if v, ok := ttlValue(last, t.opts.CaseTTL); ok {
		item[AttrTTL] = v
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(t.name), Item: item}
	if prevRevisions == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(pk)")
	} else {
		in.ConditionExpression = aws.String("#r = :prev")
		in.ExpressionAttributeNames = map[string]string{"#r": attrRevs}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{
			":prev": &types.AttributeValueMemberN{Value: strconv.Itoa(prevRevisions)},
		}
	}
	if _, err := t.api.PutItem(ctx, in); err != nil {
		if _, ok := conditionFailed(err); ok {
			return fmt.Errorf("unable to save case %s: %w", c.ID, cases.ErrConflict)
		}
		return classify("save case "+c.ID, err)
	}
	for _, r := range c.Revisions[prevRevisions:] {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("unable to encode revision %d of %s: %w", r.N, c.ID, err)
		}
		ri := key(casePK(c.ID), revSK(r.N))
		ri[attrDoc] = str(string(b))
		if v, ok := ttlValue(last, t.opts.CaseTTL); ok {
			ri[AttrTTL] = v
		}
		if _, err := t.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.name), Item: ri}); err != nil {
			return classify(fmt.Sprintf("save revision %d of %s", r.N, c.ID), err)
		}
	}
	return nil
}
