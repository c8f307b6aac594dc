package web

import (
	"net/http"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/bounce"
)

// maxMailgunBody bounds one webhook post: one event with the message's
// headers.
const maxMailgunBody = 1 << 20

// apiBouncesMailgun receives Mailgun's signed webhooks (README, Bounces),
// off without ANSHIN_MAILGUN_WEBHOOK_SIGNING_KEY. The signature is in the
// body and covers its timestamp and token only: the event is read after
// it holds and its token was never seen; each event ID applies once.
func (s *Server) apiBouncesMailgun() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.providerBody(w, r, s.Mailgun != nil, "Mailgun", maxMailgunBody)
		if !ok {
			return
		}
		post, err := bounce.ParseMailgun(body)
		if err != nil {
			s.writeError(w, r, anshin.Errorf(anshin.ECodeInvalidRequest, "%v", err))
			return
		}
		if err := s.Mailgun.Verify(post); err != nil {
			s.logOf(r).Warn("mailgun: refused", "err", err)
			s.writeError(w, r, anshin.Errorf(anshin.ECodeUnauthorized, "the post is not signed with the Mailgun webhook signing key, or not recently"))
			return
		}
		// Mailgun signs each attempt anew: a token seen before is a
		// captured signature, whatever event it carries now.
		switch fresh, err := s.Bounces.FirstUse(r.Context(), bounce.ProviderMailgun, post.Signature.Token); {
		case err != nil:
			s.logOf(r).Error("mailgun: noting the token failed", "err", err)
			s.writeError(w, r, anshin.Errorf(anshin.ECodeUnavailable, "the store failed; send the post again"))
			return
		case !fresh:
			s.logOf(r).Warn("mailgun: refused, a signature token seen before")
			s.writeError(w, r, anshin.Errorf(anshin.ECodeUnauthorized, "the signature was used before"))
			return
		}
		ev, err := post.Event()
		if err != nil {
			s.writeError(w, r, anshin.Errorf(anshin.ECodeInvalidRequest, "%v", err))
			return
		}
		s.answerProviderEvents(w, r, ev)
	})
}
