package main

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/anshin/anshin/internal/anshintest"
)

// freeAddr is a loopback address nothing listens on (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// downAddr holds a loopback address for a provider that is down: it takes
// each connection and drops it at once. Until up is called nothing else
// takes the port — an address only picked free could be another socket's
// by the time the provider starts on it (seen once in CI: "bind: address
// already in use").
func downAddr(t *testing.T) (addr string, up func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), func() { ln.Close() }
}

// The provider is down when anshin starts: anshin starts anyway, logs the
// failed discovery, reports oidc_provider failing on /readyz and answers
// the federated login with a clear page; once the provider answers, the
// next use discovers it and the login goes through.
func TestServeFederationProviderDownAtStart(t *testing.T) {
	opAddr, opUp := downAddr(t)
	addr := freeAddr(t)
	public := "http://" + addr
	srv := startServe(t, testEnv(t, "ANSHIN_HTTP_ADDR", addr, "ANSHIN_PUBLIC_URL", public,
		"ANSHIN_OIDC_ISSUER", "http://"+opAddr, "ANSHIN_OIDC_CLIENT_ID", anshintest.OPClientID,
		"ANSHIN_OIDC_CLIENT_SECRET", anshintest.OPClientSecret), "serve", "--demo")
	if !strings.Contains(srv.Stderr.String(), "discovery failed") {
		t.Errorf("the log does not tell the discovery failed:\n%s", srv.Stderr.String())
	}
	r := getReady(t, srv.URL)
	if r.code != http.StatusServiceUnavailable || r.Checks["oidc_provider"] != "failing" || r.Checks["database"] != "ok" {
		t.Fatalf("readyz: %d %s, want 503 with oidc_provider failing", r.code, r.raw)
	}
	b := newBrowser(t, srv.URL)
	if p := b.Get("/login/oidc"); p.Status != http.StatusServiceUnavailable || !strings.Contains(p.Body, "応答がありませんでした") {
		t.Fatalf("/login/oidc with the provider down: %d\n%s", p.Status, p.Body)
	}

	opUp()
	op := anshintest.NewOPAt(t, opAddr, public+"/login/oidc/callback", "demo-rep")
	p := b.Get("/login/oidc")
	if p.Status != http.StatusFound || !strings.HasPrefix(p.Location, op.URL) {
		t.Fatalf("/login/oidc once the provider is up: %d %q\n%s", p.Status, p.Location, p.Body)
	}
	wantReady(t, getReady(t, srv.URL))
	// Through the provider's login form, back to anshin's key step.
	next := p.Location
	for range 10 {
		if strings.HasPrefix(next, public) {
			break
		}
		resp, err := b.Client.Get(next)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(resp)
		if resp.StatusCode == http.StatusOK && strings.Contains(body, `name="username"`) {
			id := body[strings.Index(body, `name="id" value="`)+len(`name="id" value="`):]
			id = id[:strings.Index(id, `"`)]
			resp, err = b.Client.PostForm(op.URL+"/login/username", url.Values{"username": {"demo-rep@op"}, "password": {anshintest.OPPassword}, "id": {id}})
			if err != nil {
				t.Fatal(err)
			}
			readAll(resp)
		}
		loc, err := resp.Location()
		if err != nil {
			t.Fatalf("GET %s: %d without a Location\n%s", next, resp.StatusCode, body)
		}
		next = loc.String()
	}
	cb := b.Get(strings.TrimPrefix(next, public))
	if cb.Status != http.StatusSeeOther || cb.Location != "/login/key" {
		t.Fatalf("callback: %d %q\n%s", cb.Status, cb.Location, cb.Body)
	}
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
