package sqlstore

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is every difference between the SQL dialects, in one place.
type dialect struct {
	name       string
	dollar     bool   // placeholders $1, $2 … instead of ?
	autoID     string // column type of an auto-increment key
	forUpdate  string // row-lock suffix of a SELECT, empty where the transaction already locks
	skipLocked string // suffix that skips rows other transactions hold
}

var sqliteDialect = dialect{
	name:   "sqlite",
	autoID: "INTEGER PRIMARY KEY AUTOINCREMENT",
}

var postgresDialect = dialect{
	name:       "postgres",
	dollar:     true,
	autoID:     "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
	forUpdate:  "FOR UPDATE",
	skipLocked: "FOR UPDATE SKIP LOCKED",
}

func (d dialect) adapt(schema string) string {
	return strings.ReplaceAll(schema, "{{autoid}}", d.autoID)
}

// rebind turns ? placeholders into $n for PostgreSQL. The statements of
// this package hold no ? inside string literals. A statement is rewritten
// once and then found in rebound: the store's statements are a fixed set,
// but for IN lists of a varying length, so the map is bounded too.
func (d dialect) rebind(q string) string {
	if !d.dollar {
		return q
	}
	if s, ok := rebound.Load(q); ok {
		return s.(string)
	}
	s := dollars(q)
	if reboundN.Load() < maxRebound {
		if _, loaded := rebound.LoadOrStore(q, s); !loaded {
			reboundN.Add(1)
		}
	}
	return s
}

const maxRebound = 4096

var (
	rebound  sync.Map // a statement with ? → with $n
	reboundN atomic.Int32
)

func dollars(q string) string {
	b := make([]byte, 0, len(q)+2*strings.Count(q, "?"))
	n := 0
	for i := range len(q) {
		if q[i] != '?' {
			b = append(b, q[i])
			continue
		}
		n++
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return string(b)
}

// PostgreSQL error codes (SQLSTATE) the store acts on.
const (
	pgUniqueViolation      = "23505"
	pgForeignKeyViolation  = "23503"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
	pgDivisionByZero       = "22012" // tx.laterOne's check
	pgDataException        = "22"    // class: a value the column cannot hold (NUL byte, bad encoding, out of range)
)

// translate turns driver errors into domain errors by code, never by text.
// Errors worth a retry are returned as they are, for retryable.
func (d dialect) translate(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &anshin.Error{Code: anshin.ECodeConflict, Message: "already exists"}
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return &anshin.Error{Code: anshin.ECodeNotFound, Message: "a referenced row does not exist"}
		}
	}
	if d.name == "postgres" && unreachable(err) {
		// Not the request's fault and not for ever: 503, which a client
		// or load balancer tries again (README: Storage).
		return &anshin.Error{Code: anshin.ECodeUnavailable, Message: "the database cannot be reached; try again shortly"}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == pgUniqueViolation:
			return &anshin.Error{Code: anshin.ECodeConflict, Message: "already exists"}
		case pe.Code == pgForeignKeyViolation:
			return &anshin.Error{Code: anshin.ECodeNotFound, Message: "a referenced row does not exist"}
		case strings.HasPrefix(pe.Code, pgDataException):
			return &anshin.Error{Code: anshin.ECodeInvalidRequest, Message: "a value cannot be stored (" + pe.Code + ")"}
		}
	}
	return err
}

// unreachable reports whether err says the PostgreSQL server cannot be
// reached or is going away, by type and SQLSTATE class: no connection
// could be made, the connection broke, the server is shutting down or
// starting (class 08 connection exception, 57P01–57P03, class 53
// insufficient resources).
func unreachable(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "53") ||
			pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone)
}

// retryable reports whether a transaction failed only because of a
// concurrent one and may simply be run again.
func (d dialect) retryable(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == pgSerializationFailure || pe.Code == pgDeadlockDetected
	}
	return false
}
