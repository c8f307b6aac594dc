// Package sqlstore implements anshin.Store on SQLite (embedded, the default)
// and PostgreSQL (several instances on one database) with SQL written once;
// the few places where dialects differ are in dialect.go.
//
// How each store keeps the rules that must hold once:
//
//   - SQLite runs every write transaction on one connection, one at a time
//     (BEGIN IMMEDIATE behind a mutex): writers are serialized, so a check
//     and the write that follows it can never interleave with another.
//   - PostgreSQL runs write transactions at SERIALIZABLE isolation and
//     runs them again, after a short random wait, when the database
//     reports a serialization failure (40001) or a deadlock (40P01). That
//     keeps SQLite's semantics for every Update closure, including the ones
//     that read, check and then write (throttles, issuance limits, the
//     initial password's lock), across any number of processes, without
//     each caller choosing locks. Closures must therefore be safe to run
//     more than once: they assign what they hand back on every attempt.
//     LockAccount adds SELECT … FOR UPDATE, so concurrent issues on one
//     account take turns (the one that waited fails serialization and, run
//     again, counts the other's key). The outbox claim is the
//     exception: it is one statement whose correctness rests on row locks
//     (FOR UPDATE SKIP LOCKED, then a lease), so when it opens the
//     transaction, the transaction runs at READ COMMITTED and concurrent
//     claimers skip each other's rows instead of failing.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// DB is an anshin.Store on a SQL database.
type DB struct {
	db      *sql.DB
	d       dialect
	writer  *writer     // SQLite: the connection every write runs on
	readers *stmtCache  // SQLite: cached statements on the pool
	file    os.FileInfo // SQLite: the file opened, to notice it removed or replaced (Reachable)
	path    string
}

var _ anshin.Store = (*DB)(nil)

// Open connects to url, "sqlite:PATH" or "postgres://…" (also
// "postgresql://…"), without migrating. PostgreSQL must answer now: a
// server that cannot be reached is an error here, while a connection lost
// later is replaced by the pool.
func Open(url string) (*DB, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		return openSQLite(strings.TrimPrefix(url, "sqlite:"))
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return openPostgres(url)
	}
	return nil, errors.New("the database URL must be sqlite:PATH or postgres://…")
}

