//go:build linux

// Command rie-invoke runs one Lambda bootstrap under aws-lambda-rie on
// loopback and posts an event to it (make invoke), or measures cold INIT
// durations (-init-runs, used by make bench).
//
// By default the function runs in demo mode against the embedded demo
// account with a file outbox, and no AWS credentials are passed to it.
// -aws passes the caller's AWS_* and ABUSEDESK_* variables through instead.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/abusedesk/abusedesk/internal/rietest"
)

type envFlags []string

func (e *envFlags) String() string     { return strings.Join(*e, ",") }
func (e *envFlags) Set(v string) error { *e = append(*e, v); return nil }

func main() {
	var (
		rie       = flag.String("rie", "build/tools/aws-lambda-rie", "aws-lambda-rie binary")
		bootstrap = flag.String("bootstrap", "", "function bootstrap (build/host/<fn>/bootstrap)")
		fn        = flag.String("fn", "", "function name (default: bootstrap's directory)")
		event     = flag.String("event", "", "event JSON file, - for stdin")
		outbox    = flag.String("outbox", "/tmp/abusedesk", "demo-mode outbox directory (ABUSEDESK_OUTBOX_DIR)")
		passAWS   = flag.Bool("aws", false, "pass the caller's AWS_* and ABUSEDESK_* variables (real account)")
		initRuns  = flag.Int("init-runs", 0, "measure this many cold starts and print the median INIT duration")
		timeout   = flag.Duration("timeout", 2*time.Minute, "give up after this long")
		extra     envFlags
	)
	flag.Var(&extra, "env", "extra KEY=VALUE for the function (repeatable)")
	flag.Parse()
	if *bootstrap == "" || *event == "" {
		fmt.Fprintln(os.Stderr, "usage: rie-invoke -bootstrap build/host/<fn>/bootstrap -event events/<file>.json")
		os.Exit(2)
	}
	payload, err := readEvent(*event)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	env := []string(extra)
	if *passAWS {
		for _, kv := range os.Environ() {
			if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "ABUSEDESK_") {
				env = append(env, kv)
			}
		}
		if !slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "ABUSEDESK_MODE=") }) {
			env = append(env, "ABUSEDESK_MODE=aws")
		}
	}
	opts := rietest.Options{RIE: *rie, Bootstrap: *bootstrap, Function: *fn, OutboxDir: *outbox, Env: env}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if *initRuns > 0 {
		os.Exit(measure(ctx, opts, payload, *initRuns))
	}
	os.Exit(invoke(ctx, opts, payload))
}

func readEvent(name string) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			return nil, fmt.Errorf("unable to read event from stdin: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("unable to read event: %w", err)
	}
	return b, nil
}

func invoke(ctx context.Context, opts rietest.Options, payload []byte) int {
	em, err := rietest.Start(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	r, err := em.Invoke(ctx, payload)
	// The RIE prints its END/REPORT lines just after answering.
	time.Sleep(50 * time.Millisecond)
	logs := em.Logs() // before Close: the runtime complains when its API goes away
	em.Close()
	fmt.Println("== function logs (aws-lambda-rie)")
	fmt.Print(logs)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("== response")
	var pretty bytes.Buffer
	if json.Indent(&pretty, r.Body, "", "  ") == nil {
		fmt.Println(pretty.String())
	} else {
		fmt.Println(string(r.Body))
	}
	if d, err := rietest.InitDuration(logs); err == nil {
		fmt.Printf("== INIT %.2f ms (runtime start until first /next)\n", float64(d)/float64(time.Millisecond))
	}
	if r.FunctionError() {
		fmt.Fprintf(os.Stderr, "function error: %s\n", r.ErrorType)
		return 1
	}
	return 0
}

// measure cold-starts the function runs times (a fresh emulator and process
// each time) and prints "median min max" INIT milliseconds.
func measure(ctx context.Context, opts rietest.Options, payload []byte, runs int) int {
	var ds []time.Duration
	for i := 0; i < runs; i++ {
		dir, err := os.MkdirTemp("", "abusedesk-bench-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		opts.OutboxDir = dir
		em, err := rietest.Start(ctx, opts)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		_, err = em.Invoke(ctx, payload)
		em.Close()
		os.RemoveAll(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		d, err := rietest.InitDuration(em.Logs())
		if err != nil {
			fmt.Fprintf(os.Stderr, "%v; logs:\n%s", err, em.Logs())
			return 1
		}
		ds = append(ds, d)
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	fmt.Printf("%.2f %.2f %.2f\n", ms(ds[len(ds)/2]), ms(ds[0]), ms(ds[len(ds)-1]))
	return 0
}
