package web

import (
	"net/http"

	"github.com/anshin/anshin/internal/console"
	"github.com/anshin/anshin/internal/login"
)

type contractData struct{ ShowDialog bool }

func (s *Server) handleContractPage(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	// The CLOMO dialog greets a sign-in into a group without a CLOMO
	// environment; "later" is simply this page without the greeting.
	show := r.URL.Query().Get("welcome") == "1" && si.Group.CLOMO == nil
	s.render(w, r, 0, "contract", pageData{Title: "contract.title", SignedIn: si, Data: contractData{ShowDialog: show}}, nil)
}

func (s *Server) handleLogout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token := sessionToken(r); token != "" {
			if err := s.Login.SignOut(r.Context(), token); err != nil {
				s.render(w, r, 0, "error", pageData{Title: "page.error"}, err)
				return
			}
		}
		setSecretCookie(w, r, cookieSession, "", 0)
		// A redirect, so that reloading the page does not post again.
		http.Redirect(w, r, "/?signed_out=1", http.StatusSeeOther)
	})
}

func (s *Server) handleOutboxPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, 0, "outbox", pageData{Title: "outbox.title", Data: s.Outbox.Messages()}, nil)
	})
}

func (s *Server) handleOutboxJSON() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"messages": s.Outbox.Messages()})
	})
}
