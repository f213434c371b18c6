package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/abusedesk/abusedesk/pkg/contacts"
)

const skContact = "CONTACT"

func accountPK(id string) string { return "ACCOUNT#" + id }

// The contact attributes use the JSON names of contacts.Contact, so the
// JSON file for local runs and the table hold the same fields.
func jsonTags(o *attributevalue.EncoderOptions) { o.TagKey = "json" }

// Lookup implements contacts.Directory. An entry that does not validate is
// an error, not ErrNoContact: falling back to the default recipient would
// hide a broken record.
func (t *Table) Lookup(ctx context.Context, account string) (contacts.Contact, error) {
	out, err := t.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(t.name),
		Key:       key(accountPK(account), skContact),
	})
	if err != nil {
		return contacts.Contact{}, classify("look up contact for "+account, err)
	}
	if len(out.Item) == 0 {
		return contacts.Contact{}, contacts.ErrNoContact
	}
	var c contacts.Contact
	if err := attributevalue.UnmarshalMapWithOptions(out.Item, &c, func(o *attributevalue.DecoderOptions) { o.TagKey = "json" }); err != nil {
		return contacts.Contact{}, fmt.Errorf("unable to decode contact for %s: %w", account, err)
	}
	c.Account = account
	if err := c.Validate(); err != nil {
		return contacts.Contact{}, err
	}
	return c, nil
}

// PutContact writes (or replaces) an account's contact.
func (t *Table) PutContact(ctx context.Context, c contacts.Contact) error {
	if err := c.Validate(); err != nil {
		return err
	}
	item, err := attributevalue.MarshalMapWithOptions(c, jsonTags)
	if err != nil {
		return fmt.Errorf("unable to encode contact for %s: %w", c.Account, err)
	}
	for k, v := range key(accountPK(c.Account), skContact) {
		item[k] = v
	}
	if _, err := t.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.name), Item: item}); err != nil {
		return classify("put contact for "+c.Account, err)
	}
	return nil
}
