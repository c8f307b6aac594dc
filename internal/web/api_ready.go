package web

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// readyTimeout bounds each readiness check: a probe must answer quickly,
// and a database that takes longer than this is not serving logins.
const readyTimeout = 2 * time.Second

// handleReady answers whether this instance can serve (/readyz): every
// check of Deps.ReadyChecks passes. The answer names the checks and says
// ok or failing, nothing more; the reason goes to the log.
func (s *Server) handleReady() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		var mu sync.Mutex
		var wg sync.WaitGroup
		checks := make(map[string]string, len(s.ReadyChecks))
		ok := true
		for name, check := range s.ReadyChecks {
			wg.Go(func() {
				err := check(ctx)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					ok = false
					checks[name] = "failing"
					s.logOf(r).Warn("not ready", "check", name, "err", err)
					return
				}
				checks[name] = "ok"
			})
		}
		wg.Wait()
		if !ok {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "checks": checks})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "checks": checks})
	})
}
