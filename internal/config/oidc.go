package config

import (
	"net/url"
	"strings"
)

// OIDC is the upstream OpenID Provider that does steps 1 and 2 (SPEC §2,
// Upstream OpenID Connect).
type OIDC struct {
	Issuer       string // "": no federation
	ClientID     string
	ClientSecret string
	LoginClaim   string // the ID token claim that is the login ID
	// RedirectURL is {ANSHIN_PUBLIC_URL}/login/oidc/callback.
	RedirectURL string
	// PasswordLogin false removes the built-in password step.
	PasswordLogin bool
}

// OIDCCallbackPath is where the provider sends the browser back.
const OIDCCallbackPath = "/login/oidc/callback"

func (p *parser) oidc(publicURL string) OIDC {
	o := OIDC{
		Issuer:       strings.TrimRight(p.str("ANSHIN_OIDC_ISSUER"), "/"),
		ClientID:     p.str("ANSHIN_OIDC_CLIENT_ID"),
		ClientSecret: p.str("ANSHIN_OIDC_CLIENT_SECRET"),
		LoginClaim:   p.str("ANSHIN_OIDC_LOGIN_CLAIM"),
	}
	switch p.str("ANSHIN_PASSWORD_LOGIN") {
	case "on":
		o.PasswordLogin = true
	case "off":
	default:
		p.fail("ANSHIN_PASSWORD_LOGIN", "must be on or off")
	}
	if o.Issuer == "" {
		for _, name := range []string{"ANSHIN_OIDC_CLIENT_ID", "ANSHIN_OIDC_CLIENT_SECRET"} {
			if p.getenv(name) != "" {
				p.fail(name, "needs ANSHIN_OIDC_ISSUER")
			}
		}
		if !o.PasswordLogin {
			p.fail("ANSHIN_PASSWORD_LOGIN", "off needs ANSHIN_OIDC_ISSUER: without federation there would be no way in")
		}
		return o
	}
	// The issuer is compared with the ID token's iss as written, so it
	// must be the provider's exact https URL (http only for a local test
	// provider).
	if u, err := url.Parse(o.Issuer); err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		(u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
		p.fail("ANSHIN_OIDC_ISSUER", "must be the provider's https:// issuer URL, like https://id.example.jp (http:// only on localhost)")
	}
	if o.ClientID == "" {
		p.fail("ANSHIN_OIDC_CLIENT_ID", "is required with ANSHIN_OIDC_ISSUER")
	}
	if o.ClientSecret == "" {
		p.fail("ANSHIN_OIDC_CLIENT_SECRET", "is required with ANSHIN_OIDC_ISSUER")
	}
	if o.LoginClaim == "" || strings.ContainsAny(o.LoginClaim, " \t\r\n") {
		p.fail("ANSHIN_OIDC_LOGIN_CLAIM", "must be a claim name, like sub")
	}
	if publicURL == "" {
		p.fail("ANSHIN_PUBLIC_URL", "is required with ANSHIN_OIDC_ISSUER: the redirect URI registered at the provider is {ANSHIN_PUBLIC_URL}"+OIDCCallbackPath)
	}
	o.RedirectURL = publicURL + OIDCCallbackPath
	return o
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
