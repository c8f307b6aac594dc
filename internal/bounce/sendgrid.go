package bounce

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

// SendGrid checks the signature of SendGrid's signed Event Webhook: ECDSA
// P-256 over SHA-256 of the timestamp header followed by the raw body.
type SendGrid struct {
	Key *ecdsa.PublicKey
	// MaxAge is how far the timestamp may be from now, either way: an older
	// post is refused as a replay.
	MaxAge time.Duration
	Now    anshin.Clock
}

// Headers of the signed Event Webhook.
const (
	SendGridSignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	SendGridTimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// ErrSendGridSignature is returned for a post that is not signed with the
// configured key, or signed too long ago.
var ErrSendGridSignature = errors.New("sendgrid: not signed by the configured key, or not recently")

// ParseSendGridKey reads the verification key SendGrid shows (base64 of the
// DER public key), or the same as PEM.
func ParseSendGridKey(s string) (*ecdsa.PublicKey, error) {
	s = strings.TrimSpace(s)
	var der []byte
	if block, _ := pem.Decode([]byte(s)); block != nil {
		der = block.Bytes
	} else {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, errors.New("not base64 DER nor PEM")
		}
		der = b
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("not a public key: %w", err)
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, errors.New("not an ECDSA P-256 public key")
	}
	return ek, nil
}

// Verify checks the signature and the age of one post.
func (g *SendGrid) Verify(signature, timestamp string, body []byte) error {
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(signature))
	if signature == "" || err != nil {
		return fmt.Errorf("%w: no base64 signature", ErrSendGridSignature)
	}
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: no timestamp", ErrSendGridSignature)
	}
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write(body)
	if !ecdsa.VerifyASN1(g.Key, h.Sum(nil), sig) {
		return fmt.Errorf("%w: signature does not match", ErrSendGridSignature)
	}
	return recent(ErrSendGridSignature, g.Now(), ts, g.MaxAge)
}

// sendGridEvent is the part of one Event Webhook event anshin reads.
type sendGridEvent struct {
	Event          string `json:"event"`
	Email          string `json:"email"`
	EventID        string `json:"sg_event_id"`
	SMTPID         string `json:"smtp-id"` // our Message-ID header
	Type           string `json:"type"`    // of a bounce: bounce or blocked
	Status         string `json:"status"`
	Reason         string `json:"reason"`
	Response       string `json:"response"` // of a deferral: the remote server's reply
	Classification string `json:"bounce_classification"`
}

// ParseSendGrid reads a post of the Event Webhook, a JSON array of events,
// into the events that bear on bounces; the others (processed, open,
// click, unsubscribe…) are left out. It fails on a body that is not such
// an array or on an event that lacks its ID.
func ParseSendGrid(body []byte) ([]*ProviderEvent, error) {
	var list []sendGridEvent
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, errors.New("sendgrid: the body is not a JSON array of events")
	}
	var out []*ProviderEvent
	for i, ev := range list {
		kind, v, ok := sendGridVerdict(&ev)
		if !ok {
			continue
		}
		if ev.EventID == "" || len(ev.EventID) > 100 || len(ev.Email) > 320 || len(ev.SMTPID) > 998 {
			return nil, fmt.Errorf("sendgrid: event %d needs sg_event_id (at most 100 characters), email and smtp-id of sane lengths", i)
		}
		out = append(out, &ProviderEvent{Provider: ProviderSendGrid, ID: ev.EventID, MessageID: ev.SMTPID, Kind: kind,
			Verdicts: map[string]Verdict{normalizeAddr(ev.Email): v}})
	}
	return out, nil
}

// sendGridVerdict maps one event onto SPEC §3; ok is false for events that
// say nothing about delivery.
func sendGridVerdict(ev *sendGridEvent) (Kind, Verdict, bool) {
	reason := strings.ToLower(ev.Reason)
	switch ev.Event {
	case "bounce":
		switch {
		case ev.Type == "blocked":
			// Refused for who sent it or what it says: never disables.
			return KindBounce, settled(None, ReasonPolicy, ev.Status, ev.Reason), true
		case ev.Classification == "Reputation" || ev.Classification == "Content" || ev.Classification == "Frequency or Volume":
			return KindBounce, settled(None, ReasonPolicy, ev.Status, ev.Reason), true
		}
		return KindBounce, failure(ev.Status, ev.Reason, Verdict{Class: Permanent, Reason: ReasonNoSuchUser}), true
	case "dropped":
		// SendGrid did not try. Only its own record of the address speaks
		// of the address; spam reports, unsubscribes and content do not.
		switch {
		case strings.Contains(reason, "bounced address"):
			return KindBounce, settled(Permanent, ReasonProviderSuppressed, ev.Status, ev.Reason), true
		case reason == "invalid" || strings.Contains(reason, "invalid address") || strings.Contains(reason, "invalid email"):
			return KindBounce, settled(Permanent, ReasonBadAddress, ev.Status, ev.Reason), true
		}
		return KindBounce, settled(None, ReasonPolicy, ev.Status, ev.Reason), true
	case "deferred":
		diagnostic := ev.Response
		if diagnostic == "" {
			diagnostic = ev.Reason
		}
		return KindBounce, delay(ev.Status, diagnostic), true
	case "delivered":
		return KindBounce, Verdict{Class: None, Reason: ReasonDelivered}, true
	case "spamreport":
		return KindFeedback, Verdict{Class: None, Reason: ReasonFeedback}, true
	}
	return "", Verdict{}, false
}
