package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/app"
	"github.com/anshin/anshin/internal/bounce"
	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/demo"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/secret"
	"github.com/anshin/anshin/internal/store/sqlstore"
)

// t0 is where the injected clock starts: a whole second, because the store
// keeps milliseconds.
var t0 = time.Date(2025, time.April, 1, 9, 0, 0, 0, time.UTC)

// testClock is the injected clock; only the test moves it.
type testClock = anshintest.Clock

// syncBuffer is a bytes.Buffer that the server's goroutines may share.
type syncBuffer = anshintest.SyncBuffer

// testServer is the whole server as cmd/anshin wires it, on a real SQLite
// file, with the demo data, an injected clock and a log that tests read.
type testServer struct {
	t      *testing.T
	URL    string
	DBPath string
	DB     *sqlstore.DB
	Outbox *delivery.DevOutbox
	Worker *delivery.Worker
	Login  *login.Service
	Log    *syncBuffer
	Clock  *testClock
	Client *http.Client
	Keys   *secret.Keyring
}

type serverOptions struct {
	login          func(*login.Config)
	operatorToken  string
	trustedProxies []netip.Prefix
	publicURL      string
	tls            bool
	ses            *bounce.SNS
	sendGrid       *bounce.SendGrid
	mailgun        *bounce.Mailgun
	postmark       *bounce.Postmark
	passkeys       bool
}

type option func(*serverOptions)

// withLogin adjusts the SPEC's default limits.
func withLogin(f func(*login.Config)) option { return func(o *serverOptions) { o.login = f } }

// withOperatorToken turns the operator API on.
func withOperatorToken(token string) option {
	return func(o *serverOptions) { o.operatorToken = token }
}

// withTrustedProxies sets ANSHIN_TRUSTED_PROXIES (CIDRs).
func withTrustedProxies(cidrs ...string) option {
	return func(o *serverOptions) {
		for _, c := range cidrs {
			o.trustedProxies = append(o.trustedProxies, netip.MustParsePrefix(c))
		}
	}
}

// withPublicURL sets ANSHIN_PUBLIC_URL.
func withPublicURL(u string) option { return func(o *serverOptions) { o.publicURL = u } }

// withTLS serves over https; Client trusts the test certificate.
// withPasskeys turns passkeys on, for the origin http://localhost:8080.
func withPasskeys() option { return func(o *serverOptions) { o.passkeys = true } }

func withTLS() option { return func(o *serverOptions) { o.tls = true } }

// withSES turns POST /api/v1/bounces/ses on.
func withSES(s *bounce.SNS) option { return func(o *serverOptions) { o.ses = s } }

// withSendGrid turns POST /api/v1/bounces/sendgrid on; its clock is the
// server's.
func withSendGrid(g *bounce.SendGrid) option { return func(o *serverOptions) { o.sendGrid = g } }

// withMailgun turns POST /api/v1/bounces/mailgun on; its clock is the
// server's.
func withMailgun(g *bounce.Mailgun) option { return func(o *serverOptions) { o.mailgun = g } }

// withPostmark turns POST /api/v1/bounces/postmark on.
func withPostmark(p *bounce.Postmark) option { return func(o *serverOptions) { o.postmark = p } }

// testBounceDomain is the test server's ANSHIN_BOUNCE_DOMAIN.
const testBounceDomain = "bounces.example.jp"

// noCooldown lets a test issue keys back to back.
func noCooldown(c *login.Config) { c.KeyCooldown = 0 }

