package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/testenv"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The browser tests drive the real server (run, as main does) from a real
// headless Chromium. ANSHIN_SCREENSHOTS=DIR also writes a PNG of each
// step there; the README's tour shows them:
//
//	ANSHIN_SCREENSHOTS=$PWD/docs/screenshots go test -run TestBrowser ./cmd/anshin/

//go:embed testdata/axe.min.js
var axeSource string

type chrome struct {
	t         *testing.T
	ctx       context.Context
	base      string
	http      *browser // reads the development outbox
	shots     string   // where screenshots go, "" for none
	prefix    string   // of screenshot names: "" for desktop, "mobile-"
	width     int64
	artifacts string
}

// newChrome starts a headless Chromium with its own profile against base.
func newChrome(t *testing.T, base string, width, height int64) *chrome {
	t.Helper()
	path := testenv.Require(t, testenv.Chromium)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(width), int(height)),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "ja-JP"),
		chromedp.Flag("accept-lang", "ja-JP,ja"),
	)
	// A failsafe against a hang, not a measurement.
	deadline, cancelDeadline := context.WithTimeout(context.Background(), 3*time.Minute)
	alloc, cancelAlloc := chromedp.NewExecAllocator(deadline, opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc(); cancelDeadline() })
	c := &chrome{t: t, ctx: ctx, base: base, http: newBrowser(t, base), shots: os.Getenv("ANSHIN_SCREENSHOTS"), width: width}
	if width < 600 {
		c.prefix = "mobile-"
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	// axe is injected by the test, not served by anshin: let it past the CSP.
	if _, err := chromedp.Call(ctx, cdppage.SetBypassCSP, cdppage.SetBypassCSPParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	return c
}

// fail saves a screenshot and the HTML of the page, then ends the test.
func (c *chrome) fail(format string, args ...any) {
	c.t.Helper()
	if c.artifacts == "" {
		c.artifacts, _ = os.MkdirTemp("", "anshin-browser-")
	}
	name := regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(c.t.Name(), "_")
	if png, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100)); err == nil {
		os.WriteFile(filepath.Join(c.artifacts, name+".png"), png, 0o644)
	}
	if html, err := chromedp.Run(c.ctx, chromedp.OuterHTML(chromedp.CSS("html"))); err == nil {
		os.WriteFile(filepath.Join(c.artifacts, name+".html"), []byte(html), 0o644)
	}
	c.t.Fatalf(format+"\n(screenshot and HTML saved in %s)", append(args, c.artifacts)...)
}

func (c *chrome) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, actions...); err != nil {
		c.fail("%s: %v", what, err)
	}
}

// open loads a page and waits for it.
func (c *chrome) open(path string) {
	c.t.Helper()
	c.do("open "+path, chromedp.Navigate(c.base+path))
}

// press clicks (or presses Enter on) something that loads a new page and
// waits for that page.
func (c *chrome) press(what string, trigger chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if _, err := chromedp.Run(c.ctx, chromedp.WaitEvent(cdppage.LoadEventFired, nil, trigger)); err != nil {
		c.fail("%s: %v", what, err)
	}
}

// click presses the element matching css.
func (c *chrome) click(css string) {
	c.t.Helper()
	c.press("click "+css, chromedp.Click(chromedp.CSS(css)))
}

// openMenu opens the console's menu as a user does on a phone, with a
// click on its button; a wider screen has no button and shows the
// navigation already. (Not c.click: opening the menu loads no page.)
func (c *chrome) openMenu() {
	c.t.Helper()
	if c.eval(`getComputedStyle(document.querySelector("details.menu > summary")).display`) == "none" {
		return
	}
	c.do("open the menu", chromedp.Click(chromedp.CSS("details.menu > summary")))
	if c.eval(`document.querySelector("details.menu").open ? "open" : ""`) != "open" {
		c.fail("the menu did not open on a click")
	}
}

func (c *chrome) fill(id, value string) {
	c.t.Helper()
	c.eval(`(document.getElementById(` + "`" + id + "`" + `).value = "", "")`)
	c.do("fill #"+id, chromedp.SendKeys(chromedp.ID(id), value))
}

// text is what the page shows.
func (c *chrome) text() string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		c.fail("read the page: %v", err)
	}
	return s
}

func (c *chrome) path() string {
	c.t.Helper()
	loc, err := chromedp.Run(c.ctx, chromedp.Location())
	if err != nil {
		c.fail("location: %v", err)
	}
	return strings.TrimPrefix(loc, c.base)
}

