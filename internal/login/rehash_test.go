package login_test

import (
	"sync"
	"testing"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/secret"
)

// oldArgon2 stands for the parameters before ANSHIN_ARGON2_* changed; the
// fixture's hasher has the new ones (64 KiB, 1 pass).
var oldArgon2 = secret.Argon2Params{MemoryKiB: 32, Time: 2, Threads: 1}

// addOldAccount adds an account whose hash was made with oldArgon2.
func (f *fixture) addOldAccount(loginID, password string) *anshin.Account {
	f.t.Helper()
	a := f.addAccount(loginID, password, "+819011112222", loginID+"@example.jp")
	old, err := secret.NewHasher(oldArgon2).Hash(f.ctx, password)
	if err != nil {
		f.t.Fatal(err)
	}
	f.update(func(tx anshin.Tx) error {
		_, err := tx.RehashPassword(a.ID, a.PasswordHash, old)
		return err
	})
	a.PasswordHash = old
	return a
}

// derivations records the parameters of every hash the fixture's hasher
// computes: the work a step does, counted instead of timed.
func (f *fixture) derivations() func() []secret.Argon2Params {
	var mu sync.Mutex
	var got []secret.Argon2Params
	f.hasher.Derived = func(p secret.Argon2Params) { mu.Lock(); got = append(got, p); mu.Unlock() }
	return func() []secret.Argon2Params {
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = nil
		return out
	}
}

func TestRightPasswordRehashesOldParameters(t *testing.T) {
	f := newFixture(t)
	a := f.addOldAccount("old-id", "old-password")
	work := f.derivations()

	// A wrong password never rehashes: it is verified with the old
	// parameters, and the old hash stays.
	if _, err := f.svc.Password(f.ctx, f.start("old-id"), "wrong", clientIP); anshin.ErrorCode(err) != anshin.ECodeInvalidCredentials {
		t.Fatalf("wrong password: %v", err)
	}
	if got := work(); len(got) != 1 || got[0] != oldArgon2 {
		t.Errorf("a wrong password computed %v, want one hash with the old parameters", got)
	}
	if f.account(a.ID).PasswordHash != a.PasswordHash {
		t.Error("a wrong password changed the stored hash")
	}

	f.toKeyStep("old-id", "old-password")
	if got := work(); len(got) != 2 || got[0] != oldArgon2 || got[1] != f.hasher.Params() {
		t.Errorf("the right password computed %v, want the old parameters' check and one new hash", got)
	}
	stored := f.account(a.ID).PasswordHash
	if p, ok := secret.ParamsOf(stored); !ok || p != f.hasher.Params() {
		t.Fatalf("stored hash after login %q has %+v, want the current parameters %+v", stored, p, f.hasher.Params())
	}
	if ok, err := f.hasher.Verify(f.ctx, "old-password", stored); !ok || err != nil {
		t.Fatalf("the new hash does not verify the password: %v", err)
	}
	// Done once: the next login only checks.
	work()
	f.toKeyStep("old-id", "old-password")
	if got := work(); len(got) != 1 || got[0] != f.hasher.Params() {
		t.Errorf("a login with a current hash computed %v, want one check", got)
	}
}

// An unknown ID is verified with the parameters most accounts' hashes
// have, so right after the parameters changed it costs what a known ID
// with an old hash does; once most accounts were re-hashed, what theirs do.
func TestUnknownIDCostsWhatMostKnownIDsDo(t *testing.T) {
	f := newFixture(t)
	for _, id := range []string{"old-1", "old-2", "old-3"} {
		f.addOldAccount(id, "pw-"+id)
	}
	f.addAccount("new-1", "pw-new-1", "+819011113333")
	work := f.derivations()
	wrong := func(id string) secret.Argon2Params {
		t.Helper()
		if _, err := f.svc.Password(f.ctx, f.start(id), "wrong", clientIP); anshin.ErrorCode(err) != anshin.ECodeInvalidCredentials {
			t.Fatalf("%s: %v", id, err)
		}
		got := work()
		if len(got) != 1 {
			t.Fatalf("%s: %d hashes computed, want 1", id, len(got))
		}
		return got[0]
	}
	// Before calibration the dummy has the current parameters.
	if p := wrong("nobody"); p != f.hasher.Params() {
		t.Errorf("uncalibrated unknown ID: %+v", p)
	}
	if err := f.svc.CalibrateDummy(f.ctx); err != nil {
		t.Fatal(err)
	}
	if unknown, known := wrong("nobody"), wrong("old-1"); unknown != oldArgon2 || known != oldArgon2 {
		t.Errorf("unknown ID verified with %+v, known ID with an old hash with %+v; want both %+v", unknown, known, oldArgon2)
	}
	// Two of the three sign in and are re-hashed: now most hashes are new.
	f.toKeyStep("old-2", "pw-old-2")
	f.toKeyStep("old-3", "pw-old-3")
	if err := f.svc.CalibrateDummy(f.ctx); err != nil {
		t.Fatal(err)
	}
	work()
	if p := wrong("nobody"); p != f.hasher.Params() {
		t.Errorf("after most accounts were re-hashed, an unknown ID is verified with %+v, want %+v", p, f.hasher.Params())
	}
}
