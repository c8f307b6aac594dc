package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// A submit without a group keeps the typed key and takes the focus to the
// marked group choice; the groups come by management number, and the next
// login preselects the group used last.
func TestBrowserGroupChoiceKeepsTheKey(t *testing.T) {
	srv := startBrowserDemo(t)
	c := newChrome(t, srv.URL, 1280, 900)
	key := c.multiEmailKey()
	order := c.eval(`Array.from(document.querySelectorAll("input[name=group_id]")).map(e => e.value).join(" ")`)
	if order != "sakura-butsuryu midori-seiyaku hikari-kensetsu" {
		c.fail("groups in the order %q, want by management number", order)
	}
	c.fill("key", key)
	c.click(`form[action="/login/key/verify"] button[type=submit]`)
	c.see("ご契約グループを選んでください")
	if sent := c.eval(`(document.querySelector(".sent-to") || {innerText: ""}).innerText`); !strings.Contains(sent, "wa******@example.co.jp") {
		c.fail("the 送信先 line is lost after a failed submit: %q", sent)
	}
	if got := c.eval(`document.getElementById("key").value`); got != key {
		c.fail("the typed key is lost after a failed submit: %q", got)
	}
	if !strings.Contains(c.eval(`document.getElementById("group").className`), "invalid") {
		c.fail("the group choice is not marked")
	}
	c.waitFocus("group-sakura-butsuryu", "after a submit without a group")
	c.axe("group missing")
	c.do("choose さくら物流", chromedp.Click(chromedp.ID("group-sakura-butsuryu")))
	c.click(`form[action="/login/key/verify"] button[type=submit]`)
	c.see("ご契約情報", "N0000002")
	c.click(`form[action="/logout"] button`)

	c.multiEmailKey()
	if got := c.eval(`(document.querySelector("input[name=group_id]:checked") || {value: ""}).value`); got != "sakura-butsuryu" {
		c.fail("the group used last is not preselected: %q", got)
	}
}

// On a phone, the confirmation and where the key went are the first thing
// after issuing, and the 届かない help speaks of the method used.
func TestBrowserKeyIssuedOnAPhone(t *testing.T) {
	srv := startBrowserDemo(t)
	c := newChrome(t, srv.URL, 375, 812)
	c.loginToKeyPage("demo-rep", false)
	c.issue("sms", "+819012345678")
	bottom := c.eval(`String(document.querySelector(".sent-to").getBoundingClientRect().bottom)`)
	if f, err := strconv.ParseFloat(bottom, 64); err != nil || f > 812 {
		c.fail("where the key went is not visible on a phone without scrolling (bottom %s)", bottom)
	}
	c.see("ワンタイムキーが届かない場合", "電波の届く場所")
	if strings.Contains(c.text(), "迷惑メールフォルダー") {
		c.fail("the e-mail help shows after an SMS key")
	}
}

// The CLOMO dialog is a true modal: the focus starts on 今すぐ設定 with a
// visible ring, Tab stays inside, Escape closes it and gives the focus back.
func TestBrowserCLOMODialogKeyboard(t *testing.T) {
	srv := startBrowserDemo(t)
	c := newChrome(t, srv.URL, 1280, 900)
	// A headless page has no window focus, and without it no :focus style.
	if _, err := chromedp.Call(c.ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	c.loginToKeyPage("demo-rep", false)
	c.fill("key", c.issue("sms", "+819012345678"))
	c.click(`form[action="/login/key/verify"] button[type=submit]`)
	c.see("CLOMO 環境が未設定です")
	_, err := chromedp.Run(c.ctx, chromedp.Poll[bool](`document.querySelector("dialog.modal").matches(":modal") && document.activeElement.getAttribute("href") === "/console/clomo"`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		c.fail("the dialog is not modal with the focus on 今すぐ設定 (focus on %q)", c.eval(`document.activeElement.outerHTML`))
	}
	if ring := c.eval(`getComputedStyle(document.activeElement).outlineStyle`); ring == "none" {
		c.fail("no visible focus ring on the autofocused button")
	}
	for i := 0; i < 4; i++ {
		c.do("Tab", chromedp.KeyEvent(kb.Tab))
		if c.eval(`document.querySelector("dialog.modal").contains(document.activeElement) ? "in" : "out"`) != "in" {
			c.fail("Tab left the dialog for %q", c.eval(`document.activeElement.outerHTML`))
		}
	}
	c.axe("clomo dialog")
	c.do("Escape", chromedp.KeyEvent(kb.Escape))
	if c.eval(`document.querySelector("dialog.modal").open ? "open" : ""`) != "" {
		c.fail("Escape does not close the dialog")
	}
	if _, err := chromedp.Run(c.ctx, chromedp.Poll[bool](`document.activeElement.id === "main"`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		c.fail("the focus did not come back to the page: %q", c.eval(`document.activeElement.outerHTML`))
	}
}

// On a phone the administrator and audit tables are cards, the console's
// header is one line, and no address, number or time breaks.
func TestBrowserConsoleOnAPhone(t *testing.T) {
	srv := startBrowserDemo(t)
	c := newChrome(t, srv.URL, 375, 812)
	c.loginToKeyPage("demo-rep", false)
	c.fill("key", c.issue("sms", "+819012345678"))
	c.click(`form[action="/login/key/verify"] button[type=submit]`)
	c.see("ご契約情報")
	icon, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](`fetch(document.querySelector("link[rel=icon]").href).then(r => r.status + " " + r.headers.get("Content-Type"))`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(icon, "200 image/svg") {
		c.fail("the favicon: %q %v", icon, err)
	}
	c.oneLineHeader("/console")
	for _, path := range []string{"/console/admins", "/console/audit"} {
		c.open(path)
		if d := c.eval(`getComputedStyle(document.querySelector("table.cards tbody tr")).display`); d != "block" {
			c.fail("%s: the table rows are %q on a phone, want cards", path, d)
		}
		broken := c.eval(`Array.from(document.querySelectorAll(".token")).filter(e => e.getClientRects().length > 1).map(e => e.textContent).join(" | ")`)
		if broken != "" {
			c.fail("%s: tokens break across lines: %s", path, broken)
		}
		if w := c.eval(`String(document.documentElement.scrollWidth)`); w != "375" {
			c.fail("%s is %s px wide on a 375 px phone", path, w)
		}
		c.axe(path)
	}
}

// After an SMS login, an administrator whose address is メール通知不可
// learns it on the first page and finds where to fix it.
func TestBrowserMailDisabledAdministratorSeesTheFix(t *testing.T) {
	srv := startBrowserDemo(t)
	c := newChrome(t, srv.URL, 1280, 900)
	c.loginToKeyPage("demo-maildisabled", false)
	c.fill("key", c.issue("sms", "+819056789012"))
	c.click(`form[action="/login/key/verify"] button[type=submit]`)
	c.see("ご契約情報", "メール通知不可になっています", "メールアドレスを変更する、またはメール通知不可を解除する")
	c.axe("mail disabled notice")
	c.click(`.warn-box a`)
	c.see("管理者を編集する", "メール通知不可を解除する")
}
