package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/demo"
)

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so that tests see each 303 and its Location.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	return &browser{t: t, base: base, c: anshintest.NewBrowser(t)}
}

// page is one answer as the browser saw it.
type page struct {
	Status int
	Header http.Header
	Body   string
}

func (p page) has(t *testing.T, parts ...string) {
	t.Helper()
	for _, s := range parts {
		if !strings.Contains(p.Body, s) {
			t.Errorf("the page lacks %q:\n%s", s, p.Body)
		}
	}
}

func (b *browser) do(method, path string, form url.Values, header ...string) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{Status: resp.StatusCode, Header: resp.Header, Body: string(raw)}
}

func (b *browser) get(path string, header ...string) page {
	b.t.Helper()
	return b.do(http.MethodGet, path, nil, header...)
}

func (b *browser) post(path string, form url.Values, header ...string) page {
	b.t.Helper()
	return b.do(http.MethodPost, path, form, header...)
}

// cookie returns the value the jar holds for name, "" if none.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// wantRedirect fails unless p is a 303 to location.
func wantRedirect(t *testing.T, p page, location string) {
	t.Helper()
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != location {
		t.Fatalf("got %d to %q, want 303 to %q\n%s", p.Status, p.Header.Get("Location"), location, p.Body)
	}
}

func TestPagesLanguageChoice(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t, ts.URL)

	p := b.get("/")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `<html lang="ja"`) {
		t.Fatalf("the default page is not Japanese: %d\n%s", p.Status, p.Body)
	}
	p.has(t, "管理画面にログイン")

	p = b.get("/?lang=en")
	p.has(t, `<html lang="en"`, "Log in to the admin console")
	if got := b.cookie("anshin_lang"); got != "en" {
		t.Fatalf("anshin_lang cookie = %q, want en", got)
	}
	// The choice sticks to the next page, which has no ?lang=.
	p = b.get("/login")
	p.has(t, `<html lang="en"`)
	if strings.Contains(p.Body, "次へ") {
		t.Errorf("the English login page still shows Japanese text")
	}
	// Pages answering a form post too.
	b.post("/login", url.Values{"login_id": {""}}).has(t, `<html lang="en"`, "Enter")

	b.get("/?lang=ja")
	b.get("/login").has(t, `<html lang="ja"`, "次へ")
}

func TestPagesAcceptLanguage(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t, ts.URL)
	p := b.get("/", "Accept-Language", "en-US,en;q=0.9")
	p.has(t, `<html lang="en"`, "Log in to the admin console")
	if b.cookie("anshin_lang") != "" {
		t.Errorf("Accept-Language alone set the language cookie")
	}
	b.get("/", "Accept-Language", "ja,en;q=0.5").has(t, `<html lang="ja"`)
	b.get("/", "Accept-Language", "fr-FR").has(t, `<html lang="ja"`)
	b.get("/", "Accept-Language", "!!garbage;;q=x").has(t, `<html lang="ja"`)

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
	b.get("/").has(t, `class="size-normal"`)
	b.get("/?size=large").has(t, `<html lang="ja" class="size-large">`)
	if got := b.cookie("anshin_size"); got != "large" {
		t.Fatalf("anshin_size cookie = %q, want large", got)
	}
	b.get("/login").has(t, `class="size-large"`)
	b.get("/login?size=bogus").has(t, `class="size-large"`)
	b.get("/login?size=normal").has(t, `class="size-normal"`)
}

func TestSecurityHeaders(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t, ts.URL)
	for _, p := range []page{
		b.get("/"),
		b.get("/login"),
		b.get("/no-such-page"),
		b.post("/login", url.Values{"login_id": {demo.RepresentativeID}}),
		b.get("/api/v1/session"),
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
	if p := b.get("/no-such-page"); p.Status != http.StatusNotFound {
		t.Errorf("unknown page: status %d", p.Status)
	}
}

// The flow and session cookies carry bearer secrets: HttpOnly, SameSite.
func TestSecretCookies(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t, ts.URL)
	p := b.post("/login", url.Values{"login_id": {demo.RepresentativeID}})
	wantRedirect(t, p, "/login/password")
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
	p := b.post("/login", form, "Sec-Fetch-Site", "cross-site")
	if p.Status != http.StatusForbidden {
		t.Errorf("cross-site POST /login: status %d, want 403", p.Status)
	}
	p = b.post("/login", form, "Origin", "https://evil.example")
	if p.Status != http.StatusForbidden {
		t.Errorf("POST /login from another origin: status %d, want 403", p.Status)
	}
	if b.cookie("anshin_flow") != "" {
		t.Errorf("a rejected cross-origin POST still started a flow")
	}
	// The same POST from the site itself works.
	wantRedirect(t, b.post("/login", form, "Sec-Fetch-Site", "same-origin"), "/login/password")
}

