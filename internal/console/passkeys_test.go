package console_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/console"
	"github.com/anshin/anshin/internal/demo"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/passkey"
	"github.com/anshin/anshin/internal/secret"
)

const origin = "https://anshin.example.jp"

// passkeyFixture is the console and the login on the demo data, with a
// relying party for origin and a clock the test moves.
type passkeyFixture struct {
	*fixture
	clock *anshintest.Clock
	login *login.Service
	pk    *console.Passkeys
	lpk   *login.Passkeys
	auth  *anshintest.Authenticator
}

func newPasskeyFixture(t *testing.T) *passkeyFixture {
	t.Helper()
	clock := anshintest.NewClock(t0)
	f, hasher := newFixtureAt(t, clock.Now)
	cfg, err := passkey.ConfigFromURL(origin + "/")
	if err != nil {
		t.Fatal(err)
	}
	rp, err := passkey.New(cfg, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	ls := login.New(f.db, hasher, f.keys, clock.Now, login.Defaults(), nil)
	return &passkeyFixture{fixture: f, clock: clock, login: ls,
		pk: console.NewPasskeys(f.svc, rp), lpk: login.NewPasskeys(ls, rp), auth: anshintest.NewAuthenticator(origin)}
}

// signedIn is loginID's session in group whose second factor opened scope,
// signed in now.
func (f *passkeyFixture) signedIn(t *testing.T, loginID, group string, scope ...string) console.Actor {
	a := f.actor(t, loginID, group)
	a.Scope, a.SessionID, a.SignedInAt = scope, "session-"+loginID, f.clock.Now()
	return a
}

// register adds a passkey for a, answered by f.auth.
func (f *passkeyFixture) register(t *testing.T, a console.Actor, name string) (*console.PasskeyEntry, *anshintest.SoftCredential) {
	t.Helper()
	opts, err := f.pk.Begin(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	body, cred, err := f.auth.Create(opts)
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.pk.Add(context.Background(), a, name, body)
	if err != nil {
		t.Fatal(err)
	}
	return e, cred
}

// afterPassword is a flow of loginID at step 3.
func (f *passkeyFixture) afterPassword(t *testing.T, loginID string) string {
	t.Helper()
	ctx := context.Background()
	token, err := f.login.Start(ctx, loginID, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.login.Password(ctx, token, demo.Password, "192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	return token
}

func (f *passkeyFixture) flowStep(t *testing.T, token string) anshin.Step {
	fl, err := f.login.Flow(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return fl.Step
}

func groupIDs(cs []anshin.GroupChoice) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.GroupID)
	}
	return out
}

// The attack of SPEC §2: another company registered the victim's account
// in its own group with its own address, signs in there with the stolen
// password and its own e-mail key (which opens its group only), and adds a
// passkey. The passkey opens that group and never the victim's others.
func TestPasskeyOpensOnlyTheRegisteringSessionsGroups(t *testing.T) {
	f := newPasskeyFixture(t)
	ctx := context.Background()
	// Hikari registered demo-multi with its own address k.watanabe@; it
	// signs in there with the password and the e-mail key that address got.
	flow := f.afterPassword(t, demo.MultiGroupID)
	if _, err := f.login.IssueKey(ctx, flow, anshin.MethodEmail, "ja", "192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	key := ""
	err := f.db.View(ctx, func(tx anshin.Tx) error {
		ds, err := tx.FlowDeliveries(secret.TokenID(flow))
		for _, d := range ds {
			if d.Recipient != "k.watanabe@example.co.jp" {
				continue
			}
			raw, err := f.keys.Open(d.Payload)
			if err != nil {
				return err
			}
			var p anshin.KeyPayload
			if err := json.Unmarshal(raw, &p); err != nil {
				return err
			}
			key = p.Key
		}
		return err
	})
	if err != nil || key == "" {
		t.Fatalf("the key to k.watanabe@: %q %v", key, err)
	}
	res, err := f.login.Verify(ctx, flow, key, demo.GroupHikari, "192.0.2.9")
	if err != nil || res.SessionToken == "" {
		t.Fatalf("the attacker's sign-in: %+v %v", res, err)
	}
	si, err := f.login.Session(ctx, res.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	attacker := f.actor(t, demo.MultiGroupID, demo.GroupHikari)
	attacker.Scope, attacker.SessionID, attacker.SignedInAt = si.Session.Scope, si.Session.ID, si.Session.CreatedAt
	if !slices.Equal(attacker.Scope, []string{demo.GroupHikari}) {
		t.Fatalf("the e-mail key of k.watanabe@ opened %v", attacker.Scope)
	}
	e, _ := f.register(t, attacker, "attacker")
	if len(e.Groups) != 1 {
		t.Fatalf("passkey groups %v, want Hikari's only", e.Groups)
	}
	token := f.afterPassword(t, demo.MultiGroupID)
	opts, err := f.lpk.Options(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	body, err := f.auth.Get(opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	choice, err := f.lpk.SignIn(ctx, token, body, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	if got := groupIDs(choice.Groups); !slices.Equal(got, []string{demo.GroupHikari}) {
		t.Fatalf("the passkey offers %v, want Hikari only", got)
	}
	for _, g := range []string{demo.GroupSakura, demo.GroupMidori} {
		if _, err := f.lpk.ChooseGroup(ctx, token, g, "192.0.2.9"); anshin.ErrorCode(err) != anshin.ECodeGroupNotAllowed {
			t.Errorf("choosing the victim's group %s: %v, want group_not_allowed", g, err)
		}
	}
	done, err := f.lpk.ChooseGroup(ctx, token, demo.GroupHikari, "192.0.2.9")
	if err != nil || done.SessionToken == "" {
		t.Fatalf("choosing Hikari: %+v %v", done, err)
	}
	si, err = f.login.Session(ctx, done.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(si.Session.Scope, []string{demo.GroupHikari}) {
		t.Fatalf("session scope %v, want Hikari only", si.Session.Scope)
	}
}

// An SMS key (or a passkey) opened every group: so does the passkey it
// registers, and a passkey sign-in enters a group straight away.
func TestPasskeySignInEveryGroup(t *testing.T) {
	f := newPasskeyFixture(t)
	ctx := context.Background()
	all := []string{demo.GroupSakura, demo.GroupMidori, demo.GroupHikari}
	a := f.signedIn(t, demo.MultiGroupID, demo.GroupSakura, all...)
	f.queued(t)
	e, _ := f.register(t, a, "  ノート PC ")
	if e.Name != "ノート PC" || len(e.Groups) != 3 || e.LastUsedAt != nil || e.Type != "device" {
		t.Fatalf("entry %+v", e)
	}
	sent := f.queued(t)
	if len(sent) == 0 || !strings.Contains(strings.Join(sent, "\n"), "パスキー") {
		t.Fatalf("no notice of the new passkey: %q", sent)
	}
	list, err := f.pk.List(ctx, a)
	if err != nil || len(list) != 1 {
		t.Fatalf("list %+v %v", list, err)
	}
	// パスキーでログイン: no ID, no password.
	token, opts, err := f.lpk.Start(ctx, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		PublicKey struct {
			Challenge        string `json:"challenge"`
			RPID             string `json:"rpId"`
			UserVerification string `json:"userVerification"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(opts, &o); err != nil || o.PublicKey.UserVerification != "required" || o.PublicKey.RPID != "anshin.example.jp" {
		t.Fatalf("options %s: %v", opts, err)
	}
	var cred *anshintest.SoftCredential
	for _, c := range f.auth.Creds {
		cred = c
	}
	cred.SignCount++
	body, err := f.auth.Sign(o.PublicKey.Challenge, o.PublicKey.RPID, cred, cred.SignCount)
	if err != nil {
		t.Fatal(err)
	}
	choice, err := f.lpk.SignIn(ctx, token, body, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	if len(choice.Groups) != 3 {
		t.Fatalf("groups %+v", choice.Groups)
	}
	res, err := f.lpk.ChooseGroup(ctx, token, demo.GroupSakura, "192.0.2.9")
	if err != nil || res.SessionToken == "" {
		t.Fatalf("choose: %+v %v", res, err)
	}
	si, err := f.login.Session(ctx, res.SessionToken)
	if err != nil || len(si.Session.Scope) != 3 {
		t.Fatalf("session %+v %v", si, err)
	}
	list, _ = f.pk.List(ctx, a)
	if list[0].LastUsedAt == nil {
		t.Errorf("last used not recorded: %+v", list[0])
	}
	if err := f.pk.Rename(ctx, a, list[0].ID, "仕事用"); err != nil {
		t.Fatal(err)
	}
	// Deleting asks for a sign-in within 10 minutes.
	f.clock.Advance(11 * time.Minute)
	if err := f.pk.Delete(ctx, a, list[0].ID); anshin.ErrorCode(err) != anshin.ECodeNewLoginRequired {
		t.Fatalf("delete by an old sign-in: %v", err)
	}
	if _, err := f.pk.Begin(ctx, a); anshin.ErrorCode(err) != anshin.ECodeNewLoginRequired {
		t.Fatalf("add by an old sign-in: %v", err)
	}
	a.SignedInAt = f.clock.Now()
	f.queued(t)
	if err := f.pk.Delete(ctx, a, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if sent := f.queued(t); !strings.Contains(strings.Join(sent, "\n"), "仕事用") {
		t.Errorf("no notice of the deletion: %q", sent)
	}
	audit := f.auditKinds(t, demo.GroupSakura)
	for _, k := range []string{anshin.AuditPasskeyAdded, anshin.AuditPasskeyDeleted} {
		if !slices.Contains(audit, k) {
			t.Errorf("audit %v lacks %s", audit, k)
		}
	}
}

func (f *passkeyFixture) auditKinds(t *testing.T, group string) []string {
	t.Helper()
	var out []string
	err := f.db.View(context.Background(), func(tx anshin.Tx) error {
		list, err := tx.Audit(group, 100)
		for _, e := range list {
			out = append(out, e.Kind)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Every wrong answer to a sign-in ceremony is refused, audited, and never
// moves the flow on (so never a session).
func TestPasskeySignInRefusals(t *testing.T) {
	f := newPasskeyFixture(t)
	ctx := context.Background()
	all := []string{demo.GroupSakura, demo.GroupMidori, demo.GroupHikari}
	_, mine := f.register(t, f.signedIn(t, demo.MultiGroupID, demo.GroupSakura, all...), "mine")
	_, theirs := f.register(t, f.signedIn(t, demo.RepresentativeID, demo.GroupAnshin, demo.GroupAnshin), "theirs")

	type options struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RPID      string `json:"rpId"`
		} `json:"publicKey"`
	}
	begin := func(token string) options {
		t.Helper()
		raw, err := f.lpk.Options(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		var o options
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		return o
	}
	sign := func(a *anshintest.Authenticator, o options, c *anshintest.SoftCredential, count uint32) []byte {
		t.Helper()
		b, err := a.Sign(o.PublicKey.Challenge, o.PublicKey.RPID, c, count)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	refused := func(name, token string, body []byte) {
		t.Helper()
		_, err := f.lpk.SignIn(ctx, token, body, "192.0.2.9")
		t.Logf("%s: %v", name, err)
		if anshin.ErrorCode(err) != anshin.ECodePasskeyRefused {
			t.Errorf("%s: %v, want passkey_refused", name, err)
		}
		if step := f.flowStep(t, token); step != anshin.StepOneTimeKey {
			t.Errorf("%s: the flow moved on to %s", name, step)
		}
	}
	evil := anshintest.NewAuthenticator("https://anshin.example.jp.evil.example")
	evil.Creds = f.auth.Creds
	wrongRP := anshintest.NewAuthenticator(origin)
	wrongRP.RPID = "evil.example"
	noUV := anshintest.NewAuthenticator(origin)
	noUV.NoUV = true

	token := f.afterPassword(t, demo.MultiGroupID)
	refused("wrong origin", token, sign(evil, begin(token), mine, 10))
	refused("wrong RP ID", token, sign(wrongRP, begin(token), mine, 11))
	refused("no user verification", token, sign(noUV, begin(token), mine, 12))
	refused("another account's credential", token, sign(f.auth, begin(token), theirs, 13))
	o := begin(token)
	f.clock.Advance(6 * time.Minute)
	refused("expired challenge", token, sign(f.auth, o, mine, 14))

	// A right answer, then the same answer again, then a count gone back.
	o = begin(token)
	good := sign(f.auth, o, mine, 20)
	other := f.afterPassword(t, demo.MultiGroupID)
	refused("another flow's challenge", other, good)
	token2 := f.afterPassword(t, demo.MultiGroupID)
	o = begin(token2)
	good = sign(f.auth, o, mine, 20)
	if _, err := f.lpk.SignIn(ctx, token2, good, "192.0.2.9"); err != nil {
		t.Fatalf("right answer: %v", err)
	}
	token3 := f.afterPassword(t, demo.MultiGroupID)
	refused("replayed challenge", token3, good)
	refused("sign count gone back", token3, sign(f.auth, begin(token3), mine, 19))
	refused("sign count repeated", token3, sign(f.auth, begin(token3), mine, 20))
	if _, err := f.lpk.SignIn(ctx, token3, sign(f.auth, begin(token3), mine, 21), "192.0.2.9"); err != nil {
		t.Fatalf("a count that moved on: %v", err)
	}
	if n := slices.Index(f.auditKinds(t, demo.GroupSakura), anshin.AuditPasskeyRefused); n < 0 {
		t.Errorf("refusals not audited")
	}

	// Registration refuses the same ways: a wrong origin.
	a := f.signedIn(t, demo.MultiGroupID, demo.GroupSakura, all...)
	opts, err := f.pk.Begin(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	body, _, err := evil.Create(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.pk.Add(ctx, a, "evil", body); anshin.ErrorCode(err) != anshin.ECodePasskeyRefused {
		t.Errorf("registration from another origin: %v", err)
	}
}

// keySignIn signs loginID in to group by an SMS key (the test knows the
// key), returning the session token or the error of key entry.
func (f *passkeyFixture) keySignIn(t *testing.T, loginID, group string) (string, error) {
	t.Helper()
	ctx := context.Background()
	f.login.SetKeyGenerator(func(n int) string { return strings.Repeat("7", n) })
	token := f.afterPassword(t, loginID)
	if _, err := f.login.IssueKey(ctx, token, anshin.MethodSMS, "ja", "192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	res, err := f.login.Verify(ctx, token, strings.Repeat("7", 8), group, "192.0.2.9")
	if err != nil {
		return "", err
	}
	if res.SessionToken == "" {
		t.Fatalf("key sign-in to %s: %+v", group, res)
	}
	return res.SessionToken, nil
}

// A group that requires passkeys: a key sign-in may only register the
// first passkey, once, within 10 minutes; then only the passkey enters,
// also by a group switch.
func TestPasskeyRequiredGroup(t *testing.T) {
	f := newPasskeyFixture(t)
	ctx := context.Background()
	all := []string{demo.GroupSakura, demo.GroupMidori, demo.GroupHikari}
	if err := f.pk.SetRequired(ctx, f.signedIn(t, demo.CarrierFreeID, demo.GroupSakura, demo.GroupSakura), true); anshin.ErrorCode(err) != anshin.ECodeForbidden {
		t.Fatalf("an admin set the policy: %v", err)
	}
	if err := f.pk.SetRequired(ctx, f.signedIn(t, demo.MultiGroupID, demo.GroupSakura, all...), true); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(f.auditKinds(t, demo.GroupSakura), anshin.AuditPasskeyPolicy) {
		t.Error("the policy change is not audited")
	}

	// A key sign-in lives 10 minutes, for registering only.
	token, err := f.keySignIn(t, demo.MultiGroupID, demo.GroupSakura)
	if err != nil {
		t.Fatal(err)
	}
	si, err := f.login.Session(ctx, token)
	if err != nil || !si.EnrollOnly {
		t.Fatalf("key session in a passkey group: %+v %v", si, err)
	}
	f.clock.Advance(11 * time.Minute)
	if _, err := f.login.Session(ctx, token); anshin.ErrorCode(err) != anshin.ECodeUnauthorized {
		t.Fatalf("the key session outlived its 10 minutes: %v", err)
	}

	// Once: the first passkey ends the key session.
	f.clock.Advance(2 * time.Minute)
	token, err = f.keySignIn(t, demo.MultiGroupID, demo.GroupSakura)
	if err != nil {
		t.Fatal(err)
	}
	si, err = f.login.Session(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	a := f.signedIn(t, demo.MultiGroupID, demo.GroupSakura, si.Session.Scope...)
	a.SessionID, a.SignedInAt = si.Session.ID, si.Session.CreatedAt
	f.register(t, a, "first")
	if _, err := f.login.Session(ctx, token); anshin.ErrorCode(err) != anshin.ECodeUnauthorized {
		t.Fatalf("the key session lives on after the first passkey: %v", err)
	}

	// Now a key no longer enters; the passkey does, and its session is whole.
	f.clock.Advance(2 * time.Minute)
	if _, err := f.keySignIn(t, demo.MultiGroupID, demo.GroupSakura); anshin.ErrorCode(err) != anshin.ECodePasskeyRequired {
		t.Fatalf("a key entered a passkey group: %v", err)
	}
	flow := f.afterPassword(t, demo.MultiGroupID)
	opts, err := f.lpk.Options(ctx, flow)
	if err != nil {
		t.Fatal(err)
	}
	body, err := f.auth.Get(opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.lpk.SignIn(ctx, flow, body, "192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	res, err := f.lpk.ChooseGroup(ctx, flow, demo.GroupSakura, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	if si, err := f.login.Session(ctx, res.SessionToken); err != nil || si.EnrollOnly || si.Session.Factor != anshin.MethodPasskey {
		t.Fatalf("passkey session: %+v %v", si, err)
	}

	// A key session elsewhere does not switch into the group.
	f.clock.Advance(2 * time.Minute)
	other, err := f.keySignIn(t, demo.MultiGroupID, demo.GroupHikari)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.login.SwitchGroup(ctx, other, demo.GroupSakura, "192.0.2.9"); anshin.ErrorCode(err) != anshin.ECodePasskeyRequired {
		t.Fatalf("a key session switched into a passkey group: %v", err)
	}
}
