package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
)

func (s *Server) apiLoginStart() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			LoginID string `json:"login_id"`
		}
		if err := decode(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		token, err := s.Login.Start(r.Context(), in.LoginID, clientIP(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"flow_id": token, "next": anshin.StepPassword})
	})
}

func (s *Server) apiLoginPassword() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Password string `json:"password"`
		}
		if err := decode(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		methods, err := s.Login.Password(r.Context(), r.PathValue("flow_id"), in.Password, clientIP(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"next": anshin.StepOneTimeKey, "methods": methods})
	})
}

func (s *Server) apiLoginIssueKey() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Method string `json:"method"`
		}
		if err := decode(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		issued, err := s.Login.IssueKey(r.Context(), r.PathValue("flow_id"), anshin.Method(in.Method), langOf(r), clientIP(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, issued)
	})
}

func (s *Server) apiLoginDeliveries() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := s.Login.KeyState(r.Context(), r.PathValue("flow_id"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		ds := st.Deliveries
		if ds == nil {
			ds = []login.DeliveryStatus{}
		}
		var expires *time.Time
		if st.Issued {
			expires = &st.ExpiresAt
		}
		writeJSON(w, http.StatusOK, map[string]any{"method": st.Method, "expires_at": expires, "deliveries": ds})
	})
}

func (s *Server) apiLoginVerify() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Key     string `json:"key"`
			GroupID string `json:"group_id"`
		}
		if err := decode(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		res, err := s.Login.Verify(r.Context(), r.PathValue("flow_id"), in.Key, in.GroupID, clientIP(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
}

func (s *Server) apiLoginInitialPassword() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			InitialPassword string `json:"initial_password"`
		}
		if err := decode(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		res, err := s.Login.InitialPassword(r.Context(), r.PathValue("flow_id"), in.InitialPassword, clientIP(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
}

// sessionToken reads the bearer token, or else the browser's cookie.
func sessionToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	if c, err := readCookie(r, cookieSession); err == nil {
		return c.Value
	}
	return ""
}

func (s *Server) apiSession() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		si, err := s.Login.Session(r.Context(), sessionToken(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		g := si.Group
		var clomo any
		if g.CLOMO != nil {
			clomo = g.CLOMO
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"login_id": si.Account.LoginID,
			"name":     si.Admin.Name,
			"role":     si.Admin.Role,
			"group": map[string]any{
				"group_id":              g.ID,
				"management_number":     g.ManagementNumber,
				"representative_number": g.RepresentativeNumber,
				"contract":              g.Contract,
				"clomo":                 clomo,
			},
			"expires_at": si.Session.ExpiresAt,
		})
	})
}

func (s *Server) apiSignOut() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := sessionToken(r)
		if _, err := s.Login.Session(r.Context(), token); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := s.Login.SignOut(r.Context(), token); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// apiNotFound answers API paths no route takes, as JSON: 405 with Allow
// when the path exists for other methods, else 404.
func (s *Server) apiNotFound(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/api/" && pattern != "/" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.writeError(w, r, anshin.Errorf(anshin.ECodeMethodNotAllowed, "use %s", strings.Join(allow, ", ")))
			return
		}
		s.writeError(w, r, anshin.Errorf(anshin.ECodeNotFound, "no such endpoint"))
	})
}

func (s *Server) handleHealth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}
