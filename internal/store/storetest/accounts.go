package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

func testAccounts(t *testing.T, s anshin.Store) {
	a := account("a1")
	update(t, s, func(tx anshin.Tx) error { return tx.PutAccount(a) })
	view(t, s, func(tx anshin.Tx) error {
		got, err := tx.AccountByLoginID("login-a1")
		if err != nil {
			return err
		}
		if got.ID != "a1" || got.Kind != anshin.KindDAccount || got.PasswordHash != a.PasswordHash || got.DocomoLine != a.DocomoLine ||
			strings.Join(got.ContactEmails, ",") != "a1@example.jp" || !got.CreatedAt.Equal(t0) || !got.KeyLockedTill.IsZero() {
			t.Errorf("account read back as %+v", got)
		}
		_, err = tx.AccountByID("nobody")
		wantCode(t, err, anshin.ECodeNotFound)
		_, err = tx.AccountByLoginID("nobody")
		wantCode(t, err, anshin.ECodeNotFound)
		return nil
	})
	// Put again replaces what the operator sets, keeps the login ID.
	b := account("a1")
	b.Kind, b.DocomoLine, b.ContactEmails, b.UpdatedAt = anshin.KindBusinessDAccount, "", nil, t0.Add(time.Hour)
	update(t, s, func(tx anshin.Tx) error { return tx.PutAccount(b) })
	view(t, s, func(tx anshin.Tx) error {
		got, err := tx.AccountByID("a1")
		if err != nil {
			return err
		}
		if got.Kind != anshin.KindBusinessDAccount || got.DocomoLine != "" || len(got.ContactEmails) != 0 || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("account after replace: %+v", got)
		}
		return nil
	})
	// Another account cannot take the same login ID.
	c := account("a2")
	c.LoginID = "login-a1"
	err := s.Update(context.Background(), func(tx anshin.Tx) error { return tx.PutAccount(c) })
	wantCode(t, err, anshin.ECodeConflict)
	update(t, s, func(tx anshin.Tx) error {
		_, err := tx.LockAccount("nobody")
		wantCode(t, err, anshin.ECodeNotFound)
		locked, err := tx.LockAccount("a1")
		if err == nil && (locked.ID != "a1" || locked.LoginID != "login-a1") {
			t.Errorf("LockAccount returned %+v", locked)
		}
		return err
	})
}

func testKeyFailures(t *testing.T, s anshin.Store) {
	seed(t, s)
	update(t, s, func(tx anshin.Tx) error {
		for want := 1; want <= 3; want++ {
			n, err := tx.RecordKeyFailure("a1")
			if err != nil {
				return err
			}
			if n != want {
				t.Errorf("failure %d counted as %d", want, n)
			}
		}
		_, err := tx.RecordKeyFailure("nobody")
		wantCode(t, err, anshin.ECodeNotFound)
		return tx.LockKeyEntry("a1", t0.Add(time.Minute))
	})
	view(t, s, func(tx anshin.Tx) error {
		a, err := tx.AccountByID("a1")
		if err == nil && (a.KeyFailures != 3 || !a.KeyLockedTill.Equal(t0.Add(time.Minute))) {
			t.Errorf("after failures: %d, locked till %v", a.KeyFailures, a.KeyLockedTill)
		}
		return err
	})
	update(t, s, func(tx anshin.Tx) error { return tx.ResetKeyFailures("a1") })
	view(t, s, func(tx anshin.Tx) error {
		a, err := tx.AccountByID("a1")
		if err == nil && (a.KeyFailures != 0 || !a.KeyLockedTill.IsZero()) {
			t.Errorf("after reset: %d, locked till %v", a.KeyFailures, a.KeyLockedTill)
		}
		return err
	})
}
