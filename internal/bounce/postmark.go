package bounce

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"

	"github.com/anshin/anshin/internal/delivery"
)

// Postmark checks the HTTP Basic credentials Postmark's webhooks carry:
// Postmark signs nothing, so the credentials set on the webhook (and only
// there) are what says a post is Postmark's.
type Postmark struct {
	User, Password string
}

// ErrPostmarkCredentials is returned for a post without the configured
// credentials.
var ErrPostmarkCredentials = errors.New("postmark: not the configured webhook credentials")

// Verify checks the request's Basic credentials (as http.Request.BasicAuth
// gives them) in constant time: the digests compared are of one length,
// whatever was sent.
func (p *Postmark) Verify(user, password string, ok bool) error {
	got := sha256.Sum256([]byte(user + ":" + password))
	want := sha256.Sum256([]byte(p.User + ":" + p.Password))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !ok {
		return ErrPostmarkCredentials
	}
	return nil
}

// postmarkRecord is the part of a Bounce, SpamComplaint or Delivery
// webhook anshin reads.
type postmarkRecord struct {
	RecordType string         `json:"RecordType"`
	ID         json.Number    `json:"ID"` // of a bounce or complaint
	Type       string         `json:"Type"`
	MessageID  string         `json:"MessageID"` // Postmark's own, not our Message-ID
	Email      string         `json:"Email"`
	Recipient  string         `json:"Recipient"` // of a delivery
	Details    string         `json:"Details"`   // the remote server's words
	Metadata   map[string]any `json:"Metadata"`
}

// ParsePostmark reads one webhook post into its event, or nil for a record
// that says nothing about delivery (Open, Click, SubscriptionChange). It
// fails on a body that is not a JSON object or a record without its ID.
func ParsePostmark(body []byte) (*ProviderEvent, error) {
	var rec postmarkRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		return nil, errors.New("postmark: the body is not a JSON object of a webhook record")
	}
	kind, v, ok := postmarkVerdict(&rec)
	if !ok {
		return nil, nil
	}
	id, addr := rec.ID.String(), rec.Email
	if rec.RecordType == "Delivery" {
		// A delivery has no ID of its own: one message reaches one
		// recipient once.
		id, addr = "delivery:"+rec.MessageID, rec.Recipient
		if rec.MessageID == "" {
			id = ""
		}
	}
	if id == "" || len(id) > 100 || len(addr) > 320 {
		return nil, errors.New("postmark: the record needs its ID (MessageID for a delivery), and an address of sane length")
	}
	// Postmark keeps the X-PM-Metadata-* headers internal/delivery adds as
	// the message's metadata: the local part of our Message-ID.
	ref, _ := rec.Metadata[delivery.PostmarkMetadataKey].(string)
	mid := ""
	if ref != "" && len(ref) <= 100 {
		mid = ref + "@"
	}
	return &ProviderEvent{Provider: ProviderPostmark, ID: id, MessageID: mid, Kind: kind,
		Verdicts: map[string]Verdict{normalizeAddr(addr): v}}, nil
}

// postmarkVerdict maps a record onto SPEC §3 by its bounce type; ok is
// false for records that say nothing about delivery. Postmark's
// Description is its type's generic text ("unknown user, mailbox not
// found"), so only Details, the server's own words, is judged.
func postmarkVerdict(rec *postmarkRecord) (Kind, Verdict, bool) {
	switch rec.RecordType {
	case "Delivery":
		return KindBounce, Verdict{Class: None, Reason: ReasonDelivered}, true
	case "SpamComplaint":
		return KindFeedback, Verdict{Class: None, Reason: ReasonFeedback}, true
	case "Bounce":
	default:
		return "", Verdict{}, false
	}
	d := rec.Details
	switch rec.Type {
	case "HardBounce", "BadEmailAddress":
		return KindBounce, failure(d, d, Verdict{Class: Permanent, Reason: ReasonNoSuchUser}), true
	case "SoftBounce", "DnsError":
		// Postmark gave up: judged by the words (a full or disabled
		// mailbox disables, SPEC §3), else counted.
		return KindBounce, failure(d, d, Verdict{Class: Transient, Reason: ReasonTemporary}), true
	case "Transient":
		// Delayed: Postmark is still trying.
		return KindBounce, delay(d, d), true
	case "ManuallyDeactivated":
		// Postmark will not send there until the address is reactivated.
		return KindBounce, settled(Permanent, ReasonProviderSuppressed, d, d), true
	case "Blocked", "VirusNotification", "DMARCPolicy", "SMTPApiError", "TemplateRenderingFailed":
		// Refused for who sent it or what it says: never disables.
		return KindBounce, settled(None, ReasonPolicy, d, d), true
	case "SpamNotification", "SpamComplaint":
		return KindFeedback, Verdict{Class: None, Reason: ReasonFeedback}, true
	case "AutoResponder", "AddressChange", "ChallengeVerification":
		return KindAutoReply, Verdict{Class: None, Reason: ReasonAutoReply}, true
	case "Subscribe", "Unsubscribe", "Unconfirmed", "OpenRelayTest", "InboundError":
		return KindOther, Verdict{Class: None, Reason: ReasonNotBounce}, true
	}
	// Unknown and anything new: by the words, unclear when they say
	// nothing (counted, never at once).
	return KindBounce, failure(d, d, Verdict{Class: Transient, Reason: ReasonUndetermined}), true
}
