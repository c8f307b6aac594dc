package storetest

import (
	"testing"

	"github.com/anshin/anshin/internal/anshin"
)

func testRehashPassword(t *testing.T, s anshin.Store) {
	a1, a2, a3 := account("a1"), account("a2"), account("a3")
	a1.PasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$c3Vt"
	a2.PasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdDI$c3VtMg"
	a3.PasswordHash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdDM$c3VtMw"
	update(t, s, func(tx anshin.Tx) error {
		for _, a := range []*anshin.Account{a1, a2, a3} {
			if err := tx.PutAccount(a); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx anshin.Tx) error {
		got, err := tx.PasswordHashParams()
		if err == nil && (len(got) != 2 || got["$argon2id$v=19$m=19456,t=2,p=1"] != 2 || got["$argon2id$v=19$m=65536,t=3,p=1"] != 1) {
			t.Errorf("hash parameters counted %v", got)
		}
		return err
	})
	newHash := "$argon2id$v=19$m=65536,t=3,p=1$bmV3$bmV3c3Vt"
	update(t, s, func(tx anshin.Tx) error {
		ok, err := tx.RehashPassword("a1", a1.PasswordHash, newHash)
		if err == nil && !ok {
			t.Error("rehash of the stored hash did not apply")
		}
		// The hash changed meanwhile: it stays.
		ok, err2 := tx.RehashPassword("a2", "$argon2id$v=19$other", newHash)
		if err2 == nil && ok {
			t.Error("rehash over another hash applied")
		}
		if err == nil {
			err = err2
		}
		return err
	})
	view(t, s, func(tx anshin.Tx) error {
		got1, err := tx.AccountByID("a1")
		if err != nil {
			return err
		}
		got2, err := tx.AccountByID("a2")
		if err == nil && (got1.PasswordHash != newHash || got2.PasswordHash != a2.PasswordHash) {
			t.Errorf("hashes after rehash: %q, %q", got1.PasswordHash, got2.PasswordHash)
		}
		return err
	})
}