func newTestServer(t *testing.T, opts ...option) *testServer {
	t.Helper()
	var o serverOptions
	for _, opt := range opts {
		opt(&o)
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "anshin.db")
	db := anshintest.MustOpenDBAt(t, path)
	secretKey := make([]byte, 32)
	rand.Read(secretKey)
	env := map[string]string{
		"ANSHIN_SECRET_KEY":     hex.EncodeToString(secretKey),
		"ANSHIN_MAIL_FROM":      "anshin@example.jp",
		"ANSHIN_BOUNCE_DOMAIN":  testBounceDomain,
		"ANSHIN_OPERATOR_TOKEN": o.operatorToken,
		"ANSHIN_PUBLIC_URL":     o.publicURL,
	}
	if o.passkeys { // the relying party of development: localhost
		env["ANSHIN_PASSKEYS"], env["ANSHIN_HTTP_ADDR"] = "true", "localhost:8080"
	}
	cfg, err := config.Load(func(k string) string { return env[k] }, true)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cfg.TrustedProxies = o.trustedProxies
	cfg.Argon2 = anshintest.CheapArgon2
	if o.login != nil {
		o.login(&cfg.Login)
	}
	clock := anshintest.NewClock(t0)
	logBuf := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(cfg, db, clock.Now, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(ctx, a.Operator, db); err != nil {
		t.Fatalf("demo data: %v", err)
	}
	if o.ses != nil {
		a.Web.SES = o.ses
	}
	if o.sendGrid != nil {
		o.sendGrid.Now = clock.Now
		a.Web.SendGrid = o.sendGrid
	}
	if o.mailgun != nil {
		o.mailgun.Now = clock.Now
		a.Web.Mailgun = o.mailgun
	}
	if o.postmark != nil {
		a.Web.Postmark = o.postmark
	}
	handler, err := a.NewHandler()
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	srv := httptest.NewUnstartedServer(handler)
	if o.tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return &testServer{t: t, URL: srv.URL, DBPath: path, DB: db, Outbox: a.Outbox, Worker: a.Worker, Login: a.Login,
		Log: logBuf, Clock: clock, Client: srv.Client(), Keys: a.Keys}
}

// apiResponse is one answer of the JSON API.
type apiResponse struct {
	Status int
	Header http.Header
	Raw    []byte
	JSON   map[string]any // nil when the body is not a JSON object
}

// Code is the error code of an error answer, "" otherwise.
func (r apiResponse) Code() string {
	if e, ok := r.JSON["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

// ErrorField returns a member of the error object.
func (r apiResponse) ErrorField(name string) any {
	if e, ok := r.JSON["error"].(map[string]any); ok {
		return e[name]
	}
	return nil
}

// String returns a top-level string member.
func (r apiResponse) String(name string) string {
	s, _ := r.JSON[name].(string)
	return s
}

// request sends body (a string or []byte is sent as it is, anything else as
// JSON) and reads the whole answer.
func (ts *testServer) request(method, path string, body any, header ...string) apiResponse {
	ts.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			ts.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, raw := anshintest.Send(ts.t, ts.Client, req, header...)
	r := apiResponse{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	var m map[string]any
	if json.Unmarshal(raw, &m) == nil {
		r.JSON = m
	}
	return r
}

// postJSON posts body to the API and returns the status and the JSON answer.
func (ts *testServer) postJSON(path string, body any) apiResponse {
	ts.t.Helper()
	return ts.request(http.MethodPost, path, body)
}

// wantStatus fails unless r has status.
func wantStatus(t *testing.T, r apiResponse, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Raw)
	}
}

// wantError fails unless r is the error answer of SPEC §5 with status and
// code and a message.
func wantError(t *testing.T, r apiResponse, status int, code string) {
	t.Helper()
	if r.Status != status || r.Code() != code {
		t.Fatalf("got status %d code %q, want %d %q; body %s", r.Status, r.Code(), status, code, r.Raw)
	}
	if msg, _ := r.ErrorField("message").(string); msg == "" {
		t.Fatalf("error %s has no message: %s", code, r.Raw)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error %s has Content-Type %q", code, ct)
	}
}

// keysOf returns the member names of m, sorted.
func keysOf(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func strs(v any) []string {
	list, _ := v.([]any)
	out := []string{}
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// Steps of the login flow through the API.

func flowPath(flow, step string) string { return "/api/v1/login/" + flow + "/" + step }

// start begins a flow and returns its flow_id.
func (ts *testServer) start(loginID string) string {
	ts.t.Helper()
	r := ts.postJSON("/api/v1/login", map[string]string{"login_id": loginID})
	wantStatus(ts.t, r, http.StatusCreated)
	flow := r.String("flow_id")
	if flow == "" || r.String("next") != "password" {
		ts.t.Fatalf("POST /api/v1/login = %s, want a flow_id and next password", r.Raw)
	}
	return flow
}

func (ts *testServer) password(flow, password string) apiResponse {
	ts.t.Helper()
	return ts.postJSON(flowPath(flow, "password"), map[string]string{"password": password})
}

// toKeyStep starts a flow for a demo account and passes the password.
func (ts *testServer) toKeyStep(loginID string) string {
	ts.t.Helper()
	flow := ts.start(loginID)
	r := ts.password(flow, demo.Password)
	wantStatus(ts.t, r, http.StatusOK)
	if r.String("next") != "one_time_key" {
		ts.t.Fatalf("password answer %s, want next one_time_key", r.Raw)
	}
	return flow
}

func (ts *testServer) issue(flow, method string) apiResponse {
	ts.t.Helper()
	return ts.postJSON(flowPath(flow, "one-time-key"), map[string]string{"method": method})
}

func (ts *testServer) verify(flow, key, group string) apiResponse {
	ts.t.Helper()
	return ts.postJSON(flowPath(flow, "verify"), map[string]string{"key": key, "group_id": group})
}

func (ts *testServer) initialPassword(flow, password string) apiResponse {
	ts.t.Helper()
	return ts.postJSON(flowPath(flow, "initial-password"), map[string]string{"initial_password": password})
}

// deliver runs the outbox worker until nothing is due and returns what it
// sent, oldest first.
func (ts *testServer) deliver() []delivery.Message {
	ts.t.Helper()
	return anshintest.Deliver(ts.t, ts.Worker, ts.Outbox)
}

func keyIn(t *testing.T, body string) string { t.Helper(); return anshintest.KeyIn(t, body) }

// issueKey issues a key that must be issued, delivers it and returns the
// answer, the key and the recipients it went to (in clear, as the outbox
// saw them).
// issueKey issues a key, delivers its messages and returns the answer,
// the first message's key and every recipient.
func (ts *testServer) issueKey(flow, method string) (apiResponse, string, []string) {
	ts.t.Helper()
	r, keys, to := ts.issueKeys(flow, method)
	return r, keys[to[0]], to
}

// issueKeys issues a key and returns the key each recipient got, which
// differ from each other (SPEC §2 step 4), and the recipients in order.
func (ts *testServer) issueKeys(flow, method string) (apiResponse, map[string]string, []string) {
	ts.t.Helper()
	r := ts.issue(flow, method)
	wantStatus(ts.t, r, http.StatusOK)
	msgs := ts.deliver()
	if len(msgs) == 0 {
		ts.t.Fatalf("issuing by %s delivered no message", method)
	}
	keys, seen := map[string]string{}, map[string]bool{}
	var to []string
	for _, m := range msgs {
		if m.Channel != method {
			ts.t.Fatalf("message on channel %q, want %q", m.Channel, method)
		}
		k := keyIn(ts.t, m.Body)
		if seen[k] || keys[m.To] != "" {
			ts.t.Fatalf("one issuance sent key %s twice, or two keys to %s", k, m.To)
		}
		seen[k], keys[m.To] = true, k
		to = append(to, m.To)
	}
	return r, keys, to
}

// signIn runs a whole login of a demo account that needs no initial
// password and returns the session token.
func (ts *testServer) signIn(loginID, method, group string) string {
	ts.t.Helper()
	flow := ts.toKeyStep(loginID)
	_, key, _ := ts.issueKey(flow, method)
	r := ts.verify(flow, key, group)
	wantStatus(ts.t, r, http.StatusOK)
	if r.String("next") != "done" || r.String("session_token") == "" {
		ts.t.Fatalf("verify answered %s, want next done with a session_token", r.Raw)
	}
	return r.String("session_token")
}

// session reads GET /api/v1/session with a bearer token.
func (ts *testServer) session(token string) apiResponse {
	ts.t.Helper()
	return ts.request(http.MethodGet, "/api/v1/session", nil, "Authorization", "Bearer "+token)
}

// wrongKey returns a key that differs from k in its last digit.
func wrongKey(k string) string {
	last := k[len(k)-1]
	return k[:len(k)-1] + string('0'+(last-'0'+1)%10)
}
