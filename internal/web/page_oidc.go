package web

import (
	"net/http"
	"net/url"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/oidc"
)

// Steps 1 and 2 by the upstream OpenID Provider (SPEC §2, Upstream OpenID
// Connect): /login/oidc starts a flow and sends the browser to the
// provider; the provider sends it back to /login/oidc/callback, which goes
// on at the key step. Every failure is a page and a log line, never a
// session.

// handleFederationStart is d アカウントでログイン.
func (s *Server) handleFederationStart() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.OIDC == nil {
			s.handleNotFound().ServeHTTP(w, r)
			return
		}
		token, req, err := s.Login.StartFederation(r.Context(), clientIP(r))
		if err != nil {
			s.federationFailed(w, r, err)
			return
		}
		to, err := s.OIDC.AuthURL(r.Context(), oidc.Request(req))
		if err != nil {
			s.federationFailed(w, r, err)
			return
		}
		setSecretCookie(w, r, cookieFlow, token, s.Login.Config().FlowTTL)
		http.Redirect(w, r, to, http.StatusFound)
	})
}

// handleFederationCallback is where the provider sends the browser back,
// with a code or an error, and the state.
func (s *Server) handleFederationCallback() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.OIDC == nil {
			s.handleNotFound().ServeHTTP(w, r)
			return
		}
		q := r.URL.Query()
		exchange := func(req login.FederationRequest) (string, error) {
			// The state is checked (and taken) before an error answer is
			// believed, so a forged error cannot spend someone's flow.
			if code := q.Get("error"); code != "" {
				return "", providerError(q)
			}
			return s.OIDC.Exchange(r.Context(), q.Get("code"), oidc.Request(req))
		}
		if err := s.Login.FinishFederation(r.Context(), flowToken(r), q.Get("state"), clientIP(r), exchange); err != nil {
			s.federationFailed(w, r, err)
			return
		}
		http.Redirect(w, r, "/login/key", http.StatusSeeOther)
	})
}

// providerError is the provider's error answer (RFC 6749 §4.1.2.1).
func providerError(q url.Values) error {
	code, desc := q.Get("error"), q.Get("error_description")
	if len(desc) > 200 {
		desc = desc[:200]
	}
	if code == "access_denied" {
		return anshin.Errorf(anshin.ECodeFederationDenied, "the provider answered access_denied: %q", desc)
	}
	return anshin.Errorf(anshin.ECodeFederationError, "the provider answered %q: %q", code, desc)
}

// federationFailed forgets the browser's flow, logs why and shows the page.
func (s *Server) federationFailed(w http.ResponseWriter, r *http.Request, err error) {
	setSecretCookie(w, r, cookieFlow, "", 0)
	if e := anshin.AsError(err); e != nil {
		s.logOf(r).Warn("federated login failed", "code", e.Code, "reason", e.Message)
	}
	s.render(w, r, 0, "error", pageData{Title: "page.error", Path: "/login"}, err)
}

// passwordLogin guards the built-in steps 1 and 2: with
// ANSHIN_PASSWORD_LOGIN=off they answer password_login_disabled, which
// points to federation.
func (s *Server) passwordLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.PasswordLoginOff {
			next.ServeHTTP(w, r)
			return
		}
		err := anshin.Errorf(anshin.ECodePasswordLoginDisabled, "the password login is off; log in with the upstream provider at /login/oidc")
		if isAPI(r) {
			s.writeError(w, r, err)
			return
		}
		s.render(w, r, 0, "login_id", pageData{Title: "login.title", Path: "/login", Data: loginIDData{}}, err)
	})
}

func isAPI(r *http.Request) bool { return len(r.URL.Path) >= 5 && r.URL.Path[:5] == "/api/" }
