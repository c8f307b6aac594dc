package login_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

func (f *fixture) wantSession(token, groupID string) {
	f.t.Helper()
	s, err := f.svc.Session(f.ctx, token)
	if err != nil {
		f.t.Fatalf("Session at %v: %v", f.clock.Now().Sub(t0), err)
	}
	if s.Group.ID != groupID || s.Admin.GroupID != groupID || s.Account.LoginID != taroID {
		f.t.Fatalf("Session = group %s admin %+v account %s, want taro in %s", s.Group.ID, s.Admin, s.Account.LoginID, groupID)
	}
}

func (f *fixture) wantNoSession(token string) {
	f.t.Helper()
	s, err := f.svc.Session(f.ctx, token)
	if anshin.ErrorCode(err) != anshin.ECodeUnauthorized {
		f.t.Fatalf("Session at %v = %+v, %v; want unauthorized", f.clock.Now().Sub(t0), s, err)
	}
}

func TestSessionIdleTimeout(t *testing.T) {
	f := newFixture(t)
	f.taro()
	token := f.mustSignIn(taroID, taroPassword, "g1")
	f.wantSession(token, "g1")

	// Use keeps it alive…
	f.clock.Advance(f.cfg.SessionIdle - time.Second)
	f.wantSession(token, "g1")
	f.clock.Advance(f.cfg.SessionIdle - time.Second)
	f.wantSession(token, "g1")
	// …idleness ends it.
	f.clock.Advance(f.cfg.SessionIdle)
	f.wantNoSession(token)
}

func TestSessionAbsoluteTimeout(t *testing.T) {
	f := newFixture(t)
	f.taro()
	token := f.mustSignIn(taroID, taroPassword, "g1")
	end := f.clock.Now().Add(f.cfg.SessionMax)
	for step := f.cfg.SessionIdle / 2; f.clock.Now().Before(end); f.clock.Advance(min(step, end.Sub(f.clock.Now()))) {
		f.wantSession(token, "g1")
	}
	f.wantNoSession(token)
}

func TestSessionTokensAreFreshAndSignOutEndsOne(t *testing.T) {
	f := newFixture(t)
	f.taro()
	flow := f.toKeyStep(taroID, taroPassword)
	_, key := f.issue(flow, anshin.MethodSMS)
	res, err := f.verify(flow, key, "g1")
	if err != nil {
		t.Fatal(err)
	}
	first := res.SessionToken
	if first == flow {
		t.Fatal("the session token is the flow token")
	}
	f.clock.Advance(f.cfg.KeyCooldown)
	second := f.mustSignIn(taroID, taroPassword, "g1")
	if second == first {
		t.Fatal("two sign-ins got the same session token")
	}

	if err := f.svc.SignOut(f.ctx, first); err != nil {
		t.Fatal(err)
	}
	f.wantNoSession(first)
	f.wantSession(second, "g1") // only the session signed out ends
}

func TestSessionUnknownToken(t *testing.T) {
	f := newFixture(t)
	f.taro()
	f.mustSignIn(taroID, taroPassword, "g1")
	for _, token := range []string{"", "no-such-session", string(make([]byte, 200))} {
		f.wantNoSession(token)
	}
}

// Removing the administrator record ends its sessions at once. Tx has no
// delete for administrators yet, so the row goes with plain SQL on the
// same file (the driver is the one sqlstore registers).
func TestSessionEndsWhenAdministratorIsRemoved(t *testing.T) {
	f := newFixture(t)
	taro := f.taro()
	f.addGroup("g2", "+81322223333")
	f.addAdmin("g2", taro, anshin.RoleAdmin, "")
	inG1 := f.mustSignIn(taroID, taroPassword, "g1")
	f.clock.Advance(f.cfg.KeyCooldown)
	inG2 := f.mustSignIn(taroID, taroPassword, "g2")

	raw, err := sql.Open("sqlite", "file:"+f.path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DELETE FROM administrators WHERE group_id = 'g2' AND account_id = ?`, taro.ID); err != nil {
		t.Fatal(err)
	}
	f.wantNoSession(inG2)
	f.wantSession(inG1, "g1")
}
