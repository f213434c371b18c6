// Package cases is the case model: one case per (affected account, Health
// eventArn), a revision per distinct update, and the one place the case key
// and the update key are derived.
package cases

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/abusedesk/abusedesk/pkg/health"
)

// ErrNotFound is returned by Store.Load for an unknown case.
var ErrNotFound = errors.New("case not found")

// ErrConflict is returned by Store.Save when another writer saved the case
// first; the caller reloads and re-applies its update.
var ErrConflict = errors.New("case changed concurrently")

// Key derives a case id. An eventArn is not unique across accounts, so the
// account is part of the key; the hash keeps ids short, path- and
// key-safe whatever the inputs contain.
func Key(account, eventArn string) string {
	sum := sha256.Sum256([]byte(account + "\x00" + eventArn))
	prefix := account
	if !health.ValidAccount(prefix) {
		prefix = "unknown"
	}
	return prefix + "-" + hex.EncodeToString(sum[:8])
}

// UpdateKey identifies one update of an event: AWS re-sends the same
// update (at-least-once) and splits large events into pages that share the
// eventArn and lastUpdatedTime.
func UpdateKey(lastUpdated time.Time, page int) string {
	return fmt.Sprintf("%s#p%d", lastUpdated.UTC().Format(time.RFC3339), page)
}

var idRE = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)

// ValidID reports whether s has the shape of a case id (what Key makes):
// the check every store, sink and handler applies before a case id
// reaches a path, an object key or a table key.
func ValidID(s string) bool { return idRE.MatchString(s) }

// Case is the durable record of one notice.
type Case struct {
	ID       string    `json:"id"`
	Account  string    `json:"account"`
	EventArn string    `json:"eventArn"`
	Service  string    `json:"service"`
	Code     string    `json:"code"`
	Category string    `json:"category"`
	Region   string    `json:"region,omitempty"`
	Status   string    `json:"status"`
	Opened   time.Time `json:"opened"`
	Started  time.Time `json:"started,omitzero"`
	// Description is AWS's text of the latest update.
	Description string `json:"description,omitempty"`
	// Targets accumulate over revisions: what the lookups should examine.
	Targets health.Targets `json:"targets"`
	// Entities in first-seen order; Revision says which revision added it.
	Entities  []Entity   `json:"entities,omitempty"`
	Revisions []Revision `json:"revisions"`
	Warnings  []string   `json:"warnings,omitempty"`
}

// Entity is an affected resource named by the event.
type Entity struct {
	Value    string `json:"value"`
	Status   string `json:"status,omitempty"`
	Revision int    `json:"revision"`
}

// Revision is one distinct update of the notice.
type Revision struct {
	N           int       `json:"n"`
	UpdateKey   string    `json:"updateKey"`
	Updated     time.Time `json:"updated"`
	Received    time.Time `json:"received"`
	EventID     string    `json:"eventId,omitempty"`
	Status      string    `json:"status"`
	Page        int       `json:"page,omitempty"`
	TotalPages  int       `json:"totalPages,omitempty"`
	NewEntities []string  `json:"newEntities,omitempty"`
}

// Update is what one delivery of an event says about its case.
type Update struct {
	Account, EventArn, Service, Code, Category, Region string
	Status                                             string
	Description                                        string
	Started, Updated                                   time.Time
	Targets                                            health.Targets
	Page, TotalPages                                   int
	EventID                                            string
	Entities                                           []Entity // Revision ignored
	Warnings                                           []string
}

// Latest returns the newest revision, or nil for a case with none.
func (c *Case) Latest() *Revision {
	if len(c.Revisions) == 0 {
		return nil
	}
	return &c.Revisions[len(c.Revisions)-1]
}

// Revision returns revision n, or nil.
func (c *Case) Revision(n int) *Revision {
	if n < 1 || n > len(c.Revisions) {
		return nil
	}
	return &c.Revisions[n-1]
}

// LatestUpdate is the newest update time among the revisions. An update
// that arrives late (older than one already recorded) is a revision of its
// own, but the case's clock, and so its reply deadline, does not go back.
func (c *Case) LatestUpdate() time.Time {
	var t time.Time
	for _, r := range c.Revisions {
		if r.Updated.After(t) {
			t = r.Updated
		}
	}
	return t
}

// ByUpdate returns the revision that recorded u, or nil.
func (c *Case) ByUpdate(u Update) *Revision {
	key := UpdateKey(u.Updated, u.Page)
	for i := range c.Revisions {
		if c.Revisions[i].UpdateKey == key {
			return &c.Revisions[i]
		}
	}
	return nil
}

// New opens an empty case for u.
func New(u Update, now time.Time) *Case {
	return &Case{
		ID: Key(u.Account, u.EventArn), Account: u.Account, EventArn: u.EventArn,
		Service: u.Service, Code: u.Code, Category: u.Category, Region: u.Region,
		Status: u.Status, Opened: now.UTC(), Started: u.Started,
	}
}

// Apply records u on c. It returns the new revision, or nil when u is an
// update the case already has (a redelivery), in which case c is unchanged.
func (c *Case) Apply(u Update, now time.Time) *Revision {
	if c.ByUpdate(u) != nil {
		return nil
	}
	key := UpdateKey(u.Updated, u.Page)
	// Compare with the newest update seen, not the last one applied: two
	// late updates in a row must not reopen a case either.
	newest := true
	for _, r := range c.Revisions {
		if u.Updated.Before(r.Updated) {
			newest = false
			break
		}
	}
	n := len(c.Revisions) + 1
	rev := Revision{
		N: n, UpdateKey: key, Updated: u.Updated.UTC(), Received: now.UTC(), EventID: u.EventID,
		Status: u.Status, Page: u.Page, TotalPages: u.TotalPages,
	}
	for _, e := range u.Entities {
		i := slices.IndexFunc(c.Entities, func(have Entity) bool { return have.Value == e.Value })
		if i >= 0 {
			if newest {
				c.Entities[i].Status = e.Status
			}
			continue
		}
		c.Entities = append(c.Entities, Entity{Value: e.Value, Status: e.Status, Revision: n})
		rev.NewEntities = append(rev.NewEntities, e.Value)
	}
	// An older update arriving late must not reopen a closed case.
	if newest {
		c.Status = u.Status
		if u.Description != "" {
			c.Description = u.Description
		}
	}
	c.Targets = c.Targets.Merge(u.Targets)
	for _, w := range u.Warnings {
		if !slices.Contains(c.Warnings, w) {
			c.Warnings = append(c.Warnings, w)
		}
	}
	c.Revisions = append(c.Revisions, rev)
	return &c.Revisions[len(c.Revisions)-1]
}
