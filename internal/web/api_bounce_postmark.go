package web

import (
	"net/http"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/bounce"
)

// maxPostmarkBody bounds one webhook post: one record, with the bounce's
// content when the webhook includes it.
const maxPostmarkBody = 1 << 20

// apiBouncesPostmark receives Postmark's Bounce, SpamComplaint and
// Delivery webhooks (README, Bounces), off without
// ANSHIN_POSTMARK_WEBHOOK_USER and _PASSWORD. Postmark signs nothing: the
// HTTP Basic credentials set on the webhook are checked before the record
// is read; each record applies once by its ID.
func (s *Server) apiBouncesPostmark() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.providerBody(w, r, s.Postmark != nil, "Postmark", maxPostmarkBody)
		if !ok {
			return
		}
		if err := s.Postmark.Verify(r.BasicAuth()); err != nil {
			s.logOf(r).Warn("postmark: refused", "err", err)
			w.Header().Set("WWW-Authenticate", `Basic realm="anshin-postmark"`)
			s.writeError(w, r, anshin.Errorf(anshin.ECodeUnauthorized, "the post does not carry the Postmark webhook credentials"))
			return
		}
		ev, err := bounce.ParsePostmark(body)
		if err != nil {
			s.writeError(w, r, anshin.Errorf(anshin.ECodeInvalidRequest, "%v", err))
			return
		}
		s.answerProviderEvents(w, r, ev)
	})
}
