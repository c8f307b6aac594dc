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
// it holds, and each token and each event ID apply once.
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
		ev, err := post.Event()
		if err != nil {
			s.writeError(w, r, anshin.Errorf(anshin.ECodeInvalidRequest, "%v", err))
			return
		}
		s.answerProviderEvents(w, r, ev)
	})
}
