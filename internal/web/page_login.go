package web

import (
	"net/http"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
)

// stepPaths is where each flow step's page lives.
var stepPaths = map[anshin.Step]string{
	anshin.StepPassword:        "/login/password",
	anshin.StepOneTimeKey:      "/login/key",
	anshin.StepInitialPassword: "/login/initial-password",
	anshin.StepPasskey:         "/login",
	anshin.StepGroup:           "/login/group",
	anshin.StepDone:            "/console",
	// A federated flow not yet (or no longer) between provider and callback.
	login.StepFederation:         "/login",
	login.StepFederationReturned: "/login",
}

// parseForm reads a form post within the body limit.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		return anshin.Errorf(anshin.ECodeInvalidRequest, "the form could not be read")
	}
	return nil
}

func flowToken(r *http.Request) string {
	if c, err := readCookie(r, cookieFlow); err == nil {
		return c.Value
	}
	return ""
}

// flowAt loads the browser's flow for a page of step. It answers itself
// (and returns nil) when there is no live flow or the flow is elsewhere.
func (s *Server) flowAt(w http.ResponseWriter, r *http.Request, step anshin.Step) *anshin.Flow {
	f, err := s.Login.Flow(r.Context(), flowToken(r))
	if err != nil {
		setSecretCookie(w, r, cookieFlow, "", 0)
		s.render(w, r, 0, "login_id", pageData{Title: "login.title", Path: "/login", Data: loginIDData{}}, err)
		return nil
	}
	if f.Step != step {
		http.Redirect(w, r, stepPaths[f.Step], http.StatusSeeOther)
		return nil
	}
	return f
}

type loginIDData struct{ LoginID string }

func (s *Server) handleLoginPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := pageData{Title: "login.title", Path: "/login", Data: loginIDData{}}
		if r.URL.Query().Get("expired") == "1" {
			d.Notice = s.i18n.T(langOf(r), "login.session_expired")
		}
		s.render(w, r, 0, "login_id", d, nil)
	})
}

func (s *Server) handleLoginSubmit() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := pageData{Title: "login.title", Data: loginIDData{}}
		if err := parseForm(w, r); err != nil {
			s.render(w, r, 0, "login_id", d, err)
			return
		}
		id := r.PostForm.Get("login_id")
		token, err := s.Login.Start(r.Context(), id, clientIP(r))
		if err != nil {
			d.Data = loginIDData{LoginID: id}
			s.render(w, r, 0, "login_id", d, err)
			return
		}
		setSecretCookie(w, r, cookieFlow, token, s.Login.Config().FlowTTL)
		http.Redirect(w, r, "/login/password", http.StatusSeeOther)
	})
}

func (s *Server) handlePasswordPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := s.flowAt(w, r, anshin.StepPassword); f != nil {
			s.render(w, r, 0, "password", pageData{Title: "login.password.title", Data: loginIDData{LoginID: s.Login.LoginID(f)}}, nil)
		}
	})
}

func (s *Server) handlePasswordSubmit() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := s.flowAt(w, r, anshin.StepPassword)
		if f == nil {
			return
		}
		d := pageData{Title: "login.password.title", Path: "/login/password", Data: loginIDData{LoginID: s.Login.LoginID(f)}}
		if err := parseForm(w, r); err != nil {
			s.render(w, r, 0, "password", d, err)
			return
		}
		if _, err := s.Login.Password(r.Context(), flowToken(r), r.PostForm.Get("password"), clientIP(r)); err != nil {
			s.render(w, r, 0, "password", d, err)
			return
		}
		http.Redirect(w, r, "/login/key", http.StatusSeeOther)
	})
}

func (s *Server) handleInitialPasswordPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := s.flowAt(w, r, anshin.StepInitialPassword); f != nil {
			s.render(w, r, 0, "initial", pageData{Title: "initial.title"}, nil)
		}
	})
}

func (s *Server) handleInitialPasswordSubmit() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.flowAt(w, r, anshin.StepInitialPassword) == nil {
			return
		}
		d := pageData{Title: "initial.title", Path: "/login/initial-password"}
		if err := parseForm(w, r); err != nil {
			s.render(w, r, 0, "initial", d, err)
			return
		}
		res, err := s.Login.InitialPassword(r.Context(), flowToken(r), r.PostForm.Get("initial_password"), clientIP(r))
		if err != nil {
			s.render(w, r, 0, "initial", d, err)
			return
		}
		s.signedIn(w, r, res)
	})
}

// signedIn trades the finished flow for the session cookie.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, res *login.Result) {
	setSecretCookie(w, r, cookieFlow, "", 0)
	setSecretCookie(w, r, cookieSession, res.SessionToken, s.Login.Config().SessionMax)
	if res.GroupID != "" {
		setPrefCookie(w, r, cookieGroup, res.GroupID)
	}
	http.Redirect(w, r, "/console?welcome=1", http.StatusSeeOther)
}
