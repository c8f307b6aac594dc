package web

import (
	"encoding/json"
	"net/http"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/console"
	"github.com/anshin/anshin/internal/login"
)

// The pages of passkeys (SPEC §2, Passkeys): the console's page of one's
// own passkeys, the JSON the browser's ceremonies post with the flow
// cookie, and the group choice after a passkey.

// passkeysData is the console's passkey page.
type passkeysData struct {
	List           []console.PasskeyEntry
	Recent         bool // the sign-in may still add and delete
	EnrollOnly     bool // a key sign-in into a group that requires passkeys
	Representative bool // may set the group's policy
	Required       bool // the group requires passkeys
}

func (s *Server) renderPasskeys(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor, notice string, err error) {
	d := passkeysData{Recent: s.now().Sub(a.SignedInAt) <= console.PasskeyRecency, EnrollOnly: si.EnrollOnly,
		Representative: si.Admin.Role == anshin.RoleRepresentative, Required: si.Group.PasskeyRequired}
	var lerr error
	d.List, lerr = s.ConsolePasskeys.List(r.Context(), a)
	if err == nil {
		err = lerr
	}
	s.render(w, r, 0, "passkeys", pageData{Title: "passkeys.title", SignedIn: si, Path: "/console/passkeys", Notice: notice, Data: d}, err)
}

func (s *Server) handlePasskeysPage(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	if s.ConsolePasskeys == nil {
		s.handleNotFound().ServeHTTP(w, r)
		return
	}
	notice := ""
	switch r.URL.Query().Get("done") {
	case "added":
		notice = s.i18n.T(langOf(r), "passkeys.added")
	case "renamed":
		notice = s.i18n.T(langOf(r), "passkeys.renamed")
	case "deleted":
		notice = s.i18n.T(langOf(r), "passkeys.deleted")
	case "policy":
		notice = s.i18n.T(langOf(r), "passkeys.policy.saved")
	}
	s.renderPasskeys(w, r, si, a, notice, nil)
}

func (s *Server) handlePasskeyPolicy(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	s.passkeyPost(w, r, si, a, "policy", func() error {
		return s.ConsolePasskeys.SetRequired(r.Context(), a, r.PostForm.Get("required") == "on")
	})
}

func (s *Server) handlePasskeyRename(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	s.passkeyPost(w, r, si, a, "renamed", func() error {
		return s.ConsolePasskeys.Rename(r.Context(), a, r.PathValue("id"), r.PostForm.Get("name"))
	})
}

func (s *Server) handlePasskeyDelete(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	s.passkeyPost(w, r, si, a, "deleted", func() error {
		return s.ConsolePasskeys.Delete(r.Context(), a, r.PathValue("id"))
	})
}

// passkeyPost runs one form post of the passkey page: act, then back to
// the page with its notice, or the page again with the error.
func (s *Server) passkeyPost(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor, done string, act func() error) {
	if s.ConsolePasskeys == nil {
		s.handleNotFound().ServeHTTP(w, r)
		return
	}
	err := parseForm(w, r)
	if err == nil {
		err = act()
	}
	if err != nil {
		s.renderPasskeys(w, r, si, a, "", err)
		return
	}
	http.Redirect(w, r, "/console/passkeys?done="+done, http.StatusSeeOther)
}

// flowPasskey runs a ceremony step of the browser's flow as JSON.
func (s *Server) flowPasskey(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := s.passkeysOff()
		if s.Passkeys != nil {
			err = h(w, r)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

// handlePasskeyStart begins パスキーでログイン for the browser: a flow cookie
// of its own.
func (s *Server) handlePasskeyStart() http.Handler {
	return s.flowPasskey(func(w http.ResponseWriter, r *http.Request) error {
		token, opts, err := s.Passkeys.Start(r.Context(), clientIP(r))
		if err != nil {
			return err
		}
		setSecretCookie(w, r, cookieFlow, token, s.Login.Config().FlowTTL)
		writeJSON(w, http.StatusOK, map[string]any{"options": opts})
		return nil
	})
}

func (s *Server) handlePasskeyOptions() http.Handler {
	return s.flowPasskey(func(w http.ResponseWriter, r *http.Request) error {
		opts, err := s.Passkeys.Options(r.Context(), flowToken(r))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"options": opts})
		return nil
	})
}

func (s *Server) handlePasskeyFinish() http.Handler {
	return s.flowPasskey(func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Credential json.RawMessage `json:"credential"`
		}
		if err := decode(w, r, &in); err != nil {
			return err
		}
		if _, err := s.Passkeys.SignIn(r.Context(), flowToken(r), in.Credential, clientIP(r)); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"redirect": "/login/group"})
		return nil
	})
}

func (s *Server) renderGroupChoice(w http.ResponseWriter, r *http.Request, err error) {
	list, lerr := s.Passkeys.Groups(r.Context(), flowToken(r))
	if err == nil {
		err = lerr
	}
	s.render(w, r, 0, "login_group", pageData{Title: "passkey.group.title", Path: "/login/group", Data: list}, err)
}

func (s *Server) handleGroupChoicePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Passkeys == nil {
			s.handleNotFound().ServeHTTP(w, r)
			return
		}
		if s.flowAt(w, r, anshin.StepGroup) != nil {
			s.renderGroupChoice(w, r, nil)
		}
	})
}

func (s *Server) handleGroupChoice() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Passkeys == nil {
			s.handleNotFound().ServeHTTP(w, r)
			return
		}
		if s.flowAt(w, r, anshin.StepGroup) == nil {
			return
		}
		if err := parseForm(w, r); err != nil {
			s.renderGroupChoice(w, r, err)
			return
		}
		res, err := s.Passkeys.ChooseGroup(r.Context(), flowToken(r), r.PostForm.Get("group_id"), clientIP(r))
		if err != nil {
			s.renderGroupChoice(w, r, err)
			return
		}
		if res.Next == anshin.StepInitialPassword {
			http.Redirect(w, r, "/login/initial-password", http.StatusSeeOther)
			return
		}
		s.signedIn(w, r, res)
	})
}
