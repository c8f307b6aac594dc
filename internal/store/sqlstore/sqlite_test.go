package sqlstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/store/sqlstore"
	"github.com/anshin/anshin/internal/store/storetest"
)

func TestSQLiteConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) anshin.Store {
		return openMigrated(t, "sqlite:"+filepath.Join(t.TempDir(), "anshin.db"))
	})
}

// openMigrated opens url, migrates it and closes it when t ends.
func openMigrated(t *testing.T, url string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestMigrateTwiceAppliesNothing(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "anshin.db")
	openMigrated(t, url)
	db := openMigrated(t, url)
	n, err := db.Migrate(context.Background())
	if err != nil || n != 0 {
		t.Fatalf("third migrate applied %d: %v", n, err)
	}
}

func TestOpenRejectsOtherURLs(t *testing.T) {
	for _, url := range []string{"mysql://x", "sqlite:", "", "postgres://%zz"} {
		if db, err := sqlstore.Open(url); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", url)
		}
	}
}

// A panicking transaction is rolled back and leaves the store usable: its
// connection and its row locks are released.
func TestPanicRollsBack(t *testing.T) {
	for name, url := range storeURLs(t) {
		t.Run(name, func(t *testing.T) {
			db := openMigrated(t, url)
			put := func(ctx context.Context, reason string) error {
				return db.Update(ctx, func(tx anshin.Tx) error {
					if err := tx.PutMailNotificationDisabled(&anshin.MailNotificationDisabled{Address: "a@example.jp", Reason: reason}); err != nil {
						return err
					}
					if reason == "panic" {
						panic("boom")
					}
					return nil
				})
			}
			func() {
				defer func() {
					if recover() == nil {
						t.Fatal("the panic did not reach the caller")
					}
				}()
				put(context.Background(), "panic")
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a failsafe against a held lock
			defer cancel()
			if err := put(ctx, "kept"); err != nil {
				t.Fatalf("update after the panic: %v", err)
			}
			db.View(ctx, func(tx anshin.Tx) error {
				s, err := tx.MailNotificationDisabledOf("a@example.jp")
				if err != nil || s.Reason != "kept" {
					t.Errorf("after the panic: %+v %v", s, err)
				}
				return nil
			})
		})
	}
}

// A transaction whose context ends between two statements writes nothing:
// the next statement fails with the context's error and the first is
// rolled back (on SQLite statements run to their end, and the context is
// checked before each one).
func TestCancelledBetweenStatements(t *testing.T) {
	for name, url := range storeURLs(t) {
		t.Run(name, func(t *testing.T) {
			db := openMigrated(t, url)
			ctx, cancel := context.WithCancel(context.Background())
			err := db.Update(ctx, func(tx anshin.Tx) error {
				if err := tx.PutMailNotificationDisabled(&anshin.MailNotificationDisabled{Address: "a@example.jp", Reason: "first"}); err != nil {
					return err
				}
				cancel()
				return tx.PutMailNotificationDisabled(&anshin.MailNotificationDisabled{Address: "b@example.jp", Reason: "second"})
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Update after cancel: %v, want context.Canceled", err)
			}
			for _, addr := range []string{"a@example.jp", "b@example.jp"} {
				db.View(context.Background(), func(tx anshin.Tx) error {
					if s, err := tx.MailNotificationDisabledOf(addr); err == nil && s != nil && s.Reason != "" {
						t.Errorf("%s was written: %+v", addr, s)
					}
					return nil
				})
			}
			err = db.View(ctx, func(tx anshin.Tx) error {
				_, err := tx.MailNotificationDisabledOf("a@example.jp")
				return err
			})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("View with an ended context: %v, want context.Canceled", err)
			}
		})
	}
}

// A read never waits for a write in progress, nor sees it; once the write
// commits, the next read sees it. (On SQLite reads run on the writer's
// connection when no write holds it, on the pool's otherwise.)
func TestViewDuringAWrite(t *testing.T) {
	for name, url := range storeURLs(t) {
		t.Run(name, func(t *testing.T) {
			db := openMigrated(t, url)
			reason := func(ctx context.Context) (string, error) {
				var got string
				err := db.View(ctx, func(tx anshin.Tx) error {
					s, err := tx.MailNotificationDisabledOf("a@example.jp")
					if err == nil && s != nil {
						got = s.Reason
					}
					return nil
				})
				return got, err
			}
			var once sync.Once
			inside, release, wrote := make(chan struct{}), make(chan struct{}), make(chan error, 1)
			go func() {
				wrote <- db.Update(context.Background(), func(tx anshin.Tx) error {
					if err := tx.PutMailNotificationDisabled(&anshin.MailNotificationDisabled{Address: "a@example.jp", Reason: "written"}); err != nil {
						return err
					}
					once.Do(func() { close(inside) })
					<-release
					return nil
				})
			}()
			<-inside
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a failsafe: the read must not wait at all
			defer cancel()
			read := make(chan string, 1)
			go func() {
				got, err := reason(ctx)
				if err != nil {
					t.Error(err)
				}
				read <- got
			}()
			select {
			case got := <-read:
				if got != "" {
					t.Errorf("a read saw the write in progress: %q", got)
				}
			case <-ctx.Done():
				t.Error("a read waited for the write in progress")
			}
			close(release)
			if err := <-wrote; err != nil {
				t.Fatal(err)
			}
			if got, err := reason(context.Background()); got != "written" || err != nil {
				t.Errorf("after the commit a read saw %q, %v", got, err)
			}
		})
	}
}
