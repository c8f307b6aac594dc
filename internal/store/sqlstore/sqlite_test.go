package sqlstore_test

import (
	"context"
	"path/filepath"
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
