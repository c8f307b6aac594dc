package login_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"testing"

	"github.com/anshin/anshin/internal/anshin"
)

// databaseBytes reads the SQLite file and its WAL as they are on disk.
func (f *fixture) databaseBytes() []byte {
	f.t.Helper()
	var all []byte
	for _, p := range []string{f.path, f.path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			f.t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func TestSecretsNeverRestInClear(t *testing.T) {
	f := newFixture(t)
	f.jiro()
	token := f.toKeyStep(jiroID, jiroPassword)
	_, key := f.issue(token, anshin.MethodEmail)
	secrets := map[string]string{"password": jiroPassword, "initial password": jiroInitial, "one-time key": key}
	check := func(when string) {
		t.Helper()
		db := f.databaseBytes()
		// The scan must see the data at all: an account's login ID is stored
		// in clear (accounts); what was typed into a flow is not.
		if !bytes.Contains(db, []byte(jiroID)) {
			t.Fatalf("%s: the login ID is not in the database bytes; the scan reads the wrong thing", when)
		}
		for what, s := range secrets {
			if bytes.Contains(db, []byte(s)) {
				t.Errorf("%s: the %s %q is in the database in clear", when, what, s)
			}
		}
	}
	check("key queued, not yet sent")

	if msgs := f.deliver(); len(msgs) != 1 || keyIn(t, msgs[0].Body) != key {
		t.Fatalf("sent %+v, want one message with the key", msgs)
	}
	res, err := f.verify(token, key, "g1")
	if err != nil || res.Next != anshin.StepInitialPassword {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	if _, err := f.initial(token, "wrong-initial"); anshin.ErrorCode(err) != anshin.ECodeInitialPasswordInvalid {
		t.Fatalf("wrong initial password: %v", err)
	}
	res, err = f.initial(token, jiroInitial)
	if err != nil || res.SessionToken == "" {
		t.Fatalf("initial password: %+v, %v", res, err)
	}
	secrets["wrong initial password"] = "wrong-initial"
	// Bearer tokens are stored as hashes, so a copy of the database opens nothing.
	secrets["flow token"], secrets["session token"] = token, res.SessionToken
	check("after a full login")
}

// People type passwords into the login ID field: what was typed rests
// only sealed (the flow) or as a keyed hash (the throttle's name), and the
// password page still shows it back.
func TestTypedLoginIDNeverRestsInClear(t *testing.T) {
	f := newFixture(t)
	f.jiro()
	typed := "Hunter2-typed-into-the-ID-field"
	token := f.start("  " + typed + " ")
	if _, err := f.svc.Password(f.ctx, token, "wrong", "192.0.2.7"); anshin.ErrorCode(err) != anshin.ECodeInvalidCredentials {
		t.Fatalf("Password = %v, want invalid_credentials", err)
	}
	fl, err := f.svc.Flow(f.ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.svc.LoginID(fl); got != typed {
		t.Errorf("the password page would show %q, want %q", got, typed)
	}
	db := f.databaseBytes()
	if !bytes.Contains(db, []byte("192.0.2.7")) || !bytes.Contains(db, []byte(jiroID)) {
		t.Fatal("the client IP or an account's login ID is not in the database bytes; the scan reads the wrong thing")
	}
	for _, s := range []string{typed, "Hunter2"} {
		if bytes.Contains(db, []byte(s)) {
			t.Errorf("%q, typed as the login ID, is in the database in clear", s)
		}
	}
	// The throttle still counts per typed ID: five wrong passwords wait.
	for range 4 {
		f.svc.Password(f.ctx, token, "wrong", "192.0.2.7")
	}
	if _, err := f.svc.Password(f.ctx, token, "wrong", "192.0.2.7"); anshin.ErrorCode(err) != anshin.ECodeRateLimited {
		t.Errorf("sixth wrong password for one typed ID: %v, want rate_limited", err)
	}
	if _, err := f.svc.Password(f.ctx, f.start(typed), "wrong", "192.0.2.8"); anshin.ErrorCode(err) != anshin.ECodeRateLimited {
		t.Errorf("the same ID in a new flow: %v, want rate_limited (one throttle per ID)", err)
	}
}
