package login_test

import (
	"sync"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
)

func TestVerifyWrongKeyInvalidatesTheKey(t *testing.T) {
	f := newFixture(t)
	f.taro()
	token := f.toKeyStep(taroID, taroPassword)
	_, key := f.issue(token, anshin.MethodSMS)

	_, err := f.verify(token, wrongKey(key), "g1")
	if e := wantCode(t, err, anshin.ECodeKeyInvalid); e.Field != "key" {
		t.Errorf("field = %q, want key", e.Field)
	}
	_, err = f.verify(token, key, "g1")
	wantCode(t, err, anshin.ECodeKeyInvalid) // the right key died with the wrong guess

	f.clock.Advance(f.cfg.KeyCooldown)
	_, key2 := f.issue(token, anshin.MethodSMS)
	res, err := f.verify(token, key2, "g1")
	if err != nil || res.Next != anshin.StepDone || res.SessionToken == "" {
		t.Fatalf("new key after a wrong one: %+v, %v; want a session", res, err)
	}
}

func TestVerifyRefusesMissingInput(t *testing.T) {
	f := newFixture(t)
	f.taro()
	token := f.toKeyStep(taroID, taroPassword)
	_, key := f.issue(token, anshin.MethodSMS)
	for _, tc := range []struct{ key, group, field string }{
		{"", "g1", "key"},
		{" \u3000 ", "g1", "key"},
		{key, "", "group_id"},
	} {
		_, err := f.verify(token, tc.key, tc.group)
		if e := wantCode(t, err, anshin.ECodeInvalidField); e.Field != tc.field {
			t.Errorf("key %q group %q: field = %q, want %s", tc.key, tc.group, e.Field, tc.field)
		}
	}
	if _, err := f.verify(token, key, "g1"); err != nil {
		t.Errorf("refused input must not spend the key: %v", err)
	}
}

func TestVerifyBeforeAnyKey(t *testing.T) {
	f := newFixture(t)
	f.taro()
	token := f.toKeyStep(taroID, taroPassword)
	_, err := f.verify(token, "12345678", "g1")
	wantCode(t, err, anshin.ECodeKeyInvalid)
}

func TestVerifyExpiredKey(t *testing.T) {
	f := newFixture(t)
	f.taro()
	token := f.toKeyStep(taroID, taroPassword)
	_, key := f.issue(token, anshin.MethodSMS)
	f.clock.Advance(f.cfg.KeyTTL)
	_, err := f.verify(token, key, "g1")
	if e := wantCode(t, err, anshin.ECodeKeyExpired); e.Field != "key" {
		t.Errorf("field = %q, want key", e.Field)
	}

	// A key entered a moment before its end still works.
	token = f.toKeyStep(taroID, taroPassword)
	_, key = f.issue(token, anshin.MethodSMS)
	f.clock.Advance(f.cfg.KeyTTL - time.Millisecond)
	if _, err := f.verify(token, key, "g1"); err != nil {
		t.Errorf("key just before its end: %v", err)
	}
}

func TestVerifyKeyIsAcceptedOnce(t *testing.T) {
	f := newFixture(t)
	f.taro()
	token := f.toKeyStep(taroID, taroPassword)
	_, key := f.issue(token, anshin.MethodSMS)
	if _, err := f.verify(token, key, "g1"); err != nil {
		t.Fatal(err)
	}
	ds := f.deliveries(token)
	if len(ds) != 1 {
		t.Fatalf("%d deliveries, want 1", len(ds))
	}
	if k := f.key(ds[0].KeyID); !k.UsedAt.Equal(f.clock.Now()) {
		t.Errorf("key UsedAt = %v, want now", k.UsedAt)
	}
	for _, again := range []string{key, "\u3000" + fullWidth(key) + " "} {
		res, err := f.verify(token, again, "g1")
		if err == nil {
			t.Fatalf("used key %q accepted again: %+v", again, res)
		}
		if c := anshin.ErrorCode(err); c != anshin.ECodeKeyInvalid && c != anshin.ECodeFlowStep {
			t.Errorf("used key %q: code %q, want key_invalid or flow_step_invalid", again, c)
		}
	}
}