// see checks that the page shows every part.
func (c *chrome) see(parts ...string) {
	c.t.Helper()
	body := c.text()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			c.fail("the page %s does not show %q:\n%s", c.path(), p, body)
		}
	}
}

func (c *chrome) eval(expr string) string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		c.fail("evaluate %s: %v", expr, err)
	}
	return s
}

// waitFocus waits until the element with id has the focus: autofocus
// applies once the page is shown (the timeout is a failsafe, not a
// measurement).
func (c *chrome) waitFocus(id, when string) {
	c.t.Helper()
	_, err := chromedp.Run(c.ctx, chromedp.Poll[bool](`document.activeElement && document.activeElement.id === "`+id+`"`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		c.fail("%s, focus is on %q, not #%s", when, c.eval(`document.activeElement.id`), id)
	}
}

// shot writes a screenshot of the page when screenshots are wanted, and
// checks the page fits the viewport's width.
func (c *chrome) shot(name string) {
	c.t.Helper()
	if w := c.eval(`String(document.documentElement.scrollWidth)`); w != fmt.Sprint(c.width) {
		c.fail("%s: the page is %s px wide in a %d px viewport", name, w, c.width)
	}
	if c.shots == "" {
		return
	}
	png, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		c.fail("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(c.shots, 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.shots, c.prefix+name+".png"), png, 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// axe runs axe-core in the page and fails on serious or critical
// violations.
func (c *chrome) axe(name string) {
	c.t.Helper()
	if _, err := chromedp.Run(c.ctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
		c.fail("load axe: %v", err)
	}
	raw, err := chromedp.Run(c.ctx, chromedp.Evaluate[[]byte](
		`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.html)})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		c.fail("run axe: %v", err)
	}
	var violations []map[string]any
	json.Unmarshal(raw, &violations)
	if len(violations) > 0 {
		pretty, _ := json.MarshalIndent(violations, "", "  ")
		c.fail("%s: accessibility violations:\n%s", name, pretty)
	}
}

// check is what every page gets: accessibility and, if asked, a screenshot.
func (c *chrome) check(name string) {
	c.t.Helper()
	c.axe(name)
	c.shot(name)
}

// multiEmailKey logs demo-multi in to the key page, issues an e-mail key
// and returns the one sent to さくら's administrator e-mail.
func (c *chrome) multiEmailKey() string {
	c.t.Helper()
	c.loginToKeyPage("demo-multi", false)
	seen := messageIDs(c.http.outbox())
	c.do("choose e-mail", chromedp.Click(chromedp.ID("method-email")))
	c.click(`#issue button[type=submit]`)
	return c.http.awaitKey("watanabe@example.co.jp", seen)
}

// loginToKeyPage walks ID and password through the pages.
func (c *chrome) loginToKeyPage(loginID string, shots bool) {
	c.t.Helper()
	c.open("/")
	c.see("管理画面にログイン")
	if shots {
		c.check("01-home")
	}
	c.click(`a[href="/login"]`)
	c.fill("login_id", loginID)
	if shots {
		c.check("02-login-id")
	}
	c.click(`button[type=submit]`)
	c.see("パスワードの入力", loginID)
	c.fill("password", demoPassword)
	if shots {
		c.check("03-password")
	}
	c.click(`button[type=submit]`)
	if c.path() != "/login/key" {
		c.fail("after the password: at %s", c.path())
	}
	c.see("ワンタイムキーの発行", "SMS", "電子メール")
	if shots {
		c.check("04-key-method")
	}
}

// issue issues a key by method and returns the key delivered to `to`.
func (c *chrome) issue(method, to string) string {
	c.t.Helper()
	seen := messageIDs(c.http.outbox())
	c.do("choose "+method, chromedp.Click(chromedp.ID("method-"+method)))
	c.click(`#issue button[type=submit]`)
	return c.http.awaitKey(to, seen)
}

func startBrowserDemo(t *testing.T, extra ...string) *runningServer {
	t.Helper()
	testenv.Require(t, testenv.Chromium)
	return startServe(t, testEnv(t, extra...), "serve", "--demo")
}

func TestBrowserRepresentativeLogsInBySMS(t *testing.T) {
	for _, vp := range []struct{ w, h int64 }{{1280, 900}, {375, 812}} {
		t.Run(fmt.Sprintf("%dpx", vp.w), func(t *testing.T) {
			srv := startBrowserDemo(t)
			c := newChrome(t, srv.URL, vp.w, vp.h)
			c.loginToKeyPage("demo-rep", true)
			key := c.issue("sms", "+819012345678")
			c.see("ワンタイムキーを発行しました", "090-****-5678", "送信状況", "ワンタイムキーが届かない場合")
			c.check("05-key-issued")
			c.fill("key", key)
			c.check("06-key-entered")
			c.click(`form[action="/login/key/verify"] button[type=submit]`)
			c.see("ご契約情報", "N0000001", "CLOMO 環境が未設定です", "今すぐ設定")
			c.check("07-contract-clomo-dialog")
			c.click(`dialog a[href="/console/clomo"]`)
			c.see("CLOMO 情報設定")
			c.check("08-clomo")
			c.open("/console")
			c.see("ご契約情報")
			if strings.Contains(c.text(), "CLOMO 環境が未設定です") {
				c.fail("the CLOMO dialog shows again on a later visit")
			}
			c.check("09-contract")
		})
	}
}

func TestBrowserMultiGroupLogsInByEmail(t *testing.T) {
	srv := startBrowserDemo(t)
	c := newChrome(t, srv.URL, 1280, 900)
	key := c.multiEmailKey()
	c.see("wa******@example.co.jp", "k.********@example.co.jp",
		"さくら物流株式会社（代表番号 06-6123-4567）", "ひかり建設株式会社（代表番号 092-123-4567）", "代表番号 052-123-4567")
	c.check("10-group-choice")
	c.do("choose さくら物流", chromedp.Click(chromedp.ID("group-sakura-butsuryu")))
	c.fill("key", key)
	c.click(`form[action="/login/key/verify"] button[type=submit]`)
	c.see("ご契約情報", "N0000002", "作成済み（組織名: さくら物流株式会社）")
	if strings.Contains(c.text(), "CLOMO 環境が未設定です") {
		c.fail("the CLOMO dialog shows for a group with a CLOMO environment")
	}
}

func TestBrowserAdminGivesTheInitialPassword(t *testing.T) {
	srv := startBrowserDemo(t)
	c := newChrome(t, srv.URL, 1280, 900)
	c.loginToKeyPage("demo-admin", false)
	key := c.issue("sms", "+818023456789")
	c.fill("key", key)
	c.click(`form[action="/login/key/verify"] button[type=submit]`)
	c.see("初回認証パスワードの入力")
	c.fill("initial_password", "Wrong2345x")
	c.click(`button[type=submit]`)
	c.see("初回認証パスワードが正しくありません")
	if c.eval(`document.getElementById("initial_password").getAttribute("aria-invalid") || ""`) != "true" {
		c.fail("the wrong initial password is not marked aria-invalid")
	}
	c.check("11-initial-password-error")
	c.fill("initial_password", "Init2345x")
	c.click(`button[type=submit]`)
	c.see("ご契約情報", "佐藤 花子")
	// An administrator may change another's e-mail, not the name: the name
	// looks read-only.
	c.open("/console/admins/demo-rep")
	if c.eval(`document.getElementById("name").readOnly ? "ro" : ""`) != "ro" ||
		c.eval(`getComputedStyle(document.getElementById("name")).backgroundColor`) == c.eval(`getComputedStyle(document.getElementById("email")).backgroundColor`) {
		c.fail("the read-only name looks like the editable e-mail")
	}
}

// A method that cannot be used is disabled with its reason beside it and
// never preselected; the usable one is; with none, 発行 is disabled and the
// page says what to do.
func TestBrowserIssuanceFailuresShowTheirMessage(t *testing.T) {
	srv := startBrowserDemo(t, "ANSHIN_KEY_COOLDOWN", "60s")
	for _, tc := range []struct {
		loginID, method, preselected string
		want                         []string
	}{
		{"demo-carrierfree", "sms", "email", []string{"キャリアフリー", "電子メールをお選びください"}},
		{"demo-nogroup", "sms", "", []string{"どのご契約グループにも管理者として登録されていない", "ID に誤りがないかご確認", "代表管理者"}},
		{"demo-nogroup", "email", "", []string{"どのご契約グループにも管理者として登録されていない"}},
		{"demo-noemail", "email", "sms", []string{"メールアドレスが設定されていない", "SMS をお選びください"}},
		{"demo-maildisabled", "email", "sms", []string{"メール通知不可", "SMS でワンタイムキーを発行してログインし", "他の管理者"}},
	} {
		t.Run(tc.loginID+"-"+tc.method, func(t *testing.T) {
			c := newChrome(t, srv.URL, 1280, 900)
			c.loginToKeyPage(tc.loginID, false)
			c.see(tc.want...)
			if got := c.eval(`document.getElementById("method-` + tc.method + `").disabled ? "disabled" : ""`); got != "disabled" {
				c.fail("the unusable method %s is not disabled", tc.method)
			}
			if c.eval(`document.getElementById("method-`+tc.method+`-help").innerText`) == "" ||
				!strings.Contains(c.eval(`document.getElementById("method-`+tc.method+`-help").innerText`), tc.want[0]) {
				c.fail("the reason %q is not beside the method", tc.want[0])
			}
			checked := c.eval(`(document.querySelector("input[name=method]:checked") || {value: ""}).value`)
			if checked != tc.preselected {
				c.fail("preselected %q, want %q", checked, tc.preselected)
			}
			if m := regexp.MustCompile(`[。、）][ 　]+\p{Han}|この ID|ID の連絡先|ID に登録`).FindString(c.text()); m != "" {
				c.fail("a stray space between Japanese sentences or ID as a noun: %q", m)
			}
			if strings.Contains(c.text(), "（）") || strings.Contains(c.text(), "()") {
				c.fail("an empty （） where a number is missing:\n%s", c.text())
			}
			button := c.eval(`document.getElementById("issue-button").disabled ? "disabled" : ""`)
			if tc.preselected == "" {
				if button != "disabled" {
					c.fail("発行 is usable though no method works")
				}
				c.see("どの方法でもワンタイムキーを発行できません")
			} else if button != "" {
				c.fail("発行 is disabled though %s works", tc.preselected)
			}
			c.axe(tc.loginID)
			c.open("/login/key?lang=en")
			c.see("Not available.")
			if strings.Contains(c.text(), "()") || strings.Contains(c.text(), "ID's") {
				c.fail("the English page has an empty () or the ID for the account:\n%s", c.text())
			}
			c.open("/login/key?lang=ja")
			if tc.loginID == "demo-maildisabled" {
				c.shot("12-mail-notification-disabled")
			}
		})
	}
	t.Run("cooldown", func(t *testing.T) {
		c := newChrome(t, srv.URL, 1280, 900)
		c.loginToKeyPage("demo-rep", false)
		c.issue("sms", "+819012345678")
		c.see("（日本時間）以降に発行できます")
		if c.eval(`document.getElementById("issue-button").disabled ? "disabled" : ""`) != "disabled" {
			c.fail("the issue button is usable during the cooldown")
		}
		label := c.eval(`document.getElementById("issue-button").textContent`)
		if !regexp.MustCompile(`^再発行（あと \d+ 秒）$`).MatchString(label) {
			c.fail("the issue button says %q during the cooldown", label)
		}
		if regexp.MustCompile(`\d{4}年\d+月\d+日 \d+:\d+:\d+`).MatchString(c.text()) {
			c.fail("a full date to the second on the page:\n%s", c.text())
		}
		c.axe("cooldown")
	})
}

// After a wrong key, ログイン画面へ leads to a re-issue: the button counts
// down the wait between two keys, then issues one that works.
func TestBrowserWrongKeyThenANewKey(t *testing.T) {
	srv := startBrowserDemo(t, "ANSHIN_KEY_COOLDOWN", "4s")
	c := newChrome(t, srv.URL, 1280, 900)
	c.loginToKeyPage("demo-rep", false)
	key := c.issue("sms", "+819012345678")
	c.fill("key", wrongKey(key))
	c.click(`form[action="/login/key/verify"] button[type=submit]`)
	c.see("ワンタイムキーが正しくないか、すでに無効です", "ログイン画面へ")
	c.check("13-wrong-key")
	c.click(`.error-summary a[href="/login/key#issue"]`)
	c.see("ワンタイムキーの発行")
	_, err := chromedp.Run(c.ctx, chromedp.Poll[bool](`!document.getElementById("issue-button").disabled && document.getElementById("issue-button").textContent.indexOf("あと") < 0`,
		chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		c.fail("the issue button never became usable: %v", err)
	}
	key = c.issue("sms", "+819012345678")
	c.fill("key", key)
	c.click(`form[action="/login/key/verify"] button[type=submit]`)
	c.see("ご契約情報")
}

func TestBrowserDismissTheCLOMODialog(t *testing.T) {
	srv := startBrowserDemo(t)
	c := newChrome(t, srv.URL, 1280, 900)
	c.loginToKeyPage("demo-rep", false)
	c.fill("key", c.issue("sms", "+819012345678"))
	c.click(`form[action="/login/key/verify"] button[type=submit]`)
	c.see("CLOMO 環境が未設定です")
	c.click(`dialog a[href="/console"]`)
	c.see("ご契約情報", "未設定")
	if strings.Contains(c.text(), "CLOMO 環境が未設定です") || c.path() != "/console" {
		c.fail("after あとで設定する: at %s with the dialog still shown", c.path())
	}
}

func TestBrowserLanguageAndTextSizePersist(t *testing.T) {
	srv := startBrowserDemo(t)
	c := newChrome(t, srv.URL, 1280, 900)
	c.open("/")
	c.click(`a[hreflang=en]`)
	c.see("Welcome to anshin", "Log in to the admin console")
	if lang := c.eval(`document.documentElement.lang`); lang != "en" {
		c.fail("html lang is %q on the English page", lang)
	}
	c.click(`a[href="/login"]`)
	c.see("d ACCOUNT / Business d ACCOUNT ID", "Next")
	c.click(`a[href="/login?size=large"]`)
	c.click(`a[href="/"]`)
	if cls := c.eval(`document.documentElement.className`); cls != "size-large" {
		c.fail("text size not remembered: html class %q", cls)
	}
	c.see("Welcome to anshin")
	c.check("14-english-large")
	c.click(`a[hreflang=ja]`)
	c.see("anshin へようこそ")
	if lang := c.eval(`document.documentElement.lang`); lang != "ja" {
		c.fail("html lang is %q on the Japanese page", lang)
	}
	c.click(`a[href="/?size=normal"]`)
	if cls := c.eval(`document.documentElement.className`); cls != "size-normal" {
		c.fail("back to normal size: html class %q", cls)
	}
}

// TestBrowserKeyboardOnly completes a login with Tab, typing and Enter
// only, checking that each focused control shows a focus ring.
func TestBrowserKeyboardOnly(t *testing.T) {
	srv := startBrowserDemo(t)
	c := newChrome(t, srv.URL, 1280, 900)
	c.open("/login")
	// The ID field has focus on arrival; typing and Enter submit.
	c.waitFocus("login_id", "on arrival at /login")
	c.press("type the ID and Enter", chromedp.KeyEvent("demo-rep\r"))
	c.see("パスワードの入力")
	c.waitFocus("password", "on arrival at the password page")
	c.press("type the password and Enter", chromedp.KeyEvent(demoPassword+"\r"))
	c.see("ワンタイムキーの発行")
	// Tab until the issue button has focus, checking the focus ring.
	seen := messageIDs(c.http.outbox())
	for i := 0; ; i++ {
		if i > 40 {
			c.fail("Tab never reached the issue button")
		}
		c.do("Tab", chromedp.KeyEvent("\t"))
		if c.eval(`getComputedStyle(document.activeElement).outlineStyle`) == "none" {
			c.fail("the focused %s has no visible focus", c.eval(`document.activeElement.outerHTML`))
		}
		if c.eval(`document.activeElement.closest("#issue") && document.activeElement.type === "submit" ? "yes" : ""`) == "yes" {
			break
		}
	}
	c.press("Enter on the issue button", chromedp.KeyEvent("\r"))
	key := c.http.awaitKey("+819012345678", seen)
	c.waitFocus("key", "after issuing")
	c.press("type the key and Enter", chromedp.KeyEvent(key+"\r"))
	c.see("ご契約情報")
}

// TestBrowserMobileStates takes the states the desktop tests show — group
// choice, initial password, wrong key, メール通知不可 — on a 375 px phone.
func TestBrowserMobileStates(t *testing.T) {
	srv := startBrowserDemo(t)
	c := newChrome(t, srv.URL, 375, 812)

	key := c.multiEmailKey()
	c.see("さくら物流株式会社（代表番号 06-6123-4567）")
	c.check("10-group-choice")
	c.do("choose さくら物流", chromedp.Click(chromedp.ID("group-sakura-butsuryu")))
	c.fill("key", wrongKey(key))
	c.click(`form[action="/login/key/verify"] button[type=submit]`)
	c.see("ワンタイムキーが正しくないか、すでに無効です", "ログイン画面へ")
	c.check("13-wrong-key")

	c.loginToKeyPage("demo-maildisabled", false)
	c.do("choose e-mail", chromedp.Click(chromedp.ID("method-email")))
	c.click(`#issue button[type=submit]`)
	c.see("メール通知不可", "他の管理者")
	c.check("12-mail-notification-disabled")

	c.loginToKeyPage("demo-admin", false)
	c.fill("key", c.issue("sms", "+818023456789"))
	c.click(`form[action="/login/key/verify"] button[type=submit]`)
	c.fill("initial_password", "Wrong2345x")
	c.click(`button[type=submit]`)
	c.see("初回認証パスワードが正しくありません")
	c.check("11-initial-password-error")
}
