package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/jackc/pgx/v5/pgconn"
)

// A PostgreSQL server that is gone, going or not yet there answers
// unavailable (503), never internal (500); the torture's restart row
// found the 500s. SQLite errors are never read as such.
func TestUnreachablePostgresIsUnavailable(t *testing.T) {
	_, connErr := pgconn.Connect(context.Background(), "postgres://nobody@127.0.0.1:1/x?sslmode=disable&connect_timeout=2")
	if connErr == nil {
		t.Skip("something listens on port 1")
	}
	for _, err := range []error{
		connErr,
		fmt.Errorf("begin: %w", connErr),
		&pgconn.PgError{Code: "57P01"}, // admin_shutdown
		&pgconn.PgError{Code: "57P03"}, // cannot_connect_now
		&pgconn.PgError{Code: "08006"}, // connection_failure
		&pgconn.PgError{Code: "53300"}, // too_many_connections
		sql.ErrConnDone,
	} {
		if got := anshin.ErrorCode(postgresDialect.translate(err)); got != anshin.ECodeUnavailable {
			t.Errorf("%v: %s, want unavailable", err, got)
		}
		if got := anshin.ErrorCode(sqliteDialect.translate(err)); got == anshin.ECodeUnavailable {
			t.Errorf("SQLite read %v as unavailable", err)
		}
	}
	for _, err := range []error{&pgconn.PgError{Code: "23505"}, &pgconn.PgError{Code: "40001"}, &pgconn.PgError{Code: "42P01"}} {
		if got := anshin.ErrorCode(postgresDialect.translate(err)); got == anshin.ECodeUnavailable {
			t.Errorf("%v: unavailable", err)
		}
	}
}
