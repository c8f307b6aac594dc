package login_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/anshin/anshin/internal/anshin"
)

// scopeFixture is an account in two groups of two companies: "victim-y",
// whose route is the account's contact e-mail, and "other-x", where another
// company set an administrator e-mail of its own choosing.
func scopeFixture(t *testing.T) (*fixture, *anshin.Account) {
	f := newFixture(t)
	a := f.addAccount("victim", "pw", "", "v@victim.example")
	f.addGroup("victim-y", "+81311112222")
	f.addGroup("other-x", "+81633334444")
	f.addAdmin("victim-y", a, anshin.RoleRepresentative, "")
	f.addAdmin("other-x", a, anshin.RoleAdmin, "trap@other.example")
	return f, a
}

// twoRoutes is an account "user" (password "pw") in groups g1, where its
// administrator e-mail is g1Email, and g2, where none is set (so its route
// is the contact e-mails).
func (f *fixture) twoRoutes(line, g1Email string, contacts ...string) *anshin.Account {
	a := f.addAccount("user", "pw", line, contacts...)
	f.addGroup("g1", "+81311110001")
	f.addGroup("g2", "+81311110002")
	f.addAdmin("g1", a, anshin.RoleRepresentative, g1Email)
	f.addAdmin("g2", a, anshin.RoleRepresentative, "")
	return a
}

// keysByAddress delivers the issuance's messages and returns each
// address's key; every address must get a key of its own.
func keysByAddress(t *testing.T, f *fixture) map[string]string {
	t.Helper()
	out, seen := map[string]string{}, map[string]bool{}
	for _, m := range f.deliver() {
		k := keyIn(t, m.Body)
		if seen[k] || out[m.To] != "" {
			t.Fatalf("key %s sent twice, or two keys to %s", k, m.To)
		}
		seen[k], out[m.To] = true, k
	}
	return out
}

func TestEmailKeyOpensOnlyItsAddressesGroups(t *testing.T) {
	f, a := scopeFixture(t)
	token := f.toKeyStep("victim", "pw")
	iss, _ := f.issue(token, anshin.MethodEmail)
	keys := keysByAddress(t, f)
	if len(keys) != 2 || keys["v@victim.example"] == "" || keys["trap@other.example"] == "" {
		t.Fatalf("keys went to %v, want the contact e-mail and the other group's administrator e-mail", keys)
	}
	scope := map[string][]string{}
	for _, g := range iss.Groups {
		scope[g.GroupID] = g.KeySentTo
	}
	if !slices.Equal(scope["victim-y"], masked("v@victim.example")) || !slices.Equal(scope["other-x"], masked("trap@other.example")) {
		t.Errorf("key_sent_to per group = %v", scope)
	}

	// The other company's key does not open the victim's group: refused,
	// naming the address whose key does, neither used nor counted.
	for range 3 {
		_, err := f.verify(token, keys["trap@other.example"], "victim-y")
		e := wantCode(t, err, anshin.ECodeKeyNotForGroup)
		if e != nil && !slices.Equal(e.Masked, masked("v@victim.example")) {
			t.Errorf("key_not_for_group names %v, want the contact e-mail masked", e.Masked)
		}
	}
	if n := f.account(a.ID).KeyFailures; n != 0 {
		t.Errorf("key_not_for_group counted %d failures", n)
	}
	// The victim's own key opens the victim's group, and the session
	// knows which groups its key opened.
	res, err := f.verify(token, keys["v@victim.example"], "victim-y")
	if err != nil || res.Next != anshin.StepDone {
		t.Fatalf("the victim's own key: %+v %v", res, err)
	}
	si, err := f.svc.Session(f.ctx, res.SessionToken)
	if err != nil || !slices.Equal(si.Session.Scope, []string{"victim-y"}) {
		t.Fatalf("session scope %+v %v, want victim-y only", si, err)
	}
	// The trap address's key is dead with the flow.
	_, err = f.verify(token, keys["trap@other.example"], "other-x")
	wantCode(t, err, anshin.ECodeFlowStep)
}

// Each key's e-mail names the groups it opens, and no other.
func TestKeyMailNamesItsGroups(t *testing.T) {
	f, _ := scopeFixture(t)
	token := f.toKeyStep("victim", "pw")
	f.issue(token, anshin.MethodEmail)
	for _, m := range f.deliver() {
		want, not := "MN-victim-y", "MN-other-x"
		if m.To == "trap@other.example" {
			want, not = not, want
		}
		if !strings.Contains(m.Body, want) || strings.Contains(m.Body, not) || !strings.Contains(m.HTML, want) {
			t.Errorf("the key mail to %s names the wrong groups:\n%s", m.To, m.Body)
		}
	}
}

