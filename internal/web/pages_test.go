package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/demo"
)

// browser is the shared test browser (anshintest.Browser), with this
// package's steps beside its requests.
type browser struct{ *anshintest.Browser }

type page = anshintest.Page

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	return &browser{anshintest.Browse(t, base)}
}

func TestPagesLanguageChoice(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t, ts.URL)

	p := b.Get("/")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `<html lang="ja"`) {
		t.Fatalf("the default page is not Japanese: %d\n%s", p.Status, p.Body)
	}
	p.Has(t, "管理画面にログイン")

	p = b.Get("/?lang=en")
	p.Has(t, `<html lang="en"`, "Log in to the admin console")
	if got := b.Cookie("anshin_lang"); got != "en" {
		t.Fatalf("anshin_lang cookie = %q, want en", got)
	}
	// The choice sticks to the next page, which has no ?lang=.
	p = b.Get("/login")
	p.Has(t, `<html lang="en"`)
	if strings.Contains(p.Body, "次へ") {
		t.Errorf("the English login page still shows Japanese text")
	}
	// Pages answering a form post too.
	b.Post("/login", url.Values{"login_id": {""}}).Has(t, `<html lang="en"`, "Enter")

	b.Get("/?lang=ja")
	b.Get("/login").Has(t, `<html lang="ja"`, "次へ")
}

func TestPagesAcceptLanguage(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t, ts.URL)
	p := b.Get("/", "Accept-Language", "en-US,en;q=0.9")
	p.Has(t, `<html lang="en"`, "Log in to the admin console")
	if b.Cookie("anshin_lang") != "" {
		t.Errorf("Accept-Language alone set the language cookie")
	}
	b.Get("/", "Accept-Language", "ja,en;q=0.5").Has(t, `<html lang="ja"`)
	b.Get("/", "Accept-Language", "fr-FR").Has(t, `<html lang="ja"`)
	b.Get("/", "Accept-Language", "!!garbage;;q=x").Has(t, `<html lang="ja"`)

	// The JSON API's messages follow the language too.
	api := ts.request(http.MethodPost, "/api/v1/login", []byte(`{}`), "Content-Type", "application/json", "Accept-Language", "en")
	wantError(t, api, http.StatusUnprocessableEntity, "invalid_field")
	if msg, _ := api.ErrorField("message").(string); msg == "" || strings.ContainsFunc(msg, func(r rune) bool { return r >= 0x3000 }) {
		t.Errorf("English API message = %q", msg)
	}
}

func TestPagesTextSize(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t, ts.URL)
	b.Get("/").Has(t, `class="size-normal"`)
	b.Get("/?size=large").Has(t, `<html lang="ja" class="size-large">`)
	if got := b.Cookie("anshin_size"); got != "large" {
		t.Fatalf("anshin_size cookie = %q, want large", got)
	}
	b.Get("/login").Has(t, `class="size-large"`)
	b.Get("/login?size=bogus").Has(t, `class="size-large"`)
	b.Get("/login?size=normal").Has(t, `class="size-normal"`)
}

func TestSecurityHeaders(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t, ts.URL)
	for _, p := range []page{
		b.Get("/"),
		b.Get("/login"),
		b.Get("/no-such-page"),
		b.Post("/login", url.Values{"login_id": {demo.RepresentativeID}}),
		b.Get("/api/v1/session"),
	} {
		csp := p.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("Content-Security-Policy = %q", csp)
		}
		if got := p.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("X-Content-Type-Options = %q", got)
		}
		if got := p.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("X-Frame-Options = %q", got)
		}
	}
	if p := b.Get("/no-such-page"); p.Status != http.StatusNotFound {
		t.Errorf("unknown page: status %d", p.Status)
	}
}

// The flow and session cookies carry bearer secrets: HttpOnly, SameSite.
func TestSecretCookies(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t, ts.URL)
	p := b.Post("/login", url.Values{"login_id": {demo.RepresentativeID}})
	p.WantRedirect(t, "/login/password")
	setCookie := p.Header.Get("Set-Cookie")
	for _, attr := range []string{"anshin_flow=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(setCookie, attr) {
			t.Errorf("Set-Cookie %q lacks %s", setCookie, attr)
		}
	}
}

func TestCrossOriginPostIsRejected(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t, ts.URL)
	form := url.Values{"login_id": {demo.RepresentativeID}}
	p := b.Post("/login", form, "Sec-Fetch-Site", "cross-site")
	if p.Status != http.StatusForbidden {
		t.Errorf("cross-site POST /login: status %d, want 403", p.Status)
	}
	p = b.Post("/login", form, "Origin", "https://evil.example")
	if p.Status != http.StatusForbidden {
		t.Errorf("POST /login from another origin: status %d, want 403", p.Status)
	}
	if b.Cookie("anshin_flow") != "" {
		t.Errorf("a rejected cross-origin POST still started a flow")
	}
	// The same POST from the site itself works.
	b.Post("/login", form, "Sec-Fetch-Site", "same-origin").WantRedirect(t, "/login/password")
}

