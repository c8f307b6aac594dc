// Package sqlstore implements anshin.Store on SQLite (embedded, the default)
// with SQL written once; the few places where dialects differ are in
// dialect.go.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// DB is an anshin.Store on a SQL database.
type DB struct {
	db      *sql.DB
	d       dialect
	writer  *writer
	readers *stmtCache
}

var _ anshin.Store = (*DB)(nil)

// Open connects to url ("sqlite:PATH") without migrating.
func Open(url string) (*DB, error) {
	path, ok := strings.CutPrefix(url, "sqlite:")
	if !ok {
		return nil, fmt.Errorf("database URL %q: only sqlite:PATH is supported by this build", url)
	}
	if path == "" {
		return nil, errors.New("database URL sqlite: needs a file path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	dsn := "file:" + path + "?_txlock=immediate" +
		"&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	conn, err := db.Conn(context.Background())
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &DB{db: db, d: sqliteDialect, writer: &writer{conn: conn, stmts: newStmtCache(conn)}, readers: newStmtCache(db)}, nil
}

// Close closes the database.
func (s *DB) Close() error {
	s.readers.close()
	s.writer.stmts.close()
	s.writer.conn.Close()
	return s.db.Close()
}

// Migrate applies the embedded migrations not yet applied, each in its own
// transaction, and reports how many it applied.
func (s *DB) Migrate(ctx context.Context) (int, error) {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return 0, err
	}
	sort.Strings(names)
	applied := 0
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return applied, fmt.Errorf("migration %s: bad version", name)
		}
		body, _ := migrationFiles.ReadFile(name)
		did, err := s.apply(ctx, version, s.d.adapt(string(body)))
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", name, err)
		}
		if did {
			applied++
		}
	}
	return applied, nil
}

func (s *DB) apply(ctx context.Context, version int, body string) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	for _, stmt := range strings.Split(body, ";") {
		if strings.TrimSpace(stripComments(stmt)) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return false, err
		}
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), version, time.Now().UnixMilli()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Update runs fn in a write transaction.
func (s *DB) Update(ctx context.Context, fn func(anshin.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := s.update(ctx, fn)
		if err == nil || attempt >= 4 || !s.d.retryable(err) {
			return err
		}
	}
}

// update runs fn on the one writer connection. SQLite lets one writer in
// at a time anyway; queuing writers on a mutex instead of in SQLite's busy
// handler (which sleeps and polls) keeps latency low under load, and a
// connection that lives for good keeps its prepared statements.
func (s *DB) update(ctx context.Context, fn func(anshin.Tx) error) (err error) {
	w := s.writer
	w.mu.Lock()
	defer w.mu.Unlock()
	t := &tx{stmts: w.stmts, d: s.d, ctx: ctx}
	if _, err := t.exec("BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// The rollback must run even when ctx was cancelled.
			(&tx{stmts: w.stmts, d: s.d, ctx: context.WithoutCancel(ctx)}).exec("ROLLBACK")
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	_, err = t.exec("COMMIT")
	return err
}

// View runs fn outside a transaction: each read sees committed data.
func (s *DB) View(ctx context.Context, fn func(anshin.Tx) error) error {
	return fn(&tx{stmts: s.readers, d: s.d, ctx: ctx})
}

// writer is the connection every write transaction runs on.
type writer struct {
	mu    sync.Mutex
	conn  *sql.Conn
	stmts *stmtCache
}

// preparer is a *sql.DB or a *sql.Conn.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// stmtCache prepares each distinct statement once: SQLite would otherwise
// parse and plan it on every call.
type stmtCache struct {
	on preparer
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(on preparer) *stmtCache {
	return &stmtCache{on: on, m: map[string]*sql.Stmt{}}
}

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	st, err := c.on.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
}

// tx implements anshin.Tx on the writer (Update) or the pool (View).
type tx struct {
	stmts *stmtCache
	d     dialect
	ctx   context.Context
}

var _ anshin.Tx = (*tx)(nil)

func (t *tx) stmt(query string) (*sql.Stmt, error) {
	st, err := t.stmts.get(t.ctx, t.d.rebind(query))
	return st, t.d.translate(err)
}

func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	r, err := st.ExecContext(t.ctx, args...)
	return r, t.d.translate(err)
}

func (t *tx) execN(query string, args ...any) (int64, error) {
	r, err := t.exec(query, args...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

func (t *tx) query(query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(t.ctx, args...)
	return rows, t.d.translate(err)
}

func (t *tx) row(dest []any, what, query string, args ...any) error {
	st, err := t.stmt(query)
	if err != nil {
		return err
	}
	err = st.QueryRowContext(t.ctx, args...).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return anshin.Errorf(anshin.ECodeNotFound, "%s not found", what)
	}
	return t.d.translate(err)
}

// ms converts a time to the stored Unix milliseconds, zero to 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// tm converts stored Unix milliseconds back, 0 to the zero time.
func tm(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
