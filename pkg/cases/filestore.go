package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// FileStore keeps cases as DIR/<case id>/case.json for the CLI. Writes are
// atomic (temp file + rename) and serialised in-process, which is all a
// local replay needs; the Lambdas use DynamoDB.
type FileStore struct {
	Dir string
	mu  sync.Mutex
}

func (s *FileStore) path(id string) (string, error) {
	if !ValidID(id) {
		return "", fmt.Errorf("unable to use case id %q: not a case id", id)
	}
	return filepath.Join(s.Dir, id, "case.json"), nil
}

// Load implements Store.
func (s *FileStore) Load(_ context.Context, id string) (*Case, error) {
	p, err := s.path(id)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("unable to read case %s: %w", id, err)
	}
	var c Case
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("unable to parse case %s: %w", id, err)
	}
	return &c, nil
}

// Save implements Store.
func (s *FileStore) Save(ctx context.Context, c *Case, prev int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.Load(ctx, c.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		if prev != 0 {
			return ErrConflict
		}
	case err != nil:
		return err
	case len(cur.Revisions) != prev:
		return ErrConflict
	}
	p, _ := s.path(c.ID)
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("unable to encode case %s: %w", c.ID, err)
	}
	return WriteFileAtomic(p, append(b, '\n'))
}

// WriteFileAtomic writes via a temp file and rename so a crash never
// leaves a half-written file behind.
func WriteFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("unable to create %s: %w", filepath.Dir(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("unable to write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("unable to write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("unable to write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("unable to write %s: %w", path, err)
	}
	return nil
}
