package web

import (
	"net/http"
	"net/url"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/console"
	"github.com/anshin/anshin/internal/login"
)

// adminRow is an administrator with the path of their pages.
type adminRow struct {
	console.AdminEntry
	Path string
}

func adminPath(loginID string) string { return "/console/admins/" + url.PathEscape(loginID) }

func rowOf(e console.AdminEntry) adminRow { return adminRow{AdminEntry: e, Path: adminPath(e.LoginID)} }

type adminsData struct {
	Rows   []adminRow
	CanAdd bool // the viewer may add administrators
}

type adminFormData struct {
	Row adminRow
	In  console.NewAdmin
}

// passwordShownData is the one page that shows an initial authentication
// password, right after it was set; it is never stored in clear.
type passwordShownData struct {
	Row      adminRow
	Password string
	Added    bool
}

func (s *Server) handleAdminsPage(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	d := pageData{Title: "admins.title", SignedIn: si, Notice: s.noticeOf(r, "admins.done.")}
	list, err := s.Console.Administrators(r.Context(), a)
	rows := make([]adminRow, len(list))
	for i, e := range list {
		rows[i] = rowOf(e)
	}
	d.Data = adminsData{Rows: rows, CanAdd: console.MayAdd(si.Admin)}
	s.render(w, r, 0, "admins", d, err)
}

func (s *Server) handleAdminNewPage(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	d := pageData{Title: "admins.new.title", SignedIn: si, Data: adminFormData{}}
	if !console.MayAdd(si.Admin) {
		s.render(w, r, 0, "error", pageData{Title: "page.error", SignedIn: si}, anshin.Errorf(anshin.ECodeForbidden, "representative only"))
		return
	}
	s.render(w, r, 0, "admin_new", d, nil)
}

func (s *Server) handleAdminAdd(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	d := pageData{Title: "admins.new.title", SignedIn: si, Path: "/console/admins/new", Data: adminFormData{}}
	if err := parseForm(w, r); err != nil {
		s.render(w, r, 0, "admin_new", d, err)
		return
	}
	f := r.PostForm
	in := console.NewAdmin{LoginID: f.Get("login_id"), Name: f.Get("name"), Email: f.Get("email"), InitialPassword: f.Get("initial_password")}
	if err := s.Console.AddAdministrator(r.Context(), a, in); err != nil {
		in.InitialPassword = "" // never echoed back into the form
		d.Data = adminFormData{In: in}
		s.render(w, r, 0, "admin_new", d, err)
		return
	}
	e, err := s.Console.Administrator(r.Context(), a, in.LoginID)
	if err != nil {
		s.render(w, r, 0, "error", pageData{Title: "page.error", SignedIn: si}, err)
		return
	}
	s.render(w, r, http.StatusCreated, "admin_password", pageData{Title: "admins.password.title", SignedIn: si, Path: "/console/admins",
		Data: passwordShownData{Row: rowOf(e), Password: in.InitialPassword, Added: true}}, nil)
}

// target loads the administrator named in the path for a page.
func (s *Server) adminTarget(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) (adminRow, bool) {
	e, err := s.Console.Administrator(r.Context(), a, r.PathValue("login_id"))
	if err != nil {
		s.render(w, r, 0, "error", pageData{Title: "page.error", SignedIn: si}, err)
		return adminRow{}, false
	}
	return rowOf(e), true
}

func (s *Server) handleAdminEditPage(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	row, ok := s.adminTarget(w, r, si, a)
	if !ok {
		return
	}
	s.render(w, r, 0, "admin_edit", pageData{Title: "admins.edit.title", SignedIn: si, Notice: s.noticeOf(r, "admins.done."),
		Data: adminFormData{Row: row, In: console.NewAdmin{Name: row.Name, Email: row.Email}}}, nil)
}

