package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/abusedesk/abusedesk/pkg/app"
	"github.com/abusedesk/abusedesk/pkg/config"
	"github.com/abusedesk/abusedesk/pkg/pipeline"
	"github.com/abusedesk/abusedesk/pkg/report"
)

// readInput reads a command's input file ("-" is standard input), refusing
// more than limit bytes so a wrong file cannot exhaust memory.
func readInput(path string, stdin io.Reader, limit int64, what string) ([]byte, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("unable to read %s: %w", what, err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("unable to read %s: %w", what, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("unable to read %s: larger than %d bytes", what, limit)
	}
	return b, nil
}

// oneLine makes text from events, AWS or the command line safe for a
// terminal line: control characters (escape sequences, CR/LF, C1 controls)
// and bidi overrides become spaces, secret-looking tokens are redacted, and
// runs of space collapse.
func oneLine(s string) string { return strings.Join(strings.Fields(report.OneLine(s, 0)), " ") }

// parseFlags parses a subcommand's flags. Asking for help is not an error
// (exit 0); a bad flag is a usage error (exit 2). ok is false when the
// command should stop with that exit code.
func parseFlags(fs *flag.FlagSet, args []string) (exit int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		return 0, false
	default:
		return 2, false
	}
}

// expandDirs replaces each directory argument with the *.json files in it,
// in name order, so "replay events/" replays the samples in the order their
// names give (an update after the event it updates).
func expandDirs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if a == "-" || err != nil || !st.IsDir() {
			out = append(out, a) // errors surface when the file is read
			continue
		}
		m, err := filepath.Glob(filepath.Join(a, "*.json"))
		if err != nil {
			return nil, fmt.Errorf("unable to list %s: %w", a, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("unable to replay %s: no *.json files in it", a)
		}
		sort.Strings(m)
		out = append(out, m...)
	}
	return out, nil
}

// demoFlags are the flags the commands that run the pipeline locally share.
type demoFlags struct {
	out     *string
	verbose *bool
}

func addDemoFlags(fs *flag.FlagSet) demoFlags {
	return demoFlags{
		out:     fs.String("out", "out", "directory for cases, reports and the outbox"),
		verbose: fs.Bool("v", false, "log each stage to stderr"),
	}
}

// pipeline checks the flags and wires the pipeline against the embedded
// demo account; a non-zero exit code means it could not.
func (d demoFlags) pipeline(name string, s stdio, edit func(*config.Config)) (*pipeline.Pipeline, int) {
	if *d.out == "" {
		fmt.Fprintf(s.err, "abusedesk %s: --out must name a directory\n", name)
		return nil, 2
	}
	cfg, err := config.FromEnv(nil)
	if err != nil {
		fmt.Fprintf(s.err, "abusedesk %s: %v\n", name, err)
		return nil, 2
	}
	if edit != nil {
		edit(&cfg)
	}
	level := slog.LevelWarn
	if *d.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(s.err, &slog.HandlerOptions{Level: level}))
	p, err := app.Demo(cfg, *d.out, nil, log)
	if err != nil {
		fmt.Fprintf(s.err, "abusedesk %s: %v\n", name, err)
		return nil, 1
	}
	return p, 0
}
