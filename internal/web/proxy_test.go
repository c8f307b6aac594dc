package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/anshin/anshin/internal/demo"
	"github.com/anshin/anshin/internal/login"
)

// via is a client whose every request carries the given headers, as a
// reverse proxy (or a forger) would add them.
type via struct {
	ts     *testServer
	header []string
}

func (v via) post(path string, body any) apiResponse {
	v.ts.t.Helper()
	return v.ts.request(http.MethodPost, path, body, v.header...)
}

// guess starts a flow for an ID that does not exist and sends a wrong
// password: a failure counted for the client only.
func (v via) guess(id string) apiResponse {
	v.ts.t.Helper()
	r := v.post("/api/v1/login", map[string]string{"login_id": id})
	wantStatus(v.ts.t, r, http.StatusCreated)
	return v.post(flowPath(r.String("flow_id"), "password"), map[string]string{"password": "wrong"})
}

// signIn logs the representative in by SMS and returns the session token.
func (v via) signIn() string {
	ts := v.ts
	ts.t.Helper()
	r := v.post("/api/v1/login", map[string]string{"login_id": demo.RepresentativeID})
	wantStatus(ts.t, r, http.StatusCreated)
	flow := r.String("flow_id")
	wantStatus(ts.t, v.post(flowPath(flow, "password"), map[string]string{"password": demo.Password}), http.StatusOK)
	wantStatus(ts.t, v.post(flowPath(flow, "one-time-key"), map[string]string{"method": "sms"}), http.StatusOK)
	msgs := ts.deliver()
	if len(msgs) == 0 {
		ts.t.Fatal("no key was delivered")
	}
	r = v.post(flowPath(flow, "verify"), map[string]string{"key": keyIn(ts.t, msgs[len(msgs)-1].Body), "group_id": demo.GroupAnshin})
	wantStatus(ts.t, r, http.StatusOK)
	return r.String("session_token")
}

func wantClientInLog(t *testing.T, ts *testServer, client string) {
	t.Helper()
	if log := ts.Log.String(); !strings.Contains(log, "client_ip="+client) {
		t.Errorf("the request log does not name client %s:\n%s", client, log)
	}
}

// From a peer that is not a trusted proxy, forwarding headers are the
// client's own words: the throttle and the audit log go by the socket.
func TestSpoofedForwardingFromUntrustedPeerIgnored(t *testing.T) {
	ts := newTestServer(t, withTrustedProxies("10.0.0.0/8"), withLogin(func(c *login.Config) { c.PasswordFailuresPerClient = 3 }))
	rep := ts.signIn(demo.RepresentativeID, "sms", demo.GroupAnshin)
	forged := []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"}
	for i, ip := range forged[:2] { // two guesses and one wrong password: 3 failures
		h := via{ts, []string{"X-Forwarded-For", ip, "Forwarded", "for=" + ip}}
		wantError(t, h.guess("guess-"+ip), http.StatusUnauthorized, "invalid_credentials")
		if i == 0 {
			// One failure under the representative's ID, for the audit log.
			r := h.post("/api/v1/login", map[string]string{"login_id": demo.RepresentativeID})
			wantError(t, h.post(flowPath(r.String("flow_id"), "password"), map[string]string{"password": "wrong"}), http.StatusUnauthorized, "invalid_credentials")
		}
	}
	h := via{ts, []string{"X-Forwarded-For", forged[2]}}
	wantError(t, h.guess("guess-3"), http.StatusTooManyRequests, "rate_limited")
	if ev := ts.lastAudit(rep, "password_failed"); ev["client_ip"] != "127.0.0.1" {
		t.Errorf("password_failed client_ip %v, want the socket's 127.0.0.1", ev["client_ip"])
	}
	if strings.Contains(ts.Log.String(), "198.51.100.") {
		t.Errorf("the log names a forged address:\n%s", ts.Log)
	}
	wantClientInLog(t, ts, "127.0.0.1")
}