func TestKeyScopeSurvivesSwitch(t *testing.T) {
	f, _ := scopeFixture(t)
	f.setCLOMO("victim-y", "被害者株式会社")
	// Signed in to the other company's group with the key sent there.
	token := f.toKeyStep("victim", "pw")
	f.issue(token, anshin.MethodEmail)
	keys := keysByAddress(t, f)
	res, err := f.verify(token, keys["trap@other.example"], "other-x")
	if err != nil || res.Next != anshin.StepDone {
		t.Fatalf("verify: %+v %v", res, err)
	}
	_, err = f.svc.SwitchGroup(f.ctx, res.SessionToken, "victim-y", clientIP)
	wantCode(t, err, anshin.ECodeNewLoginRequired)
	// The session is still there: the refusal ends nothing.
	if _, err := f.svc.Session(f.ctx, res.SessionToken); err != nil {
		t.Fatalf("the refused switch ended the session: %v", err)
	}

	// An SMS key opens every group, and a switch keeps that scope.
	f2 := newFixture(t)
	a := f2.addAccount("both", "pw", "+819011112222", "c@example.jp")
	for _, g := range []string{"g1", "g2", "g3"} {
		f2.addGroup(g, "+8131111"+g)
		f2.addAdmin(g, a, anshin.RoleRepresentative, g+"@example.jp")
	}
	tok := f2.mustSignIn("both", "pw", "g1")
	sw, err := f2.svc.SwitchGroup(f2.ctx, tok, "g2", clientIP)
	if err != nil {
		t.Fatalf("switch after an SMS key: %v", err)
	}
	if _, err := f2.svc.SwitchGroup(f2.ctx, sw.SessionToken, "g3", clientIP); err != nil {
		t.Fatalf("second switch after an SMS key: %v", err)
	}
}

// A group whose route holds only disabled addresses gets no key; the other
// groups' keys still go out, and the page says which group has none.
func TestGroupWithEveryRouteAddressDisabled(t *testing.T) {
	f := newFixture(t)
	f.twoRoutes("", "bounced@example.jp", "c@example.jp")
	f.disableMail("bounced@example.jp")
	token := f.toKeyStep("user", "pw")
	iss, _ := f.issue(token, anshin.MethodEmail)
	if !slices.Equal(iss.SentTo, masked("c@example.jp")) || !slices.Equal(iss.Skipped, masked("bounced@example.jp")) {
		t.Errorf("sent to %v, skipped %v", iss.SentTo, iss.Skipped)
	}
	for _, g := range iss.Groups {
		if want := map[string]int{"g1": 0, "g2": 1}[g.GroupID]; len(g.KeySentTo) != want {
			t.Errorf("group %s: key_sent_to %v", g.GroupID, g.KeySentTo)
		}
	}
	keys := keysByAddress(t, f)
	_, err := f.verify(token, keys["c@example.jp"], "g1")
	if e := wantCode(t, err, anshin.ECodeKeyNotForGroup); e != nil && len(e.Masked) != 0 {
		t.Errorf("names %v, but no key opens g1", e.Masked)
	}
	if res, err := f.verify(token, keys["c@example.jp"], "g2"); err != nil || res.Next != anshin.StepDone {
		t.Fatalf("g2: %+v %v", res, err)
	}

	// Every address of every route disabled: no e-mail key at all.
	f.disableMail("c@example.jp")
	f.clock.Advance(f.cfg.KeyCooldown)
	token = f.toKeyStep("user", "pw")
	_, err = f.svc.IssueKey(f.ctx, token, anshin.MethodEmail, "ja", clientIP)
	wantCode(t, err, anshin.ECodeMailNotificationDisabled)
}

// A wrong key invalidates every key of the issuance and counts once.
func TestWrongKeyInvalidatesEveryKeyOfTheIssuance(t *testing.T) {
	f, a := scopeFixture(t)
	token := f.toKeyStep("victim", "pw")
	f.issue(token, anshin.MethodEmail)
	keys := keysByAddress(t, f)
	wrong := wrongKey(keys["v@victim.example"])
	for wrong == keys["trap@other.example"] {
		wrong = wrongKey(wrong)
	}
	_, err := f.verify(token, wrong, "victim-y")
	wantCode(t, err, anshin.ECodeKeyInvalid)
	if n := f.account(a.ID).KeyFailures; n != 1 {
		t.Errorf("%d failures counted, want 1", n)
	}
	for addr, group := range map[string]string{"v@victim.example": "victim-y", "trap@other.example": "other-x"} {
		_, err := f.verify(token, keys[addr], group)
		wantCode(t, err, anshin.ECodeKeyInvalid)
	}
	if n := f.account(a.ID).KeyFailures; n != 1 {
		t.Errorf("entering invalidated keys counted: %d failures, want 1", n)
	}
}

// Of concurrent submissions of the issuance's keys, each for a group it
// opens, exactly one signs in.
func TestKeysOfOneIssuanceSignInOnce(t *testing.T) {
	f, _ := scopeFixture(t)
	token := f.toKeyStep("victim", "pw")
	f.issue(token, anshin.MethodEmail)
	keys := keysByAddress(t, f)
	const n = 50
	var wg sync.WaitGroup
	results := make([]error, n)
	sessions := make([]string, n)
	for i := range n {
		wg.Go(func() {
			key, group := keys["v@victim.example"], "victim-y"
			if i%2 == 1 {
				key, group = keys["trap@other.example"], "other-x"
			}
			res, err := f.verify(token, key, group)
			if err == nil {
				sessions[i] = res.SessionToken
			}
			results[i] = err
		})
	}
	wg.Wait()
	won := 0
	for i, err := range results {
		var e *anshin.Error
		switch {
		case err == nil && sessions[i] != "":
			won++
		case errors.As(err, &e) && (e.Code == anshin.ECodeFlowStep || e.Code == anshin.ECodeKeyInvalid):
		default:
			t.Errorf("submission %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d submissions signed in, want exactly 1", won)
	}
}
