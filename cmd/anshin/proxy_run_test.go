package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// serve reads ANSHIN_TRUSTED_PROXIES and an https ANSHIN_PUBLIC_URL: the
// proxy's X-Forwarded-For names the client in the log, cookies are __Host-
// and Secure, HSTS is sent.
func TestRunServeBehindProxy(t *testing.T) {
	srv := startServe(t, testEnv(t, "ANSHIN_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8", "ANSHIN_PUBLIC_URL", "https://anshin.example.jp"), "serve", "--demo")
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/login", strings.NewReader(url.Values{"login_id": {"demo-rep"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.77, 10.1.1.1")
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(c.CloseIdleConnections)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /login: %d", resp.StatusCode)
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=63072000; includeSubDomains" {
		t.Errorf("Strict-Transport-Security = %q", got)
	}
	if set := resp.Header.Get("Set-Cookie"); !strings.HasPrefix(set, "__Host-anshin_flow=") || !strings.Contains(set, "; Secure") {
		t.Errorf("Set-Cookie %q, want a Secure __Host-anshin_flow", set)
	}
	if log := srv.Stderr.String(); !strings.Contains(log, "203.0.113.77") || strings.Contains(log, "198.51.100.1") {
		t.Errorf("the log does not name the client the proxy vouches for (203.0.113.77):\n%s", log)
	}
}

func TestRunServeRejectsBadTrustedProxies(t *testing.T) {
	_, _, err := runCommand(t, testEnv(t, "ANSHIN_TRUSTED_PROXIES", "10.0.0.0/8, proxy.example.jp"), "", "serve")
	if err == nil || !strings.Contains(err.Error(), "ANSHIN_TRUSTED_PROXIES") {
		t.Fatalf("got %v, want an error naming ANSHIN_TRUSTED_PROXIES", err)
	}
}