func (s *Server) handleAdminEdit(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	row, ok := s.adminTarget(w, r, si, a)
	if !ok {
		return
	}
	d := pageData{Title: "admins.edit.title", SignedIn: si, Path: row.Path}
	if err := parseForm(w, r); err != nil {
		s.render(w, r, 0, "admin_edit", d, err)
		return
	}
	in := console.AdminEdit{Name: r.PostForm.Get("name"), Email: r.PostForm.Get("email")}
	if err := s.Console.UpdateAdministrator(r.Context(), a, row.LoginID, in); err != nil {
		d.Data = adminFormData{Row: row, In: console.NewAdmin{Name: in.Name, Email: in.Email}}
		s.render(w, r, 0, "admin_edit", d, err)
		return
	}
	http.Redirect(w, r, row.Path+"?done=updated", http.StatusSeeOther)
}

func (s *Server) handleAdminClearMail(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	row, ok := s.adminTarget(w, r, si, a)
	if !ok {
		return
	}
	if err := s.Console.ClearMailNotificationDisabled(r.Context(), a, row.LoginID); err != nil {
		d := pageData{Title: "admins.edit.title", SignedIn: si, Path: row.Path,
			Data: adminFormData{Row: row, In: console.NewAdmin{Name: row.Name, Email: row.Email}}}
		s.render(w, r, 0, "admin_edit", d, err)
		return
	}
	http.Redirect(w, r, row.Path+"?done=mail_cleared", http.StatusSeeOther)
}

// refuseUnless answers forbidden (and returns false) unless may: the pages
// of actions the role rules would refuse are not offered at all.
func (s *Server) refuseUnless(may bool, w http.ResponseWriter, r *http.Request, si *login.SignedIn) bool {
	if !may {
		s.render(w, r, 0, "error", pageData{Title: "page.error", SignedIn: si}, anshin.Errorf(anshin.ECodeForbidden, "not allowed by the role rules"))
	}
	return may
}

func (s *Server) handleAdminDeletePage(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	if row, ok := s.adminTarget(w, r, si, a); ok && s.refuseUnless(row.CanDelete, w, r, si) {
		s.render(w, r, 0, "admin_delete", pageData{Title: "admins.delete.title", SignedIn: si, Data: adminFormData{Row: row}}, nil)
	}
}

func (s *Server) handleAdminDelete(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	row, ok := s.adminTarget(w, r, si, a)
	if !ok {
		return
	}
	if err := s.Console.DeleteAdministrator(r.Context(), a, row.LoginID); err != nil {
		s.render(w, r, 0, "admin_delete", pageData{Title: "admins.delete.title", SignedIn: si, Path: row.Path + "/delete", Data: adminFormData{Row: row}}, err)
		return
	}
	http.Redirect(w, r, "/console/admins?done=deleted", http.StatusSeeOther)
}

func (s *Server) handleAdminResetPage(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	if row, ok := s.adminTarget(w, r, si, a); ok && s.refuseUnless(row.CanReset, w, r, si) {
		s.render(w, r, 0, "admin_reset", pageData{Title: "admins.reset.title", SignedIn: si, Data: adminFormData{Row: row}}, nil)
	}
}

func (s *Server) handleAdminReset(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	row, ok := s.adminTarget(w, r, si, a)
	if !ok {
		return
	}
	d := pageData{Title: "admins.reset.title", SignedIn: si, Path: row.Path + "/initial-password", Data: adminFormData{Row: row}}
	if err := parseForm(w, r); err != nil {
		s.render(w, r, 0, "admin_reset", d, err)
		return
	}
	password := r.PostForm.Get("initial_password")
	if err := s.Console.ResetInitialPassword(r.Context(), a, row.LoginID, password); err != nil {
		s.render(w, r, 0, "admin_reset", d, err)
		return
	}
	row.FirstLoginDone = false
	s.render(w, r, 0, "admin_password", pageData{Title: "admins.password.title", SignedIn: si, Path: "/console/admins",
		Data: passwordShownData{Row: row, Password: password}}, nil)
}
