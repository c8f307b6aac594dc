package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// On a phone the signed-in header is one line: the name and a menu
// button that opens the preferences and the console's navigation, by
// click and by keyboard. On a desktop the navigation shows and there is
// no button.
func TestBrowserConsoleMenu(t *testing.T) {
	srv := startBrowserDemo(t)
	c := newChrome(t, srv.URL, 375, 812)
	c.loginToKeyPage("demo-rep", false)
	c.fill("key", c.issue("sms", "+819012345678"))
	c.click(`form[action="/login/key/verify"] button[type=submit]`)
	c.see("ご契約情報", "メニュー")
	c.click(`dialog a[href="/console"]`) // あとで設定する: the CLOMO dialog leaves the page
	c.oneLineHeader("/console")
	if v := c.eval(`String(document.querySelector("nav.console").checkVisibility())`); v != "false" {
		c.fail("the console's navigation shows on a phone before the menu is opened")
	}
	if links := c.axLinks(); strings.Contains(links, "監査ログ") {
		c.fail("a screen reader is offered the closed menu's links: %s", links)
	}

	// A click opens the menu: every link shows, the current page marked,
	// nothing wider than the phone; a second click closes it.
	c.openMenu()
	c.menuShows("/console")
	if links := c.axLinks(); !strings.Contains(links, "監査ログ") || !strings.Contains(links, "English") {
		c.fail("a screen reader is not offered the open menu's links: %s", links)
	}
	c.axe("menu open")
	c.shot("32-menu-open")
	c.do("close the menu", chromedp.Click(chromedp.CSS("details.menu > summary")))
	c.menuOpen(false, "after a second click")

	// The keyboard: Tab reaches the button with a focus ring, Enter opens,
	// Escape closes and leaves the focus on the button, Space opens, Tab
	// goes into the menu.
	c.open("/console/audit")
	for i := 0; c.eval(`document.activeElement.matches("details.menu > summary") ? "yes" : ""`) != "yes"; i++ {
		if i > 10 {
			c.fail("Tab never reached the menu button")
		}
		c.do("Tab", chromedp.KeyEvent("\t"))
	}
	if c.eval(`getComputedStyle(document.activeElement).outlineStyle`) == "none" {
		c.fail("the focused menu button has no visible focus")
	}
	c.do("Enter on the menu button", chromedp.KeyEvent("\r"))
	c.menuOpen(true, "after Enter")
	c.menuShows("/console/audit")
	c.do("Escape", chromedp.KeyEvent(kb.Escape))
	c.menuOpen(false, "after Escape")
	if c.eval(`document.activeElement.matches("details.menu > summary") ? "yes" : ""`) != "yes" {
		c.fail("after Escape the focus is on %s, not the menu button", c.eval(`document.activeElement.outerHTML`))
	}
	c.do("Space on the menu button", chromedp.KeyEvent(" "))
	c.menuOpen(true, "after Space")
	c.do("Tab into the menu", chromedp.KeyEvent("\t"))
	if c.eval(`document.activeElement.closest(".menu-panel") ? "yes" : ""`) != "yes" {
		c.fail("Tab from the open menu's button goes to %s, not into the menu", c.eval(`document.activeElement.outerHTML`))
	}
	c.do("Escape inside the menu", chromedp.KeyEvent(kb.Escape))
	c.menuOpen(false, "after Escape inside the menu")
	if c.eval(`document.activeElement.matches("details.menu > summary") ? "yes" : ""`) != "yes" {
		c.fail("after Escape inside the menu the focus is on %s, not the menu button", c.eval(`document.activeElement.outerHTML`))
	}

	// Tab past the menu's last item closes it: the open menu never hides
	// what has the focus.
	c.do("Enter on the menu button", chromedp.KeyEvent("\r"))
	c.menuOpen(true, "after Enter")
	for i := 0; c.eval(`document.activeElement.closest("details.menu") ? "in" : ""`) == "in"; i++ {
		if i > 20 {
			c.fail("Tab never left the menu")
		}
		c.do("Tab", chromedp.KeyEvent("\t"))
	}
	c.menuOpen(false, "after Tab past its last item")

	// A link in the menu leads to its page, where the menu is closed again.
	c.openMenu()
	c.click(`nav.console a[href="/console/admins"]`)
	c.see("佐藤 花子")
	c.menuOpen(false, "on the page a menu link led to")
	c.oneLineHeader("/console/admins")
	c.openMenu()
	c.menuShows("/console/admins")
	c.eval(`(document.querySelector("main h1").click(), "")`)
	c.menuOpen(false, "after a click on the page")

	// Large text and English still fit one line.
	c.open("/console?size=large&lang=en")
	c.see("Menu")
	c.oneLineHeader("/console in English, large text")
	c.openMenu()
	c.menuShows("/console")
	c.axe("menu open, English, large text")
	c.open("/console?lang=ja")
	c.see("メニュー")
	c.oneLineHeader("/console in Japanese, large text")
	c.open("/console?size=normal")

	// Without script the menu opens and closes with a click all the same.
	c.scripts(false)
	c.open("/console/clomo")
	c.openMenu()
	c.menuShows("/console/clomo")
	// Escape is menu.js's: that it does nothing now shows script is off.
	c.do("Escape without script", chromedp.KeyEvent(kb.Escape))
	c.menuOpen(true, "without script, after Escape")
	c.do("close the menu", chromedp.Click(chromedp.CSS("details.menu > summary")))
	c.menuOpen(false, "without script, after a second click")
	c.scripts(true)

	// A desktop: the navigation in the header, no menu button.
	d := newChrome(t, srv.URL, 1280, 900)
	d.loginToKeyPage("demo-rep", false)
	d.fill("key", d.issue("sms", "+819012345678"))
	d.click(`form[action="/login/key/verify"] button[type=submit]`)
	d.click(`dialog a[href="/console"]`)
	if v := d.eval(`String(document.querySelector("details.menu > summary").checkVisibility())`); v != "false" {
		d.fail("a desktop shows the menu button")
	}
	d.menuShows("/console")
	if links := d.axLinks(); !strings.Contains(links, "監査ログ") || !strings.Contains(links, "English") {
		d.fail("on a desktop a screen reader is not offered the navigation: %s", links)
	}
}

