package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/operator"
)

// operator guards the provisioning API with ANSHIN_OPERATOR_TOKEN; with no
// token configured the API does not exist.
func (s *Server) operator(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.OperatorToken == "" {
			s.writeError(w, r, anshin.Errorf(anshin.ECodeOperatorDisabled, "the operator API is off"))
			return
		}
		if !hasBearer(r, s.OperatorToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="anshin-operator"`)
			s.writeError(w, r, anshin.Errorf(anshin.ECodeUnauthorized, "a valid operator token is required"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hasBearer reports whether r carries the bearer token want (compared in
// constant time).
func hasBearer(r *http.Request, want string) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(want)) == 1
}

// operatorPut decodes the body into In, runs put, and answers 201 when it
// created the object, 200 when it replaced it.
func operatorPut[In any](s *Server, put func(ctx context.Context, r *http.Request, in In) (bool, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in In
		if err := decode(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		created, err := put(r.Context(), r, in)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		writeJSON(w, status, map[string]bool{"created": created})
	})
}

func (s *Server) apiOperatorAccount() http.Handler {
	return operatorPut(s, func(ctx context.Context, r *http.Request, in operator.AccountInput) (bool, error) {
		return s.Operator.PutAccount(ctx, r.PathValue("login_id"), in)
	})
}

func (s *Server) apiOperatorGroup() http.Handler {
	return operatorPut(s, func(ctx context.Context, r *http.Request, in operator.GroupInput) (bool, error) {
		return s.Operator.PutGroup(ctx, r.PathValue("group_id"), in)
	})
}

func (s *Server) apiOperatorAdmin() http.Handler {
	return operatorPut(s, func(ctx context.Context, r *http.Request, in operator.AdminInput) (bool, error) {
		return s.Operator.PutAdministrator(ctx, r.PathValue("group_id"), r.PathValue("login_id"), in)
	})
}

func (s *Server) apiOperatorCLOMO() http.Handler {
	return operatorPut(s, func(ctx context.Context, r *http.Request, in anshin.CLOMOEnvironment) (bool, error) {
		return s.Operator.PutCLOMO(ctx, r.PathValue("group_id"), in)
	})
}