// From a trusted proxy, the right-most address that is not a trusted proxy
// is the client: in the audit log (login and console) and the request log.
func TestTrustedProxyNamesClient(t *testing.T) {
	ts := newTestServer(t, withTrustedProxies("127.0.0.0/8", "10.0.0.0/8"), withLogin(noCooldown))
	for _, tt := range []struct {
		header []string
		client string
	}{
		{[]string{"X-Forwarded-For", "203.0.113.1, 198.51.100.9, 10.1.2.3"}, "198.51.100.9"},
		{[]string{"Forwarded", `for="[2001:db8:cafe::17]:4711", for=10.1.2.3;proto=https`}, "2001:db8:cafe::17"},
		{[]string{"X-Forwarded-For", "198.51.100.9, junk"}, "127.0.0.1"},
	} {
		v := via{ts, tt.header}
		rep := v.signIn()
		if ev := ts.lastAudit(rep, "sign_in"); ev["client_ip"] != tt.client {
			t.Errorf("%v: sign_in client_ip %v, want %s", tt.header, ev["client_ip"], tt.client)
		}
		r := ts.request(http.MethodPut, "/api/v1/clomo", map[string]string{"organization_name": "安心商事 " + tt.client}, append(bearer(rep), tt.header...)...)
		if r.Status >= 300 {
			t.Fatalf("PUT /api/v1/clomo: %d %s", r.Status, r.Raw)
		}
		kind := "clomo_updated"
		if r.Status == http.StatusCreated {
			kind = "clomo_created"
		}
		if ev := ts.lastAudit(rep, kind); ev["client_ip"] != tt.client {
			t.Errorf("%v: console event client_ip %v, want %s", tt.header, ev["client_ip"], tt.client)
		}
	}
	wantClientInLog(t, ts, "198.51.100.9")
	wantClientInLog(t, ts, "2001:db8:cafe::17")
}

// Behind one trusted proxy, one client's wrong passwords throttle that
// client (and its /64) only: another client still logs in.
func TestClientBehindProxyDoesNotLockOutOthers(t *testing.T) {
	ts := newTestServer(t, withTrustedProxies("127.0.0.1/32"), withLogin(func(c *login.Config) { c.PasswordFailuresPerClient, c.KeyCooldown = 3, 0 }))
	a := via{ts, []string{"X-Forwarded-For", "2001:db8:1:2::a"}}
	for _, id := range []string{"guess-1", "guess-2", "guess-3"} {
		wantError(t, a.guess(id), http.StatusUnauthorized, "invalid_credentials")
	}
	wantError(t, a.guess("guess-4"), http.StatusTooManyRequests, "rate_limited")
	sameNet := via{ts, []string{"X-Forwarded-For", "2001:db8:1:2:ffff::b"}}
	wantError(t, sameNet.guess("guess-5"), http.StatusTooManyRequests, "rate_limited")

	b := via{ts, []string{"X-Forwarded-For", "2001:db8:1:3::b"}}
	if rep := b.signIn(); rep == "" {
		t.Fatal("client B got no session")
	}
	c := via{ts, []string{"X-Forwarded-For", "198.51.100.7"}}
	if rep := c.signIn(); rep == "" {
		t.Fatal("client C got no session")
	}
}

// Starting flows is limited per client, for the API and the page alike.
func TestFlowsPerClientRateLimited(t *testing.T) {
	ts := newTestServer(t, withTrustedProxies("127.0.0.1/32"), withLogin(func(c *login.Config) { c.FlowsPerClient = 3 }))
	a := via{ts, []string{"X-Forwarded-For", "198.51.100.1"}}
	for range 3 {
		wantStatus(t, a.post("/api/v1/login", map[string]string{"login_id": demo.RepresentativeID}), http.StatusCreated)
	}
	r := a.post("/api/v1/login", map[string]string{"login_id": demo.RepresentativeID})
	wantError(t, r, http.StatusTooManyRequests, "rate_limited")
	if r.ErrorField("retry_at") == nil || r.Header.Get("Retry-After") == "" {
		t.Errorf("rate_limited without when to retry: %s %v", r.Raw, r.Header)
	}
	br := newBrowser(t, ts.URL)
	p := br.Post("/login?lang=en", url.Values{"login_id": {demo.RepresentativeID}}, "X-Forwarded-For", "198.51.100.1")
	if p.Status != http.StatusTooManyRequests || br.Cookie("anshin_flow") != "" {
		t.Errorf("page form: status %d, flow cookie %q; want 429 and no flow", p.Status, br.Cookie("anshin_flow"))
	}
	p.Has(t, "For your security", "(Japan time)")

	b := via{ts, []string{"X-Forwarded-For", "198.51.100.2"}}
	wantStatus(t, b.post("/api/v1/login", map[string]string{"login_id": demo.RepresentativeID}), http.StatusCreated)
}

