package web

import (
	"context"
	"net/http"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/console"
	"github.com/anshin/anshin/internal/login"
)

// The session checks of the console, each named where routes.go lists its
// routes: consolePage for pages, consoleAPI for the JSON API.

// consolePage runs h for a signed-in browser; without a live session (or
// after losing membership) the browser goes to the login.
func (s *Server) consolePage(h func(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor)) http.Handler {
	return s.consoleTexts(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		si, err := s.Login.Session(r.Context(), sessionToken(r))
		if anshin.ErrorCode(err) == anshin.ECodeUnauthorized {
			to := "/login"
			if sessionToken(r) != "" {
				to += "?expired=1" // say why, rather than a bare login page
			}
			setSecretCookie(w, r, cookieSession, "", 0)
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		if err != nil {
			s.render(w, r, 0, "error", pageData{Title: "page.error"}, err)
			return
		}
		if si.EnrollOnly && !passkeyRoute(r) {
			http.Redirect(w, r, "/console/passkeys", http.StatusSeeOther)
			return
		}
		h(w, r, si, actorOf(r, si))
	}))
}

// consoleAPI runs h for a live session (bearer or cookie); membership is
// re-checked by the session read and again inside every console change.
func (s *Server) consoleAPI(h func(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) error) http.Handler {
	return s.consoleTexts(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		si, err := s.Login.Session(r.Context(), sessionToken(r))
		if err == nil && si.EnrollOnly && !passkeyRoute(r) {
			err = anshin.Errorf(anshin.ECodePasskeyRequired, "the group requires passkeys: this sign-in may only register one")
		}
		if err == nil {
			err = h(w, r, si, actorOf(r, si))
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	}))
}

// passkeyRoute tells the routes a sign-in that may only register a first
// passkey may use: the passkey page and API (routes.go).
func passkeyRoute(r *http.Request) bool {
	p := r.URL.Path
	return p == "/console/passkeys" || p == "/api/v1/passkeys" || p == "/api/v1/passkeys/options"
}

// actorOf is the console's view of a signed-in request.
func actorOf(r *http.Request, si *login.SignedIn) console.Actor {
	return console.Actor{AccountID: si.Account.ID, GroupID: si.Group.ID, ClientIP: clientIP(r), Lang: langOf(r), Scope: si.Session.Scope,
		SessionID: si.Session.ID, SignedInAt: si.Session.CreatedAt}
}

type consoleKey struct{}

// consoleTexts marks the requests of next as the console's, whose errors
// read in the console's words (Catalog.Error).
func (s *Server) consoleTexts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), consoleKey{}, true)))
	})
}

func inConsole(r *http.Request) bool {
	on, _ := r.Context().Value(consoleKey{}).(bool)
	return on
}
