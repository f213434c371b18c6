// Package archive keeps rendered reports in S3 under
// <prefix><case id>/r<revision>/<name>, the keys that e-mails and events
// point to.
package archive

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/cases"
	"github.com/abusedesk/abusedesk/pkg/report"
)

type api interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Config names the bucket and encryption.
type Config struct {
	Bucket string
	// Prefix before the case id; "" means DefaultPrefix.
	Prefix string
	// KMSKeyID selects SSE-KMS with that key; empty means SSE-S3.
	KMSKeyID string
}

// DefaultPrefix of report keys.
const DefaultPrefix = "reports/"

// Sink implements report.Sink on S3.
type Sink struct {
	api api
	cfg Config
}

var _ report.Sink = (*Sink)(nil)

// New returns a Sink writing to cfg.Bucket.
func New(client *s3.Client, cfg Config) *Sink {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	return &Sink{api: client, cfg: cfg}
}

// Names are checked as strictly as the local directory sink does, so a key
// can never climb out of the prefix or carry attacker text.
var validName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Key returns the object key of a report.
func (s *Sink) Key(caseID string, rev int, name string) (string, error) {
	if !cases.ValidID(caseID) || !validName.MatchString(name) || name == "." || name == ".." || rev < 1 {
		return "", fmt.Errorf("unable to archive %q for case %q revision %d: bad name", name, caseID, rev)
	}
	return fmt.Sprintf("%s%s/r%d/%s", s.cfg.Prefix, caseID, rev, name), nil
}

// Location implements report.Sink: the s3:// URI Put writes to.
func (s *Sink) Location(caseID string, rev int, name string) (string, error) {
	key, err := s.Key(caseID, rev, name)
	if err != nil {
		return "", err
	}
	return "s3://" + s.cfg.Bucket + "/" + key, nil
}

// Put implements report.Sink and returns the s3:// URI.
func (s *Sink) Put(ctx context.Context, caseID string, rev int, name, contentType string, body []byte) (string, error) {
	key, err := s.Key(caseID, rev, name)
	if err != nil {
		return "", err
	}
	in := &s3.PutObjectInput{
		Bucket:               aws.String(s.cfg.Bucket),
		Key:                  aws.String(key),
		Body:                 bytes.NewReader(body),
		ContentLength:        aws.Int64(int64(len(body))),
		ServerSideEncryption: types.ServerSideEncryptionAes256,
	}
	if contentType != "" {
		in.ContentType = aws.String(contentType)
	}
	if s.cfg.KMSKeyID != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(s.cfg.KMSKeyID)
	}
	if _, err := s.api.PutObject(ctx, in); err != nil {
		return "", fmt.Errorf("unable to archive %s: %w", key, awsx.Classify(err))
	}
	return s.Location(caseID, rev, name)
}

// Get implements report.Sink. A missing object is awsx.ErrNotFound.
func (s *Sink) Get(ctx context.Context, caseID string, rev int, name string) ([]byte, error) {
	key, err := s.Key(caseID, rev, name)
	if err != nil {
		return nil, err
	}
	out, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("unable to read %s: %w", key, awsx.Classify(err))
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("unable to read %s: %w", key, err)
	}
	return b, nil
}
