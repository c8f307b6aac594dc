package bounce

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

// Mailgun checks the signature of Mailgun's webhooks: hex HMAC-SHA256,
// keyed with the account's HTTP webhook signing key, of the timestamp
// followed by the token. It does not cover the body, so a signed token
// is taken once (Handler.FirstUse) and only recently.
type Mailgun struct {
	Key []byte
	// MaxAge is how far the timestamp may be from now, either way.
	MaxAge time.Duration
	Now    anshin.Clock
}

// ErrMailgunSignature is returned for a post that is not signed with the
// configured key, or signed too long ago.
var ErrMailgunSignature = errors.New("mailgun: not signed by the configured key, or not recently")

// MailgunPost is one post of a Mailgun webhook: the signature and one
// event.
type MailgunPost struct {
	Signature struct {
		Timestamp string `json:"timestamp"`
		Token     string `json:"token"`
		Signature string `json:"signature"`
	} `json:"signature"`
	EventData *mailgunEvent `json:"event-data"`
}

// mailgunEvent is the part of an event anshin reads.
type mailgunEvent struct {
	Event     string `json:"event"`
	ID        string `json:"id"`
	Severity  string `json:"severity"` // of a failure: permanent or temporary
	Reason    string `json:"reason"`
	Recipient string `json:"recipient"`
	Status    struct {
		Code         int    `json:"code"`
		EnhancedCode string `json:"enhanced-code"`
		Message      string `json:"message"`
		Description  string `json:"description"`
	} `json:"delivery-status"`
	Message struct {
		Headers struct {
			MessageID string `json:"message-id"` // our Message-ID, without its brackets
		} `json:"headers"`
	} `json:"message"`
}

// ParseMailgun reads a webhook post; it fails only on a body that is not a
// JSON object. Nothing of it is to be believed before Verify.
func ParseMailgun(body []byte) (*MailgunPost, error) {
	var p MailgunPost
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, errors.New("mailgun: the body is not a JSON object with signature and event-data")
	}
	return &p, nil
}

// Verify checks the post's signature and age.
func (g *Mailgun) Verify(p *MailgunPost) error {
	s := p.Signature
	sig, err := hex.DecodeString(s.Signature)
	if s.Signature == "" || err != nil || s.Token == "" || len(s.Token) > 100 {
		return fmt.Errorf("%w: no hex signature, or no token of at most 100 characters", ErrMailgunSignature)
	}
	ts, err := strconv.ParseInt(s.Timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: no timestamp", ErrMailgunSignature)
	}
	mac := hmac.New(sha256.New, g.Key)
	mac.Write([]byte(s.Timestamp + s.Token))
	if !hmac.Equal(mac.Sum(nil), sig) {
		return fmt.Errorf("%w: signature does not match", ErrMailgunSignature)
	}
	return recent(ErrMailgunSignature, g.Now(), ts, g.MaxAge)
}

// recent refuses a signed timestamp (Unix seconds) further than maxAge
// from now, either way: an older post is refused as a replay. It is
// checked after the signature, so a refusal for age is about a post the
// provider did sign.
func recent(refusal error, now time.Time, ts int64, maxAge time.Duration) error {
	if age := now.Sub(time.Unix(ts, 0)); age > maxAge || age < -maxAge {
		return fmt.Errorf("%w: timestamp %s is outside the window of %s", refusal, time.Unix(ts, 0).UTC().Format(time.RFC3339), maxAge)
	}
	return nil
}

// Event is the post's event, or nil when it says nothing about delivery
// (accepted, opened, clicked, unsubscribed…). It fails on an event that
// lacks its ID.
func (p *MailgunPost) Event() (*ProviderEvent, error) {
	ev := p.EventData
	if ev == nil {
		return nil, errors.New("mailgun: the post has no event-data")
	}
	kind, v, ok := mailgunVerdict(ev)
	if !ok {
		return nil, nil
	}
	if ev.ID == "" || len(ev.ID) > 100 || len(ev.Recipient) > 320 || len(ev.Message.Headers.MessageID) > 998 {
		return nil, errors.New("mailgun: the event needs id (at most 100 characters), recipient and message-id of sane lengths")
	}
	return &ProviderEvent{Provider: ProviderMailgun, ID: ev.ID, MessageID: ev.Message.Headers.MessageID,
		Kind: kind, Verdicts: map[string]Verdict{normalizeAddr(ev.Recipient): v}}, nil
}

// mailgunVerdict maps one event onto SPEC §3; ok is false for events that
// say nothing about delivery.
func mailgunVerdict(ev *mailgunEvent) (Kind, Verdict, bool) {
	status, diagnostic := ev.Status.EnhancedCode, ev.Status.Message
	if diagnostic == "" {
		diagnostic = ev.Status.Description
	}
	if c := ev.Status.Code; c >= 200 && c < 600 { // 6xx are Mailgun's own codes, no server's reply
		diagnostic = strconv.Itoa(c) + " " + diagnostic
	}
	if status == "" {
		status = diagnostic
	}
	switch ev.Event {
	case "failed":
		if ev.Severity == "temporary" {
			// Mailgun tries again: still being tried, as a deferral.
			return KindBounce, delay(status, diagnostic), true
		}
		switch ev.Reason {
		case "suppress-bounce":
			// Mailgun did not try: the address is on its bounce list.
			return KindBounce, settled(Permanent, ReasonProviderSuppressed, status, diagnostic), true
		case "suppress-unsubscribe", "suppress-complaint", "esp-block":
			// Not tried for our own list or the sending account: says
			// nothing of the address.
			return KindBounce, settled(None, ReasonPolicy, status, diagnostic), true
		case "bounce":
			return KindBounce, failure(status, diagnostic, Verdict{Class: Permanent, Reason: ReasonNoSuchUser}), true
		case "old":
			// Gave up after retrying temporary failures.
			return KindBounce, failure(status, diagnostic, Verdict{Class: Transient, Reason: ReasonTemporary}), true
		}
		// generic and anything new: judged by the words, unclear when they
		// say nothing (counted, never at once).
		return KindBounce, failure(status, diagnostic, Verdict{Class: Transient, Reason: ReasonUndetermined}), true
	case "delivered":
		return KindBounce, Verdict{Class: None, Reason: ReasonDelivered}, true
	case "complained":
		return KindFeedback, Verdict{Class: None, Reason: ReasonFeedback}, true
	}
	return "", Verdict{}, false
}
