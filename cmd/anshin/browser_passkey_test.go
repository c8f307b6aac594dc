package main

import (
	"net"
	"strconv"
	"testing"

	"github.com/anshin/anshin/internal/testenv"
	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// TestBrowserPasskey walks the passkey pages in Chromium with a virtual
// authenticator (CTAP2, internal, resident keys, user verification):
// register after an SMS sign-in, sign out, sign in with the passkey after
// the password, sign in without ID or password, delete it.
func TestBrowserPasskey(t *testing.T) {
	for _, vp := range []struct{ w, h int64 }{{1280, 900}, {375, 812}} {
		t.Run(strconv.Itoa(int(vp.w))+"px", func(t *testing.T) { browserPasskey(t, vp.w, vp.h) })
	}
}

func browserPasskey(t *testing.T, width, height int64) {
	testenv.Require(t, testenv.Chromium)
	// The relying party is localhost (an IP address cannot be one), on a
	// port chosen before the server starts, so the origin is known.
	l, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	startServe(t, testEnv(t, "ANSHIN_HTTP_ADDR", "localhost:"+port, "ANSHIN_PASSKEYS", "true"), "serve", "--demo")
	c := newChrome(t, "http://localhost:"+port, width, height)
	if _, err := chromedp.Call(c.ctx, cdpwebauthn.Enable, cdpwebauthn.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(c.ctx, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{
		Options: &cdpwebauthn.VirtualAuthenticatorOptions{Protocol: cdpwebauthn.AuthenticatorProtocolCtap2, Transport: cdpwebauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}}); err != nil {
		t.Fatal(err)
	}
	logout := func() {
		c.press("sign out", chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action="/logout"]').requestSubmit()`))
	}

	c.loginToKeyPage("demo-rep", false)
	key := c.issue("sms", "+819012345678")
	c.fill("key", key)
	c.click(`form[action="/login/key/verify"] button[type=submit]`)
	c.see("ご契約情報")
	c.open("/console/passkeys") // the contract page opens its CLOMO dialog over the menu
	c.see("登録済みのパスキー", "パスキーはまだ登録されていません")
	c.check("20-passkeys-empty")
	c.fill("passkey-name", "テスト端末")
	c.press("add a passkey", chromedp.Click(chromedp.CSS(`#passkey-add button[type=submit]`)))
	c.see("パスキーを追加しました", "テスト端末", "この端末のみ", "未使用")
	c.check("21-passkeys-list")
	logout()

	c.loginToKeyPage("demo-rep", false)
	c.see("登録済みのパスキーで、ワンタイムキーの代わりに確認します")
	c.press("sign in with the passkey", chromedp.Click(chromedp.CSS(`#passkey button[data-passkey]`)))
	c.see("契約グループの選択", "パスキーで確認しました")
	c.check("22-passkey-group")
	c.click(`form[action="/login/group"] button[type=submit]`)
	c.see("ご契約情報")
	logout()

	c.open("/login")
	c.see("パスキーでログイン")
	c.check("23-login-passkey")
	c.press("パスキーでログイン", chromedp.Click(chromedp.CSS(`button[data-passkey]`)))
	c.see("契約グループの選択")
	c.click(`form[action="/login/group"] button[type=submit]`)
	c.see("ご契約情報")

	c.open("/console/passkeys")
	c.click(`form[action$="/delete"] button[type=submit]`)
	c.see("パスキーを削除しました", "パスキーはまだ登録されていません")
}
