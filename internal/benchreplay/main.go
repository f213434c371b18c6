// Command benchreplay measures the per-case time of the whole pipeline —
// decode, validate, ingest, enrich against the embedded demo account,
// report, notify into the outbox — in-process, as `abusedesk replay` runs
// it. It replays every given event file into a fresh directory per round.
//
//	go run ./internal/benchreplay [-rounds N] FILE...
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/abusedesk/abusedesk/pkg/app"
	"github.com/abusedesk/abusedesk/pkg/config"
	"github.com/abusedesk/abusedesk/pkg/health"
	"github.com/abusedesk/abusedesk/pkg/pipeline"
)

// target is issue 2's budget for one case, offline.
const target = 50 * time.Millisecond

func main() {
	rounds := flag.Int("rounds", 20, "measured rounds (after one warm-up round)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: benchreplay [-rounds N] FILE...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 || *rounds < 1 {
		flag.Usage()
		os.Exit(2)
	}
	inputs := make([][]byte, 0, flag.NArg())
	for _, p := range flag.Args() {
		b, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchreplay:", err)
			os.Exit(1)
		}
		inputs = append(inputs, b)
	}
	ctx := context.Background()
	warm, _, err := round(ctx, inputs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreplay:", err)
		os.Exit(1)
	}
	var all []time.Duration
	cases, skipped := 0, 0
	for range *rounds {
		ds, sk, err := round(ctx, inputs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchreplay:", err)
			os.Exit(1)
		}
		all = append(all, ds...)
		cases, skipped = len(ds), sk
	}
	slices.Sort(all)
	slices.Sort(warm)
	p50 := pct(all, 50)
	fmt.Printf("replay: %d cases x %d rounds (%d events skipped or rejected per round)\n", cases, *rounds, skipped)
	fmt.Printf("  %-22s %10s %10s %10s\n", "per case", "p50", "p90", "max")
	fmt.Printf("  %-22s %10s %10s %10s\n", "measured rounds", ms(p50), ms(pct(all, 90)), ms(all[len(all)-1]))
	fmt.Printf("  %-22s %10s %10s %10s\n", "warm-up round", ms(pct(warm, 50)), ms(pct(warm, 90)), ms(warm[len(warm)-1]))
	fmt.Printf("  target p50 <= %s  ratio p50/target %.3f  %s\n", ms(target), float64(p50)/float64(target), verdict(p50))
}

// round replays every input into a fresh directory and returns the time of
// each event that made a case revision. Skipped and rejected events are
// counted, not timed: they do no pipeline work.
func round(ctx context.Context, inputs [][]byte) ([]time.Duration, int, error) {
	dir, err := os.MkdirTemp("", "benchreplay-")
	if err != nil {
		return nil, 0, fmt.Errorf("unable to create a work directory: %w", err)
	}
	defer os.RemoveAll(dir)
	p, err := app.Demo(config.Config{}, dir, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, 0, err
	}
	var out []time.Duration
	skipped := 0
	for _, raw := range inputs {
		start := time.Now()
		evs, err := health.Decode(raw)
		if err != nil {
			skipped++
			continue
		}
		decode := time.Since(start) / time.Duration(len(evs))
		for _, ev := range evs {
			start := time.Now()
			n, err := health.Validate(ev)
			if err != nil {
				skipped++
				continue
			}
			res, err := p.Process(ctx, n)
			took := time.Since(start) + decode
			if err != nil {
				return nil, 0, fmt.Errorf("unable to replay %s: %w", n.Event.Detail.EventArn, err)
			}
			if res.Ingested.Status == pipeline.StatusDuplicate {
				skipped++ // a redelivery within the inputs
				continue
			}
			out = append(out, took)
		}
	}
	if len(out) == 0 {
		return nil, 0, fmt.Errorf("no input made a case")
	}
	return out, skipped, nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func verdict(p50 time.Duration) string {
	if p50 <= target {
		return "OK"
	}
	return "OVER TARGET"
}
