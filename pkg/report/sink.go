package report

import (
	"bytes"
	"context"
	"fmt"

	"github.com/abusedesk/abusedesk/pkg/cloudtrail"
)

// Sink archives rendered reports: a directory locally, S3 in AWS. Put
// returns where the object went (a path or s3:// URI) so notifications can
// point to it; Location says the same without writing. Get reports a
// missing object with an error matching awsx.ErrNotFound.
type Sink interface {
	Put(ctx context.Context, caseID string, revision int, name, contentType string, body []byte) (string, error)
	Get(ctx context.Context, caseID string, revision int, name string) ([]byte, error)
	Location(caseID string, revision int, name string) (string, error)
}

// Archive writes a revision's files — the Markdown report in r's language
// and in English, the CloudTrail timeline as CSV when there is one, and the
// JSON report last — and records where each went in r.Locations. The JSON
// report lists its own location too, so it is encoded after the others.
// markdown and encodeJSON render the caller's report type (the CSV import
// extends Report).
func Archive(ctx context.Context, sink Sink, r *Report, markdown func(lang string) []byte, encodeJSON func() ([]byte, error)) error {
	if sink == nil {
		return nil
	}
	r.Locations = map[string]string{}
	put := func(name, contentType string, body []byte) error {
		loc, err := sink.Put(ctx, r.CaseID, r.Revision, name, contentType, body)
		if err != nil {
			return fmt.Errorf("unable to archive %s: %w", name, err)
		}
		r.Locations[name] = loc
		return nil
	}
	langs := []string{Lang(r.Language)}
	if langs[0] != "en" {
		langs = append(langs, "en")
	}
	for i, lang := range langs {
		name := "report.md"
		if i > 0 {
			name = "report.en.md"
		}
		if err := put(name, "text/markdown; charset=utf-8", markdown(lang)); err != nil {
			return err
		}
	}
	if len(r.Timeline) > 0 {
		var csv bytes.Buffer
		if err := cloudtrail.WriteTimelineCSV(&csv, r.Timeline); err != nil {
			return fmt.Errorf("unable to render timeline.csv: %w", err)
		}
		if err := put("timeline.csv", "text/csv; charset=utf-8", csv.Bytes()); err != nil {
			return err
		}
	}
	loc, err := sink.Location(r.CaseID, r.Revision, "report.json")
	if err != nil {
		return fmt.Errorf("unable to archive report.json: %w", err)
	}
	r.Locations["report.json"] = loc
	b, err := encodeJSON()
	if err != nil {
		return err
	}
	return put("report.json", "application/json", b)
}