// X-Forwarded-Proto is believed only from a trusted proxy.
func TestForwardedProtoOnlyFromTrustedProxy(t *testing.T) {
	for _, tt := range []struct {
		trusted string
		secure  bool
	}{{"10.0.0.0/8", false}, {"127.0.0.1/32", true}} {
		ts := newTestServer(t, withTrustedProxies(tt.trusted))
		p := newBrowser(t, ts.URL).Get("/?lang=en", "X-Forwarded-Proto", "https")
		c := p.Header.Get("Set-Cookie")
		if !strings.HasPrefix(c, "anshin_lang=en") || strings.Contains(c, "Secure") != tt.secure {
			t.Errorf("trusted %s: Set-Cookie %q, want Secure %v", tt.trusted, c, tt.secure)
		}
		if h := p.Header.Get("Strict-Transport-Security"); h != "" {
			t.Errorf("HSTS %q without an https public URL", h)
		}
	}
}

// With an https public URL every cookie is __Host- and Secure, HSTS is
// sent, and a whole login in a browser works with those names.
func TestHTTPSPublicURLCookies(t *testing.T) {
	ts := newTestServer(t, withTLS(), withPublicURL("https://anshin.example.jp"))
	b := newBrowser(t, ts.URL)
	b.Client.Transport = ts.Client.Transport
	p := b.Get("/login?lang=en&size=large")
	if got := p.Header.Get("Strict-Transport-Security"); got != "max-age=63072000; includeSubDomains" {
		t.Errorf("Strict-Transport-Security = %q", got)
	}
	p = b.Post("/login", url.Values{"login_id": {demo.RepresentativeID}})
	p.WantRedirect(t, "/login/password")
	all := append(p.Header.Values("Set-Cookie"), "")
	for _, c := range append(all[:len(all)-1], b.Get("/?lang=ja").Header.Values("Set-Cookie")...) {
		if !strings.HasPrefix(c, "__Host-anshin_") || !strings.Contains(c, "; Secure") || !strings.Contains(c, "Path=/;") || strings.Contains(c, "Domain=") {
			t.Errorf("Set-Cookie %q: want __Host-, Secure, Path=/ and no Domain", c)
		}
	}
	if b.Cookie("__Host-anshin_flow") == "" || b.Cookie("anshin_flow") != "" {
		t.Fatalf("cookies %v, want __Host-anshin_flow only", b.Client.Jar)
	}
	b.Post("/login/password", url.Values{"password": {demo.Password}}).WantRedirect(t, "/login/key")
	b.Post("/login/key/issue", url.Values{"method": {"sms"}})
	msgs := ts.deliver()
	if len(msgs) == 0 {
		t.Fatal("no key was delivered")
	}
	p = b.Post("/login/key/verify", url.Values{"key": {keyIn(t, msgs[len(msgs)-1].Body)}, "group_id": {demo.GroupAnshin}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("verify: %d %s", p.Status, p.Body)
	}
	if b.Cookie("__Host-anshin_session") == "" {
		t.Fatal("no __Host-anshin_session after sign-in")
	}
	if p := b.Get("/console"); p.Status != http.StatusOK {
		t.Errorf("the console with the __Host- session: %d", p.Status)
	}
	r := ts.request(http.MethodGet, "/api/v1/session", nil, "Cookie", "__Host-anshin_session="+b.Cookie("__Host-anshin_session"))
	wantStatus(t, r, http.StatusOK)
	// The name without the prefix, which another site could plant, is not read.
	r = ts.request(http.MethodGet, "/api/v1/session", nil, "Cookie", "anshin_session="+b.Cookie("__Host-anshin_session"))
	wantError(t, r, http.StatusUnauthorized, "unauthorized")
}

// A browser's cross-site request is refused with the JSON error on the
// API and a localized page elsewhere; a bearer client sends neither Origin
// nor Sec-Fetch-Site and is not affected.
func TestCrossOriginRefusal(t *testing.T) {
	ts := newTestServer(t)
	rep := ts.signIn(demo.RepresentativeID, "sms", demo.GroupAnshin)
	for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
		r := ts.request(http.MethodDelete, "/api/v1/session?lang=en", nil, append([]string{"Cookie", "anshin_session=" + rep}, h...)...)
		wantError(t, r, http.StatusForbidden, "cross_origin_refused")
		if msg, _ := r.ErrorField("message").(string); !strings.Contains(msg, "another site") {
			t.Errorf("message %q is not the English text", msg)
		}
		r = ts.request(http.MethodPost, "/api/v1/login", map[string]string{"login_id": "x"}, h...)
		wantError(t, r, http.StatusForbidden, "cross_origin_refused")
	}
	p := newBrowser(t, ts.URL).Post("/logout", url.Values{}, "Sec-Fetch-Site", "cross-site", "Accept-Language", "ja")
	if p.Status != http.StatusForbidden || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
		t.Errorf("cross-site page POST: %d %s", p.Status, p.Header.Get("Content-Type"))
	}
	p.Has(t, "他のサイトから送られた要求")
	wantStatus(t, ts.session(rep), http.StatusOK)
	r := ts.request(http.MethodDelete, "/api/v1/session", nil, bearer(rep)...)
	if r.Status >= 300 {
		t.Errorf("bearer DELETE /api/v1/session: %d %s", r.Status, r.Raw)
	}
	wantError(t, ts.session(rep), http.StatusUnauthorized, "unauthorized")
}

