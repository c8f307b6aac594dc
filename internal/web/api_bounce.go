package web

import (
	"errors"
	"net/http"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/bounce"
)

// maxBounceEvents bounds one webhook call.
const maxBounceEvents = 100

type bounceEvents struct {
	Events []bounce.Event `json:"events"`
}

type bounceResult struct {
	bounce.Outcome
	Error string `json:"error,omitempty"` // unknown_delivery: nothing changed
}

// apiBounces receives an e-mail provider's bounce events (README, Bounces),
// authenticated by ANSHIN_BOUNCE_WEBHOOK_TOKEN. The whole batch is checked
// before any event is applied; each event applies once however often the
// provider retries it.
func (s *Server) apiBounces() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Bounces == nil || s.BounceWebhookToken == "" {
			s.writeError(w, r, anshin.Errorf(anshin.ECodeNotFound, "the bounce webhook is off"))
			return
		}
		if !hasBearer(r, s.BounceWebhookToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="anshin-bounces"`)
			s.writeError(w, r, anshin.Errorf(anshin.ECodeUnauthorized, "a valid bounce webhook token is required"))
			return
		}
		var in bounceEvents
		if err := decode(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		if len(in.Events) == 0 || len(in.Events) > maxBounceEvents {
			s.writeError(w, r, anshin.FieldError("events", "send 1 to %d events", maxBounceEvents))
			return
		}
		for i := range in.Events {
			if err := in.Events[i].Validate(); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		results := make([]bounceResult, len(in.Events))
		for i := range in.Events {
			out, err := s.Bounces.Event(r.Context(), &in.Events[i])
			switch {
			case errors.Is(err, bounce.ErrForged):
				results[i] = bounceResult{Outcome: bounce.Outcome{DeliveryID: in.Events[i].DeliveryID}, Error: "unknown_delivery"}
			case err != nil:
				s.writeError(w, r, anshin.Errorf(anshin.ECodeUnavailable, "the store failed; send the batch again"))
				s.logOf(r).Error("bounce webhook: applying failed", "err", err)
				return
			default:
				results[i] = bounceResult{Outcome: out}
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"results": results})
	})
}
