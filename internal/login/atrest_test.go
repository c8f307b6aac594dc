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
		// The scan must see the data at all: the login ID is stored in clear.
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
