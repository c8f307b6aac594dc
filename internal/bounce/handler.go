package bounce

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/secret"
)

// Verifier turns the envelope recipient of a bounce (a VERP return path)
// into the delivery it identifies, or fails for anything not signed by
// this server.
type Verifier func(rcpt string) (deliveryID string, err error)

// VERPVerifier verifies the return paths internal/delivery signs.
func VERPVerifier(keys *secret.Keyring, domain string) Verifier {
	return func(rcpt string) (string, error) { return delivery.ParseVERP(keys, rcpt, domain) }
}

func normalizeAddr(a string) string { return strings.ToLower(strings.Trim(strings.TrimSpace(a), "<>")) }

// ErrForged is returned for a bounce that names no delivery of this
// server: a bad or missing signature, or a delivery that does not exist.
// Such a bounce changes nothing.
var ErrForged = errors.New("bounce: not for a delivery of this server (bad or missing signature, or unknown delivery)")

// ReasonRepeatedTransient is the reason recorded when transient failures
// add up to a disable.
const ReasonRepeatedTransient = "repeated_transient"

// Handler applies bounces to the store. Every way in (the SMTP listener,
// anshin bounce ingest, the webhook) ends here.
type Handler struct {
	Store  anshin.Store
	Now    anshin.Clock
	Log    *slog.Logger
	Verify Verifier
	// TransientLimit transient failures, each of a different delivery,
	// within TransientWindow disable the address.
	TransientLimit  int
	TransientWindow time.Duration
	// Observe, when set, hears what became of every bounce: its outcome,
	// or the error (ErrForged for one refused) — metrics.
	Observe func(Outcome, error)
}

// Outcome is what applying one bounce did.
type Outcome struct {
	DeliveryID string  `json:"delivery_id"`
	Recipient  string  `json:"recipient"`
	Kind       Kind    `json:"kind"`
	Verdict    Verdict `json:"verdict"`
	Recorded   bool    `json:"recorded"`  // stored as a bounce of the delivery
	Duplicate  bool    `json:"duplicate"` // a repeat of a bounce already applied
	Disabled   bool    `json:"disabled"`  // the address entered メール通知不可 now
}

// Message applies a raw bounce message received for the VERP address
// rcpt.
func (h *Handler) Message(ctx context.Context, rcpt string, raw []byte) (Outcome, error) {
	id, err := h.Verify(rcpt)
	if err != nil {
		h.Log.Warn("bounce: refused, not a signed return path", "rcpt", anshin.MaskText(rcpt))
		h.observe(Outcome{}, ErrForged)
		return Outcome{}, ErrForged
	}
	r := Parse(raw)
	return h.Apply(ctx, id, func(recipient string) (Kind, Verdict) { return r.Kind, r.For(recipient) })
}

// Apply records what verdict says about the recipient of delivery id.
// verdict is asked about the delivery's own recipient only: a bounce that
// names others changes nothing for them.
func (h *Handler) Apply(ctx context.Context, id string, verdict func(recipient string) (Kind, Verdict)) (Outcome, error) {
	return h.apply(ctx, id, nil, verdict)
}

