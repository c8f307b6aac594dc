package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/app"
	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/demo"
)

// signedInAfter finishes a federated login at the key step by SMS and the
// group, and checks it ends signed in.
func (fs *fedServer) signedInAfter(b *browser, group string) {
	fs.t.Helper()
	key := b.Get("/login/key")
	if key.Status != http.StatusOK {
		fs.t.Fatalf("/login/key answered %d:\n%s", key.Status, key.Body)
	}
	if p := b.Post("/login/key/issue", url.Values{"method": {"sms"}}); p.Status != http.StatusOK {
		fs.t.Fatalf("issuing a key: %d\n%s", p.Status, p.Body)
	}
	msgs := fs.deliver()
	p := b.Post("/login/key/verify", url.Values{"key": {keyIn(fs.t, msgs[len(msgs)-1].Body)}, "group_id": {group}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/console?welcome=1" {
		fs.t.Fatalf("key entry answered %d %q, want 303 to the console:\n%s", p.Status, p.Header.Get("Location"), p.Body)
	}
	if c := b.Get("/console"); c.Status != http.StatusOK {
		fs.t.Fatalf("the console answered %d after signing in", c.Status)
	}
}

// refused checks that a callback answered the failure page with code and
// logged its reason, and that the browser holds no session.
func (fs *fedServer) refused(b *browser, p page, status int, code string) {
	fs.t.Helper()
	if p.Status != status {
		fs.t.Fatalf("callback answered %d, want %d (%s):\n%s", p.Status, status, code, fs.Log.String())
	}
	if log := fs.Log.String(); !strings.Contains(log, `msg="federated login failed"`) || !strings.Contains(log, " code="+code+" reason=") {
		fs.t.Fatalf("the log does not give the reason %s:\n%s", code, fs.Log.String())
	}
	if c := b.Get("/console"); c.Status == http.StatusOK {
		fs.t.Fatalf("a refused federation left a session")
	}
	if k := b.Get("/login/key"); k.Status == http.StatusOK && strings.Contains(k.Body, `name="method"`) {
		fs.t.Fatalf("a refused federation reached the key step")
	}
}

func TestFederationSignsInThroughTheProvider(t *testing.T) {
	fs := newFedServer(t, nil)
	b := newBrowser(t, fs.URL)
	home := b.Get("/")
	home.Has(t, "d アカウントでログイン", `href="/login/oidc"`)
	auth := fs.toProvider(b)
	u, _ := url.Parse(auth)
	q := u.Query()
	if !strings.HasPrefix(auth, fs.OP.URL) || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" ||
		q.Get("state") == "" || q.Get("nonce") == "" || q.Get("scope") != "openid" || q.Get("client_id") != anshintest.OPClientID {
		t.Fatalf("authorization request %s lacks PKCE S256, state, nonce or scope openid", auth)
	}
	cb := fs.signInAtProvider(b, auth, demo.RepresentativeID)
	p := fs.callback(b, cb)
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/login/key" {
		t.Fatalf("callback answered %d %q, want 303 to the key step:\n%s", p.Status, p.Header.Get("Location"), p.Body)
	}
	fs.signedInAfter(b, demo.GroupAnshin)
	if !strings.Contains(fs.Log.String(), "event=federation outcome=success") {
		t.Errorf("no federation event in the log:\n%s", fs.Log.String())
	}
}

