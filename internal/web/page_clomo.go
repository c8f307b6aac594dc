package web

import (
	"net/http"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/console"
	"github.com/anshin/anshin/internal/login"
)

// consolePage runs h for a signed-in browser; without a live session (or
// after losing membership) the browser goes to the login.
func (s *Server) consolePage(h func(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if si := s.signedInPage(w, r); si != nil {
			h(w, r, si, actorOf(r, si))
		}
	})
}

// renderConsole renders a console page; err, if set, is shown with the
// console's own field texts where it has one (console.err.<code>.<field>).
func (s *Server) renderConsole(w http.ResponseWriter, r *http.Request, name string, d pageData, err error) {
	if err == nil {
		s.render(w, r, 0, name, d, nil)
		return
	}
	e := s.domainError(r, err)
	if e.Code == anshin.ECodeUnauthorized {
		// Membership ended during the request: the session is no good.
		setSecretCookie(w, r, cookieSession, "", 0)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if key := "console.err." + e.Code + "." + e.Field; e.Field != "" && s.i18n.Has(key) {
		d.ErrorText, d.ErrorCode, d.ErrorField = s.i18n.T(langOf(r), key), e.Code, e.Field
		s.render(w, r, statusOf[e.Code], name, d, nil)
		return
	}
	s.render(w, r, 0, name, d, e)
}

// noticeOf turns the ?done= of a redirect after a change into its text.
func (s *Server) noticeOf(r *http.Request, prefix string) string {
	done := r.URL.Query().Get("done")
	if done == "" || !s.i18n.Has(prefix+done) {
		return ""
	}
	return s.i18n.T(langOf(r), prefix+done)
}

type clomoData struct {
	In      anshin.CLOMOEnvironment
	Created bool // the group has a CLOMO environment already
}

func (s *Server) handleCLOMOPage() http.Handler {
	return s.consolePage(func(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
		d := clomoData{In: anshin.CLOMOEnvironment{TimeZone: anshin.DefaultTimeZone}}
		if c := si.Group.CLOMO; c != nil {
			d = clomoData{In: anshin.CLOMOEnvironment{OrganizationName: c.OrganizationName, ContactName: c.ContactName, ContactEmail: c.ContactEmail, TimeZone: c.TimeZone}, Created: true}
		}
		s.render(w, r, 0, "clomo", pageData{Title: "clomo.title", SignedIn: si, Notice: s.noticeOf(r, "clomo.done."), Data: d}, nil)
	})
}

func (s *Server) handleCLOMOSubmit() http.Handler {
	return s.consolePage(func(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
		d := pageData{Title: "clomo.title", SignedIn: si, Path: "/console/clomo"}
		if err := parseForm(w, r); err != nil {
			s.renderConsole(w, r, "clomo", d, err)
			return
		}
		f := r.PostForm
		in := anshin.CLOMOEnvironment{OrganizationName: f.Get("organization_name"), ContactName: f.Get("contact_name"),
			ContactEmail: f.Get("contact_email"), TimeZone: f.Get("time_zone")}
		created, err := s.Console.PutCLOMO(r.Context(), a, in)
		if err != nil {
			d.Data = clomoData{In: in, Created: si.Group.CLOMO != nil}
			s.renderConsole(w, r, "clomo", d, err)
			return
		}
		done := "updated"
		if created {
			done = "created"
		}
		http.Redirect(w, r, "/console/clomo?done="+done, http.StatusSeeOther)
	})
}
