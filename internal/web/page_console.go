package web

import (
	"net/http"

	"github.com/anshin/anshin/internal/console"
	"github.com/anshin/anshin/internal/login"
)

type contractData struct {
	ShowDialog bool
	// MailDisabled are the signed-in administrator's own addresses in the
	// メール通知不可 state, FixAt where to change or clear them: after an
	// SMS login this page is where they learn of it.
	MailDisabled []string
	FixAt        string
}

func (s *Server) handleContractPage(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	// The CLOMO dialog greets a sign-in into a group without a CLOMO
	// environment; "later" is simply this page without the greeting.
	d := contractData{ShowDialog: r.URL.Query().Get("welcome") == "1" && si.Group.CLOMO == nil}
	admins, err := s.Console.Administrators(r.Context(), a)
	if err != nil {
		s.render(w, r, 0, "error", pageData{Title: "page.error", SignedIn: si}, err)
		return
	}
	for _, e := range admins {
		if e.Self && e.MailNotificationDisabled {
			d.MailDisabled, d.FixAt = e.MailNotificationDisabledAddresses, adminPath(e.LoginID)
		}
	}
	s.render(w, r, 0, "contract", pageData{Title: "contract.title", SignedIn: si, Data: d}, nil)
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