// The flow after federation is today's: an initial password is asked.
func TestFederationKeepsTheInitialPassword(t *testing.T) {
	fs := newFedServer(t, nil)
	b := newBrowser(t, fs.URL)
	if p := fs.callback(b, fs.federate(b, demo.PendingAdminID)); p.Status != http.StatusSeeOther {
		t.Fatalf("callback answered %d:\n%s", p.Status, p.Body)
	}
	b.Post("/login/key/issue", url.Values{"method": {"sms"}})
	msgs := fs.deliver()
	p := b.Post("/login/key/verify", url.Values{"key": {keyIn(t, msgs[len(msgs)-1].Body)}, "group_id": {demo.GroupAnshin}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/login/initial-password" {
		t.Fatalf("key entry answered %d %q, want the initial password", p.Status, p.Header.Get("Location"))
	}
}

// A subject with no account answers not_registered at the key step.
func TestFederationUnknownSubjectIsNotRegistered(t *testing.T) {
	fs := newFedServer(t, nil)
	b := newBrowser(t, fs.URL)
	if p := fs.callback(b, fs.federate(b, "stranger")); p.Status != http.StatusSeeOther {
		t.Fatalf("callback answered %d:\n%s", p.Status, p.Body)
	}
	if k := b.Get("/login/key"); k.Status != http.StatusOK {
		t.Fatalf("/login/key answered %d:\n%s", k.Status, k.Body)
	}
	p := b.Post("/login/key/issue", url.Values{"method": {"sms"}})
	if p.Status != http.StatusForbidden {
		t.Fatalf("issuing answered %d, want 403 not_registered:\n%s", p.Status, p.Body)
	}
	p.Has(t, "ご契約グループにも管理者として登録されていない")
	if msgs := fs.deliver(); len(msgs) != 0 {
		t.Fatalf("a key went out for a subject with no account: %v", msgs)
	}
}

func TestFederationRefusesStateTamperedOrReplayed(t *testing.T) {
	fs := newFedServer(t, nil)
	b := newBrowser(t, fs.URL)
	cb := fs.federate(b, demo.RepresentativeID)
	fs.refused(b, fs.callback(b, withQuery(t, cb, "state", "forged")), http.StatusBadRequest, "federation_state_invalid")
	// The flow was taken by the first try: even the right state fails now.
	fs.refused(b, fs.callback(b, cb), http.StatusBadRequest, "federation_state_invalid")

	b2 := newBrowser(t, fs.URL)
	cb = fs.federate(b2, demo.RepresentativeID)
	if p := fs.callback(b2, cb); p.Status != http.StatusSeeOther {
		t.Fatalf("callback answered %d:\n%s", p.Status, p.Body)
	}
	fs.refused(b2, fs.callback(b2, cb), http.StatusBadRequest, "federation_state_invalid") // replayed

	// Another browser (no flow cookie) cannot use the callback either.
	b3 := newBrowser(t, fs.URL)
	cb = fs.federate(newBrowser(t, fs.URL), demo.RepresentativeID)
	fs.refused(b3, fs.callback(b3, cb), http.StatusBadRequest, "federation_state_invalid")
}

func TestFederationRefusesExpiredToken(t *testing.T) {
	fs := newFedServer(t, nil)
	b := newBrowser(t, fs.URL)
	cb := fs.federate(b, demo.RepresentativeID)
	fs.Clock.Advance(2 * time.Hour) // the provider's ID tokens live an hour; the flow three
	fs.refused(b, fs.callback(b, cb), http.StatusUnauthorized, "federation_token_invalid")
	if !strings.Contains(fs.Log.String(), "expired") {
		t.Errorf("the log does not say the token expired")
	}
}

func TestFederationRefusesForgedToken(t *testing.T) {
	fs := newFedServer(t, nil)
	b := newBrowser(t, fs.URL)
	fs.OP.Storage.Spoil(func(s *anshintest.OPStorage) { s.Signer = anshintest.NewRSAKey(t, "key-1") }) // same kid, another key
	fs.refused(b, fs.callback(b, fs.federate(b, demo.RepresentativeID)), http.StatusUnauthorized, "federation_token_invalid")

	b = newBrowser(t, fs.URL)
	fs.OP.Storage.Spoil(func(s *anshintest.OPStorage) { s.Signer = anshintest.NewRSAKey(t, "unpublished") })
	fs.refused(b, fs.callback(b, fs.federate(b, demo.RepresentativeID)), http.StatusUnauthorized, "federation_token_invalid")
	if n := strings.Count(fs.Log.String(), "signature"); n < 2 {
		t.Errorf("the log names the signature %d times, want 2:\n%s", n, fs.Log.String())
	}
}

func TestFederationRefusesWrongAudience(t *testing.T) {
	fs := newFedServer(t, nil)
	b := newBrowser(t, fs.URL)
	fs.OP.Storage.Spoil(func(s *anshintest.OPStorage) { s.OtherClient = true })
	fs.refused(b, fs.callback(b, fs.federate(b, demo.RepresentativeID)), http.StatusUnauthorized, "federation_token_invalid")
	if !strings.Contains(fs.Log.String(), `expected audience \"anshin\"`) {
		t.Errorf("the log does not name the audience:\n%s", fs.Log.String())
	}
}

func TestFederationRefusesNonceMismatch(t *testing.T) {
	fs := newFedServer(t, nil)
	b := newBrowser(t, fs.URL)
	fs.OP.Storage.Spoil(func(s *anshintest.OPStorage) { s.Nonce = "someone-elses-nonce" })
	fs.refused(b, fs.callback(b, fs.federate(b, demo.RepresentativeID)), http.StatusUnauthorized, "federation_token_invalid")
	if !strings.Contains(fs.Log.String(), "nonce") {
		t.Errorf("the log does not name the nonce")
	}
}

func TestFederationAccessDeniedAndProviderErrors(t *testing.T) {
	fs := newFedServer(t, nil)
	b := newBrowser(t, fs.URL)
	auth, _ := url.Parse(fs.toProvider(b))
	state := auth.Query().Get("state")
	// What the provider sends back when the user refuses consent.
	denied := fs.URL + config.OIDCCallbackPath + "?error=access_denied&error_description=user+cancelled&state=" + url.QueryEscape(state)
	p := fs.callback(b, denied)
	fs.refused(b, p, http.StatusForbidden, "federation_denied")
	p.Has(t, "同意されませんでした")

	// The same page in English.
	b = newBrowser(t, fs.URL)
	b.Get("/?lang=en").Has(t, "Log in with d ACCOUNT")
	auth, _ = url.Parse(fs.toProvider(b))
	p = fs.callback(b, fs.URL+config.OIDCCallbackPath+"?error=access_denied&state="+url.QueryEscape(auth.Query().Get("state")))
	fs.refused(b, p, http.StatusForbidden, "federation_denied")
	p.Has(t, "consent was not given")

	b = newBrowser(t, fs.URL)
	auth, _ = url.Parse(fs.toProvider(b))
	fs.refused(b, fs.callback(b, fs.URL+config.OIDCCallbackPath+"?error=server_error&state="+url.QueryEscape(auth.Query().Get("state"))),
		http.StatusBadGateway, "federation_error")

	// A code the provider never gave: its token endpoint answers an error.
	b = newBrowser(t, fs.URL)
	cb := fs.federate(b, demo.RepresentativeID)
	fs.refused(b, fs.callback(b, withQuery(t, cb, "code", "not-a-code")), http.StatusBadGateway, "federation_error")
}

func TestFederationProviderDownOrSlow(t *testing.T) {
	fs := newFedServer(t, nil, func(a *app.App, cfg *config.Config) {
		a.Web.OIDC = withFederationTimeout(cfg.OIDC, time.Now, 500*time.Millisecond)
	})
	// Slow: the token endpoint does not answer in time.
	b := newBrowser(t, fs.URL)
	cb := fs.federate(b, demo.RepresentativeID)
	fs.OP.Hold = make(chan struct{})
	release := sync.OnceFunc(func() { close(fs.OP.Hold) })
	defer release() // a failure must not leave the provider's handler waiting
	fs.refused(b, fs.callback(b, cb), http.StatusServiceUnavailable, "federation_unavailable")
	release()

	// Down: the provider is gone between the login at it and the callback.
	b = newBrowser(t, fs.URL)
	cb = fs.federate(b, demo.RepresentativeID)
	fs.OP.Hold = nil
	fs.OP.Close()
	fs.refused(b, fs.callback(b, cb), http.StatusServiceUnavailable, "federation_unavailable")
}

// Down at start: anshin starts, says so on /readyz and in the log, and the
// login page answers a clear page until the provider answers.
func TestFederationProviderDownAtStart(t *testing.T) {
	fs := newFedServer(t, nil, func(a *app.App, cfg *config.Config) {
		cfg.OIDC.Issuer = "http://127.0.0.1:1" // nothing listens there
		a.Web.OIDC = withFederationTimeout(cfg.OIDC, time.Now, 500*time.Millisecond)
		a.Web.ReadyChecks["oidc_provider"] = a.Web.OIDC.Ready
	})
	r := fs.request(http.MethodGet, "/readyz", nil)
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Raw), `"oidc_provider":"failing"`) {
		t.Fatalf("/readyz = %d %s, want oidc_provider failing", r.Status, r.Raw)
	}
	b := newBrowser(t, fs.URL)
	p := b.Get("/login/oidc")
	fs.refused(b, p, http.StatusServiceUnavailable, "federation_unavailable")
	p.Has(t, "応答がありませんでした")
}

