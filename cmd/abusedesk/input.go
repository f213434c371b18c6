package main

import (
	"fmt"
	"io"
	"os"
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