func openSQLite(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("database URL sqlite: needs a file path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	// SQLite would create the file 0644; it creates -wal and -shm with the
	// database file's mode, so a database made 0600 here keeps all three
	// readable by anshin's user alone. An existing file keeps its mode.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create %s: %w", path, err)
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
	file, err := os.Stat(path)
	if err != nil {
		conn.Close()
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &DB{db: db, d: sqliteDialect, writer: &writer{conn: conn, stmts: newStmtCache(conn)}, readers: newStmtCache(db), file: file, path: path}, nil
}

// PostgresPoolSize is the most connections one instance opens.
const PostgresPoolSize = 16

func openPostgres(url string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err // pgx leaves the password out of its message
	}
	// pgx prepares each distinct statement once per connection and keeps
	// it (its default statement cache), as the SQLite store does by hand.
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(PostgresPoolSize)
	db.SetMaxIdleConns(PostgresPoolSize)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot connect to PostgreSQL at %s:%d (database %q): %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	return &DB{db: db, d: postgresDialect}, nil
}

// Close closes the database.
func (s *DB) Close() error {
	if s.writer != nil {
		s.readers.close()
		s.writer.stmts.close()
		s.writer.conn.Close()
	}
	return s.db.Close()
}

// Update runs fn in a write transaction, again when it lost to a
// concurrent one (see the package comment).
func (s *DB) Update(ctx context.Context, fn func(anshin.Tx) error) error {
	if s.writer != nil {
		return s.retrySQLite(func() error { return s.updateSQLite(ctx, fn) })
	}
	return s.updatePostgres(ctx, fn)
}

// retrySQLite runs attempt until it succeeds, fails for good, or has
// failed five times in a way worth another run.
func (s *DB) retrySQLite(attempt func() error) error {
	for n := 0; ; n++ {
		err := attempt()
		if err == nil || n >= 4 || !s.d.retryable(err) {
			return err
		}
	}
}

// updateSQLite runs fn on the one writer connection. SQLite lets one writer
// in at a time anyway; queuing writers on a mutex instead of in SQLite's
// busy handler (which sleeps and polls) keeps latency low under load, and a
// connection that lives for good keeps its prepared statements.
func (s *DB) updateSQLite(ctx context.Context, fn func(anshin.Tx) error) (err error) {
	w := s.writer
	w.mu.Lock()
	defer w.mu.Unlock()
	t := sqliteTx(w.stmts, ctx)
	if _, err := t.exec("BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		p := recover()
		if err != nil || p != nil {
			// The rollback must run even when ctx was cancelled, and when
			// fn panicked: the connection is everybody's next writer.
			(&tx{r: w.stmts, d: s.d, ctx: context.WithoutCancel(ctx)}).exec("ROLLBACK")
		}
		if p != nil {
			panic(p)
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	_, err = t.exec("COMMIT")
	return err
}

// PostgreSQL retries: up to pgAttempts runs, waiting a random time up to
// a doubling bound between them, so that transactions that collided do
// not collide again in step.
const (
	pgAttempts    = 30
	pgBackoffBase = 2 * time.Millisecond
	pgBackoffMax  = 250 * time.Millisecond
)

// UpdateOne runs fn's one statement as its own transaction: on SQLite on
// the writer connection, without BEGIN IMMEDIATE and COMMIT around it; on
// PostgreSQL on the pool, at the connection's isolation (READ COMMITTED).
func (s *DB) UpdateOne(ctx context.Context, fn func(anshin.Tx) error) error {
	if w := s.writer; w != nil {
		return s.retrySQLite(func() error {
			w.mu.Lock()
			defer w.mu.Unlock()
			return fn(sqliteTx(&oneStatement{r: w.stmts}, ctx))
		})
	}
	return s.retryPostgres(ctx, func() (bool, error) {
		t := &tx{r: &oneStatement{r: direct{s.db}}, d: s.d, ctx: ctx}
		err := fn(t)
		return t.retry || s.d.retryable(err), err
	})
}

func (s *DB) updatePostgres(ctx context.Context, fn func(anshin.Tx) error) error {
	return s.retryPostgres(ctx, func() (bool, error) { return s.attemptPostgres(ctx, fn) })
}

// retryPostgres runs attempt until it succeeds, fails for good, or has
// lost pgAttempts times to concurrent transactions.
func (s *DB) retryPostgres(ctx context.Context, run func() (retry bool, err error)) error {
	wait := pgBackoffBase
	for attempt := 1; ; attempt++ {
		retry, err := run()
		if err == nil || !retry {
			return err
		}
		if attempt == pgAttempts {
			// Contention this long is an overload: say so (503), not 500.
			return &anshin.Error{Code: anshin.ECodeUnavailable, Message: fmt.Sprintf("the database is too busy: %d attempts lost to concurrent transactions", attempt)}
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait/2 + rand.N(wait/2+1)):
		}
		wait = min(2*wait, pgBackoffMax)
	}
}

// attemptPostgres runs fn once in a transaction that begins with fn's
// first statement, at the isolation level that statement asks for, and
// reports whether a failure is worth another run. The transaction runs on
// one of the pool's connections through pgx itself (pgxTx).
func (s *DB) attemptPostgres(ctx context.Context, fn func(anshin.Tx) error) (retry bool, err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return false, s.d.translate(err)
	}
	defer conn.Close()
	err = conn.Raw(func(driverConn any) error {
		retry, err = s.attemptOn(ctx, driverConn.(*stdlib.Conn).Conn(), fn)
		return err
	})
	return retry, err
}

func (s *DB) attemptOn(ctx context.Context, c *pgx.Conn, fn func(anshin.Tx) error) (retry bool, err error) {
	var p *pgxTx
	t := &tx{d: s.d, ctx: ctx}
	t.begin = func(level sql.IsolationLevel) (runner, error) {
		p = &pgxTx{c: c, begin: beginSQL(level)}
		return p, nil
	}
	// The ROLLBACK must go out even when ctx was cancelled: the connection
	// goes back to the pool.
	rollback := func() { p.end(context.WithoutCancel(ctx), false) }
	defer func() {
		if r := recover(); r != nil {
			if p != nil {
				rollback()
			}
			panic(r)
		}
	}()
	err = fn(t)
	if p == nil {
		return t.retry, err
	}
	if err != nil {
		rollback()
		return t.retry || s.d.retryable(err), err
	}
	if err := p.end(ctx, true); err != nil {
		return s.d.retryable(err), s.d.translate(err)
	}
	return false, nil
}

// View runs fn outside a transaction: each read sees committed data.
//
// On SQLite it reads on the writer's connection when no write holds it,
// and on the pool's otherwise, never waiting. A connection's page cache is
// dropped whenever another one committed since its last read, so under
// writes every read on the pool starts again from the file (its pages
// read back through the WAL); the writer's cache is its own commits'.
// A login's reads there cost about 0.08 ms less. Views are short (a page
// of the console at most): a write that comes meanwhile waits for one as
// it waits for another write.
func (s *DB) View(ctx context.Context, fn func(anshin.Tx) error) error {
	if w := s.writer; w != nil {
		if !w.mu.TryLock() {
			return fn(sqliteTx(s.readers, ctx))
		}
		defer w.mu.Unlock()
		return fn(sqliteTx(w.stmts, ctx))
	}
	return fn(&tx{r: direct{s.db}, d: s.d, ctx: ctx})
}

// writer is the connection every SQLite write transaction runs on.
type writer struct {
	mu    sync.Mutex
	conn  *sql.Conn
	stmts *stmtCache
}

// tx implements anshin.Tx on the SQLite writer, a PostgreSQL transaction
// or the pool (View).
type tx struct {
	r   runner
	d   dialect
	ctx context.Context
	// stop, when set, is the caller's context, checked before each
	// statement, where ctx is one that never ends (sqliteTx).
	stop context.Context
	// begin opens the PostgreSQL transaction at the first statement, at
	// the isolation level that statement asks for.
	begin func(level sql.IsolationLevel) (runner, error)
	retry bool // a statement failed in a way that running again may cure
	// groups are the groups read with administrators (AdministratorsOfAccount,
	// Administrator), which Group answers from until the transaction
	// writes them: the same snapshot would read them the same.
	groups map[string]groupRow
}

var _ anshin.Tx = (*tx)(nil)

// sqliteTx runs statements on r to their end: SQLite's take micro- to
// milliseconds, and one whose context can end costs a goroutine of the
// driver's and one of database/sql's to watch it, and a progress handler
// (with a 1 MiB hash, 0.1–0.2 ms of the 2.3–3.0 ms of a whole login).
// A context that ends stops the transaction at its next statement instead.
func sqliteTx(r runner, ctx context.Context) *tx {
	return &tx{r: r, d: sqliteDialect, ctx: context.WithoutCancel(ctx), stop: ctx}
}

// on returns the runner, beginning the transaction if it is not yet.
func (t *tx) on(level sql.IsolationLevel) (runner, error) {
	if t.stop != nil {
		if err := t.stop.Err(); err != nil {
			return nil, t.fail(err)
		}
	}
	if t.r == nil {
		r, err := t.begin(level)
		if err != nil {
			return nil, t.fail(err)
		}
		t.r = r
	}
	return t.r, nil
}

// fail notes whether err is worth a retry and translates it.
func (t *tx) fail(err error) error {
	if err != nil && t.d.retryable(err) {
		t.retry = true
	}
	return t.d.translate(err)
}

func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	r, err := t.on(sql.LevelSerializable)
	if err != nil {
		return nil, err
	}
	res, err := r.exec(t.ctx, t.d.rebind(query), args)
	return res, t.fail(err)
}

