package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pgxTx runs a PostgreSQL write transaction on one of the pool's
// connections through pgx itself, not database/sql: its BEGIN goes out
// with its first statement, in one round trip instead of two, and its
// statements skip database/sql's conversions and the goroutine it starts
// to watch each query's context.
type pgxTx struct {
	c     *pgx.Conn
	begin string // the BEGIN not sent yet, sent with the first statement
}

var _ runner = (*pgxTx)(nil)

// beginSQL is the BEGIN of a transaction at level.
func beginSQL(level sql.IsolationLevel) string {
	if level == sql.LevelReadCommitted {
		return "BEGIN ISOLATION LEVEL READ COMMITTED"
	}
	return "BEGIN ISOLATION LEVEL SERIALIZABLE"
}

// batch sends the pending BEGIN and query together; the caller reads the
// query's result from the batch and closes it.
func (p *pgxTx) batch(ctx context.Context, query string, args []any) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	b.Queue(p.begin)
	b.Queue(query, args...)
	p.begin = ""
	br := p.c.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		br.Close()
		return nil, err
	}
	return br, nil
}

func (p *pgxTx) exec(ctx context.Context, query string, args []any) (sql.Result, error) {
	if p.begin == "" {
		tag, err := p.c.Exec(ctx, query, args...)
		return result(tag), err
	}
	br, err := p.batch(ctx, query, args)
	if err != nil {
		return nil, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return result(tag), err
}

func (p *pgxTx) query(ctx context.Context, query string, args []any) (rows, error) {
	if p.begin == "" {
		r, err := p.c.Query(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		return pgxRows{Rows: r}, nil
	}
	br, err := p.batch(ctx, query, args)
	if err != nil {
		return nil, err
	}
	r, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return pgxRows{Rows: r, batch: br}, nil
}

func (p *pgxTx) scan(ctx context.Context, query string, args, dest []any) error {
	r, err := p.query(ctx, query, args)
	if err != nil {
		return err
	}
	switch {
	case !r.Next():
		err = sql.ErrNoRows
	default:
		err = r.Scan(dest...)
	}
	if cerr := r.Close(); cerr != nil {
		return cerr
	}
	return err
}

// end commits or, when commit is false, rolls back a transaction begun;
// one whose BEGIN never went out has nothing to end.
func (p *pgxTx) end(ctx context.Context, commit bool) error {
	if p.begin != "" {
		return nil
	}
	q := "ROLLBACK"
	if commit {
		q = "COMMIT"
	}
	_, err := p.c.Exec(ctx, q)
	return err
}

// pgxRows are pgx's rows as the store reads them; those of a batch close
// it with them.
type pgxRows struct {
	pgx.Rows
	batch pgx.BatchResults
}

func (r pgxRows) Close() error {
	r.Rows.Close()
	err := r.Rows.Err()
	if r.batch != nil {
		if cerr := r.batch.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// result is a command tag as a sql.Result.
type result pgconn.CommandTag

func (r result) LastInsertId() (int64, error) {
	return 0, errors.New("sqlstore: no LastInsertId on PostgreSQL")
}

func (r result) RowsAffected() (int64, error) { return pgconn.CommandTag(r).RowsAffected(), nil }
