package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/app"
	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/demo"
	"github.com/anshin/anshin/internal/oidc"
)

// The upstream OpenID Provider of the federation tests is zitadel's, as its
// example server runs it (exampleop, with its login page), on a storage
// that lets a test choose the signing key (rotation, forgery) and spoil
// what the ID token says (audience, nonce).

const (
	opClientID     = "anshin"
	opClientSecret = "anshin-client-secret"
	opPassword     = "verysecure"
)

// opUsers are the provider's users; a user's ID is its sub.
type opUsers map[string]*storage.User

func (u opUsers) GetUserByID(id string) *storage.User { return u[id] }
func (u opUsers) GetUserByUsername(name string) *storage.User {
	for _, x := range u {
		if x.Username == name {
			return x
		}
	}
	return nil
}
func (u opUsers) ExampleClientID() string { return storage.ServiceUserID }

type rsaKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k *rsaKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *rsaKey) Key() any                                    { return k.key }
func (k *rsaKey) ID() string                                  { return k.id }

type rsaPublic struct{ *rsaKey }

func (k rsaPublic) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k rsaPublic) Use() string                        { return "sig" }
func (k rsaPublic) Key() any                           { return &k.key.PublicKey }

func newRSAKey(t *testing.T, id string) *rsaKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &rsaKey{id: id, key: k}
}

// opStorage is the example storage with the test's keys and spoilers.
type opStorage struct {
	*storage.Storage
	mu        sync.Mutex
	signer    *rsaKey
	published []*rsaKey
	// otherClient: the code is redeemed as otherClientID, whose ID token
	// anshin then receives (aud another client).
	otherClient bool
	nonce       string // non-empty: the ID token's nonce
}

const otherClientID, otherClientSecret = "another-client", "another-client-secret"

func (s *opStorage) SigningKey(context.Context) (op.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signer, nil
}

func (s *opStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *opStorage) KeySet(context.Context) ([]op.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []op.Key
	for _, k := range s.published {
		keys = append(keys, rsaPublic{k})
	}
	return keys, nil
}

func (s *opStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	ar, err := s.Storage.AuthRequestByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return spoiled{AuthRequest: ar, otherClient: s.otherClient, nonce: s.nonce}, nil
}

// rotate signs with a new key from now on and publishes only that one.
func (s *opStorage) rotate(k *rsaKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signer, s.published = k, []*rsaKey{k}
}

func (s *opStorage) spoil(f func(*opStorage)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

type spoiled struct {
	op.AuthRequest
	otherClient bool
	nonce       string
}

func (a spoiled) GetClientID() string {
	if a.otherClient {
		return otherClientID
	}
	return a.AuthRequest.GetClientID()
}

func (a spoiled) GetAudience() []string {
	if a.otherClient {
		return []string{otherClientID}
	}
	return a.AuthRequest.GetAudience()
}

func (a spoiled) GetNonce() string {
	if a.nonce != "" {
		return a.nonce
	}
	return a.AuthRequest.GetNonce()
}

// testOP is a running provider.
type testOP struct {
	URL     string
	Storage *opStorage
	srv     *httptest.Server
	// hold, when set, makes the token endpoint wait until it is closed.
	hold chan struct{}
}

// newTestOP starts a provider whose users are the given login IDs (each
// its sub, with the password opPassword) and whose client anshin is,
// with redirectURI.
func newTestOP(t *testing.T, redirectURI string, subs ...string) *testOP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	users := opUsers{}
	for _, sub := range subs {
		users[sub] = &storage.User{ID: sub, Username: sub + "@op", Password: opPassword}
	}
	clients := map[string]*storage.Client{opClientID: storage.WebClient(opClientID, opClientSecret, redirectURI),
		otherClientID: storage.WebClient(otherClientID, otherClientSecret, redirectURI)}
	k := newRSAKey(t, "key-1")
	st := &opStorage{Storage: storage.NewStorageWithClients(users, clients), signer: k, published: []*rsaKey{k}}
	o := &testOP{URL: issuer, Storage: st}
	// Its request log would fill the test's output; the example sets it
	// as the default logger.
	router := exampleop.SetupServer(issuer, st, slog.New(slog.DiscardHandler), false)
	o.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st.mu.Lock()
		other := st.otherClient
		st.mu.Unlock()
		if other && strings.HasSuffix(r.URL.Path, "/token") {
			r.SetBasicAuth(otherClientID, otherClientSecret)
		}
		if o.hold != nil && strings.HasSuffix(r.URL.Path, "/token") {
			select {
			case <-o.hold:
			case <-r.Context().Done():
			}
		}
		router.ServeHTTP(w, r)
	}))
	o.srv.Listener.Close()
	o.srv.Listener = ln
	o.srv.Start()
	t.Cleanup(o.srv.Close)
	return o
}

// fedServer is anshin with federation, on a listener chosen first so that
// ANSHIN_PUBLIC_URL (and the redirect URI) is known before it starts.
type fedServer struct {
	*testServer
	OP *testOP
}

type fedOption func(env map[string]string, a *app.App)

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
	o := newTestOP(t, publicURL+config.OIDCCallbackPath, demo.RepresentativeID, demo.PendingAdminID, "stranger")
	secretKey := make([]byte, 32)
	rand.Read(secretKey)
	vars := map[string]string{
		"ANSHIN_SECRET_KEY":         hex.EncodeToString(secretKey),
		"ANSHIN_MAIL_FROM":          "anshin@example.jp",
		"ANSHIN_BOUNCE_DOMAIN":      testBounceDomain,
		"ANSHIN_PUBLIC_URL":         publicURL,
		"ANSHIN_OIDC_ISSUER":        o.URL,
		"ANSHIN_OIDC_CLIENT_ID":     opClientID,
		"ANSHIN_OIDC_CLIENT_SECRET": opClientSecret,
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

// visit GETs an absolute URL with the browser's cookies, without following.
func (b *browser) visit(u string) page {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{Status: resp.StatusCode, Header: resp.Header, Body: string(raw)}
}

func (b *browser) postURL(u string, form url.Values) page {
	b.t.Helper()
	resp, err := b.c.PostForm(u, form)
	if err != nil {
		b.t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{Status: resp.StatusCode, Header: resp.Header, Body: string(raw)}
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
	login := b.get("/login")
	login.has(fs.t, `href="/login/oidc"`)
	p := b.get("/login/oidc")
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
		p := b.visit(u)
		switch {
		case p.Status == http.StatusOK && strings.Contains(p.Body, `name="username"`):
			m := opRequestID.FindStringSubmatch(p.Body)
			if m == nil {
				fs.t.Fatalf("the provider's login page has no request id:\n%s", p.Body)
			}
			p = b.postURL(fs.OP.URL+"/login/username", url.Values{"username": {sub + "@op"}, "password": {opPassword}, "id": {m[1]}})
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
	return b.visit(u)
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
