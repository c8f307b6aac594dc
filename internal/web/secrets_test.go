package web_test

import (
	"bytes"
	"net/http"
	"os"
	"testing"

	"github.com/anshin/anshin/internal/demo"
)

// SPEC §7: a key or password in a log or the database in clear must never
// happen. The bearer secrets (flow IDs, session tokens) are kept out too:
// a copy of the database or the log must open nothing.
func TestSecretsStayOutOfLogAndDatabase(t *testing.T) {
	ts := newTestServer(t, withLogin(noCooldown))
	var secrets []string // every secret the logins below handled
	keep := func(s ...string) { secrets = append(secrets, s...) }
	keep(demo.Password, demo.InitialPassword)

	// A representative by SMS, with a wrong key first.
	flow := ts.toKeyStep(demo.RepresentativeID)
	_, wrong, _ := ts.issueKey(flow, "sms")
	wantError(t, ts.verify(flow, wrongKey(wrong), demo.GroupAnshin), http.StatusUnauthorized, "key_invalid")
	_, key, _ := ts.issueKey(flow, "email")
	token := wantDone(t, ts.verify(flow, key, demo.GroupAnshin))
	wantStatus(t, ts.session(token), http.StatusOK)
	keep(flow, wrong, key, token)

	// An administrator's first login, with a wrong initial password first.
	flow = ts.toKeyStep(demo.PendingAdminID)
	_, key, _ = ts.issueKey(flow, "sms")
	wantStatus(t, ts.verify(flow, key, demo.GroupAnshin), http.StatusOK)
	wantError(t, ts.initialPassword(flow, "Wrong2345x"), http.StatusUnauthorized, "initial_password_invalid")
	token = wantDone(t, ts.initialPassword(flow, demo.InitialPassword))
	keep(flow, key, token)

	// A failed password and a signed-out session.
	flow = ts.start(demo.MultiGroupID)
	wantError(t, ts.password(flow, "demo-pass-9999"), http.StatusUnauthorized, "invalid_credentials")
	wantStatus(t, ts.password(flow, demo.Password), http.StatusOK)
	_, keys, _ := ts.issueKeys(flow, "email")
	key = keys["watanabe@example.co.jp"]
	token = wantDone(t, ts.verify(flow, key, demo.GroupSakura))
	wantStatus(t, ts.request(http.MethodDelete, "/api/v1/session", nil, "Authorization", "Bearer "+token), http.StatusNoContent)
	keep(flow, key, token, "demo-pass-9999", "Wrong2345x")

	logText := ts.Log.String()
	if logText == "" {
		t.Fatal("the server logged nothing; the test would prove nothing")
	}
	var db []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(ts.DBPath + suffix)
		if err != nil && !(suffix == "-wal" && os.IsNotExist(err)) {
			t.Fatal(err)
		}
		db = append(db, b...)
	}
	if len(db) == 0 {
		t.Fatal("the database files are empty")
	}
	// The check itself must work: the database does hold the login IDs.
	if !bytes.Contains(db, []byte(demo.RepresentativeID)) {
		t.Fatal("the login ID is not found in the database bytes; the search is broken")
	}
	for _, s := range secrets {
		if len(s) < 8 {
			t.Fatalf("secret %q is too short to search for", s)
		}
		if bytes.Contains([]byte(logText), []byte(s)) {
			t.Errorf("the log holds the secret %q", s)
		}
		if bytes.Contains(db, []byte(s)) {
			t.Errorf("the database files hold the secret %q", s)
		}
	}
}
