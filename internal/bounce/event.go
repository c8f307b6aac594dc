package bounce

import (
	"context"
	"strings"

	"github.com/anshin/anshin/internal/anshin"
)

// Event is one bounce event from an e-mail provider's webhook (README,
// Bounces): the provider has already parsed the bounce and says which
// delivery and recipient it is about.
type Event struct {
	ReturnPath  string `json:"return_path"`  // the VERP envelope sender, verified
	DeliveryID  string `json:"delivery_id"`  // or the delivery itself
	Recipient   string `json:"recipient"`    // the address that failed
	Type        string `json:"type"`         // bounce, delay, complaint, auto_reply, delivered
	BounceClass string `json:"bounce_class"` // permanent, transient, or empty: the provider's own judgement
	Status      string `json:"status"`       // enhanced status code, 5.1.1
	Diagnostic  string `json:"diagnostic"`   // the remote server's reply
}

// Validate checks an event's shape before anything of a batch is applied.
func (e *Event) Validate() *anshin.Error {
	switch {
	case e.ReturnPath == "" && e.DeliveryID == "":
		return anshin.FieldError("delivery_id", "each event needs return_path or delivery_id")
	case len(e.ReturnPath) > 320 || len(e.DeliveryID) > 64 || len(e.Recipient) > 320 || len(e.Status) > 16 || len(e.Diagnostic) > 4000:
		return anshin.FieldError("events", "a field is too long")
	}
	switch e.Type {
	case "bounce", "delay", "complaint", "auto_reply", "delivered":
	default:
		return anshin.FieldError("type", "must be bounce, delay, complaint, auto_reply or delivered")
	}
	switch e.BounceClass {
	case "", "permanent", "transient":
	default:
		return anshin.FieldError("bounce_class", "must be permanent, transient or empty")
	}
	return nil
}

// verdict classifies the event for the delivery's recipient with the same
// rules as a parsed message. The provider's bounce_class decides only where
// the status and diagnostic say nothing either way: a 5.7.x with
// "permanent" is still a policy rejection.
func (e *Event) verdict(recipient string) (Kind, Verdict) {
	if e.Recipient != "" && !strings.EqualFold(strings.TrimSpace(e.Recipient), recipient) {
		return KindBounce, Verdict{Class: None, Reason: ReasonOtherRecipient}
	}
	switch e.Type {
	case "complaint":
		return KindFeedback, Verdict{Class: None, Reason: ReasonFeedback}
	case "auto_reply":
		return KindAutoReply, Verdict{Class: None, Reason: ReasonAutoReply}
	case "delivered":
		return KindBounce, Verdict{Class: None, Reason: ReasonDelivered}
	case "delay":
		return KindBounce, classify(enhancedStatus(e.Status), "delayed", e.Diagnostic)
	}
	v := classify(enhancedStatus(e.Status), "failed", e.Diagnostic)
	if v.Reason == ReasonUndetermined {
		switch e.BounceClass {
		case "permanent":
			v.Class, v.Reason = Permanent, ReasonNoSuchUser
		case "transient":
			v.Class, v.Reason = Transient, ReasonTemporary
		}
	}
	return KindBounce, v
}

// Event applies one provider event. The webhook's token authenticates the
// provider, so a bare delivery_id is accepted; a return_path must still
// carry a valid signature.
func (h *Handler) Event(ctx context.Context, e *Event) (Outcome, error) {
	id := e.DeliveryID
	if e.ReturnPath != "" {
		var err error
		if id, err = h.Verify(e.ReturnPath); err != nil {
			h.Log.Warn("bounce webhook: refused, not a signed return path", "return_path", e.ReturnPath)
			return Outcome{}, ErrForged
		}
		if e.DeliveryID != "" && e.DeliveryID != id {
			return Outcome{}, ErrForged
		}
	}
	return h.Apply(ctx, id, e.verdict)
}
