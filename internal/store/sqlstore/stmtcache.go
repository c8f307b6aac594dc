package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// runner runs statements: a statement cache (SQLite) or a transaction or
// the pool directly (PostgreSQL, where pgx caches prepared statements).
type runner interface {
	exec(ctx context.Context, query string, args []any) (sql.Result, error)
	query(ctx context.Context, query string, args []any) (rows, error)
	scan(ctx context.Context, query string, args, dest []any) error
}

// rows are a query's rows: *sql.Rows, or pgx's in a PostgreSQL
// transaction (pgxtx.go).
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Close() error
	Err() error
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

func (c *stmtCache) exec(ctx context.Context, query string, args []any) (sql.Result, error) {
	st, err := c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *stmtCache) query(ctx context.Context, query string, args []any) (rows, error) {
	st, err := c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtCache) scan(ctx context.Context, query string, args, dest []any) error {
	st, err := c.get(ctx, query)
	if err != nil {
		return err
	}
	return st.QueryRowContext(ctx, args...).Scan(dest...)
}

// direct runs statements on a *sql.DB or a *sql.Tx.
type direct struct {
	on interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
}

func (d direct) exec(ctx context.Context, query string, args []any) (sql.Result, error) {
	return d.on.ExecContext(ctx, query, args...)
}

func (d direct) query(ctx context.Context, query string, args []any) (rows, error) {
	return d.on.QueryContext(ctx, query, args...)
}

func (d direct) scan(ctx context.Context, query string, args, dest []any) error {
	return d.on.QueryRowContext(ctx, query, args...).Scan(dest...)
}

// oneStatement runs one statement on r (UpdateOne) and refuses any further
// one: without a transaction around them, two would not be atomic.
type oneStatement struct {
	r    runner
	used bool
}

var errSecondStatement = errors.New("sqlstore: UpdateOne's function made a second statement, which would not be atomic with the first")

func (o *oneStatement) take() error {
	if o.used {
		return errSecondStatement
	}
	o.used = true
	return nil
}

func (o *oneStatement) exec(ctx context.Context, query string, args []any) (sql.Result, error) {
	if err := o.take(); err != nil {
		return nil, err
	}
	return o.r.exec(ctx, query, args)
}

func (o *oneStatement) query(ctx context.Context, query string, args []any) (rows, error) {
	if err := o.take(); err != nil {
		return nil, err
	}
	return o.r.query(ctx, query, args)
}

func (o *oneStatement) scan(ctx context.Context, query string, args, dest []any) error {
	if err := o.take(); err != nil {
		return err
	}
	return o.r.scan(ctx, query, args, dest)
}
