package sqlstore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

// The database holds password hashes and sealed messages: the folder
// anshin creates for it is 0700, and the database file, its -wal and -shm
// (which SQLite creates itself) and a backup are 0600 after real writes.
func TestSQLiteFilesAreOwnerOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "anshin.db")
	db := openMigrated(t, "sqlite:"+path) // migrating writes through the WAL
	err := db.Update(context.Background(), func(tx anshin.Tx) error {
		return tx.PutThrottle("filemode-test", 1, time.Time{}, time.Now().Add(time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(context.Background(), backup); err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600, backup: 0o600}
	for name, mode := range want {
		fi, err := os.Stat(name)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(name), err)
			continue
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", filepath.Base(name), fi.Mode().Perm(), mode)
		}
	}
}
