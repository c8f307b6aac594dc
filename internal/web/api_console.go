package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/console"
	"github.com/anshin/anshin/internal/login"
)

func contractJSON(g *anshin.ContractGroup) map[string]any {
	var clomo any
	if g.CLOMO != nil {
		clomo = g.CLOMO
	}
	return map[string]any{
		"group_id":              g.ID,
		"management_number":     g.ManagementNumber,
		"representative_number": g.RepresentativeNumber,
		"contract":              g.Contract,
		"clomo":                 clomo,
	}
}

func (s *Server) apiContract(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) error {
	writeJSON(w, http.StatusOK, contractJSON(si.Group))
	return nil
}

func (s *Server) apiCLOMO(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) error {
	if si.Group.CLOMO == nil {
		return anshin.Errorf(anshin.ECodeNotFound, "the group has no CLOMO environment yet")
	}
	writeJSON(w, http.StatusOK, si.Group.CLOMO)
	return nil
}

func (s *Server) apiPutCLOMO(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) error {
	var in anshin.CLOMOEnvironment
	if err := decode(w, r, &in); err != nil {
		return err
	}
	created, err := s.Console.PutCLOMO(r.Context(), a, in)
	if err != nil {
		return err
	}
	g, err := s.Console.Group(r.Context(), a)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, g.CLOMO)
	return nil
}

func (s *Server) apiAdmins(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) error {
	list, err := s.Console.Administrators(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"administrators": list})
	return nil
}

func (s *Server) apiAdmin(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) error {
	e, err := s.Console.Administrator(r.Context(), a, r.PathValue("login_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// adminAnswer answers with the administrator's row after a change.
func (s *Server) adminAnswer(ctx context.Context, w http.ResponseWriter, a console.Actor, loginID string, status int) error {
	e, err := s.Console.Administrator(ctx, a, loginID)
	if err != nil {
		return err
	}
	writeJSON(w, status, e)
	return nil
}

func (s *Server) apiAddAdmin(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) error {
	var in console.NewAdmin
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := s.Console.AddAdministrator(r.Context(), a, in); err != nil {
		return err
	}
	return s.adminAnswer(r.Context(), w, a, in.LoginID, http.StatusCreated)
}

func (s *Server) apiUpdateAdmin(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) error {
	var in console.AdminEdit
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := s.Console.UpdateAdministrator(r.Context(), a, r.PathValue("login_id"), in); err != nil {
		return err
	}
	return s.adminAnswer(r.Context(), w, a, r.PathValue("login_id"), http.StatusOK)
}

func (s *Server) apiDeleteAdmin(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) error {
	if err := s.Console.DeleteAdministrator(r.Context(), a, r.PathValue("login_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiClearMailNotificationDisabled(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) error {
	if err := s.Console.ClearMailNotificationDisabled(r.Context(), a, r.PathValue("login_id")); err != nil {
		return err
	}
	return s.adminAnswer(r.Context(), w, a, r.PathValue("login_id"), http.StatusOK)
}

func (s *Server) apiResetInitialPassword(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) error {
	var in struct {
		InitialPassword string `json:"initial_password"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := s.Console.ResetInitialPassword(r.Context(), a, r.PathValue("login_id"), in.InitialPassword); err != nil {
		return err
	}
	return s.adminAnswer(r.Context(), w, a, r.PathValue("login_id"), http.StatusOK)
}

func (s *Server) apiGroups(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) error {
	list, err := s.Console.Groups(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": list})
	return nil
}

// apiSwitchGroup moves the session to another group. The old token stops
// working; the answer carries the new session token, or a flow_id for
// POST /api/v1/login/{flow_id}/initial-password.
func (s *Server) apiSwitchGroup() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			GroupID string `json:"group_id"`
		}
		if err := decode(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		res, err := s.Login.SwitchGroup(r.Context(), sessionToken(r), in.GroupID, clientIP(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if res.SessionToken != "" {
			if _, err := readCookie(r, cookieSession); err == nil {
				setSecretCookie(w, r, cookieSession, res.SessionToken, s.Login.Config().SessionMax)
			}
		}
		writeJSON(w, http.StatusOK, res)
	})
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) error {
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	page, err := s.Console.Audit(r.Context(), a, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// auditFilter reads the audit log's query parameters.
func auditFilter(r *http.Request) (console.AuditFilter, error) {
	q := r.URL.Query()
	f := console.AuditFilter{Kind: q.Get("kind"), From: q.Get("from"), To: q.Get("to")}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return f, anshin.FieldError("before", "before must be a number")
		}
		f.Before = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return f, anshin.FieldError("limit", "limit must be a number")
		}
		f.Limit = n
	}
	return f, nil
}
