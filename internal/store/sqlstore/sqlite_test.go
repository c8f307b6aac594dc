package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/store/sqlstore"
	"github.com/anshin/anshin/internal/store/storetest"
)

func TestSQLiteConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) anshin.Store {
		return openMigrated(t, "sqlite:"+filepath.Join(t.TempDir(), "anshin.db"))
	})
}

// openMigrated opens url, migrates it and closes it when t ends.
func openMigrated(t *testing.T, url string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestMigrateTwiceAppliesNothing(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "anshin.db")
	openMigrated(t, url)
	db := openMigrated(t, url)
	n, err := db.Migrate(context.Background())
	if err != nil || n != 0 {
		t.Fatalf("third migrate applied %d: %v", n, err)
	}
}

func TestOpenRejectsOtherURLs(t *testing.T) {
	for _, url := range []string{"mysql://x", "sqlite:", "", "postgres://%zz"} {
		if db, err := sqlstore.Open(url); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", url)
		}
	}
}
