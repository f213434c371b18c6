package csvintake

import (
	"context"
	"testing"
)

func BenchmarkParse10k(b *testing.B) {
	data := bigList(10_000, distinctIPs())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		p, err := Parse(data)
		if err != nil || len(p.Rows) != 10_000 {
			b.Fatalf("%v, %d rows", err, len(p.Rows))
		}
		_ = GroupRows(p.Rows)
	}
}

// BenchmarkImport10k imports the 10,000-row list into a fresh case each
// time (the file store would otherwise call it a duplicate) and reports
// how many address lookups it made against how many rows and distinct
// addresses there are.
func BenchmarkImport10k(b *testing.B) {
	ips := distinctIPs()
	data := bigList(10_000, ips)
	var asked, calls, distinct int
	for b.Loop() {
		b.StopTimer()
		cnt := newCounter(b)
		im, _ := newImporter(b, cnt)
		b.StartTimer()
		res, err := im.Import(context.Background(), data, Options{Account: demoAccount, Regions: bothRegions})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		asked, calls = 0, 0
		for _, region := range bothRegions {
			calls += cnt.calls["interfaces "+region]
			for _, ip := range ips {
				asked += cnt.asked["interfaces "+region+" "+ip]
			}
		}
		distinct = len(res.Report.Intake.Resources) + len(res.Report.Intake.NotInAccount)
		b.StartTimer()
	}
	regions := float64(len(bothRegions))
	b.ReportMetric(float64(distinct), "distinct")
	b.ReportMetric(float64(asked)/regions/float64(distinct), "lookups/resource/region")
	b.ReportMetric(float64(calls)/regions, "calls/region")
	b.ReportMetric(10_000/float64(distinct), "rows/lookup")
}
