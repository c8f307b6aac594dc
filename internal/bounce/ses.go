package bounce

import (
	"encoding/json"
	"errors"
	"strings"
)

// sesNotification is the part of an Amazon SES notification (the Message
// of an SNS Notification) anshin reads. Event publishing names the type
// eventType, feedback notifications notificationType.
type sesNotification struct {
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"`
	Mail             struct {
		Source      string   `json:"source"` // the envelope sender: our VERP return path
		Destination []string `json:"destination"`
		Headers     []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"headers"`
		CommonHeaders struct {
			MessageID string `json:"messageId"`
		} `json:"commonHeaders"`
	} `json:"mail"`
	Bounce *struct {
		BounceType        string `json:"bounceType"`
		BounceSubType     string `json:"bounceSubType"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
	} `json:"complaint"`
	Delivery *struct {
		Recipients []string `json:"recipients"`
	} `json:"delivery"`
}

// ErrNotSES is returned for an SNS notification that is not an SES
// bounce, complaint or delivery notification.
var ErrNotSES = errors.New("ses: not a bounce, complaint or delivery notification")

// ParseSES reads the SES notification an SNS Notification carries into the
// event it is, named by the SNS MessageId (which SNS keeps on its retries).
func ParseSES(snsMessageID, message string) (*ProviderEvent, error) {
	var n sesNotification
	if err := json.Unmarshal([]byte(message), &n); err != nil {
		return nil, ErrNotSES
	}
	e := &ProviderEvent{Provider: ProviderSES, ID: snsMessageID, ReturnPath: n.Mail.Source,
		MessageID: n.Mail.CommonHeaders.MessageID, Verdicts: map[string]Verdict{}}
	if e.MessageID == "" {
		for _, h := range n.Mail.Headers {
			if strings.EqualFold(h.Name, "Message-ID") {
				e.MessageID = h.Value
			}
		}
	}
	typ := n.NotificationType
	if typ == "" {
		typ = n.EventType
	}
	switch {
	case typ == "Bounce" && n.Bounce != nil:
		e.Kind = KindBounce
		for _, r := range n.Bounce.BouncedRecipients {
			e.Verdicts[normalizeAddr(r.EmailAddress)] = sesVerdict(n.Bounce.BounceType, n.Bounce.BounceSubType, r.Status, r.DiagnosticCode)
		}
	case typ == "Complaint" && n.Complaint != nil:
		e.Kind = KindFeedback
		for _, r := range n.Complaint.ComplainedRecipients {
			e.Verdicts[normalizeAddr(r.EmailAddress)] = Verdict{Class: None, Reason: ReasonFeedback}
		}
	case typ == "Delivery" && n.Delivery != nil:
		e.Kind = KindBounce
		for _, r := range n.Delivery.Recipients {
			e.Verdicts[normalizeAddr(r)] = Verdict{Class: None, Reason: ReasonDelivered}
		}
	default:
		return nil, ErrNotSES
	}
	delete(e.Verdicts, "")
	return e, nil
}

// sesVerdict maps SES's bounce type and subtype onto SPEC §3. Where SES
// names the cause the subtype decides; otherwise the recipient's status and
// diagnostic do, as in a bounce message, and the type only when they say
// nothing either way.
func sesVerdict(bounceType, subType, status, diagnostic string) Verdict {
	switch bounceType + "/" + subType {
	case "Permanent/Suppressed", "Permanent/OnAccountSuppressionList":
		// SES did not even try: mail through it cannot reach the address.
		return settled(Permanent, ReasonProviderSuppressed, status, diagnostic)
	case "Transient/MailboxFull":
		// SES calls it transient because a mailbox may be emptied, but it
		// reports it only once it gave up: SPEC §3 lists a full mailbox
		// among what disables the address.
		return settled(Permanent, ReasonMailboxFull, status, diagnostic)
	case "Transient/MessageTooLarge":
		// Says nothing about the address: counted as temporary.
		return settled(Transient, ReasonTemporary, status, diagnostic)
	case "Transient/ContentRejected", "Transient/AttachmentRejected":
		// The receiving side refused our content: never disables.
		return settled(None, ReasonPolicy, status, diagnostic)
	}
	switch bounceType {
	case "Permanent": // General, NoEmail
		return failure(status, diagnostic, Verdict{Class: Permanent, Reason: ReasonNoSuchUser})
	case "Transient": // General
		return failure(status, diagnostic, Verdict{Class: Transient, Reason: ReasonTemporary})
	}
	// Undetermined: unclear, so counted (SPEC §3), never at once.
	return failure(status, diagnostic, Verdict{Class: Transient, Reason: ReasonUndetermined})
}
