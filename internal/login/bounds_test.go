package login_test

import (
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/secret"
)

// The limits and defaults of SPEC §2, exactly: each boundary on the side
// the rule puts it.

func TestDefaultsAreTheSPECs(t *testing.T) {
	d := login.Defaults()
	got := []any{d.KeyDigits, d.KeyTTL, d.KeysPerFlow, d.KeysPerAccountHour, d.KeyCooldown, d.FlowTTL, d.SessionIdle, d.SessionMax, d.KeyFailureLimit}
	want := []any{8, 10 * time.Minute, 5, 10, 60 * time.Second, 30 * time.Minute, 30 * time.Minute, 12 * time.Hour, 100}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("default %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// A password (or initial password) of 1024 characters is checked; longer
// ones are refused without hashing.
func TestLongestPasswordIsChecked(t *testing.T) {
	f := newFixture(t)
	long := strings.Repeat("p", 1024)
	a := f.addAccount("long", long, "+819011112222")
	f.addGroup("g1", "+81311110001")
	f.addGroup("g2", "+81311110002")
	f.addAdmin("g1", a, anshin.RoleRepresentative, "")
	f.addNewAdmin("g2", a, anshin.RoleAdmin, "", long)
	if _, err := f.svc.Password(f.ctx, f.start("long"), long, clientIP); err != nil {
		t.Fatalf("a 1024-character password: %v", err)
	}
	_, err := f.svc.Password(f.ctx, f.start("long"), long+"p", clientIP)
	wantCode(t, err, anshin.ECodeInvalidCredentials)

	token := f.toKeyStep("long", long)
	_, key := f.issue(token, anshin.MethodSMS)
	if res, err := f.verify(token, key, "g2"); err != nil || res.Next != anshin.StepInitialPassword {
		t.Fatalf("verify: %+v %v", res, err)
	}
	if res, err := f.svc.InitialPassword(f.ctx, token, long, clientIP); err != nil || res.Next != anshin.StepDone {
		t.Fatalf("a 1024-character initial password: %+v %v", res, err)
	}
}

// The waits after the free failures start at their base and double.
func TestPasswordWaitDoubles(t *testing.T) {
	f := newFixture(t)
	f.taro()
	for range f.cfg.PasswordFailuresPerAccount - 1 {
		f.svc.Password(f.ctx, f.start(taroID), "wrong", clientIP)
	}
	for _, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		f.svc.Password(f.ctx, f.start(taroID), "wrong", clientIP)
		_, err := f.svc.Password(f.ctx, f.start(taroID), "wrong", clientIP)
		e := wantCode(t, err, anshin.ECodeRateLimited)
		if e != nil && !e.RetryAt.Equal(f.clock.Now().Add(wait)) {
			t.Fatalf("wait %v, want %v", e.RetryAt.Sub(f.clock.Now()), wait)
		}
		f.clock.Set(e.RetryAt)
	}
}

func TestInitialPasswordWaitStartsAtTwoSeconds(t *testing.T) {
	f := newFixture(t)
	a := f.addAccount("new", "pw", "+819011112222")
	f.addGroup("g1", "+81311110001")
	f.addNewAdmin("g1", a, anshin.RoleAdmin, "", "Init1234x")
	token := f.toKeyStep("new", "pw")
	_, key := f.issue(token, anshin.MethodSMS)
	if _, err := f.verify(token, key, "g1"); err != nil {
		t.Fatal(err)
	}
	for range f.cfg.InitialPasswordThrottle {
		f.svc.InitialPassword(f.ctx, token, "Wrong1234x", clientIP)
	}
	_, err := f.svc.InitialPassword(f.ctx, token, "Init1234x", clientIP)
	if e := wantCode(t, err, anshin.ECodeRateLimited); e != nil && !e.RetryAt.Equal(f.clock.Now().Add(2*time.Second)) {
		t.Errorf("wait %v, want 2s", e.RetryAt.Sub(f.clock.Now()))
	}
	// Each failure is audited, the one that started the wait too.
	f.view(func(tx anshin.Tx) error {
		evs, err := tx.AuditPage(anshin.AuditQuery{GroupID: "g1", Kind: "initial_password_failed", Limit: 10})
		if len(evs) != f.cfg.InitialPasswordThrottle {
			t.Errorf("%d initial_password_failed events, want %d", len(evs), f.cfg.InitialPasswordThrottle)
		}
		return err
	})
}

// A flow limit of 0 is no limit.
func TestNoFlowLimit(t *testing.T) {
	f := newFixture(t, func(c *login.Config) { c.FlowsPerClient = 0 })
	for i := range 3 * login.Defaults().FlowsPerClient {
		if _, err := f.svc.Start(f.ctx, "anyone", clientIP); err != nil {
			t.Fatalf("flow %d: %v", i+1, err)
		}
	}
}

// A group ID of the longest allowed length (64) can be switched to.
func TestSwitchToLongestGroupID(t *testing.T) {
	f := newFixture(t)
	a := f.addAccount("user", "pw", "+819011112222")
	long := strings.Repeat("g", 64)
	for _, g := range []string{"g1", long} {
		f.addGroup(g, "+81311110001")
		f.addAdmin(g, a, anshin.RoleRepresentative, "")
	}
	token := f.mustSignIn("user", "pw", "g1")
	if _, err := f.svc.SwitchGroup(f.ctx, token, long, clientIP); err != nil {
		t.Fatalf("switch to a 64-character group ID: %v", err)
	}
}

// Key issuance and wrong passwords are audited in every group of the
// account, each with what concerns it.
func TestIssuanceAndFailuresAuditedInEveryGroup(t *testing.T) {
	f := newFixture(t)
	f.twoRoutes("+819011112222", "admin@example.jp", "contact@example.jp")
	f.issue(f.toKeyStep("user", "pw"), anshin.MethodEmail)
	f.svc.Password(f.ctx, f.start("user"), "wrong", clientIP)
	for g, sentTo := range map[string]string{"g1": `["ad***@example.jp"]`, "g2": `["co*****@example.jp"]`} {
		var kinds []string
		f.view(func(tx anshin.Tx) error {
			evs, err := tx.Audit(g, 10)
			for _, e := range evs {
				kinds = append(kinds, e.Kind)
				if e.Kind == "key_issued" && !strings.Contains(e.Detail, sentTo) {
					t.Errorf("group %s: key_issued %s, want sent to %s only", g, e.Detail, sentTo)
				}
			}
			return err
		})
		if k := strings.Join(kinds, " "); !strings.Contains(k, "key_issued") || !strings.Contains(k, "password_failed") {
			t.Errorf("group %s audit: %s", g, k)
		}
	}
}

// A right password that re-hashes still answers the key methods.
func TestRehashingLoginAnswersTheMethods(t *testing.T) {
	f := newFixture(t)
	f.addOldAccount("old-id", "old-password")
	opts, err := f.svc.Password(f.ctx, f.start("old-id"), "old-password", clientIP)
	if err != nil || len(opts) != 2 {
		t.Fatalf("methods %+v, %v", opts, err)
	}
}

// In a tie the dummy takes the current parameters, and between others the
// costlier: never the cheaper, which would answer unknown IDs faster.
func TestCalibrationTies(t *testing.T) {
	f := newFixture(t)
	install := func(id string, p secret.Argon2Params) {
		a := f.addAccount(id, "pw-"+id, "+819011112222")
		h, err := secret.NewHasher(p).Hash(f.ctx, "pw-"+id)
		if err != nil {
			t.Fatal(err)
		}
		f.update(func(tx anshin.Tx) error { _, err := tx.RehashPassword(a.ID, a.PasswordHash, h); return err })
	}
	costly := secret.Argon2Params{MemoryKiB: 32, Time: 3, Threads: 1}
	cheap := secret.Argon2Params{MemoryKiB: 16, Time: 1, Threads: 1}
	install("costly", costly)
	install("cheap", cheap)
	for range 20 { // map order varies from run to run
		if err := f.svc.CalibrateDummy(f.ctx); err != nil {
			t.Fatal(err)
		}
		if got := f.hasher.DummyParams(); got != costly {
			t.Fatalf("tie between two old parameter sets: dummy %+v, want the costlier %+v", got, costly)
		}
	}
	f.addAccount("current-1", "pw", "+819011112222")
	f.addAccount("current-2", "pw", "+819011112222")
	install("costly-2", costly)
	for range 20 {
		if err := f.svc.CalibrateDummy(f.ctx); err != nil {
			t.Fatal(err)
		}
		if got := f.hasher.DummyParams(); got != f.hasher.Params() {
			t.Fatalf("tie with the current parameters: dummy %+v, want the current %+v", got, f.hasher.Params())
		}
	}
}
