package web

import (
	"net/http"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/console"
	"github.com/anshin/anshin/internal/login"
)

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

// commonTimeZones are the time zones the CLOMO page offers, Japan first:
// where Japanese companies' devices most often are.
var commonTimeZones = []string{anshin.DefaultTimeZone, "Asia/Seoul", "Asia/Shanghai", "Asia/Taipei", "Asia/Hong_Kong",
	"Asia/Singapore", "Asia/Bangkok", "Asia/Ho_Chi_Minh", "Asia/Jakarta", "Asia/Manila", "Asia/Kolkata", "Australia/Sydney",
	"Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago", "America/Los_Angeles",
	"Pacific/Honolulu", "UTC"}

// TimeZones are the choices of the page: the common ones, and the group's
// own when it is another.
func (d clomoData) TimeZones() []string {
	for _, z := range commonTimeZones {
		if z == d.In.TimeZone {
			return commonTimeZones
		}
	}
	if d.In.TimeZone == "" {
		return commonTimeZones
	}
	return append([]string{d.In.TimeZone}, commonTimeZones...)
}

func (s *Server) handleCLOMOPage(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	d := clomoData{In: anshin.CLOMOEnvironment{TimeZone: anshin.DefaultTimeZone}}
	if c := si.Group.CLOMO; c != nil {
		d = clomoData{In: anshin.CLOMOEnvironment{OrganizationName: c.OrganizationName, ContactName: c.ContactName, ContactEmail: c.ContactEmail, TimeZone: c.TimeZone}, Created: true}
	}
	s.render(w, r, 0, "clomo", pageData{Title: "clomo.title", SignedIn: si, Notice: s.noticeOf(r, "clomo.done."), Data: d}, nil)
}

func (s *Server) handleCLOMOSubmit(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	d := pageData{Title: "clomo.title", SignedIn: si, Path: "/console/clomo"}
	if err := parseForm(w, r); err != nil {
		s.render(w, r, 0, "clomo", d, err)
		return
	}
	f := r.PostForm
	in := anshin.CLOMOEnvironment{OrganizationName: f.Get("organization_name"), ContactName: f.Get("contact_name"),
		ContactEmail: f.Get("contact_email"), TimeZone: f.Get("time_zone")}
	created, err := s.Console.PutCLOMO(r.Context(), a, in)
	if err != nil {
		d.Data = clomoData{In: in, Created: si.Group.CLOMO != nil}
		s.render(w, r, 0, "clomo", d, err)
		return
	}
	done := "updated"
	if created {
		done = "created"
	}
	http.Redirect(w, r, "/console/clomo?done="+done, http.StatusSeeOther)
}