func TestNormalizeKey(t *testing.T) {
	for in, want := range map[string]string{
		"12345678":              "12345678",
		"  12345678\t":          "12345678",
		"１２３４５６７８":              "12345678",
		"\u3000１２３４５６７８ ":       "12345678",
		"\u3000 ０９８７６５４３\u3000": "09876543",
	} {
		if got := login.NormalizeKey(in); got != want {
			t.Errorf("NormalizeKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVerifyAcceptsFullWidthKeyWithSpaces(t *testing.T) {
	f := newFixture(t)
	f.taro()
	token := f.toKeyStep(taroID, taroPassword)
	_, key := f.issue(token, anshin.MethodSMS)
	res, err := f.verify(token, "\u3000"+fullWidth(key)+" ", "g1")
	if err != nil || res.SessionToken == "" {
		t.Fatalf("full-width key with spaces: %+v, %v; want a session", res, err)
	}
}

func TestSecondIssueInvalidatesTheFirstKey(t *testing.T) {
	f := newFixture(t)
	f.taro()
	token := f.toKeyStep(taroID, taroPassword)
	_, first := f.issue(token, anshin.MethodSMS)
	f.clock.Advance(f.cfg.KeyCooldown)
	_, second := f.issue(token, anshin.MethodSMS)
	if first == second {
		t.Skip("the CSPRNG drew the same key twice")
	}

	ds := f.deliveries(token)
	if len(ds) != 2 {
		t.Fatalf("%d deliveries, want 2", len(ds))
	}
	if k := f.key(ds[0].KeyID); !k.InvalidatedAt.Equal(f.clock.Now()) {
		t.Errorf("first key InvalidatedAt = %v, want the second issue's time %v", k.InvalidatedAt, f.clock.Now())
	}
	sent := f.deliver()
	if len(sent) != 1 || keyIn(t, sent[0].Body) != second {
		t.Errorf("sent %d messages %+v, want only the second key's", len(sent), sent)
	}
	if _, err := f.verify(token, second, "g1"); err != nil {
		t.Errorf("second key: %v", err)
	}
}

func TestKeyFailuresPerAccount(t *testing.T) {
	f := newFixture(t, func(c *login.Config) {
		c.KeyFailureLimit, c.KeyCooldown = 3, time.Second
		c.KeysPerFlow, c.KeysPerAccountHour = 10, 100 // out of the way
	})
	taro := f.taro()
	fail := func(token string) {
		t.Helper()
		f.clock.Advance(f.cfg.KeyCooldown)
		_, key := f.issue(token, anshin.MethodSMS)
		_, err := f.verify(token, wrongKey(key), "g1")
		wantCode(t, err, anshin.ECodeKeyInvalid)
	}
	failures := func() int { t.Helper(); return f.account(taro.ID).KeyFailures }

	// Two wrong keys in one flow, one in another: a new key or flow does not
	// reset the count, so the third locks key entry.
	first := f.toKeyStep(taroID, taroPassword)
	fail(first)
	fail(first)
	if n := failures(); n != 2 {
		t.Fatalf("KeyFailures = %d after two wrong keys, want 2", n)
	}
	second := f.toKeyStep(taroID, taroPassword)
	fail(second)
	lockedAt := f.clock.Now()

	f.clock.Advance(f.cfg.KeyCooldown)
	_, key := f.issue(second, anshin.MethodSMS)
	_, err := f.verify(second, key, "g1")
	e := wantCode(t, err, anshin.ECodeRateLimited)
	if !e.RetryAt.After(f.clock.Now()) {
		t.Fatalf("RetryAt %v is not in the future", e.RetryAt)
	}
	firstWait := e.RetryAt.Sub(lockedAt)

	// The refusal did not spend the key: after the wait it works.
	f.clock.Set(e.RetryAt)
	if _, err := f.verify(second, key, "g1"); err != nil {
		t.Fatalf("right key after the wait: %v", err)
	}
	if n := failures(); n != 0 {
		t.Fatalf("KeyFailures = %d after a success, want 0", n)
	}

	// A success started the count over: two more failures are free again.
	third := f.toKeyStep(taroID, taroPassword)
	fail(third)
	fail(third)
	f.clock.Advance(f.cfg.KeyCooldown)
	_, key = f.issue(third, anshin.MethodSMS)
	if _, err := f.verify(third, key, "g1"); err != nil {
		t.Fatalf("right key after two failures following a success: %v", err)
	}

	// Past the limit the wait grows.
	fourth := f.toKeyStep(taroID, taroPassword)
	fail(fourth)
	fail(fourth)
	fail(fourth)
	f.clock.Advance(firstWait)
	fail(fourth) // the fourth consecutive failure
	lockedAt = f.clock.Now()
	f.clock.Advance(f.cfg.KeyCooldown)
	_, key = f.issue(fourth, anshin.MethodSMS)
	_, err = f.verify(fourth, key, "g1")
	e = wantCode(t, err, anshin.ECodeRateLimited)
	if wait := e.RetryAt.Sub(lockedAt); wait <= firstWait {
		t.Errorf("second wait %v is not longer than the first %v", wait, firstWait)
	}
}

// However many requests race with the right key, one session comes out.
func TestVerifyConcurrentSameKey(t *testing.T) {
	f := newFixture(t)
	f.taro()
	token := f.toKeyStep(taroID, taroPassword)
	_, key := f.issue(token, anshin.MethodSMS)

	const n = 50
	type answer struct {
		res *login.Result
		err error
	}
	answers := make(chan answer, n)
	begin := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-begin
			res, err := f.verify(token, key, "g1")
			answers <- answer{res, err}
		}()
	}
	close(begin)
	wg.Wait()
	close(answers)
	sessions := 0
	for a := range answers {
		switch c := anshin.ErrorCode(a.err); {
		case a.err == nil && a.res.SessionToken != "":
			sessions++
		case c == anshin.ECodeKeyInvalid || c == anshin.ECodeFlowStep:
		default:
			t.Errorf("unexpected answer %+v, %v", a.res, a.err)
		}
	}
	if sessions != 1 {
		t.Errorf("%d sessions from one key, want exactly 1", sessions)
	}
	var events []*anshin.AuditEvent
	f.view(func(tx anshin.Tx) (err error) { events, err = tx.Audit("g1", 1000); return err })
	signIns := 0
	for _, e := range events {
		if e.Kind == "sign_in" {
			signIns++
		}
	}
	if signIns != 1 {
		t.Errorf("%d sign_in audit events, want 1", signIns)
	}
}

// With no cooldown two keys of a flow can share a millisecond; the flow's
// current key is still the one issued last.
func TestReissueInTheSameInstant(t *testing.T) {
	f := newFixture(t, func(c *login.Config) { c.KeyCooldown, c.KeysPerAccountHour = 0, 1000 })
	f.taro()
	// Ten flows: a store that told the two keys apart by chance would fail
	// one of them with near certainty.
	for i := range 10 {
		token := f.toKeyStep(taroID, taroPassword)
		_, first := f.issue(token, anshin.MethodSMS)
		_, second := f.issue(token, anshin.MethodSMS)
		if first == second {
			continue
		}
		if _, err := f.verify(token, second, "g1"); err != nil {
			t.Fatalf("flow %d: the key issued last, in the same instant as the one before: %v", i, err)
		}
	}
}
