package web_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/app"
	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/demo"
	"github.com/anshin/anshin/internal/oidc"
)

// fedServer is anshin with federation, on a listener chosen first so that
// ANSHIN_PUBLIC_URL (and the redirect URI) is known before it starts.
type fedServer struct {
	*testServer
	OP *anshintest.OP
}

// withFederationTimeout makes each call to the provider give up sooner.
func withFederationTimeout(cfg config.OIDC, now func() time.Time, d time.Duration) *oidc.Client {
	return oidc.New(oidc.Config{Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		RedirectURL: cfg.RedirectURL, LoginClaim: cfg.LoginClaim, Now: now, Timeout: d})
}

// newFedServer starts a provider and anshin federated with it; env adds
// variables (ANSHIN_PASSWORD_LOGIN=off, …); the provider knows the demo
// accounts' login IDs and "stranger", who has no account.
func newFedServer(t *testing.T, env map[string]string, adjust ...func(*app.App, *config.Config)) *fedServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	publicURL := "http://" + ln.Addr().String()
	o := anshintest.NewOP(t, publicURL+config.OIDCCallbackPath, demo.RepresentativeID, demo.PendingAdminID, "stranger")
	secretKey := make([]byte, 32)
	rand.Read(secretKey)
	vars := map[string]string{
		"ANSHIN_SECRET_KEY":         hex.EncodeToString(secretKey),
		"ANSHIN_MAIL_FROM":          "anshin@example.jp",
		"ANSHIN_BOUNCE_DOMAIN":      testBounceDomain,
		"ANSHIN_PUBLIC_URL":         publicURL,
		"ANSHIN_OIDC_ISSUER":        o.URL,
		"ANSHIN_OIDC_CLIENT_ID":     anshintest.OPClientID,
		"ANSHIN_OIDC_CLIENT_SECRET": anshintest.OPClientSecret,
		"ANSHIN_FLOW_TTL":           "3h",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] }, true)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cfg.Argon2 = anshintest.CheapArgon2
	path := filepath.Join(t.TempDir(), "anshin.db")
	db := anshintest.MustOpenDBAt(t, path)
	// The provider's clock is the real one: anshin's starts there.
	clock := anshintest.NewClock(time.Now().UTC().Truncate(time.Second))
	logBuf := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(cfg, db, clock.Now, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(context.Background(), a.Operator, db); err != nil {
		t.Fatalf("demo data: %v", err)
	}
	for _, f := range adjust {
		f(a, cfg)
	}
	handler, err := a.NewHandler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(handler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	ts := &testServer{t: t, URL: srv.URL, DBPath: path, DB: db, Outbox: a.Outbox, Worker: a.Worker, Login: a.Login,
		Log: logBuf, Clock: clock, Client: srv.Client(), Keys: a.Keys}
	return &fedServer{testServer: ts, OP: o}
}

// location resolves p's Location against base.
func location(t *testing.T, base string, p page) string {
	t.Helper()
	loc := p.Header.Get("Location")
	if loc == "" {
		t.Fatalf("status %d without a Location:\n%s", p.Status, p.Body)
	}
	b, _ := url.Parse(base)
	u, err := b.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u.String()
}

var opRequestID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// toProvider chooses d アカウントでログイン on anshin's login page and
// returns the provider's authorization URL it was sent to.
func (fs *fedServer) toProvider(b *browser) string {
	fs.t.Helper()
	login := b.Get("/login")
	login.Has(fs.t, `href="/login/oidc"`)
	p := b.Get("/login/oidc")
	if p.Status != http.StatusFound {
		fs.t.Fatalf("/login/oidc answered %d, want 302 to the provider:\n%s", p.Status, p.Body)
	}
	return location(fs.t, fs.URL, p)
}

// signInAtProvider walks the provider's own pages (its login form) as sub
// and returns the callback URL the provider sends the browser back to.
func (fs *fedServer) signInAtProvider(b *browser, authURL, sub string) string {
	fs.t.Helper()
	u := authURL
	for range 10 {
		if strings.HasPrefix(u, fs.URL) {
			return u
		}
		p := b.Get(u)
		switch {
		case p.Status == http.StatusOK && strings.Contains(p.Body, `name="username"`):
			m := opRequestID.FindStringSubmatch(p.Body)
			if m == nil {
				fs.t.Fatalf("the provider's login page has no request id:\n%s", p.Body)
			}
			p = b.Post(fs.OP.URL+"/login/username", url.Values{"username": {sub + "@op"}, "password": {anshintest.OPPassword}, "id": {m[1]}})
			if p.Status != http.StatusFound {
				fs.t.Fatalf("the provider refused the login: %d\n%s", p.Status, p.Body)
			}
		case p.Status/100 != 3:
			fs.t.Fatalf("GET %s: %d\n%s", u, p.Status, p.Body)
		}
		u = location(fs.t, u, p)
	}
	fs.t.Fatalf("the provider never sent the browser back")
	return ""
}

// federate goes from anshin's login page through the provider as sub and
// returns the callback URL, not yet visited.
func (fs *fedServer) federate(b *browser, sub string) string {
	fs.t.Helper()
	return fs.signInAtProvider(b, fs.toProvider(b), sub)
}

// callback visits the callback URL on anshin.
func (fs *fedServer) callback(b *browser, u string) page {
	fs.t.Helper()
	return b.Get(u)
}

// withQuery returns u with key set to value.
func withQuery(t *testing.T, u, key, value string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Query()
	q.Set(key, value)
	p.RawQuery = q.Encode()
	return p.String()
}
