// Command abusedesk turns AWS Health abuse and risk notices into enriched,
// scored cases, reports and notifications. Every subcommand runs the same
// pkg/ code the Lambdas run.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// stdio lets subcommands be tested without touching the process's streams.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// command is one subcommand. Subcommands live in their own files and register
// themselves from init so that adding one never edits this file.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, io stdio) int
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("abusedesk: duplicate command " + c.name) // programming error at init, not input
	}
	commands[c.name] = c
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, s stdio) int {
	if len(args) == 0 {
		// No command is a usage error, so a script that lost its arguments
		// fails rather than "succeeding" at nothing.
		usage(s.err)
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help" {
		usage(s.out)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(s.err, "abusedesk: unknown command %q\n\n", args[0])
		usage(s.err)
		return 2
	}
	return c.run(ctx, args[1:], s)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: abusedesk <command> [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %s%s  %s\n", n, strings.Repeat(" ", width-len(n)), commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'abusedesk <command> -h' for a command's flags.")
}
