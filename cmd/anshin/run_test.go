package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshintest"
)

// syncBuffer is a bytes.Buffer that run's goroutines and the test share.
type syncBuffer = anshintest.SyncBuffer

// testEnv is the environment of a test run: a fresh database in a temp
// folder, a free port, cheap argon2 and no key cooldown; extra pairs are
// added or replace.
func testEnv(t *testing.T, extra ...string) map[string]string {
	t.Helper()
	env := map[string]string{
		"ANSHIN_HTTP_ADDR":         "127.0.0.1:0",
		"ANSHIN_DATABASE_URL":      "sqlite:" + filepath.Join(t.TempDir(), "anshin.db"),
		"ANSHIN_ARGON2_MEMORY_KIB": "1024",
		"ANSHIN_ARGON2_TIME":       "1",
		"ANSHIN_KEY_COOLDOWN":      "0s",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

func getenvFrom(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// runCommand runs a command to its end and returns what it wrote.
func runCommand(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut syncBuffer
	err = run(context.Background(), args, getenvFrom(env), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// runningServer is `anshin serve` running in a goroutine.
type runningServer struct {
	URL    string
	Stdout *syncBuffer
	Stderr *syncBuffer
	stop   context.CancelFunc
	done   chan error
}

var listening = regexp.MustCompile(`anshin listening on (http://\S+)\n`)

// startServe runs run(ctx, args...) until it prints where it listens; the
// test stops it with Stop.
func startServe(t *testing.T, env map[string]string, args ...string) *runningServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &runningServer{Stdout: &syncBuffer{}, Stderr: &syncBuffer{}, stop: cancel, done: make(chan error, 1)}
	go func() { s.done <- run(ctx, args, getenvFrom(env), strings.NewReader(""), s.Stdout, s.Stderr) }()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	// A failsafe against a hang, not a measurement.
	deadline := time.After(60 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if m := listening.FindStringSubmatch(s.Stdout.String()); m != nil {
			s.URL = m[1]
			return s
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("run returned before listening: %v\nstdout:\n%s\nstderr:\n%s", err, s.Stdout, s.Stderr)
		case <-deadline:
			t.Fatalf("run did not print where it listens\nstdout:\n%s\nstderr:\n%s", s.Stdout, s.Stderr)
		case <-tick.C:
		}
	}
}

// Stop cancels run's context and returns what run returned.
func (s *runningServer) Stop(t *testing.T) error {
	t.Helper()
	s.stop()
	select {
	case err := <-s.done:
		s.done <- err
		return err
	case <-time.After(60 * time.Second):
		t.Fatal("run did not return after its context was cancelled")
		return nil
	}
}

// browser is the shared test browser (anshintest.Browser), with this
// package's steps of a login beside its requests.
type browser struct{ *anshintest.Browser }

type page = anshintest.Page

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	return &browser{anshintest.Browse(t, base)}
}

// outboxMessage is one message of /dev/outbox.json.
type outboxMessage struct {
	ID      string `json:"id"`
	Channel string `json:"channel"`
	To      string `json:"to"`
	Body    string `json:"body"`
}

func (b *browser) outbox() []outboxMessage {
	b.T.Helper()
	p := b.Get("/dev/outbox.json")
	if p.Status != http.StatusOK {
		b.T.Fatalf("GET /dev/outbox.json: %d %s", p.Status, p.Body)
	}
	var out struct{ Messages []outboxMessage }
	if err := json.Unmarshal([]byte(p.Body), &out); err != nil {
		b.T.Fatalf("GET /dev/outbox.json: %v", err)
	}
	return out.Messages
}

func messageIDs(msgs []outboxMessage) map[string]bool {
	seen := map[string]bool{}
	for _, m := range msgs {
		seen[m.ID] = true
	}
	return seen
}

var keyInBody = regexp.MustCompile(`(?:^|[^0-9])([0-9]{8})(?:[^0-9]|$)`)

// awaitKey polls the development outbox until the workers delivered a
// message to `to` that is not in seen, and returns its key.
func (b *browser) awaitKey(to string, seen map[string]bool) string {
	b.T.Helper()
	deadline := time.After(60 * time.Second) // a failsafe, not a measurement
	for {
		for _, m := range b.outbox() {
			if m.To == to && !seen[m.ID] {
				k := keyInBody.FindAllStringSubmatch(m.Body, -1)
				if len(k) == 0 || len(k) > 2 || k[len(k)-1][1] != k[0][1] { // twice with the origin-bound line
					b.T.Fatalf("want one 8-digit key in %q", m.Body)
				}
				return k[0][1]
			}
		}
		select {
		case <-deadline:
			b.T.Fatalf("no key message to %s arrived in the outbox", to)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// issueKey issues a key by SMS on the key page and returns the page and
// the key delivered to the line.
func (b *browser) issueKey(line string) (page, string) {
	b.T.Helper()
	seen := messageIDs(b.outbox())
	p := b.Post("/login/key/issue", url.Values{"method": {"sms"}})
	p.Want(b.T, http.StatusOK)
	return p, b.awaitKey(line, seen)
}

func wrongKey(k string) string {
	last := k[len(k)-1]
	return k[:len(k)-1] + string('0'+(last-'0'+1)%10)
}

// toKeyPage logs an account in up to the key page.
func (b *browser) toKeyPage(loginID, password string) {
	b.T.Helper()
	p := b.Post("/login", url.Values{"login_id": {loginID}})
	p.WantRedirect(b.T, "/login/password")
	if b.Cookie("anshin_flow") == "" {
		b.T.Fatal("POST /login set no anshin_flow cookie")
	}
	b.Get("/login/password").Want(b.T, http.StatusOK, "パスワードの入力", loginID)
	b.Post("/login/password", url.Values{"password": {password}}).WantRedirect(b.T, "/login/key")
	b.Get("/login/key").Want(b.T, http.StatusOK, "ワンタイムキーの発行", "SMS", "電子メール")
}

const demoPassword = "demo-pass-1234"

var setupNowLink = regexp.MustCompile(`<a [^>]*href="/console/clomo"[^>]*>今すぐ設定</a>`)

func TestRunServeDemoPages(t *testing.T) {
	env := testEnv(t)
	srv := startServe(t, env, "serve", "--demo")
	for _, id := range []string{"demo-rep", "demo-admin", "demo-pass-1234", "Init2345x"} {
		if !strings.Contains(srv.Stdout.String(), id) {
			t.Errorf("the demo table on stdout lacks %q", id)
		}
	}
	var keys []string // every key issued, to look for in the log

	t.Run("representative", func(t *testing.T) {
		b := newBrowser(t, srv.URL)
		home := b.Get("/")
		home.Want(t, http.StatusOK, "管理画面にログイン")
		if !regexp.MustCompile(`<a [^>]*href="/login"[^>]*>管理画面にログイン</a>`).MatchString(home.Body) {
			t.Errorf("the home page has no link 管理画面にログイン to /login")
		}
		b.Get("/login").Want(t, http.StatusOK, "次へ")
		b.toKeyPage("demo-rep", demoPassword)

		p, key := b.issueKey("+819012345678")
		p.Want(t, http.StatusOK, "090-****-5678", "送信状況", "ワンタイムキーの入力", "代表番号 03-1234-5678")
		keys = append(keys, key)

		p = b.Post("/login/key/verify", url.Values{"key": {wrongKey(key)}, "group_id": {"anshin-shoji"}})
		p.Want(t, http.StatusUnauthorized, "ワンタイムキーが正しくないか、すでに無効です", "ログイン画面へ")
		if !strings.Contains(p.Body, `href="/login/key#issue"`) {
			t.Errorf("the key_invalid page has no link back to issuing")
		}
		// The right key after a wrong one is refused too.
		b.Post("/login/key/verify", url.Values{"key": {key}, "group_id": {"anshin-shoji"}}).Want(t, http.StatusUnauthorized, "ワンタイムキーが正しくないか")

		_, key = b.issueKey("+819012345678")
		keys = append(keys, key)
		p = b.Post("/login/key/verify", url.Values{"key": {key}, "group_id": {"anshin-shoji"}})
		p.WantRedirect(t, "/console?welcome=1")
		if b.Cookie("anshin_session") == "" {
			t.Fatal("no anshin_session cookie after sign-in")
		}
		if b.Cookie("anshin_flow") != "" {
			t.Error("the anshin_flow cookie survived the sign-in")
		}

		p = b.Get("/console?welcome=1")
		p.Want(t, http.StatusOK, "ご契約情報", "N0000001", "CLOMO 環境が未設定です", "今すぐ設定", "山田 太郎")
		if !setupNowLink.MatchString(p.Body) {
			t.Errorf("the dialog's 今すぐ設定 does not link to /console/clomo:\n%s", p.Body)
		}
		p = b.Get("/console")
		p.Want(t, http.StatusOK, "ご契約情報")
		if strings.Contains(p.Body, "CLOMO 環境が未設定です") {
			t.Error("the CLOMO dialog shows without ?welcome=1")
		}
		b.Get("/console/clomo").Want(t, http.StatusOK, "CLOMO 情報設定")

		b.Post("/logout", url.Values{}).WantRedirect(t, "/?signed_out=1")
		b.Get("/?signed_out=1").Want(t, http.StatusOK, "ログアウトしました")
		b.Get("/console").WantRedirect(t, "/login")
	})

	t.Run("admin with initial password", func(t *testing.T) {
		b := newBrowser(t, srv.URL)
		b.toKeyPage("demo-admin", demoPassword)
		p, key := b.issueKey("+818023456789")
		p.Want(t, http.StatusOK, "080-****-6789")
		keys = append(keys, key)

		b.Post("/login/key/verify", url.Values{"key": {key}, "group_id": {"anshin-shoji"}}).WantRedirect(t, "/login/initial-password")
		b.Get("/login/key").WantRedirect(t, "/login/initial-password")
		b.Get("/login/initial-password").Want(t, http.StatusOK, "初回認証パスワード")
		b.Post("/login/initial-password", url.Values{"initial_password": {"Wrong2345x"}}).
			Want(t, http.StatusUnauthorized, "初回認証パスワードが正しくありません")
		b.Post("/login/initial-password", url.Values{"initial_password": {"Init2345x"}}).WantRedirect(t, "/console?welcome=1")
		b.Get("/console?welcome=1").Want(t, http.StatusOK, "ご契約情報", "佐藤 花子", "CLOMO 環境が未設定です")
	})

	t.Run("group with CLOMO environment has no dialog", func(t *testing.T) {
		b := newBrowser(t, srv.URL)
		b.toKeyPage("demo-maildisabled", demoPassword)
		_, key := b.issueKey("+819056789012")
		keys = append(keys, key)
		b.Post("/login/key/verify", url.Values{"key": {key}, "group_id": {"hikari-kensetsu"}}).WantRedirect(t, "/console?welcome=1")
		p := b.Get("/console?welcome=1")
		p.Want(t, http.StatusOK, "ひかり建設株式会社")
		if strings.Contains(p.Body, "CLOMO 環境が未設定です") {
			t.Error("the CLOMO dialog shows for a group that has a CLOMO environment")
		}
	})

	if err := srv.Stop(t); err != nil {
		t.Fatalf("run returned %v after a graceful stop, want nil", err)
	}
	logText := srv.Stderr.String()
	if !strings.Contains(logText, "stopped") {
		t.Errorf("the log does not say the server stopped:\n%s", logText)
	}
	for _, s := range append(keys, "demo-pass-1234", "Init2345x") {
		if strings.Contains(logText, s) {
			t.Errorf("the log holds the secret %q", s)
		}
	}
}

func TestRunServeJSONAPIAndHealth(t *testing.T) {
	srv := startServe(t, testEnv(t), "serve", "--demo")
	b := newBrowser(t, srv.URL)
	b.Get("/healthz").Want(t, http.StatusOK, `"ok"`)
	b.Get("/dev/outbox").Want(t, http.StatusOK, "開発用送信箱")
	resp, err := http.Post(srv.URL+"/api/v1/login", "application/json", strings.NewReader(`{"login_id":"demo-rep"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/v1/login: %d", resp.StatusCode)
	}
	if err := srv.Stop(t); err != nil {
		t.Fatalf("run returned %v, want nil", err)
	}
}

// Without --demo and ANSHIN_DEV, the development outbox does not exist.
func TestRunServeWithoutDevHasNoOutbox(t *testing.T) {
	env := testEnv(t, "ANSHIN_SECRET_KEY", testSecretKey)
	srv := startServe(t, env, "serve")
	b := newBrowser(t, srv.URL)
	if p := b.Get("/dev/outbox.json"); p.Status != http.StatusNotFound {
		t.Errorf("GET /dev/outbox.json outside development: %d", p.Status)
	}
	if err := srv.Stop(t); err != nil {
		t.Fatalf("run returned %v, want nil", err)
	}
}

func TestRunBadConfiguration(t *testing.T) {
	tests := []struct {
		name  string
		env   []string
		names []string // variables the error must name
	}{
		{"key TTL", []string{"ANSHIN_KEY_TTL", "banana"}, []string{"ANSHIN_KEY_TTL"}},
		{"HTTP address", []string{"ANSHIN_HTTP_ADDR", "nonsense"}, []string{"ANSHIN_HTTP_ADDR"}},
		{"SMS driver", []string{"ANSHIN_SMS_DRIVER", "pigeon"}, []string{"ANSHIN_SMS_DRIVER"}},
		{"digits", []string{"ANSHIN_KEY_DIGITS", "4"}, []string{"ANSHIN_KEY_DIGITS"}},
		{"negative cooldown", []string{"ANSHIN_KEY_COOLDOWN", "-1s"}, []string{"ANSHIN_KEY_COOLDOWN"}},
		{"database", []string{"ANSHIN_DATABASE_URL", "mysql://x"}, []string{"ANSHIN_DATABASE_URL"}},
		{"several at once", []string{"ANSHIN_KEY_TTL", "banana", "ANSHIN_HTTP_ADDR", "nonsense", "ANSHIN_SMS_DRIVER", "pigeon"},
			[]string{"ANSHIN_KEY_TTL", "ANSHIN_HTTP_ADDR", "ANSHIN_SMS_DRIVER"}},
		{"port out of range", []string{"ANSHIN_HTTP_ADDR", "127.0.0.1:99999"}, []string{"ANSHIN_HTTP_ADDR"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, _, err := runCommand(t, testEnv(t, tt.env...), "", "serve", "--demo")
			if err == nil {
				t.Fatal("run accepted the bad configuration")
			}
			for _, name := range tt.names {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name %s", err, name)
				}
			}
			if strings.Contains(stdout, "listening") {
				t.Errorf("run listened despite the bad configuration")
			}
			if exitCode(err) != 1 {
				t.Errorf("exit code %d, want 1", exitCode(err))
			}
		})
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"bogus"},
		{"serve", "--no-such-flag"},
		{"migrate", "extra"},
		{"operator"},
		{"operator", "account"},
		{"operator", "account", "put"},
		{"operator", "account", "put", "a", "b"},
		{"operator", "admin", "put", "g1"},
		{"operator", "pigeon", "put", "x"},
		{"operator", "account", "delete", "x"},
	} {
		_, _, err := runCommand(t, testEnv(t), "", args...)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("run %q = %v, want a usage error", args, err)
			continue
		}
		if exitCode(err) != 2 || !strings.Contains(err.Error(), "usage: anshin") {
			t.Errorf("run %q: exit code %d, error %q", args, exitCode(err), err)
		}
	}
	_, _, err := runCommand(t, testEnv(t), "", "bogus")
	if !strings.Contains(err.Error(), `"bogus"`) {
		t.Errorf("the error does not name the unknown command: %v", err)
	}
	stdout, _, err := runCommand(t, testEnv(t), "", "help")
	if err != nil || !strings.Contains(stdout, "usage: anshin") {
		t.Errorf("help = %v, %q", err, stdout)
	}
}

func TestRunMigrateTwice(t *testing.T) {
	env := testEnv(t)
	out, _, err := runCommand(t, env, "", "migrate")
	if err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	if !regexp.MustCompile(`^migrations applied: [1-9][0-9]*\n$`).MatchString(out) {
		t.Errorf("first migrate said %q", out)
	}
	out, _, err = runCommand(t, env, "", "migrate")
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if out != "migrations applied: 0\n" {
		t.Errorf("second migrate said %q, want 0 applied", out)
	}
}

func TestRunOperatorCommands(t *testing.T) {
	env := testEnv(t)
	account := `{"kind":"business_d_account","password":"Ops-pass-5678","docomo_line":"090-8765-4321","contact_emails":["ops@example.jp"]}`
	put := func(stdin string, args ...string) (string, error) {
		t.Helper()
		out, _, err := runCommand(t, env, stdin, append([]string{"operator"}, args...)...)
		return out, err
	}
	for i, want := range []string{"created\n", "updated\n"} {
		out, err := put(account, "account", "put", "demo-x")
		if err != nil || out != want {
			t.Fatalf("put %d: %q, %v; want %q", i+1, out, err, want)
		}
	}

	bad := []struct {
		name, stdin, mention string
	}{
		{"bad JSON", `{"kind":`, "invalid_request"},
		{"empty input", ``, "invalid_request"},
		{"unknown field", `{"kind":"d_account","colour":"red"}`, "colour"},
		{"wrong type", `{"kind":"d_account","contact_emails":"ops@example.jp"}`, "contact_emails"},
		{"trailing data", account + `{"kind":"d_account"}`, "invalid_request"},
		{"bad docomo line", `{"kind":"d_account","docomo_line":"12345"}`, "docomo_line"},
		{"bad contact e-mail", `{"kind":"d_account","contact_emails":["nope"]}`, "contact_emails[0]"},
		{"bad kind", `{"kind":"x_account"}`, "kind"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			out, err := put(tt.stdin, "account", "put", "demo-x")
			if err == nil {
				t.Fatalf("accepted, said %q", out)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %s", err, tt.mention)
			}
		})
	}

	// The rest of the provisioning, then the account logs in on a server
	// over the same database.
	steps := []struct {
		stdin string
		args  []string
	}{
		{`{"management_number":"N0007777","representative_number":"03-9876-5432","contract":{"plan":"ベーシック","licenses":5}}`, []string{"group", "put", "ops-group"}},
		{`{"role":"representative","name":"運用 太郎","email":"rep@example.jp"}`, []string{"admin", "put", "ops-group", "demo-x"}},
		{`{"organization_name":"運用テスト株式会社"}`, []string{"clomo", "put", "ops-group"}},
	}
	for _, s := range steps {
		if out, err := put(s.stdin, s.args...); err != nil || out != "created\n" {
			t.Fatalf("operator %q: %q, %v", s.args, out, err)
		}
	}
	if _, err := put(`{"role":"owner","name":"x"}`, "admin", "put", "ops-group", "demo-x"); err == nil || !strings.Contains(err.Error(), "role") {
		t.Errorf("unknown role: %v, want an error naming role", err)
	}

	srv := startServe(t, env, "serve", "--demo")
	b := newBrowser(t, srv.URL)
	b.toKeyPage("demo-x", "Ops-pass-5678")
	_, key := b.issueKey("+819087654321")
	b.Post("/login/key/verify", url.Values{"key": {key}, "group_id": {"ops-group"}}).WantRedirect(t, "/console?welcome=1")
	p := b.Get("/console?welcome=1")
	p.Want(t, http.StatusOK, "N0007777", "運用テスト株式会社")
	if strings.Contains(p.Body, "CLOMO 環境が未設定です") {
		t.Error("the CLOMO dialog shows for a group with a CLOMO environment")
	}
	if err := srv.Stop(t); err != nil {
		t.Fatalf("run returned %v, want nil", err)
	}
}
