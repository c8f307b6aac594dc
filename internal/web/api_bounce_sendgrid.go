package web

import (
	"net/http"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/bounce"
)

// maxSendGridBody bounds one post of the Event Webhook, a batch of events.
const maxSendGridBody = 4 << 20

// apiBouncesSendGrid receives SendGrid's signed Event Webhook (README,
// Bounces), off without ANSHIN_SENDGRID_WEBHOOK_PUBLIC_KEY. The signature
// is checked over the raw body before anything is read from it; each event
// applies once by its sg_event_id.
func (s *Server) apiBouncesSendGrid() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.providerBody(w, r, s.SendGrid != nil, "SendGrid", maxSendGridBody)
		if !ok {
			return
		}
		if err := s.SendGrid.Verify(r.Header.Get(bounce.SendGridSignatureHeader), r.Header.Get(bounce.SendGridTimestampHeader), body); err != nil {
			s.logOf(r).Warn("sendgrid: refused", "err", err)
			s.writeError(w, r, anshin.Errorf(anshin.ECodeUnauthorized, "the post is not signed with the SendGrid verification key, or not recently"))
			return
		}
		events, err := bounce.ParseSendGrid(body)
		if err != nil {
			s.writeError(w, r, anshin.Errorf(anshin.ECodeInvalidRequest, "%v", err))
			return
		}
		s.answerProviderEvents(w, r, events...)
	})
}