// Every state-changing API route refuses a cross-site request that carries
// the session cookie, with the JSON error; the same requests with the
// bearer token go through to the handler.
func TestCrossOriginRefusedOnEveryStateChangingRoute(t *testing.T) {
	ts := newTestServer(t)
	rep := ts.signIn(demo.RepresentativeID, "sms", demo.GroupAnshin)
	flow := ts.toKeyStep(demo.RepresentativeID)
	routes := []consoleEndpoint{
		{http.MethodPost, "/api/v1/login", map[string]string{"login_id": demo.RepresentativeID}},
		{http.MethodPost, flowPath(flow, "password"), map[string]string{"password": demo.Password}},
		{http.MethodPost, flowPath(flow, "one-time-key"), map[string]string{"method": "sms"}},
		{http.MethodPost, flowPath(flow, "verify"), map[string]string{"key": "12345678", "group_id": demo.GroupAnshin}},
		{http.MethodPost, flowPath(flow, "initial-password"), map[string]string{"initial_password": "x"}},
	}
	for _, e := range consoleEndpoints(demo.PendingAdminID, demo.GroupSakura) {
		if e.method != http.MethodGet {
			routes = append(routes, e)
		}
	}
	for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}, {"Origin", "null"}} {
		for _, e := range routes {
			r := ts.request(e.method, e.path, e.body, append([]string{"Cookie", "anshin_session=" + rep}, h...)...)
			if r.Status != http.StatusForbidden || r.Code() != "cross_origin_refused" {
				t.Errorf("%s %s with %v: %d %s, want 403 cross_origin_refused", e.method, e.path, h, r.Status, r.Raw)
			}
		}
	}
	// Nothing happened: the session lives, the representative is still in
	// the group, no key was issued.
	wantStatus(t, ts.session(rep), http.StatusOK)
	if msgs := ts.deliver(); len(msgs) != 0 {
		t.Errorf("refused requests sent %d messages", len(msgs))
	}
	// A bearer client reaches the handlers.
	for _, e := range routes[5:] {
		if r := ts.request(e.method, e.path, e.body, bearer(rep)...); r.Code() == "cross_origin_refused" {
			t.Errorf("bearer %s %s was refused as cross-origin", e.method, e.path)
		}
	}
}
