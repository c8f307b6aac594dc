package login_test

import (
	"strings"
	"testing"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
)

// Every step reports exactly one event with its outcome, and a lock adds
// a lockout event; no event carries the login ID, a key or a password.
func TestEveryStepReportsOneEvent(t *testing.T) {
	f := newFixture(t, func(c *login.Config) { c.KeyFailureLimit = 1; c.KeyCooldown = 0 })
	acct := f.taro()
	var events []login.Event
	f.svc.Observe(func(e login.Event) { events = append(events, e) })

	if _, err := f.svc.Password(f.ctx, f.start(taroID), "wrong-password", clientIP); anshin.ErrorCode(err) != anshin.ECodeInvalidCredentials {
		t.Fatal(err)
	}
	token := f.toKeyStep(taroID, taroPassword)
	_, key := f.issue(token, anshin.MethodSMS)
	if _, err := f.verify(token, key[:7]+string('0'+(key[7]-'0'+1)%10), "g1"); anshin.ErrorCode(err) != anshin.ECodeKeyInvalid {
		t.Fatalf("wrong key: %v", err)
	}

	want := []struct{ kind, code string }{
		{login.EventLoginStarted, ""},
		{login.EventPassword, anshin.ECodeInvalidCredentials},
		{login.EventLoginStarted, ""},
		{login.EventPassword, ""},
		{login.EventKeyIssued, ""},
		{login.EventKeyVerified, anshin.ECodeKeyInvalid},
		{login.EventLockout, "key_entry"},
	}
	if len(events) != len(want) {
		t.Fatalf("got %d events %+v, want %d", len(events), events, len(want))
	}
	for i, w := range want {
		e := events[i]
		if e.Kind != w.kind || e.Code != w.code || e.ClientIP != clientIP && e.Kind != login.EventLockout || e.At.IsZero() {
			t.Errorf("event %d = %+v, want kind %s code %q", i, e, w.kind, w.code)
		}
		if e.Kind != login.EventLoginStarted && e.AccountID != acct.ID {
			t.Errorf("event %d (%s) names account %q, want %q", i, e.Kind, e.AccountID, acct.ID)
		}
		// (The fixture's account IDs spell the login ID; real ones are random.)
		if s := strings.Join([]string{e.Kind, e.Code, e.GroupID, string(e.Method), e.ClientIP}, " "); strings.Contains(s, taroID) || strings.Contains(s, key) {
			t.Errorf("event %d carries a login ID or a key: %s", i, s)
		}
	}
	if events[4].Method != anshin.MethodSMS || events[5].GroupID != "g1" {
		t.Errorf("key events lack method or group: %+v %+v", events[4], events[5])
	}
}
