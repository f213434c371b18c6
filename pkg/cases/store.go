package cases

import "context"

// Store persists cases. Save is a compare-and-set on the number of
// revisions, which is all the concurrency control ingest needs: two
// deliveries of different updates both succeed (one retries), two deliveries
// of the same update produce one revision.
type Store interface {
	Load(ctx context.Context, id string) (*Case, error)
	// Save writes c if the stored case has exactly prevRevisions revisions
	// (0: it must not exist yet); otherwise ErrConflict.
	Save(ctx context.Context, c *Case, prevRevisions int) error
}
