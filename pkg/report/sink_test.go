package report

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/cloudtrail"
)

func TestArchiveWritesEachFileOnceAndTheJSONNamesItself(t *testing.T) {
	t.Parallel()
	sink := DirSink{Dir: t.TempDir()}
	counting := &countingSink{Sink: sink, puts: map[string]int{}}
	r := &Report{Schema: Schema, CaseID: "123456789012-0a1b2c3d4e5f6a7b", Revision: 2, Language: "ko",
		Timeline: []cloudtrail.TimelineEntry{{Time: time.Unix(0, 0), Event: "CreateUser"}}}
	err := Archive(context.Background(), counting, r,
		func(lang string) []byte { return Markdown(r, lang) },
		func() ([]byte, error) { return EncodeJSON(r) })
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"report.md", "report.en.md", "timeline.csv", "report.json"} {
		if counting.puts[name] != 1 {
			t.Errorf("%s written %d times, want once", name, counting.puts[name])
		}
	}
	b, err := sink.Get(context.Background(), r.CaseID, r.Revision, "report.json")
	if err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want, _ := sink.Location(r.CaseID, r.Revision, "report.json")
	if got.Locations["report.json"] != want || want == "" {
		t.Errorf("the archived JSON names %q, want its own location %q", got.Locations["report.json"], want)
	}
}

type countingSink struct {
	Sink
	puts map[string]int
}

func (c *countingSink) Put(ctx context.Context, caseID string, rev int, name, ct string, body []byte) (string, error) {
	c.puts[name]++
	return c.Sink.Put(ctx, caseID, rev, name, ct, body)
}
