// Package contacts answers who to write to about an account, in which
// language.
package contacts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"os"
)

// ErrNoContact means the directory has no entry for the account.
var ErrNoContact = errors.New("no contact for account")

// Contact is one customer account's addressees.
type Contact struct {
	Account  string   `json:"account"`
	Customer string   `json:"customer"`
	Language string   `json:"language"` // "ko" or "en"
	To       []string `json:"to"`
	CC       []string `json:"cc,omitempty"`
}

// Directory looks contacts up by account id.
type Directory interface {
	Lookup(ctx context.Context, account string) (Contact, error)
}

// Validate checks the addresses parse and the language is one we write.
func (c Contact) Validate() error {
	if len(c.To) == 0 {
		return fmt.Errorf("unable to use contact for %s: no recipients", c.Account)
	}
	for _, a := range append(append([]string{}, c.To...), c.CC...) {
		if _, err := mail.ParseAddress(a); err != nil {
			return fmt.Errorf("unable to use contact for %s: address %q: %w", c.Account, a, err)
		}
	}
	switch c.Language {
	case "ko", "en":
	default:
		return fmt.Errorf("unable to use contact for %s: language %q is not ko or en", c.Account, c.Language)
	}
	return nil
}

// Static is a directory held in memory, loaded from a JSON file for local
// runs: a list of Contact objects.
type Static map[string]Contact

// LoadFile reads a JSON contacts file.
func LoadFile(path string) (Static, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("unable to read contacts: %w", err)
	}
	return Parse(b)
}

// Parse reads a JSON list of contacts.
func Parse(b []byte) (Static, error) {
	var list []Contact
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("unable to parse contacts: %w", err)
	}
	s := make(Static, len(list))
	for _, c := range list {
		if err := c.Validate(); err != nil {
			return nil, err
		}
		s[c.Account] = c
	}
	return s, nil
}

// Lookup implements Directory.
func (s Static) Lookup(_ context.Context, account string) (Contact, error) {
	if c, ok := s[account]; ok {
		return c, nil
	}
	return Contact{}, ErrNoContact
}

// Resolve looks the account up and falls back to def when the account has
// none; the returned note says so, for the case record.
func Resolve(ctx context.Context, d Directory, account string, def Contact) (Contact, string, error) {
	if d != nil {
		c, err := d.Lookup(ctx, account)
		if err == nil {
			return c, "", nil
		}
		if !errors.Is(err, ErrNoContact) {
			return Contact{}, "", fmt.Errorf("unable to look up contact for %s: %w", account, err)
		}
	}
	def.Account = account
	if len(def.To) == 0 {
		return def, fmt.Sprintf("no contact on file for account %s and no default recipient: customer e-mail not sent", account), nil
	}
	return def, fmt.Sprintf("no contact on file for account %s: sent to the default recipient", account), nil
}