// The provider rotates its signing key between two logins: anshin fetches
// the new key set and goes on.
func TestFederationFollowsKeyRotation(t *testing.T) {
	fs := newFedServer(t, nil)
	b := newBrowser(t, fs.URL)
	if p := fs.callback(b, fs.federate(b, demo.RepresentativeID)); p.Status != http.StatusSeeOther {
		t.Fatalf("first login: %d\n%s", p.Status, p.Body)
	}
	fs.OP.Storage.Rotate(anshintest.NewRSAKey(t, "key-2"))
	b = newBrowser(t, fs.URL)
	if p := fs.callback(b, fs.federate(b, demo.RepresentativeID)); p.Status != http.StatusSeeOther {
		t.Fatalf("login after the key rotation: %d\n%s\n%s", p.Status, p.Body, fs.Log.String())
	}
	fs.signedInAfter(b, demo.GroupAnshin)
}

// ANSHIN_PASSWORD_LOGIN=off: the password step is gone from pages and API.
func TestPasswordLoginOff(t *testing.T) {
	const token = "operator-token-0123456789"
	fs := newFedServer(t, map[string]string{"ANSHIN_PASSWORD_LOGIN": "off", "ANSHIN_OPERATOR_TOKEN": token})
	// The operator provisions accounts without a password.
	r := fs.request(http.MethodPut, "/api/v1/operator/accounts/fed-only", map[string]any{"kind": "d_account"}, "Authorization", "Bearer "+token)
	wantStatus(t, r, http.StatusCreated)

	b := newBrowser(t, fs.URL)
	login := b.Get("/login")
	if strings.Contains(login.Body, `name="login_id"`) {
		t.Fatalf("the login page still asks for a login ID:\n%s", login.Body)
	}
	login.Has(t, `href="/login/oidc"`)
	if p := b.Post("/login", url.Values{"login_id": {demo.RepresentativeID}}); p.Status != http.StatusForbidden {
		t.Fatalf("POST /login answered %d, want 403", p.Status)
	}
	if p := b.Get("/login/password"); p.Status != http.StatusForbidden {
		t.Fatalf("GET /login/password answered %d, want 403", p.Status)
	}
	r = fs.postJSON("/api/v1/login", map[string]string{"login_id": demo.RepresentativeID})
	wantError(t, r, http.StatusForbidden, "password_login_disabled")
	r = fs.postJSON("/api/v1/login/x/password", map[string]string{"password": demo.Password})
	wantError(t, r, http.StatusForbidden, "password_login_disabled")
	// Federation still signs in.
	if p := fs.callback(b, fs.federate(b, demo.RepresentativeID)); p.Status != http.StatusSeeOther {
		t.Fatalf("callback answered %d:\n%s", p.Status, p.Body)
	}
	fs.signedInAfter(b, demo.GroupAnshin)
}
