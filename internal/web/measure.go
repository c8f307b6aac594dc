package web

import (
	"net/http"
	"time"
)

// measure reports each request's route pattern, status and duration to
// Deps.ObserveRequest (metrics). It wraps the mux directly: the mux sets
// the pattern on the request it was given, so it is known once the
// handler returns. The pattern, never the path: a path can hold a flow ID.
func (s *Server) measure(next http.Handler) http.Handler {
	if s.ObserveRequest == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		defer func() {
			code := rec.status()
			if v := recover(); v != nil {
				s.ObserveRequest(r.Pattern, http.StatusInternalServerError, time.Since(start))
				panic(v)
			}
			s.ObserveRequest(r.Pattern, code, time.Since(start))
		}()
		next.ServeHTTP(rec, r)
	})
}
