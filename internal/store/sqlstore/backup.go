package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrBackupPostgres says that anshin does not copy a PostgreSQL database
// itself: pg_dump does that, online and consistent (README: Backups).
var ErrBackupPostgres = errors.New("anshin backup copies SQLite databases only; back PostgreSQL up with pg_dump (see README: Backups)")

// Backup writes a consistent copy of the SQLite database to path while
// the database stays in use (VACUUM INTO reads one snapshot; writers go
// on). path must not exist. The copy appears under its name only when it
// is complete, readable by its owner alone.
func (s *DB) Backup(ctx context.Context, path string) error {
	if s.path == "" {
		return ErrBackupPostgres
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("backup: %s exists already; choose a new name", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName) // gone once linked, or left over after a failure
	if err := os.Chmod(tmpName, 0o600); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// VACUUM INTO accepts an existing file only when it is empty, as here.
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, tmpName); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f, err := os.Open(tmpName)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// A link, unlike a rename, never replaces a file that appeared meanwhile.
	if err := os.Link(tmpName, path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}
