package web

import (
	"errors"
	"net/http"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/bounce"
)

// maxSNSBody bounds an SNS post: a message is at most 256 KiB, escaped
// once more inside the JSON document.
const maxSNSBody = 1 << 20

// apiBouncesSES receives Amazon SES bounce, complaint and delivery
// notifications through an Amazon SNS HTTPS subscription (README,
// Bounces), off without ANSHIN_SES_SNS_TOPIC_ARN. Every message must be of
// an allowed topic and signed by SNS with a certificate from an allowed
// host; a subscription is confirmed only then.
func (s *Server) apiBouncesSES() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.providerBody(w, r, s.SES != nil, "Amazon SES", maxSNSBody)
		if !ok {
			return
		}
		m, err := bounce.ParseSNSMessage(body)
		if err != nil {
			s.writeError(w, r, anshin.Errorf(anshin.ECodeInvalidRequest, "%v", err))
			return
		}
		if t := r.Header.Get("X-Amz-Sns-Message-Type"); t != "" && t != m.Type {
			s.writeError(w, r, anshin.Errorf(anshin.ECodeInvalidRequest, "x-amz-sns-message-type %q disagrees with Type %q", t, m.Type))
			return
		}
		log := s.logOf(r).With("sns_message", m.MessageID, "topic", m.TopicArn)
		if err := s.SES.Verify(r.Context(), m); err != nil {
			s.refuseSNS(w, r, err)
			return
		}
		switch m.Type {
		case bounce.SNSSubscriptionConfirmation:
			if err := s.SES.Confirm(r.Context(), m); err != nil {
				s.refuseSNS(w, r, err)
				return
			}
			log.Info("sns: subscription confirmed")
			writeJSON(w, http.StatusOK, map[string]any{"confirmed": true})
		case bounce.SNSUnsubscribeConfirmation:
			log.Warn("sns: the subscription was removed; subscribe this endpoint again to keep receiving SES bounces")
			writeJSON(w, http.StatusOK, map[string]any{"unsubscribed": true})
		default:
			ev, err := bounce.ParseSES(m.MessageID, m.Message)
			if err != nil {
				// Signed and of our topic, but nothing SES says (a test
				// publish, say): taken, so that SNS does not repeat it.
				log.Info("sns: notification ignored, not an SES bounce, complaint or delivery")
				writeJSON(w, http.StatusOK, map[string]any{"results": []bounceResult{}})
				return
			}
			s.answerProviderEvents(w, r, ev)
		}
	})
}

// refuseSNS answers a message that failed its checks: an unreachable
// certificate or confirmation URL is worth SNS's retry, the rest is not.
func (s *Server) refuseSNS(w http.ResponseWriter, r *http.Request, err error) {
	s.logOf(r).Warn("sns: refused", "err", err)
	switch {
	case errors.Is(err, bounce.ErrSNSUnreachable):
		s.writeError(w, r, anshin.Errorf(anshin.ECodeUnavailable, "the signing certificate or confirmation URL could not be fetched; try again"))
	case errors.Is(err, bounce.ErrSNSTopic):
		s.writeError(w, r, anshin.Errorf(anshin.ECodeForbidden, "the topic is not ANSHIN_SES_SNS_TOPIC_ARN"))
	default:
		s.writeError(w, r, anshin.Errorf(anshin.ECodeUnauthorized, "the message is not signed by Amazon SNS"))
	}
}

// providerBody reads the raw body of a post to a sending service's
// endpoint, or answers 404 when the endpoint is off (on false) and
// reports false.
func (s *Server) providerBody(w http.ResponseWriter, r *http.Request, on bool, provider string, limit int64) ([]byte, bool) {
	if s.Bounces == nil || !on {
		s.writeError(w, r, anshin.Errorf(anshin.ECodeNotFound, "the %s endpoint is off", provider))
		return nil, false
	}
	body, err := readRaw(w, r, limit)
	if err != nil {
		s.writeError(w, r, err)
		return nil, false
	}
	return body, true
}

// answerProviderEvents applies verified provider events in order and
// answers their results, {"results": [...]}; a nil event (one that says
// nothing about delivery) has none.
func (s *Server) answerProviderEvents(w http.ResponseWriter, r *http.Request, events ...*bounce.ProviderEvent) {
	results := make([]bounceResult, 0, len(events))
	for _, ev := range events {
		if ev == nil {
			continue
		}
		res, ok := s.applyProviderEvent(w, r, ev)
		if !ok {
			return
		}
		results = append(results, res)
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

// applyProviderEvent applies one verified provider event; on a store
// failure it answers 503, so that the provider sends the post again (each
// event applies once however often it comes), and reports false.
func (s *Server) applyProviderEvent(w http.ResponseWriter, r *http.Request, ev *bounce.ProviderEvent) (bounceResult, bool) {
	out, err := s.Bounces.Provider(r.Context(), ev)
	switch {
	case errors.Is(err, bounce.ErrForged):
		return bounceResult{Error: "unknown_delivery"}, true
	case err != nil:
		s.writeError(w, r, anshin.Errorf(anshin.ECodeUnavailable, "the store failed; send the post again"))
		s.logOf(r).Error("bounce: applying a provider event failed", "provider", ev.Provider, "event", ev.ID, "err", err)
		return bounceResult{}, false
	}
	return bounceResult{Outcome: out}, true
}
