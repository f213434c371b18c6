package csvintake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"regexp"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/health"
	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/report"
)

// KeyPrefix is where lists are uploaded in the report bucket:
// intake/<account>/<file> opens the list's own case,
// intake/<account>/<case id>/<file> attaches it to that case.
const KeyPrefix = "intake/"

// s3API is what the trigger calls.
type s3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// S3Handler imports lists uploaded to the report bucket.
type S3Handler struct {
	S3 s3API
	// Bucket is the only bucket whose objects are imported.
	Bucket   string
	Importer *Importer
	// Regions to look addresses up in for every list.
	Regions []string
	// Bus, when set, receives "Case Enriched" for each new report so the
	// notify stage delivers it like any other case.
	Bus notify.EventPublisher
	Log *slog.Logger
}

// S3Import is the outcome for one object.
type S3Import struct {
	Key          string `json:"key"`
	Status       string `json:"status"` // opened, updated, duplicate, skipped
	CaseID       string `json:"caseId,omitempty"`
	Revision     int    `json:"revision,omitempty"`
	Rows         int    `json:"rows,omitempty"`
	Resources    int    `json:"resources,omitempty"`
	NotInAccount int    `json:"notInAccount,omitempty"`
	Rejected     int    `json:"rejected,omitempty"`
	Reason       string `json:"reason,omitempty"`
}

// S3Response is what the function returns.
type S3Response struct {
	Imports []S3Import `json:"imports"`
}

var caseSegRE = regexp.MustCompile(`^[0-9]{12}-[0-9a-f]{16}$`)

// ParseKey reads an intake key: account, and the case to attach to if the
// key names one.
func ParseKey(key string) (account, caseID string, err error) {
	rest, ok := strings.CutPrefix(key, KeyPrefix)
	if !ok || path.Clean(key) != key {
		return "", "", fmt.Errorf("unable to use key %q: not under %s", clipCell(key), KeyPrefix)
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 2 || !health.ValidAccount(parts[0]) || parts[len(parts)-1] == "" {
		return "", "", fmt.Errorf("unable to use key %q: want %s<account>/[<case id>/]<file>", clipCell(key), KeyPrefix)
	}
	if len(parts) >= 3 && caseSegRE.MatchString(parts[1]) {
		if !strings.HasPrefix(parts[1], parts[0]+"-") {
			return "", "", fmt.Errorf("unable to use key %q: case %s is not one of account %s", clipCell(key), parts[1], parts[0])
		}
		caseID = parts[1]
	}
	return parts[0], caseID, nil
}

func (h *S3Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

// Handle imports every object the event names. Objects that can never
// import (a key outside the layout, an oversized or unusable file) are
// skipped and logged; an error is returned only for what a retry can fix
// (S3, the store, the sink, the bus), after the other records are done.
func (h *S3Handler) Handle(ctx context.Context, ev events.S3Event) (S3Response, error) {
	resp := S3Response{Imports: []S3Import{}}
	var errs []error
	for _, rec := range ev.Records {
		key := rec.S3.Object.URLDecodedKey
		if key == "" {
			key = rec.S3.Object.Key
		}
		out, err := h.one(ctx, rec, key)
		if err != nil {
			h.log().ErrorContext(ctx, "csv import failed", "key", key, "error", err)
			errs = append(errs, err)
			out.Status, out.Reason = "failed", err.Error()
		} else {
			h.log().InfoContext(ctx, "csv import", "key", key, "status", out.Status, "caseId", out.CaseID, "revision", out.Revision, "reason", out.Reason)
		}
		resp.Imports = append(resp.Imports, out)
	}
	return resp, errors.Join(errs...)
}

func (h *S3Handler) one(ctx context.Context, rec events.S3EventRecord, key string) (S3Import, error) {
	out := S3Import{Key: key, Status: "skipped"}
	if !strings.HasPrefix(rec.EventName, "ObjectCreated:") {
		out.Reason = "not an object creation: " + clipCell(rec.EventName)
		return out, nil
	}
	if rec.S3.Bucket.Name != h.Bucket {
		out.Reason = "not the report bucket"
		return out, nil
	}
	account, caseID, err := ParseKey(key)
	if err != nil {
		out.Reason = err.Error()
		return out, nil
	}
	if rec.S3.Object.Size > MaxBytes {
		out.Reason = fmt.Sprintf("object is %d bytes, limit %d", rec.S3.Object.Size, MaxBytes)
		return out, nil
	}
	in := &s3.GetObjectInput{Bucket: aws.String(h.Bucket), Key: aws.String(key)}
	if v := rec.S3.Object.VersionID; v != "" {
		in.VersionId = aws.String(v) // the object this event is about, not a later upload
	}
	obj, err := h.S3.GetObject(ctx, in)
	if err != nil {
		if errors.Is(awsx.Classify(err), awsx.ErrNotFound) {
			out.Reason = "object no longer exists"
			return out, nil
		}
		return out, fmt.Errorf("unable to read s3://%s/%s: %w", h.Bucket, key, awsx.Classify(err))
	}
	defer obj.Body.Close()
	data, err := io.ReadAll(io.LimitReader(obj.Body, MaxBytes+1))
	if err != nil {
		return out, fmt.Errorf("unable to read s3://%s/%s: %w", h.Bucket, key, err)
	}
	if len(data) > MaxBytes {
		out.Reason = fmt.Sprintf("object is larger than %d bytes", MaxBytes)
		return out, nil
	}
	res, err := h.Importer.Import(ctx, data, Options{Account: account, CaseID: caseID, Regions: h.Regions, Source: key})
	if errors.Is(err, ErrInvalid) {
		out.Reason = err.Error()
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.Status, out.CaseID = res.Status, res.Case.ID
	if res.Parsed != nil {
		out.Rows, out.Rejected = len(res.Parsed.Rows), len(res.Parsed.Rejected)
	}
	var r *report.Report
	switch {
	case res.Report != nil:
		r = &res.Report.Report
		out.Revision, out.Resources, out.NotInAccount = r.Revision, len(res.Report.Intake.Resources), len(res.Report.Intake.NotInAccount)
	case res.Existing != nil:
		out.Revision = res.Existing.N
		// A retry after the announcement failed: the case is saved, so
		// announce the archived report again; notify is idempotent.
		if h.Bus == nil || h.Importer.Pipeline.Sink == nil {
			return out, nil
		}
		b, err := h.Importer.Pipeline.Sink.Get(ctx, res.Case.ID, res.Existing.N, "report.json")
		if err != nil {
			return out, fmt.Errorf("unable to reload report %s/%d: %w", res.Case.ID, res.Existing.N, err)
		}
		if r, err = report.DecodeJSON(b); err != nil {
			return out, err
		}
	}
	if h.Bus != nil && r != nil {
		e, err := notify.CaseEvent(notify.DetailCaseEnriched, r)
		if err != nil {
			return out, err
		}
		if err := h.Bus.PutEvents(ctx, []notify.Event{e}); err != nil {
			return out, fmt.Errorf("unable to announce report for %s: %w", r.CaseID, err)
		}
	}
	return out, nil
}