// later runs a write whose result nobody reads. In a PostgreSQL
// transaction it is queued and sent with the next statement or the
// COMMIT, saving a round trip; its failure fails that statement or the
// COMMIT, and so the whole transaction. Elsewhere it runs at once.
func (t *tx) later(query string, args ...any) error { return t.queued(nil, query, args) }

// laterOne is later for a write that must change exactly one row, or else
// fail the transaction with fail. PostgreSQL checks the count itself, in
// the statement: 1 / (count = 1) divides by zero (pgxTx.batch turns that
// into fail), so that nothing sent after it in the batch, the COMMIT
// included, takes effect. Elsewhere it runs and is checked at once.
func (t *tx) laterOne(fail error, query string, args ...any) error {
	return t.queued(fail, query, args)
}

// queued is later, and with fail laterOne.
func (t *tx) queued(fail error, query string, args []any) error {
	r, err := t.on(sql.LevelSerializable)
	if err != nil {
		return err
	}
	query = t.d.rebind(query)
	if p, ok := r.(*pgxTx); ok {
		if fail != nil {
			query = `WITH w AS (` + query + ` RETURNING 1) SELECT 1 / (SELECT (count(*) = 1)::int FROM w)`
		}
		p.queued = append(p.queued, queuedWrite{query: query, args: args, fail: fail})
		return nil
	}
	res, err := r.exec(t.ctx, query, args)
	if err != nil || fail == nil {
		return t.fail(err)
	}
	n, err := res.RowsAffected()
	if err == nil && n != 1 {
		err = fail
	}
	return err
}

func (t *tx) execN(query string, args ...any) (int64, error) {
	r, err := t.exec(query, args...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

func (t *tx) query(query string, args ...any) (rows, error) {
	r, err := t.on(sql.LevelSerializable)
	if err != nil {
		return nil, err
	}
	rows, err := r.query(t.ctx, t.d.rebind(query), args)
	return rows, t.fail(err)
}

func (t *tx) row(dest []any, what, query string, args ...any) error {
	r, err := t.on(sql.LevelSerializable)
	if err != nil {
		return err
	}
	err = r.scan(t.ctx, t.d.rebind(query), args, dest)
	if errors.Is(err, sql.ErrNoRows) {
		return anshin.Errorf(anshin.ECodeNotFound, "%s not found", what)
	}
	return t.fail(err)
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
