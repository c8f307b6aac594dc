package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anshin/anshin/internal/store/storetest"
	"github.com/anshin/anshin/internal/testenv"
)

// readiness runs the readiness checks of a store both dialects share: a
// migration row deleted behind the store's back makes it not current, and
// a closed store is not reachable.
func readiness(t *testing.T, url, driver, dsn string) {
	ctx := context.Background()
	db := openMigrated(t, url)
	if err := db.Reachable(ctx); err != nil {
		t.Fatalf("Reachable: %v", err)
	}
	if err := db.MigrationsCurrent(ctx); err != nil {
		t.Fatalf("MigrationsCurrent: %v", err)
	}
	if s := db.Stats(); s.OpenConnections < 1 {
		t.Errorf("Stats: %+v, want an open connection", s)
	}

	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DELETE FROM schema_migrations WHERE version = 3`); err != nil {
		t.Fatal(err)
	}
	err = db.MigrationsCurrent(ctx)
	if err == nil || !strings.Contains(err.Error(), "not applied: 3") {
		t.Errorf("MigrationsCurrent with migration 3 missing: %v", err)
	}
	if err := db.Reachable(ctx); err != nil {
		t.Errorf("Reachable with a migration missing: %v", err)
	}

	db.Close()
	if err := db.Reachable(ctx); err == nil {
		t.Error("Reachable on a closed store: nil")
	}
}

func TestSQLiteReadiness(t *testing.T) {
	path := filepath.Join(t.TempDir(), "anshin.db")
	readiness(t, "sqlite:"+path, "sqlite", path)
}

func TestPostgresReadiness(t *testing.T) {
	url := storetest.PostgresDatabase(t, testenv.Require(t, testenv.PostgresURL))
	readiness(t, url, "pgx", url)
}