// The key page in the mail notification disabled case shows the skipped
// address, masked, and the two remedies of SPEC §2 step 3.
func TestKeyPageMailNotificationDisabled(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t, ts.URL)
	b.Post("/login", url.Values{"login_id": {demo.MailNotificationDisabledID}}).WantRedirect(t, "/login/password")
	b.Post("/login/password", url.Values{"password": {demo.Password}}).WantRedirect(t, "/login/key")
	p := b.Post("/login/key/issue", url.Values{"method": {"email"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Errorf("status %d, want 422", p.Status)
	}
	p.Has(t, "メール通知不可", "it********@example.co.jp", "SMS でワンタイムキーを発行してログインし", "他の管理者")
	if strings.Contains(p.Body, demo.MailNotificationDisabledAddress) {
		t.Errorf("the page shows the address in clear")
	}
}

// Pages without a flow or a session send the browser back to the start.
func TestPagesWithoutFlowOrSession(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t, ts.URL)
	for _, path := range []string{"/login/password", "/login/key", "/login/initial-password"} {
		p := b.Get(path)
		if p.Status != http.StatusNotFound || !strings.Contains(p.Body, `action="/login"`) {
			t.Errorf("GET %s without a flow: status %d, want the login ID page with flow_not_found", path, p.Status)
		}
	}
	b.Get("/console").WantRedirect(t, "/login")
	b.Get("/console/clomo").WantRedirect(t, "/login")
	// A flow at the password step sends later pages back to it.
	b.Post("/login", url.Values{"login_id": {demo.RepresentativeID}}).WantRedirect(t, "/login/password")
	b.Get("/login/key").WantRedirect(t, "/login/password")
	b.Post("/login/key/verify", url.Values{"key": {"12345678"}, "group_id": {demo.GroupAnshin}}).WantRedirect(t, "/login/password")
}

// The key page after issuing: where the key went, its delivery status, the
// groups to choose from and what to check when no key arrives (SPEC §2
// steps 3 to 5).
func TestKeyPageAfterIssue(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t, ts.URL)
	b.Post("/login", url.Values{"login_id": {demo.MultiGroupID}}).WantRedirect(t, "/login/password")
	b.Post("/login/password", url.Values{"password": {demo.Password}}).WantRedirect(t, "/login/key")
	p := b.Post("/login/key/issue", url.Values{"method": {"email"}})
	if p.Status != http.StatusOK {
		t.Fatalf("status %d\n%s", p.Status, p.Body)
	}
	p.Has(t, "ワンタイムキーを発行しました", "wa******@example.co.jp", "k.********@example.co.jp", "送信状況", "送信待ち",
		"さくら物流株式会社（代表番号 06-6123-4567）", "ひかり建設株式会社（代表番号 092-123-4567）", "代表番号 052-123-4567",
		"wa******@example.co.jp に届いたワンタイムキーで開けます",
		"k.********@example.jp, wa**************@example.jp に届いたワンタイムキーで開けます",
		"ワンタイムキー（8 桁の数字）", "迷惑メールフォルダー", "anshin@example.jp")

	msgs := ts.deliver()
	if len(msgs) != 4 {
		t.Fatalf("%d messages, want one per address on the routes (4)", len(msgs))
	}
	p = b.Get("/login/key")
	p.Has(t, "送信済み")
	if strings.Contains(p.Body, "送信待ち") {
		t.Errorf("the page still shows a queued delivery after both were sent")
	}

	var key, other string
	for _, m := range msgs {
		switch m.To {
		case "k.watanabe@example.jp":
			key = keyIn(t, m.Body)
		case "watanabe@example.co.jp":
			other = keyIn(t, m.Body)
		}
	}
	// さくら's key does not open みどり: the page says whose does, and
	// the right key still works afterwards.
	p = b.Post("/login/key/verify", url.Values{"key": {other}, "group_id": {demo.GroupMidori}})
	p.Has(t, "選んだご契約グループにはログインできません", "k.********@example.jp, wa**************@example.jp に届いたワンタイムキーを入力してください")
	b.Post("/login/key/verify", url.Values{"key": {key}, "group_id": {demo.GroupMidori}}).WantRedirect(t, "/console?welcome=1")
	p = b.Get("/console?welcome=1")
	p.Has(t, "ご契約情報", "N0000003", "CLOMO 環境が未設定です")
	if strings.Contains(p.Body, key) {
		t.Errorf("the console page shows the key")
	}
}