// oneLineHeader checks the signed-in header on a phone is one line —
// the name and the menu button side by side, the header no taller than
// the higher of them — and the page no wider than the screen.
func (c *chrome) oneLineHeader(where string) {
	c.t.Helper()
	got := c.eval(`(() => {
		const h = document.querySelector("header.site"), b = document.querySelector(".brand"), m = document.querySelector("details.menu > summary");
		if (!m.checkVisibility()) return "no menu button";
		const hb = h.getBoundingClientRect(), bb = b.getBoundingClientRect(), mb = m.getBoundingClientRect();
		if (bb.bottom <= mb.top || mb.bottom <= bb.top) return "the name and the menu button are on different lines";
		const inner = hb.height - parseFloat(getComputedStyle(h).paddingTop) - parseFloat(getComputedStyle(h).paddingBottom) - parseFloat(getComputedStyle(h).borderBottomWidth);
		if (inner > Math.max(bb.height, mb.height) + 1) return "the header is " + Math.round(hb.height) + " px tall";
		if (document.documentElement.scrollWidth > innerWidth) return "the page is " + document.documentElement.scrollWidth + " px wide";
		return "ok";
	})()`)
	if got != "ok" {
		c.fail("%s on a phone: %s", where, got)
	}
}

// menuOpen checks whether the menu is open.
func (c *chrome) menuOpen(want bool, when string) {
	c.t.Helper()
	got := c.eval(`document.querySelector("details.menu").open ? "open" : "closed"`)
	if (got == "open") != want {
		c.fail("%s the menu is %s", when, got)
	}
}

// menuShows checks that every link of the console's navigation and the
// preferences shows, within the screen, with the current page marked.
func (c *chrome) menuShows(current string) {
	c.t.Helper()
	hidden := c.eval(`Array.from(document.querySelectorAll("nav.console a, nav.console button, nav.prefs a")).filter(e => { const r = e.getBoundingClientRect(); return !e.checkVisibility() || r.width === 0 || r.left < 0 || r.right > innerWidth; }).map(e => e.textContent).join(" | ")`)
	if hidden != "" {
		c.fail("not shown: %s", hidden)
	}
	if got := c.eval(`document.querySelector('nav.console a[aria-current=page]').getAttribute("href")`); got != current {
		c.fail("the navigation marks %s as the current page, want %s", got, current)
	}
	if w := c.eval(`String(document.documentElement.scrollWidth > innerWidth ? document.documentElement.scrollWidth : "")`); w != "" {
		c.fail("the page is %s px wide", w)
	}
}

// scripts switches the page's own script on or off; the test's
// evaluations still run.
func (c *chrome) scripts(on bool) {
	c.t.Helper()
	if _, err := chromedp.Call(c.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on}); err != nil {
		c.fail("switch script on %v: %v", on, err)
	}
}

// axLinks is what a screen reader is offered as links: the names of the
// links in Chromium's accessibility tree that it does not ignore.
func (c *chrome) axLinks() string {
	c.t.Helper()
	tree, err := chromedp.Call(c.ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		c.fail("the accessibility tree: %v", err)
	}
	var names []string
	for _, n := range tree.Nodes {
		var role, name string
		if n.Ignored || n.Role == nil || n.Name == nil ||
			json.Unmarshal([]byte(n.Role.Value), &role) != nil || role != "link" || json.Unmarshal([]byte(n.Name.Value), &name) != nil {
			continue
		}
		names = append(names, name)
	}
	return strings.Join(names, " | ")
}
