//go:build unix

package cloudtrail

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Opening a FIFO blocks until a writer comes, so it must be refused before
// it is opened.
func TestScanPathsRefusesFIFO(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	res, err := ScanPaths(context.Background(), []string{fifo}, ScanOptions{})
	if err == nil || len(res.Errors) != 1 || res.Errors[0].Path != fifo || !strings.Contains(res.Errors[0].Err, "named pipe") {
		t.Errorf("err %v, errors %+v", err, res.Errors)
	}
	res, err = ScanPaths(context.Background(), []string{filepath.Dir(fifo)}, ScanOptions{})
	if err != nil || res.Stats.Files != 0 {
		t.Errorf("a FIFO inside a directory is skipped: err %v, stats %+v", err, res.Stats)
	}
}
