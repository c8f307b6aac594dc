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
	// queued are writes whose results nobody reads (tx.later, and
	// tx.laterOne's, which check themselves), sent ahead of the next
	// statement or with the COMMIT: a key's issuance, for one, writes the
	// key, its message and an audit event in the round trip of its COMMIT
	// instead of one each.
	queued []queuedWrite
}

type queuedWrite struct {
	query string
	args  []any
	// fail is the error of a write of tx.laterOne that changed no row,
	// which PostgreSQL reports as a division by zero.
	fail error
}

var _ runner = (*pgxTx)(nil)

// beginSQL is the BEGIN of a transaction at level.
func beginSQL(level sql.IsolationLevel) string {
	if level == sql.LevelReadCommitted {
		return "BEGIN ISOLATION LEVEL READ COMMITTED"
	}
	return "BEGIN ISOLATION LEVEL SERIALIZABLE"
}

// pending says whether a BEGIN or writes wait to go out with the next
// statement.
func (p *pgxTx) pending() bool { return p.begin != "" || len(p.queued) > 0 }

// batch sends the pending BEGIN and queued writes, then query, together;
// the caller reads the query's result from the batch and closes it. A
// queued write's failure is the batch's.
func (p *pgxTx) batch(ctx context.Context, query string, args []any) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	begun := 0 // the BEGIN's result, if it goes, comes first
	if p.begin != "" {
		b.Queue(p.begin)
		begun = 1
	}
	queued := p.queued
	for _, w := range queued {
		b.Queue(w.query, w.args...)
	}
	b.Queue(query, args...)
	p.begin, p.queued = "", nil
	br := p.c.SendBatch(ctx, b)
	for i := range begun + len(queued) {
		if _, err := br.Exec(); err != nil {
			br.Close()
			if i >= begun {
				err = queued[i-begun].failed(err)
			}
			return nil, err
		}
	}
	return br, nil
}

// failed is the error of w's failure err: w.fail for the division by zero
// of a write that changed no row (tx.laterOne).
func (w queuedWrite) failed(err error) error {
	var pe *pgconn.PgError
	if w.fail != nil && errors.As(err, &pe) && pe.Code == pgDivisionByZero {
		return w.fail
	}
	return err
}

func (p *pgxTx) exec(ctx context.Context, query string, args []any) (sql.Result, error) {
	if !p.pending() {
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
	if !p.pending() {
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
// one whose BEGIN never went out has nothing to end, unless writes are
// queued, which go out with BEGIN and COMMIT in one round trip. A COMMIT
// that PostgreSQL answers with ROLLBACK (a statement of the transaction
// had failed) is an error: nothing was written.
func (p *pgxTx) end(ctx context.Context, commit bool) error {
	if !commit {
		p.queued = nil
	}
	if p.begin != "" && len(p.queued) == 0 {
		return nil
	}
	q := "ROLLBACK"
	if commit {
		q = "COMMIT"
	}
	res, err := p.exec(ctx, q, nil)
	switch {
	case err == nil && commit && pgconn.CommandTag(res.(result)).String() == "ROLLBACK":
		err = errRolledBack
	case err != nil && p.c.PgConn().TxStatus() != 'I':
		// A queued write failed and PostgreSQL skipped the COMMIT sent
		// after it: the failed transaction is open until rolled back, and
		// the connection goes back to the pool.
		p.c.Exec(context.WithoutCancel(ctx), "ROLLBACK")
	}
	return err
}

var errRolledBack = errors.New("sqlstore: the transaction was rolled back at COMMIT after a failed statement")

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
