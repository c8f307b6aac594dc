package web

import (
	"encoding/json"
	"net/http"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/console"
	"github.com/anshin/anshin/internal/login"
)

// The passkey ceremonies as JSON (SPEC §2, Passkeys). The options are those
// of navigator.credentials.create / get; the credential is the
// PublicKeyCredential's JSON (toJSON()). Without ANSHIN_PASSKEYS every
// route answers passkeys_unavailable.

func (s *Server) passkeysOff() error {
	return anshin.Errorf(anshin.ECodePasskeysOff, "passkeys are not enabled on this server")
}

// apiPasskeyStart begins パスキーでログイン: a new flow and its options.
func (s *Server) apiPasskeyStart() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Passkeys == nil {
			s.writeError(w, r, s.passkeysOff())
			return
		}
		token, opts, err := s.Passkeys.Start(r.Context(), clientIP(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"flow_id": token, "next": anshin.StepPasskey, "options": opts})
	})
}

// apiPasskeyOptions begins the passkey ceremony of a flow: step 3's after
// the password, or another try of パスキーでログイン.
func (s *Server) apiPasskeyOptions() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Passkeys == nil {
			s.writeError(w, r, s.passkeysOff())
			return
		}
		token := r.PathValue("flow_id")
		opts, err := s.Passkeys.Options(r.Context(), token)
		if e := anshin.AsError(err); e != nil && e.Code == anshin.ECodeFlowStep && e.Field == string(anshin.StepPasskey) {
			opts, err = s.Passkeys.Restart(r.Context(), token)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"options": opts})
	})
}

func (s *Server) apiPasskeySignIn() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Passkeys == nil {
			s.writeError(w, r, s.passkeysOff())
			return
		}
		var in struct {
			Credential json.RawMessage `json:"credential"`
		}
		if err := decode(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		choice, err := s.Passkeys.SignIn(r.Context(), r.PathValue("flow_id"), in.Credential, clientIP(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, choice)
	})
}

func (s *Server) apiPasskeyGroup() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Passkeys == nil {
			s.writeError(w, r, s.passkeysOff())
			return
		}
		var in struct {
			GroupID string `json:"group_id"`
		}
		if err := decode(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		res, err := s.Passkeys.ChooseGroup(r.Context(), r.PathValue("flow_id"), in.GroupID, clientIP(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
}

// The console's passkeys: one's own.

func (s *Server) apiPasskeys(w http.ResponseWriter, r *http.Request, _ *login.SignedIn, a console.Actor) error {
	if s.ConsolePasskeys == nil {
		return s.passkeysOff()
	}
	list, err := s.ConsolePasskeys.List(r.Context(), a)
	if err == nil {
		writeJSON(w, http.StatusOK, map[string]any{"passkeys": list})
	}
	return err
}

func (s *Server) apiPasskeyRegisterOptions(w http.ResponseWriter, r *http.Request, _ *login.SignedIn, a console.Actor) error {
	if s.ConsolePasskeys == nil {
		return s.passkeysOff()
	}
	opts, err := s.ConsolePasskeys.Begin(r.Context(), a)
	if err == nil {
		writeJSON(w, http.StatusOK, map[string]any{"options": opts})
	}
	return err
}

func (s *Server) apiPasskeyRegister(w http.ResponseWriter, r *http.Request, _ *login.SignedIn, a console.Actor) error {
	if s.ConsolePasskeys == nil {
		return s.passkeysOff()
	}
	var in struct {
		Name       string          `json:"name"`
		Credential json.RawMessage `json:"credential"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	e, err := s.ConsolePasskeys.Add(r.Context(), a, in.Name, in.Credential)
	if err == nil {
		writeJSON(w, http.StatusCreated, e)
	}
	return err
}

func (s *Server) apiPasskeyRename(w http.ResponseWriter, r *http.Request, _ *login.SignedIn, a console.Actor) error {
	if s.ConsolePasskeys == nil {
		return s.passkeysOff()
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	err := s.ConsolePasskeys.Rename(r.Context(), a, r.PathValue("id"), in.Name)
	if err == nil {
		w.WriteHeader(http.StatusNoContent)
	}
	return err
}

// apiPasskeyPolicy sets whether the group requires passkeys
// (representative only).
func (s *Server) apiPasskeyPolicy(w http.ResponseWriter, r *http.Request, _ *login.SignedIn, a console.Actor) error {
	if s.ConsolePasskeys == nil {
		return s.passkeysOff()
	}
	var in struct {
		Required bool `json:"required"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	err := s.ConsolePasskeys.SetRequired(r.Context(), a, in.Required)
	if err == nil {
		writeJSON(w, http.StatusOK, map[string]any{"required": in.Required})
	}
	return err
}

func (s *Server) apiPasskeyDelete(w http.ResponseWriter, r *http.Request, _ *login.SignedIn, a console.Actor) error {
	if s.ConsolePasskeys == nil {
		return s.passkeysOff()
	}
	err := s.ConsolePasskeys.Delete(r.Context(), a, r.PathValue("id"))
	if err == nil {
		w.WriteHeader(http.StatusNoContent)
	}
	return err
}
