package web

import (
	"net/http"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
)

// handleKeyStatus answers the key page's polling script (static/key.js)
// with the current key's delivery status, from the flow cookie, with each
// status already in the page's language. Without script the page's
// "送信状況を更新" link shows the same.
func (s *Server) handleKeyStatus() http.Handler {
	type row struct {
		To     string `json:"to"`
		Status string `json:"status"`
		Label  string `json:"label"`
		Advice string `json:"advice,omitempty"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := s.Login.KeyState(r.Context(), flowToken(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		rows := make([]row, 0, len(st.Deliveries))
		pending := false
		for _, d := range st.Deliveries {
			rows = append(rows, row{To: d.To, Status: d.Status, Label: s.deliveryLabel(langOf(r), d), Advice: s.bounceAdvice(langOf(r), d.BounceReason)})
			// A sent SMS may still turn delivered or failed, a sent mail bounced.
			pending = pending || d.Status == anshin.DeliveryQueued || d.Status == anshin.DeliverySent
		}
		writeJSON(w, http.StatusOK, map[string]any{"issued": st.Issued, "pending": st.Issued && pending, "deliveries": rows})
	})
}

// deliveryLabel is a delivery's status as the key page says it, with why
// a bounced message did not arrive.
func (s *Server) deliveryLabel(lang string, d login.DeliveryStatus) string {
	label := s.i18n.T(lang, "key.status."+d.Status)
	if d.Status == anshin.DeliveryBounced && d.BounceReason != "" {
		reason := "bounce.reason." + d.BounceReason
		if !s.i18n.Has(reason) {
			reason = "bounce.reason.other"
		}
		label += s.i18n.T(lang, "bounce.reason.sep") + s.i18n.T(lang, reason)
		if d.BounceStatus != "" {
			label += " (" + d.BounceStatus + ")"
		}
	}
	return label
}

// bounceAdvice is what the recipient can do about a bounce of reason, or "".
func (s *Server) bounceAdvice(lang, reason string) string {
	if key := "bounce.advice." + reason; reason != "" && s.i18n.Has(key) {
		return s.i18n.T(lang, key, "from", s.MailFrom)
	}
	return ""
}

// apiTwilioStatus receives Twilio's status callbacks (delivery receipts).
func (s *Server) apiTwilioStatus() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := s.TwilioReceipts.Record(r.Context(), r.PostForm, r.Header.Get("X-Twilio-Signature")); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
