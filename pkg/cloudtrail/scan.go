package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Progress counts a running scan; read it with atomic loads from another
// goroutine (the CLI's progress bar).
type Progress struct {
	InputBytes atomic.Int64 // bytes read from files (compressed)
	Records    atomic.Int64
	TotalBytes atomic.Int64 // sum of file sizes, known after the walk
}

// ScanOptions tunes ScanPaths.
type ScanOptions struct {
	// Workers is how many files are parsed at once; 0 means GOMAXPROCS.
	Workers  int
	Progress *Progress
	// Stdin is read for the path "-".
	Stdin io.Reader
}

// ScanResult is a finished scan.
type ScanResult struct {
	Analysis
	Stats  Stats           `json:"stats"`
	Errors []ScanFileError `json:"errors,omitempty"`
}

// ScanFileError is one input that could not be read; other inputs are
// still analysed.
type ScanFileError struct {
	Path string `json:"path"`
	Err  string `json:"error"`
}

// ScanPaths reads files, directories (recursively) and "-" (stdin),
// analyses every record and returns findings and a timeline. Files are
// parsed concurrently; within a gzip file decompression runs ahead of
// parsing on its own goroutine so one large object also uses two cores.
// The returned error is non-nil when any input failed.
func ScanPaths(ctx context.Context, paths []string, opt ScanOptions) (ScanResult, error) {
	var res ScanResult
	files, errs := expand(paths, opt.Progress)
	inputs := len(files) + len(errs)
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var (
		mu      sync.Mutex
		total   = NewAnalyzer()
		stats   Stats
		queue   = make(chan string)
		g, gctx = errgroup.WithContext(ctx)
	)
	g.Go(func() error {
		defer close(queue)
		for _, f := range files {
			select {
			case queue <- f:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			a := NewAnalyzer()
			var st Stats
			for f := range queue {
				fst, err := scanOne(gctx, f, opt, a)
				st.Add(fst)
				if err != nil {
					if ctxErr := gctx.Err(); ctxErr != nil {
						return ctxErr
					}
					mu.Lock()
					errs = append(errs, ScanFileError{Path: clean(f), Err: clean(err.Error())})
					mu.Unlock()
				}
			}
			mu.Lock()
			total.Merge(a)
			stats.Add(st)
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return res, fmt.Errorf("unable to scan CloudTrail logs: %w", err)
	}
	res.Analysis = total.Finish()
	res.Stats = stats
	slices.SortFunc(errs, func(a, b ScanFileError) int { return strings.Compare(a.Path, b.Path) })
	res.Errors = errs
	if len(errs) > 0 {
		return res, fmt.Errorf("unable to read %d of %d inputs (first: %s: %s)", len(errs), inputs, errs[0].Path, errs[0].Err)
	}
	return res, nil
}

// expand turns arguments into a list of files, walking directories. A
// path that cannot be listed is an error for that path only, so the others
// are still scanned. Inside a directory only regular files are taken and
// symbolic links are not followed, so a link loop cannot hang the walk and
// a FIFO cannot block it; a path named explicitly must be a regular file or
// a directory (through a link is fine), since silently scanning nothing
// would read as a clean result.
func expand(paths []string, p *Progress) ([]string, []ScanFileError) {
	var out []string
	var errs []ScanFileError
	fail := func(path string, err error) {
		errs = append(errs, ScanFileError{Path: clean(path), Err: clean(err.Error())})
	}
	add := func(path string, size int64) {
		if p != nil {
			p.TotalBytes.Add(size)
		}
		out = append(out, path)
	}
	for _, arg := range paths {
		if arg == "-" {
			out = append(out, arg)
			continue
		}
		info, err := os.Stat(arg) // follows links; a loop fails with ELOOP
		if err != nil {
			fail(arg, fmt.Errorf("unable to open: %w", err))
			continue
		}
		switch {
		case info.Mode().IsRegular():
			add(arg, info.Size())
			continue
		case !info.IsDir():
			fail(arg, fmt.Errorf("unable to scan: not a regular file or directory (%s)", fileKind(info.Mode())))
			continue
		}
		// WalkDir does not descend into a root that is a link, so walk its
		// target and report paths under the name given.
		root, err := filepath.EvalSymlinks(arg)
		if err != nil {
			fail(arg, fmt.Errorf("unable to open: %w", err))
			continue
		}
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if rel, rerr := filepath.Rel(root, path); rerr == nil {
				path = filepath.Join(arg, rel)
			}
			if err != nil {
				fail(path, fmt.Errorf("unable to list: %w", err))
				return nil // a directory's second call: skip it, keep walking
			}
			if d.IsDir() || !d.Type().IsRegular() {
				return nil
			}
			if info, err := d.Info(); err == nil {
				add(path, info.Size())
			} else {
				add(path, 0)
			}
			return nil
		})
	}
	return out, errs
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.Type().String()
}

func scanOne(ctx context.Context, path string, opt ScanOptions, a *Analyzer) (Stats, error) {
	var r io.Reader
	if path == "-" {
		if opt.Stdin == nil {
			return Stats{}, errors.New("unable to read stdin: no stdin given")
		}
		r = opt.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return Stats{}, fmt.Errorf("unable to open: %w", err)
		}
		defer f.Close()
		// expand checked the type; this catches a swap in between (a
		// device would otherwise be read for ever).
		if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
			return Stats{}, errors.New("unable to scan: not a regular file")
		}
		r = f
	}
	if opt.Progress != nil {
		r = &progressReader{r: r, p: opt.Progress}
	}
	return readRecords(ctx, r, true, func(rec *Record) error {
		a.Observe(rec)
		if opt.Progress != nil {
			opt.Progress.Records.Add(1)
		}
		return nil
	})
}

type progressReader struct {
	r io.Reader
	p *Progress
}

func (pr *progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	pr.p.InputBytes.Add(int64(n))
	return n, err
}

// readahead reads its source on a separate goroutine in large blocks, so
// decompression overlaps with parsing.
type readahead struct {
	ch   chan []byte
	free chan []byte
	done chan struct{}
	cur  []byte
	buf  []byte
	err  error // set before ch is closed
	once sync.Once
}

const readaheadBlock = 1 << 20

func newReadahead(src io.Reader) *readahead {
	ra := &readahead{ch: make(chan []byte, 3), free: make(chan []byte, 4), done: make(chan struct{})}
	go func() {
		defer close(ra.ch)
		for {
			var b []byte
			select {
			case b = <-ra.free:
			default:
				b = make([]byte, readaheadBlock)
			}
			n, err := io.ReadFull(src, b[:cap(b)])
			if n > 0 {
				select {
				case ra.ch <- b[:n]:
				case <-ra.done:
					return
				}
			}
			if err != nil {
				if errors.Is(err, io.ErrUnexpectedEOF) {
					err = io.EOF
				}
				ra.err = err
				return
			}
		}
	}()
	return ra
}

func (ra *readahead) Read(p []byte) (int, error) {
	for len(ra.cur) == 0 {
		if ra.buf != nil {
			select {
			case ra.free <- ra.buf:
			default:
			}
			ra.buf = nil
		}
		b, ok := <-ra.ch
		if !ok {
			return 0, ra.err
		}
		ra.buf, ra.cur = b, b
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// Close stops the reading goroutine.
func (ra *readahead) Close() {
	ra.once.Do(func() {
		close(ra.done)
		for range ra.ch {
		}
	})
}
