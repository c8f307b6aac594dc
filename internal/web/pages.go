package web

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/console"
	"github.com/anshin/anshin/internal/login"
	"github.com/nyaruka/phonenumbers"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pageNames are the page templates, each rendered inside base.html.
var pageNames = []string{"home", "login_id", "password", "key", "initial", "contract", "clomo", "outbox", "error",
	"admins", "admin_new", "admin_edit", "admin_delete", "admin_reset", "admin_password", "audit", "groups",
	"passkeys", "login_group"}

// pages holds every page parsed once per language, with t bound to it.
type pages struct {
	byLang map[string]map[string]*template.Template
}

func loadPages(cat *Catalog) (*pages, error) {
	p := &pages{byLang: map[string]map[string]*template.Template{}}
	for _, lang := range langs {
		funcs := template.FuncMap{
			"t":        func(key string, pairs ...string) string { return cat.T(lang, key, pairs...) },
			"fmtTime":  func(t time.Time) string { return formatTime(lang, t) },
			"fmtClock": func(t time.Time) string { return t.In(anshin.JapanTime).Format("15:04") },
			"phone":    nationalNumber,
			"join":     func(s []string) string { return strings.Join(s, ", ") },
			"deref":    func(s *string) string { return *s },
			"audit":    func(e console.AuditEntry) []template.HTML { return auditLines(cat, lang, e) },
			"anchor":   fieldAnchor,
			"current":  func(path, link string) bool { return path == link || strings.HasPrefix(path, link+"/") },
			"groupName": func(g *anshin.ContractGroup) string {
				if g.CLOMO != nil && g.CLOMO.OrganizationName != "" {
					return g.CLOMO.OrganizationName
				}
				return cat.T(lang, "key.group.number", "number", nationalNumber(g.RepresentativeNumber))
			},
		}
		p.byLang[lang] = map[string]*template.Template{}
		for _, name := range pageNames {
			t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles, "templates/base.html", "templates/"+name+".html")
			if err != nil {
				return nil, err
			}
			p.byLang[lang][name] = t
		}
	}
	return p, nil
}

// fieldAnchor is the id of the element where a field's error is fixed,
// for the error summary's link; "" for a field no page shows.
// A wrong or expired key is not fixed in the key field but by a new key.
func fieldAnchor(field string, code ...string) string {
	if len(code) > 0 && (code[0] == anshin.ECodeKeyInvalid || code[0] == anshin.ECodeKeyExpired) {
		return "issue"
	}
	switch field {
	case "group_id":
		return "group"
	case "method":
		return "issue"
	case "login_id", "password", "key", "initial_password", "organization_name", "contact_name", "contact_email",
		"time_zone", "name", "email", "kind", "from", "to":
		return field
	}
	return ""
}

// nationalNumber shows +81312345678 as 03-1234-5678, the way numbers are
// written in Japan.
func nationalNumber(e164 string) string {
	n, err := phonenumbers.Parse(e164, "JP")
	if err != nil {
		return e164
	}
	return phonenumbers.Format(n, phonenumbers.NATIONAL)
}

// pageData is what every page template receives.
type pageData struct {
	Lang, Size string
	Path       string // the GET path the header's links return to
	Title      string // locale key
	Dev        bool
	Passkeys   bool // the server offers passkeys
	SignedIn   *login.SignedIn
	Notice     string
	ErrorText  string
	ErrorCode  string
	ErrorField string
	// Bad holds the text of every field at fault, BadList the same in the
	// form's order: a form shows all its errors at once.
	Bad     map[string]string
	BadList []fieldProblem
	Data    any

	// Federation offers d アカウントでログイン; PasswordLogin the built-in
	// login ID and password.
	Federation    bool
	PasswordLogin bool
}

type fieldProblem struct{ Field, Text string }

// render is the one way a page is written; err, if set, is shown in the
// error summary and decides the status (on a console page, an unauthorized
// one sends the browser to log in again).
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData, err error) {
	d.Lang, d.Size, d.Dev, d.Passkeys = langOf(r), sizeOf(r), s.Outbox != nil, s.Passkeys != nil
	if d.Path == "" {
		d.Path = r.URL.Path
	}
	d.Federation, d.PasswordLogin = s.OIDC != nil, !s.PasswordLoginOff
	if err != nil {
		e := s.domainError(r, err)
		if e.Code == anshin.ECodeUnauthorized && inConsole(r) {
			// Membership ended during the request: the session is no good.
			setSecretCookie(w, r, cookieSession, "", 0)
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		d.ErrorText, d.ErrorCode, d.ErrorField = s.errorText(r, e), e.Code, e.Field
		if e.Field != "" {
			d.Bad = map[string]string{}
			for _, fe := range append([]*anshin.Error{e}, e.Others...) {
				d.Bad[fe.Field] = s.errorText(r, fe)
				d.BadList = append(d.BadList, fieldProblem{fe.Field, d.Bad[fe.Field]})
			}
		}
		if status == 0 {
			status = statusOf[e.Code]
		}
	}
	if status == 0 {
		status = http.StatusOK
	}
	var buf bytes.Buffer
	if terr := s.pages.byLang[d.Lang][name].ExecuteTemplate(&buf, "base", d); terr != nil {
		s.logOf(r).Error("rendering a page failed", "page", name, "err", terr)
		http.Error(w, s.i18n.T(d.Lang, "error.internal"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) handleNotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := pageData{Title: "page.not_found", Path: "/"}
		if token := sessionToken(r); token != "" {
			// A signed-in administrator keeps the console's header and
			// navigation on a page that does not exist.
			d.SignedIn, _ = s.Login.Session(r.Context(), token)
		}
		s.render(w, r, http.StatusNotFound, "error", d, anshin.Errorf(anshin.ECodeNotFound, "no such page"))
	})
}

func (s *Server) handleHome() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := pageData{Title: "home.title", Path: "/"}
		if r.URL.Query().Get("signed_out") == "1" {
			d.Notice = s.i18n.T(langOf(r), "logout.done")
		}
		s.render(w, r, 0, "home", d, nil)
	})
}