// The key page in the mail notification disabled case shows the skipped
// address, masked, and the two remedies of SPEC §2 step 3.
func TestKeyPageMailNotificationDisabled(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t, ts.URL)
	wantRedirect(t, b.post("/login", url.Values{"login_id": {demo.MailNotificationDisabledID}}), "/login/password")
	wantRedirect(t, b.post("/login/password", url.Values{"password": {demo.Password}}), "/login/key")
	p := b.post("/login/key/issue", url.Values{"method": {"email"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Errorf("status %d, want 422", p.Status)
	}
	p.has(t, "メール通知不可", "it********@example.co.jp", "SMS でワンタイムキーを発行してログインし", "他の管理者")
	if strings.Contains(p.Body, demo.MailNotificationDisabledAddress) {
		t.Errorf("the page shows the address in clear")
	}
}

// Pages without a flow or a session send the browser back to the start.
func TestPagesWithoutFlowOrSession(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t, ts.URL)
	for _, path := range []string{"/login/password", "/login/key", "/login/initial-password"} {
		p := b.get(path)
		if p.Status != http.StatusNotFound || !strings.Contains(p.Body, `action="/login"`) {
			t.Errorf("GET %s without a flow: status %d, want the login ID page with flow_not_found", path, p.Status)
		}
	}
	wantRedirect(t, b.get("/console"), "/login")
	wantRedirect(t, b.get("/console/clomo"), "/login")
	// A flow at the password step sends later pages back to it.
	wantRedirect(t, b.post("/login", url.Values{"login_id": {demo.RepresentativeID}}), "/login/password")
	wantRedirect(t, b.get("/login/key"), "/login/password")
	wantRedirect(t, b.post("/login/key/verify", url.Values{"key": {"12345678"}, "group_id": {demo.GroupAnshin}}), "/login/password")
}

// The key page after issuing: where the key went, its delivery status, the
// groups to choose from and what to check when no key arrives (SPEC §2
// steps 3 to 5).
func TestKeyPageAfterIssue(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t, ts.URL)
	wantRedirect(t, b.post("/login", url.Values{"login_id": {demo.MultiGroupID}}), "/login/password")
	wantRedirect(t, b.post("/login/password", url.Values{"password": {demo.Password}}), "/login/key")
	p := b.post("/login/key/issue", url.Values{"method": {"email"}})
	if p.Status != http.StatusOK {
		t.Fatalf("status %d\n%s", p.Status, p.Body)
	}
	p.has(t, "ワンタイムキーを発行しました", "wa******@example.co.jp", "k.********@example.co.jp", "送信状況", "送信待ち",
		"さくら物流株式会社（代表番号 06-6123-4567）", "ひかり建設株式会社（代表番号 092-123-4567）", "代表番号 052-123-4567",
		"wa******@example.co.jp に届いたワンタイムキーで開けます",
		"k.********@example.jp, wa**************@example.jp に届いたワンタイムキーで開けます",
		"ワンタイムキー（8 桁の数字）", "迷惑メールフォルダー", "anshin@example.jp")

	msgs := ts.deliver()
	if len(msgs) != 4 {
		t.Fatalf("%d messages, want one per address on the routes (4)", len(msgs))
	}
	p = b.get("/login/key")
	p.has(t, "送信済み")
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
	p = b.post("/login/key/verify", url.Values{"key": {other}, "group_id": {demo.GroupMidori}})
	p.has(t, "選んだご契約グループにはログインできません", "k.********@example.jp, wa**************@example.jp に届いたワンタイムキーを入力してください")
	wantRedirect(t, b.post("/login/key/verify", url.Values{"key": {key}, "group_id": {demo.GroupMidori}}), "/console?welcome=1")
	p = b.get("/console?welcome=1")
	p.has(t, "ご契約情報", "N0000003", "CLOMO 環境が未設定です")
	if strings.Contains(p.Body, key) {
		t.Errorf("the console page shows the key")
	}
}
