package report

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/cases"
)

// DirSink archives reports under Dir/<case id>/r<revision>/<name> and keeps
// a copy of the latest revision at Dir/<case id>/<name>, which is where
// people look first.
type DirSink struct{ Dir string }

var sinkName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func (s DirSink) paths(caseID string, rev int, name string) (string, string, error) {
	if !cases.ValidID(caseID) || !sinkName.MatchString(name) || rev < 1 {
		return "", "", fmt.Errorf("unable to archive %q for case %q revision %d: bad name", name, caseID, rev)
	}
	base := filepath.Join(s.Dir, caseID)
	return filepath.Join(base, fmt.Sprintf("r%d", rev), name), filepath.Join(base, name), nil
}

// Put implements Sink.
func (s DirSink) Put(_ context.Context, caseID string, rev int, name, _ string, body []byte) (string, error) {
	p, latest, err := s.paths(caseID, rev, name)
	if err != nil {
		return "", err
	}
	if err := cases.WriteFileAtomic(p, body); err != nil {
		return "", err
	}
	if err := cases.WriteFileAtomic(latest, body); err != nil {
		return "", err
	}
	return p, nil
}

// Location implements Sink.
func (s DirSink) Location(caseID string, rev int, name string) (string, error) {
	p, _, err := s.paths(caseID, rev, name)
	return p, err
}

// Get implements Sink.
func (s DirSink) Get(_ context.Context, caseID string, rev int, name string) ([]byte, error) {
	p, _, err := s.paths(caseID, rev, name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("unable to read report: %w: %w", awsx.ErrNotFound, err)
	}
	if err != nil {
		return nil, fmt.Errorf("unable to read report: %w", err)
	}
	return b, nil
}
