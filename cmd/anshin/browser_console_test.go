package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The console's pages in Chromium: every page and every field error
// passes axe-core, on a desktop and a 375 px wide screen.
func TestBrowserConsolePages(t *testing.T) {
	for _, vp := range []struct{ w, h int64 }{{1280, 900}, {375, 812}} {
		t.Run(fmt.Sprintf("%dpx", vp.w), func(t *testing.T) {
			srv := startBrowserDemo(t)
			c := newChrome(t, srv.URL, vp.w, vp.h)
			c.loginToKeyPage("demo-rep", false)
			key := c.issue("sms", "+819012345678")
			c.fill("key", key)
			c.click(`form[action="/login/key/verify"] button[type=submit]`)
			c.click(`dialog a[href="/console"]`) // あとで設定する: the CLOMO dialog leaves the page
			c.openMenu()                         // on a phone the navigation is behind the menu
			c.see("ご契約情報", "管理者設定", "監査ログ", "山田 太郎（代表番号 03-1234-5678）")
			if c.eval(`document.querySelector('nav.console a[href="/console/groups"]') ? "yes" : ""`) != "" {
				c.fail("グループ切替 is offered to an administrator of one group")
			}
			if c.eval(`document.querySelector('nav.console a[aria-current=page]').getAttribute("href")`) != "/console" {
				c.fail("the current page is not marked in the navigation")
			}

			c.open("/console/clomo")
			c.see("CLOMO 情報設定", "組織名（必須）")
			if got := c.eval(`(() => { const z = document.getElementById("time_zone"); return z.tagName + " " + z.value; })()`); got != "SELECT Asia/Tokyo" {
				c.fail("タイムゾーン is %q, want a select with Asia/Tokyo chosen", got)
			}
			c.check("20-clomo-create")
			c.click(`form[action="/console/clomo"] button[type=submit]`)
			c.see("組織名を入力してください")
			if c.eval(`(document.getElementById("organization_name-error") || {innerText: ""}).innerText`) == "" ||
				c.eval(`document.querySelector('.error-summary a[href="#organization_name"]') ? "yes" : ""`) != "yes" {
				c.fail("the error is not beside its field and linked from the summary")
			}
			if c.eval(`document.getElementById("organization_name").getAttribute("aria-invalid") || ""`) != "true" {
				c.fail("the empty organization name is not marked aria-invalid")
			}
			c.check("21-clomo-error")
			c.fill("contact_email", "bad@")
			c.click(`form[action="/console/clomo"] button[type=submit]`)
			if n := c.eval(`String(document.querySelectorAll(".field-error").length) + " " + String(document.querySelectorAll(".error-summary li a").length)`); n != "2 2" {
				c.fail("every error of the form at once: %s field errors and summary links, want 2 2", n)
			}
			c.see("組織名を入力してください", "担当者のメールアドレスを正しく入力してください")
			c.axe("two errors")
			c.fill("contact_email", "")
			c.fill("organization_name", "あんしん商事株式会社")
			c.click(`form[action="/console/clomo"] button[type=submit]`)
			c.see("CLOMO 環境を作成しました")
			c.check("22-clomo-created")

			c.open("/console/admins")
			c.see("佐藤 花子", "未完了（初回認証パスワードが必要）")
			c.check("23-admins")
			c.click(`a[href="/console/admins/new"]`)
			c.fill("login_id", "demo-nogroup")
			c.fill("name", "田中 次郎")
			c.fill("initial_password", "password")
			c.click(`form[action="/console/admins"] button[type=submit]`)
			c.see("英字と数字をそれぞれ 1 文字以上")
			c.check("24-admin-add-error")
			c.fill("initial_password", "Tanaka2025")
			c.click(`form[action="/console/admins"] button[type=submit]`)
			c.see("Tanaka2025", "この画面でだけ表示されます")
			c.check("25-admin-added")

			c.open("/console/admins/demo-admin")
			c.see("管理者を編集する")
			c.check("26-admin-edit")
			c.open("/console/admins/demo-admin/initial-password")
			c.check("27-admin-reset")
			c.open("/console/admins/demo-nogroup/delete")
			c.see("削除します")
			c.check("28-admin-delete")
			c.click(`form[action="/console/admins/demo-nogroup/delete"] button[type=submit]`)
			c.see("管理者を削除しました")

			c.open("/console/audit")
			c.see("管理者の削除", "CLOMO 環境の作成", "SMS でワンタイムキーを発行（送信先 090-****-5678）", "田中 次郎（demo-nogroup）を管理者から削除", "組織名: あんしん商事株式会社", "（日本時間）")
			for _, raw := range []string{"method:", "sent_to", "login_id:", "organization_name"} {
				if strings.Contains(c.text(), raw) {
					c.fail("the audit log shows the raw detail %q", raw)
				}
			}
			if c.eval(`document.querySelector('nav.console a[aria-current=page]').getAttribute("href")`) != "/console/audit" {
				c.fail("the audit page is not marked in the navigation")
			}
			c.check("29-audit")
			c.open("/console/audit?from=bad")
			c.check("30-audit-error")
			c.open("/console/groups")
			c.see("現在のグループ")
			c.check("31-groups")
			c.open("/console/no-such-page")
			c.see("ページが見つかりません", "ご契約情報へ戻る")
			if c.eval(`document.querySelector("nav.console") ? "yes" : ""`) != "yes" {
				c.fail("the 404 page loses the console's navigation")
			}
			c.axe("404")
		})
	}
}

// Switching group in Chromium, including the initial password step.
func TestBrowserGroupSwitch(t *testing.T) {
	srv := startBrowserDemo(t)
	c := newChrome(t, srv.URL, 1280, 900)
	c.loginToKeyPage("demo-multi", false)
	key := c.issue("sms", "+818067890123")
	c.do("choose さくら物流", chromedp.Click(chromedp.ID("group-sakura-butsuryu")))
	c.fill("key", key)
	c.click(`form[action="/login/key/verify"] button[type=submit]`)
	c.see("ご契約情報", "N0000002")
	c.click(`a[href="/console/groups"]`)
	c.see("ひかり建設株式会社（代表番号 092-123-4567）")
	c.do("choose ひかり建設", chromedp.Click(chromedp.ID("g-hikari-kensetsu")))
	c.click(`form[action="/console/groups"] button[type=submit]`)
	c.see("ご契約情報", "N0000004")
}
