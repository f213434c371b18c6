package pipeline_test

import (
	"context"
	"testing"
)

// BenchmarkProcess is one new case end to end (ingest, enrich against the
// demo account, reports, outbox) into a fresh directory; compare with
// `make bench`, which replays every sample.
func BenchmarkProcess(b *testing.B) {
	for _, file := range []string{"abuse-dos.json", "risk-credentials-compromised.json"} {
		b.Run(file, func(b *testing.B) {
			n := notice(b, eventsDir+"/"+file)
			for b.Loop() {
				b.StopTimer()
				p := demo(b, b.TempDir())
				b.StartTimer()
				res, err := p.Process(context.Background(), n)
				if err != nil || res.Report == nil {
					b.Fatalf("Process: %v", err)
				}
			}
		})
	}
}

// BenchmarkRedelivery is the cost of an at-least-once duplicate, which
// must stay far below a new case.
func BenchmarkRedelivery(b *testing.B) {
	p := demo(b, b.TempDir())
	n := notice(b, eventsDir+"/abuse-dos.json")
	process(b, p, n)
	for b.Loop() {
		res, err := p.Process(context.Background(), n)
		if err != nil || res.Report != nil {
			b.Fatalf("redelivery: %v", err)
		}
	}
}
