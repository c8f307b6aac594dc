package bounce

import (
	"context"
	"strconv"
	"strings"

	"github.com/anshin/anshin/internal/anshin"
)

// ReasonProviderSuppressed is recorded when the sending service refused to
// even try the address because it is on its suppression list (SES
// Suppressed / OnAccountSuppressionList, a SendGrid drop for a bounced
// address): mail sent through it cannot reach the address until it is
// taken off that list.
const ReasonProviderSuppressed = "provider_suppressed"

// Sending services, as ProviderEvent.Provider names them.
const (
	ProviderSES      = "ses"
	ProviderSendGrid = "sendgrid"
	ProviderMailgun  = "mailgun"
	ProviderPostmark = "postmark"
)

// ProviderEvent is one event of a sending service's notifications (Amazon
// SES through SNS, SendGrid's Event Webhook, Mailgun's and Postmark's
// webhooks), already authenticated by the provider's signature (Postmark:
// its webhook's credentials) and reduced to what decides it.
type ProviderEvent struct {
	Provider string // ProviderSES, ProviderSendGrid, ProviderMailgun, ProviderPostmark
	ID       string // the provider's event ID: a repeat of it changes nothing
	// The delivery is found by the VERP return path when the provider
	// reports it (signed by this server), else by our Message-ID header,
	// which names the delivery but is signed by nobody: the delivery's
	// recipient must then be one the event names.
	ReturnPath string
	MessageID  string
	Kind       Kind
	// Verdicts say what the event says about each address it names, by
	// lower-cased address.
	Verdicts map[string]Verdict
}

// Named reports whether the event names addr.
func (e *ProviderEvent) Named(addr string) bool {
	_, ok := e.Verdicts[normalizeAddr(addr)]
	return ok
}

func (e *ProviderEvent) verdict(recipient string) (Kind, Verdict) {
	v, ok := e.Verdicts[normalizeAddr(recipient)]
	if !ok {
		return KindBounce, Verdict{Class: None, Reason: ReasonOtherRecipient}
	}
	return e.Kind, v
}

// Provider applies one sending service's event, once per event ID.
func (h *Handler) Provider(ctx context.Context, e *ProviderEvent) (Outcome, error) {
	id, signed := "", false
	if e.ReturnPath != "" {
		if v, err := h.Verify(e.ReturnPath); err == nil {
			id, signed = v, true
		}
	}
	var stamp string
	if id == "" {
		id, stamp = parseMessageID(e.MessageID)
	}
	if id == "" {
		h.Log.Warn("bounce: provider event names no delivery of this server", "provider", e.Provider, "event", e.ID,
			"return_path", anshin.MaskText(e.ReturnPath))
		h.observe(Outcome{}, ErrForged)
		return Outcome{}, ErrForged
	}
	admit := func(tx anshin.Tx, d *anshin.Delivery) (bool, error) {
		if !signed && (stamp != strconv.FormatInt(d.CreatedAt.Unix(), 36) || !e.Named(d.Recipient)) {
			return false, ErrForged
		}
		return tx.RecordProviderEvent(e.Provider, e.ID, d.ID, h.Now())
	}
	return h.apply(ctx, id, admit, e.verdict)
}

// FirstUse notes the one-time value a provider's signature covers in
// place of the body (Mailgun's token) and reports whether it is new: a
// signature seen before is a replay, whatever event it now carries. It is
// kept in provider_events, as the providers' event IDs are.
func (h *Handler) FirstUse(ctx context.Context, provider, token string) (bool, error) {
	var fresh bool
	err := h.Store.Update(ctx, func(tx anshin.Tx) error {
		var err error
		fresh, err = tx.RecordProviderEvent(provider+"-token", token, "", h.Now())
		return err
	})
	return fresh, err
}

// parseMessageID reads the Message-ID internal/delivery gives each mail,
// <delivery-id.created-at@from-domain> (created-at: Unix seconds in base
// 36), into the delivery ID and the stamp; both are empty for any other.
func parseMessageID(mid string) (id, stamp string) {
	mid = strings.ToLower(strings.Trim(strings.TrimSpace(mid), "<>"))
	local, _, ok := strings.Cut(mid, "@")
	if !ok {
		return "", ""
	}
	i := strings.LastIndexByte(local, '.')
	if i <= 0 || i > 64 || i == len(local)-1 {
		return "", ""
	}
	id, stamp = local[:i], local[i+1:]
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			return "", ""
		}
	}
	return id, stamp
}

// failure classifies a provider's failure report by its status and the
// remote server's words, as a bounce message would be; when those say
// nothing either way, fallback (the provider's own judgement) decides.
func failure(status, diagnostic string, fallback Verdict) Verdict {
	v := classify(enhancedStatus(status), "failed", diagnostic)
	if v.Reason == ReasonUndetermined && fallback.Class != "" {
		v.Class, v.Reason = fallback.Class, fallback.Reason
	}
	return v
}

// delay classifies a provider's report that delivery is still being tried.
func delay(status, diagnostic string) Verdict {
	return classify(enhancedStatus(status), "delayed", diagnostic)
}

// settled is the verdict the provider's event type decides by itself,
// whatever its words: status and diagnostic are kept for the record.
func settled(c Class, reason, status, diagnostic string) Verdict {
	v := classify(enhancedStatus(status), "failed", diagnostic)
	v.Class, v.Reason = c, reason
	return v
}
