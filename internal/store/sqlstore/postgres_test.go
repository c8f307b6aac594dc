package sqlstore_test

import (
	"context"
	"database/sql"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/store/sqlstore"
	"github.com/anshin/anshin/internal/store/storetest"
	"github.com/anshin/anshin/internal/testenv"
)

func TestPostgresConformance(t *testing.T) {
	admin := testenv.Require(t, testenv.PostgresURL)
	storetest.Run(t, func(t *testing.T) anshin.Store {
		return openMigrated(t, storetest.PostgresDatabase(t, admin))
	})
}

// Instances that start together migrate one after the other.
func TestPostgresConcurrentMigrate(t *testing.T) {
	url := storetest.PostgresDatabase(t, testenv.Require(t, testenv.PostgresURL))
	var wg sync.WaitGroup
	applied := make([]int, 4)
	errs := make([]error, 4)
	for i := range 4 {
		wg.Go(func() {
			db, err := sqlstore.Open(url)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			applied[i], errs[i] = db.Migrate(context.Background())
		})
	}
	wg.Wait()
	migrated := 0
	for i := range 4 {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		if applied[i] > 0 {
			migrated++
		}
	}
	// The first to hold the lock applies them all; the others find them applied.
	if migrated != 1 {
		t.Fatalf("migrations applied per instance: %v", applied)
	}
}

// A server that does not answer is a clear error at start, without the
// password.
func TestPostgresUnreachable(t *testing.T) {
	_, err := sqlstore.Open("postgres://anshin:s3cret-pw@127.0.0.1:1/anshin?sslmode=disable&connect_timeout=2")
	if err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
	if !strings.Contains(err.Error(), "cannot connect to PostgreSQL at 127.0.0.1:1") || strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatalf("error: %v", err)
	}
}

// A value PostgreSQL cannot hold (a NUL byte) is bad input, not a crash.
func TestPostgresBadValueIsInvalidRequest(t *testing.T) {
	db := openMigrated(t, storetest.PostgresDatabase(t, testenv.Require(t, testenv.PostgresURL)))
	err := db.Update(context.Background(), func(tx anshin.Tx) error {
		return tx.PutMailNotificationDisabled(&anshin.MailNotificationDisabled{Address: "a\x00b@example.jp", Reason: "x"})
	})
	if anshin.ErrorCode(err) != anshin.ECodeInvalidRequest {
		t.Fatalf("error %v, want invalid_request", err)
	}
}

// Connections the server drops (a restart, a failover) are replaced: the
// pool checks a connection that sat idle before handing it out again.
func TestPostgresReconnects(t *testing.T) {
	admin := testenv.Require(t, testenv.PostgresURL)
	url := storetest.PostgresDatabase(t, admin)
	db := openMigrated(t, url)
	ctx := context.Background()
	put := func(id string) error {
		return db.Update(ctx, func(tx anshin.Tx) error {
			return tx.PutMailNotificationDisabled(&anshin.MailNotificationDisabled{Address: id + "@example.jp", Reason: "test"})
		})
	}
	if err := put("before"); err != nil {
		t.Fatal(err)
	}
	adm, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	var killed int
	err = adm.QueryRow(`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
		dbName(t, url)).Scan(&killed)
	if err != nil || killed == 0 {
		t.Fatalf("terminated %d connections: %v", killed, err)
	}
	time.Sleep(1500 * time.Millisecond) // idle long enough for the pool to check the connection
	if err := put("after"); err != nil {
		t.Fatalf("update after the connections dropped: %v", err)
	}
	err = db.View(ctx, func(tx anshin.Tx) error {
		got, err := tx.MailNotificationDisabled([]string{"before@example.jp", "after@example.jp"})
		if err == nil && len(got) != 2 {
			t.Errorf("suppressed: %v", got)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func dbName(t *testing.T, url string) string {
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

// storeURLs is a fresh SQLite file and, when the cluster is there, a fresh
// PostgreSQL database.
func storeURLs(t *testing.T) map[string]string {
	urls := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "anshin.db")}
	if os.Getenv(testenv.PostgresURL) != "" || os.Getenv("CI") == "true" {
		urls["postgres"] = storetest.PostgresDatabase(t, testenv.Require(t, testenv.PostgresURL))
	}
	return urls
}

// TakeSMSTurn must come before the transaction's snapshot: after another
// statement it would lock without ordering what the transaction reads, so
// it is refused, and the transaction with it.
func TestPostgresSMSTurnFirstOrRefused(t *testing.T) {
	db := openMigrated(t, storetest.PostgresDatabase(t, testenv.Require(t, testenv.PostgresURL)))
	err := db.Update(context.Background(), func(tx anshin.Tx) error {
		if _, err := tx.MailNotificationDisabledOf("a@example.jp"); err != nil && anshin.ErrorCode(err) != anshin.ECodeNotFound {
			return err
		}
		return tx.TakeSMSTurn()
	})
	if err == nil || !strings.Contains(err.Error(), "first statement") {
		t.Fatalf("TakeSMSTurn after a read: %v, want refused", err)
	}
	if err := db.Update(context.Background(), func(tx anshin.Tx) error { return tx.TakeSMSTurn() }); err != nil {
		t.Fatalf("TakeSMSTurn first: %v", err)
	}
}

// A transaction whose function ignores a failed statement and returns nil
// must not report success: PostgreSQL answers its COMMIT with ROLLBACK. With
// writes held back until the next statement, the failure can land on a
// read the function chose to ignore.
func TestPostgresIgnoredFailureIsNotCommitted(t *testing.T) {
	db := openMigrated(t, storetest.PostgresDatabase(t, testenv.Require(t, testenv.PostgresURL)))
	ctx := context.Background()
	sess := &anshin.Session{ID: "s1", AccountID: "a1", GroupID: "g1", CreatedAt: time.Now(), LastSeenAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if err := db.Update(ctx, func(tx anshin.Tx) error { return tx.CreateSession(sess) }); err != nil {
		t.Fatal(err)
	}
	err := db.Update(ctx, func(tx anshin.Tx) error {
		_ = tx.AppendAudit(&anshin.AuditEvent{GroupID: "g1", Kind: "sign_in", At: time.Now()})
		_ = tx.CreateSession(sess) // a conflict
		_, _ = tx.Session("s1")    // where the conflict shows, ignored
		return nil
	})
	if err == nil {
		t.Fatal("a transaction with a failed statement reported success")
	}
	if err := db.View(ctx, func(tx anshin.Tx) error {
		if list, err := tx.Audit("g1", 10); err != nil || len(list) != 0 {
			t.Errorf("audit events written by the failed transaction: %d, %v", len(list), err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
