package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// What an operator watches: the connection pool, whether the database
// answers and is migrated (/readyz), and the outbox's depth (/metrics).

// Stats returns the connection pool's statistics. With SQLite one
// connection is always in use: the writer holds it for good.
func (s *DB) Stats() sql.DBStats { return s.db.Stats() }

// Reachable checks that the database answers a query. With SQLite it also
// checks that the file anshin opened is still the one at its path: a file
// removed or replaced while the server runs would take every write made
// since with it at the next start.
func (s *DB) Reachable(ctx context.Context) error {
	if s.path != "" {
		fi, err := os.Stat(s.path)
		if err != nil {
			return fmt.Errorf("database file: %w", err)
		}
		if !os.SameFile(fi, s.file) {
			return fmt.Errorf("database file %s was replaced since anshin opened it", s.path)
		}
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	return nil
}

// MigrationsCurrent checks that every migration this binary embeds has been
// applied. Versions applied by a newer binary are fine: migrations only add.
func (s *DB) MigrationsCurrent(ctx context.Context) error {
	want, err := embeddedVersions()
	if err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return fmt.Errorf("migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	var missing []string
	for _, v := range want {
		if !applied[v] {
			missing = append(missing, strconv.Itoa(v))
		}
	}
	if len(missing) > 0 {
		return errors.New("migrations not applied: " + strings.Join(missing, ", ") + " (run anshin migrate)")
	}
	return nil
}

// embeddedVersions lists the versions of the embedded migrations.
func embeddedVersions() ([]int, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	out := make([]int, 0, len(names))
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: bad version", name)
		}
		out = append(out, v)
	}
	sort.Ints(out)
	return out, nil
}

func (t *tx) OutboxStats() (queued int, oldest time.Time, err error) {
	var first int64
	err = t.row([]any{&queued, &first}, "outbox", `SELECT COUNT(*), COALESCE(MIN(created_at), 0) FROM deliveries WHERE status = 'queued'`)
	return queued, tm(first), err
}
