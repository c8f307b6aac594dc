package sqlstore

import (
	"errors"
	"strconv"
	"strings"

	"github.com/anshin/anshin/internal/anshin"
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

func (d dialect) adapt(schema string) string {
	return strings.ReplaceAll(schema, "{{autoid}}", d.autoID)
}

// rebind turns ? placeholders into $n for PostgreSQL.
func (d dialect) rebind(q string) string {
	if !d.dollar {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// translate turns driver errors into domain errors by code, never by text.
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
	return err
}

// retryable reports whether a transaction failed only because of a
// concurrent one and may simply be run again.
func (d dialect) retryable(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}
