package web

import (
	"net/http"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/console"
	"github.com/anshin/anshin/internal/login"
)

func (s *Server) handleGroupsPage(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	list, err := s.Console.Groups(r.Context(), a)
	s.render(w, r, 0, "groups", pageData{Title: "groups.title", SignedIn: si, Data: list}, err)
}

// handleGroupSwitch moves the browser's session to another group: a new
// session cookie, or the initial password step first.
func (s *Server) handleGroupSwitch(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	d := pageData{Title: "groups.title", SignedIn: si, Path: "/console/groups"}
	if err := parseForm(w, r); err != nil {
		s.render(w, r, 0, "groups", d, err)
		return
	}
	res, err := s.Login.SwitchGroup(r.Context(), sessionToken(r), r.PostForm.Get("group_id"), clientIP(r))
	if err != nil {
		d.Data, _ = s.Console.Groups(r.Context(), a)
		s.render(w, r, 0, "groups", d, err)
		return
	}
	setSecretCookie(w, r, cookieSession, res.SessionToken, s.Login.Config().SessionMax)
	if res.Next == anshin.StepInitialPassword {
		setSecretCookie(w, r, cookieFlow, res.FlowToken, s.Login.Config().FlowTTL)
		http.Redirect(w, r, "/login/initial-password", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/console?welcome=1", http.StatusSeeOther)
}
