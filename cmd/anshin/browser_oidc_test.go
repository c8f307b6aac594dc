package main

import (
	"net"
	"testing"

	"github.com/anshin/anshin/internal/anshintest"
	"github.com/chromedp/chromedp"
)

// A federated login in Chromium, through the provider's own login page:
// d アカウントでログイン on the entry page, the provider's form, back at
// the key step, the key by SMS, signed in.
func TestBrowserFederatedLogin(t *testing.T) {
	// The redirect URI names anshin's address, so it is chosen first.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	public := "http://" + addr
	op := anshintest.NewOP(t, public+"/login/oidc/callback", "demo-rep")
	srv := startBrowserDemo(t, "ANSHIN_HTTP_ADDR", addr, "ANSHIN_PUBLIC_URL", public,
		"ANSHIN_OIDC_ISSUER", op.URL, "ANSHIN_OIDC_CLIENT_ID", anshintest.OPClientID, "ANSHIN_OIDC_CLIENT_SECRET", anshintest.OPClientSecret)
	c := newChrome(t, srv.URL, 1280, 900)
	c.open("/")
	c.see("d アカウントでログイン")
	c.check("oidc-01-home")
	c.click(`#oidc-login`)
	// The provider's page, not anshin's.
	c.do("the provider's login form", chromedp.WaitVisible(chromedp.ID("username")))
	c.do("fill the provider's form", chromedp.SendKeys(chromedp.ID("username"), "demo-rep@op"), chromedp.SendKeys(chromedp.ID("password"), anshintest.OPPassword))
	c.press("log in at the provider", chromedp.Submit(chromedp.ID("password")))
	if c.path() != "/login/key" {
		c.fail("back from the provider at %s", c.path())
	}
	c.see("ワンタイムキーの発行", "SMS")
	key := c.issue("sms", "+819012345678")
	c.fill("key", key)
	c.click(`form[action="/login/key/verify"] button[type=submit]`)
	c.see("ご契約情報")
}
