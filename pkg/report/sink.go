package report

import "context"

// Sink archives rendered reports: a directory locally, S3 in AWS. Put
// returns where the object went (a path or s3:// URI) so notifications can
// point to it. Get reports a missing object with an error matching
// awsx.ErrNotFound.
type Sink interface {
	Put(ctx context.Context, caseID string, revision int, name, contentType string, body []byte) (string, error)
	Get(ctx context.Context, caseID string, revision int, name string) ([]byte, error)
}