// apply is Apply with admit, when set, asked first inside the transaction
// about the delivery: false leaves everything as it is (a provider's event
// applied before), ErrForged refuses the bounce.
func (h *Handler) apply(ctx context.Context, id string, admit func(tx anshin.Tx, d *anshin.Delivery) (bool, error),
	verdict func(recipient string) (Kind, Verdict)) (_ Outcome, err error) {
	out := Outcome{DeliveryID: id}
	defer func() { h.observe(out, err) }()
	err = h.Store.Update(ctx, func(tx anshin.Tx) error {
		out = Outcome{DeliveryID: id}
		d, err := tx.Delivery(id)
		if anshin.ErrorCode(err) == anshin.ECodeNotFound || err == nil && d.Channel != anshin.MethodEmail {
			return ErrForged
		}
		if err != nil {
			return err
		}
		out.Recipient = d.Recipient
		out.Kind, out.Verdict = verdict(d.Recipient)
		if admit != nil {
			fresh, err := admit(tx, d)
			if err != nil {
				return err
			}
			if !fresh {
				out.Duplicate = true
				return nil
			}
		}
		if out.Kind != KindBounce || out.Verdict.Reason == ReasonOtherRecipient || out.Verdict.Reason == ReasonDelivered {
			return nil
		}
		now := h.Now()
		v := out.Verdict
		recorded, err := tx.RecordBounce(&anshin.BounceEvent{DeliveryID: id, Recipient: d.Recipient, Class: string(v.Class),
			Reason: v.Reason, Status: v.Status, Diagnostic: v.Diagnostic, At: now})
		if err != nil {
			return err
		}
		out.Recorded, out.Duplicate = recorded, !recorded
		if !recorded {
			return nil
		}
		if v.Reason != ReasonDelayed {
			// The message did not arrive, whatever the reason.
			if err := tx.MarkDeliveryBounced(id, v.Reason, v.Status, now); err != nil {
				return err
			}
			if err := auditBounce(tx, d.Recipient, v, id, now); err != nil {
				return err
			}
		}
		reason := v.Reason
		switch v.Class {
		case Permanent:
		case Transient:
			n, err := tx.CountTransientBounces(d.Recipient, now.Add(-h.TransientWindow))
			if err != nil {
				return err
			}
			if n < h.TransientLimit {
				return nil
			}
			reason = ReasonRepeatedTransient
		default:
			return nil
		}
		out.Disabled, err = disable(tx, &anshin.MailNotificationDisabled{Address: d.Recipient, Reason: reason, DeliveryID: id,
			Status: v.Status, Diagnostic: v.Diagnostic, At: now})
		return err
	})
	if errors.Is(err, ErrForged) {
		h.Log.Warn("bounce: refused, unknown delivery", "delivery", id)
		return Outcome{}, ErrForged
	}
	if err != nil {
		return Outcome{}, err
	}
	h.Log.Info("bounce", "delivery", out.DeliveryID, "kind", out.Kind, "class", out.Verdict.Class, "reason", out.Verdict.Reason,
		"status", out.Verdict.Status, "recorded", out.Recorded, "duplicate", out.Duplicate, "disabled", out.Disabled)
	return out, nil
}

func (h *Handler) observe(o Outcome, err error) {
	if h.Observe != nil {
		h.Observe(o, err)
	}
}

// auditBounce records, in every group where an administrator receives mail
// at the address, that a message to it bounced and why.
func auditBounce(tx anshin.Tx, address string, v Verdict, deliveryID string, at time.Time) error {
	admins, err := tx.AdministratorsByAddress(address)
	if err != nil {
		return err
	}
	detail, _ := json.Marshal(map[string]string{"address": address, "class": string(v.Class), "reason": v.Reason,
		"status": v.Status, "diagnostic": v.Diagnostic, "delivery_id": deliveryID})
	for _, a := range admins {
		if err := tx.AppendAudit(&anshin.AuditEvent{GroupID: a.GroupID, AccountID: a.AccountID, Kind: anshin.AuditMailBounced,
			Detail: string(detail), At: at}); err != nil {
			return err
		}
	}
	return nil
}

// disable puts the address into メール通知不可, once, and audits it in
// every group where an administrator receives mail at it.
func disable(tx anshin.Tx, s *anshin.MailNotificationDisabled) (bool, error) {
	already, err := tx.MailNotificationDisabled([]string{s.Address})
	if err != nil || already[strings.ToLower(s.Address)] {
		return false, err
	}
	if err := tx.PutMailNotificationDisabled(s); err != nil {
		return false, err
	}
	admins, err := tx.AdministratorsByAddress(s.Address)
	if err != nil {
		return false, err
	}
	detail, _ := json.Marshal(map[string]string{"address": s.Address, "reason": s.Reason, "status": s.Status,
		"diagnostic": s.Diagnostic, "delivery_id": s.DeliveryID})
	for _, a := range admins {
		if err := tx.AppendAudit(&anshin.AuditEvent{GroupID: a.GroupID, AccountID: a.AccountID, Kind: anshin.AuditMailNotificationDisabled,
			Detail: string(detail), At: s.At}); err != nil {
			return false, err
		}
	}
	return true, nil
}
