// Package bounce reads what comes back to anshin's VERP return paths —
// delivery status notifications (RFC 3464), the non-standard bounces of
// large mail systems, auto-replies and feedback reports — and decides per
// recipient whether the address is gone for good, failing for now, or
// nothing the message says is about the address. It also applies that to
// the store (Handler) and receives bounces over SMTP (Listener).
package bounce

import (
	"maps"
	"net/mail"
	"slices"
	"strings"
	"unicode"
)

// Kind is what a message is.
type Kind string

const (
	KindBounce    Kind = "bounce"     // a failure (or delay) notice
	KindAutoReply Kind = "auto_reply" // vacation, out-of-office, autoresponder
	KindFeedback  Kind = "feedback"   // an ARF complaint report
	KindOther     Kind = "other"      // nothing recognized
)

// Recipient is a failed recipient a bounce names, with its verdict.
type Recipient struct {
	Address string `json:"address"`
	Verdict
}

// Report is the parse of one message.
type Report struct {
	Kind       Kind        `json:"kind"`
	Format     string      `json:"format"` // dsn, qmail, exim, postfix, exchange, gmail, yahoo, japanese, text, arf, auto_reply
	Recipients []Recipient `json:"recipients"`
	// text is the failure text of a non-standard bounce, consulted for a
	// recipient it does not head a block for.
	text     string
	blocks   map[string][]string
	subject  string
	whole    *Verdict // the verdict of text, once computed
	preamble string   // text before the first recipient's block
	unnamed  *Verdict // a DSN's only group, whose recipient is unreadable
	reporter string   // the domain of the notice's From address
}

// plausibleAddress tells a recipient address from what broken DSNs put
// in its place: no address holds a space or a control character, written
// or xtext-encoded ("+09" is a tab), and its domain is a host name
// (letters of any script, digits, hyphens, underscores, dots) or an
// address literal ("[192.0.2.1]", "[IPv6:2001:db8::1]").
func plausibleAddress(a string) bool {
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 || strings.ContainsAny(a, "/<>") ||
		strings.IndexFunc(a, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return false
	}
	domain, marks := a[at+1:], "-_."
	if literal, ok := strings.CutPrefix(domain, "["); ok && strings.HasSuffix(literal, "]") {
		domain, marks = literal[:len(literal)-1], ".:"
	}
	return domain != "" && strings.IndexFunc(domain, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(marks, r)
	}) < 0
}

// Bounds on what one message may make the parser do.
const (
	maxRecipients  = 100       // recipients judged per message
	maxFailureText = 128 << 10 // bytes of human-readable text judged
)

// Parse reads a message. It never fails and never panics: what cannot be
// read is KindOther, which changes nothing.
func Parse(raw []byte) *Report {
	m := readMessage(raw)
	r := &Report{Kind: KindOther, Format: "unknown", Recipients: []Recipient{}}
	r.subject = headerText(m.header.Get("Subject"))
	if from, err := mail.ParseAddress(m.header.Get("From")); err == nil {
		r.reporter = strings.ToLower(from.Address[strings.LastIndexByte(from.Address, '@')+1:])
	}

	var dsn []dsnRecipient
	var texts []string
	for i := range m.parts {
		p := &m.parts[i]
		switch p.mediaType {
		case "multipart/report":
			if strings.EqualFold(p.params["report-type"], "feedback-report") {
				r.Kind, r.Format = KindFeedback, "arf"
				return r
			}
		case "message/feedback-report":
			r.Kind, r.Format = KindFeedback, "arf"
			return r
		case "message/delivery-status", "message/global-delivery-status":
			dsn = append(dsn, parseDeliveryStatus(p.text())...)
		case "text/plain", "text/html", "":
			texts = append(texts, p.text())
		}
	}
	joined := strings.Join(texts, "\n")
	if len(joined) > maxFailureText {
		joined = joined[:maxFailureText]
	}
	text := failureText(joined)

	if len(dsn) > 0 {
		r.Kind, r.Format = KindBounce, "dsn"
		_, blocks := textBlocks(text)
		for _, d := range dsn[:min(len(dsn), maxRecipients)] {
			addr := d.final
			if !plausibleAddress(addr) {
				addr = d.original
			}
			// The human-readable part says which SMTP command failed, and
			// more than a bare code when the diagnostic is empty: the
			// recipient's own block, or all of it when it is about one.
			context := strings.Join(blocks[addr], "\n")
			if len(dsn) == 1 {
				context += "\n" + text
			}
			v := judge(facts{status: d.status, action: d.action, diagnostic: d.diagnostic, context: context, reporter: r.reporter})
			if !plausibleAddress(addr) {
				// "@mx.example.org", a mailbox file path: the group names no
				// one; with no other, it speaks of the VERP delivery's own.
				if len(dsn) == 1 {
					r.unnamed = &v
				}
				continue
			}
			r.Recipients = append(r.Recipients, Recipient{Address: addr, Verdict: v})
			if plausibleAddress(d.original) && d.original != addr {
				r.Recipients = append(r.Recipients, Recipient{Address: d.original, Verdict: v})
			}
		}
		return r
	}

	if !looksLikeBounce(m.header, r.subject, text) {
		if isAutoReply(m.header, r.subject) {
			r.Kind, r.Format = KindAutoReply, "auto_reply"
		}
		return r
	}
	r.Kind, r.Format = KindBounce, textFormat(text)
	r.text = text
	r.preamble, r.blocks = textBlocks(text)
	for _, a := range strings.Split(m.header.Get("X-Failed-Recipients"), ",") {
		if a = strings.ToLower(strings.Trim(strings.TrimSpace(a), "<>")); plausibleAddress(a) && r.blocks[a] == nil {
			r.blocks[a] = []string{}
		}
	}
	// In a fixed order: the same message always names the same recipients
	// in the same order, also past maxRecipients.
	for _, addr := range slices.Sorted(maps.Keys(r.blocks)) {
		if len(r.Recipients) == maxRecipients {
			break
		}
		r.Recipients = append(r.Recipients, Recipient{Address: addr, Verdict: r.textVerdict(addr, r.blocks[addr])})
	}
	return r
}

func (r *Report) textVerdict(addr string, blocks []string) Verdict {
	t := strings.Join(blocks, "\n")
	bare := strings.TrimSpace(strings.ReplaceAll(strings.ToLower(t), addr, "")) == ""
	if bare && len(r.blocks) > 1 {
		// A bare address line among several: what is said before the
		// first address is about all of them; other blocks are not.
		return r.judge(r.preamble + "\n" + t)
	}
	if !bare {
		// The recipient's own words first; the only recipient's notice
		// may say more around them.
		f := facts{diagnostic: t, reporter: r.reporter}
		if len(r.blocks) == 1 {
			f.context = r.text // the SMTP command may be named outside the block
		}
		if v := judge(f); v.Reason != ReasonUndetermined || len(r.blocks) > 1 {
			return v
		}
	}
	if bare || len(r.blocks) == 1 {
		// A bare address line (Exim, Office 365) or the only recipient:
		// the reason is in the rest of the text, judged once.
		if r.whole == nil {
			v := r.judge(r.text)
			r.whole = &v
		}
		return *r.whole
	}
	return r.judge(t)
}

// judge classifies failure text of the notice.
func (r *Report) judge(text string) Verdict {
	return judge(facts{diagnostic: text, reporter: r.reporter})
}

// For is the verdict for the delivery's own recipient. A bounce that
// names recipients but not this one says nothing about it.
func (r *Report) For(address string) Verdict {
	address = strings.ToLower(strings.TrimSpace(address))
	switch r.Kind {
	case KindAutoReply:
		return Verdict{Class: None, Reason: ReasonAutoReply}
	case KindFeedback:
		return Verdict{Class: None, Reason: ReasonFeedback}
	case KindOther:
		return Verdict{Class: None, Reason: ReasonNotBounce}
	}
	for _, rc := range r.Recipients {
		if rc.Address == address {
			return rc.Verdict
		}
	}
	if b, ok := r.blocks[address]; ok {
		return r.textVerdict(address, b)
	}
	if r.unnamed != nil {
		return *r.unnamed
	}
	if len(r.Recipients) > 0 || r.Format == "dsn" {
		return Verdict{Class: None, Reason: ReasonOtherRecipient}
	}
	// No recipient named: the VERP address says which delivery bounced,
	// so the whole failure text is about its one recipient.
	return r.judge(r.text)
}

// looksLikeBounce requires a sign that a mail system, not a person or an
// autoresponder, wrote the message.
func looksLikeBounce(h mail.Header, subject, text string) bool {
	if h.Get("X-Failed-Recipients") != "" {
		return true
	}
	if rp := strings.TrimSpace(h.Get("Return-Path")); rp == "<>" {
		return true
	}
	from := strings.ToLower(h.Get("From"))
	for _, s := range []string{"mailer-daemon", "postmaster", "post_master", "mail delivery", "mail-daemon", "mailer_daemon", "microsoftexchange"} {
		if strings.Contains(from, s) {
			return true
		}
	}
	subj := strings.ToLower(subject)
	for _, s := range []string{"undeliver", "undelivered", "delivery status notification", "delivery failure", "failure notice",
		"mail delivery failed", "returned mail", "delivery failed", "could not be delivered", "mail system error", "non-delivery",
		"配信不能", "配送不能", "配信エラー", "配送エラー", "未配達", "送信エラー", "エラーメール", "エラー通知", "届きませんでした", "配信できません", "配送できません"} {
		if strings.Contains(subj, s) {
			return true
		}
	}
	return false
}

// isAutoReply recognizes vacation and out-of-office replies (RFC 3834 and
// the headers and subjects common systems use).
func isAutoReply(h mail.Header, subject string) bool {
	as := strings.ToLower(h.Get("Auto-Submitted"))
	if strings.HasPrefix(as, "auto-replied") || strings.HasPrefix(as, "auto-generated") {
		return true
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Vacation"} {
		if h.Get(k) != "" {
			return true
		}
	}
	if p := strings.ToLower(h.Get("Precedence")); p == "auto_reply" {
		return true
	}
	subj := strings.ToLower(subject)
	for _, s := range []string{"out of office", "out of the office", "automatic reply", "auto reply", "auto-reply", "autoreply",
		"auto response", "autoresponse", "vacation", "away from", "自動応答", "自動返信", "自動送信", "不在", "休暇", "外出"} {
		if strings.Contains(subj, s) {
			return true
		}
	}
	return false
}

// textFormat names the family of a non-standard bounce, for logs and the
// corpus test.
func textFormat(t string) string {
	l := strings.ToLower(t)
	switch {
	case strings.Contains(l, "qmail-send program") || strings.Contains(l, "does not like recipient"):
		return "qmail"
	case strings.Contains(l, "this message was created automatically by mail delivery software"):
		return "exim"
	case strings.Contains(l, "this is the mail system at host"):
		return "postfix"
	case strings.Contains(l, "remote server returned") || strings.Contains(l, "couldn't be delivered") || strings.Contains(l, "delivery has failed to these recipients"):
		return "exchange"
	case strings.Contains(l, "google") || strings.Contains(l, "gmail"):
		return "gmail"
	case strings.Contains(l, "yahoo"):
		return "yahoo"
	}
	for _, r := range t {
		if r >= 0x3040 && r <= 0x30ff || r >= 0x4e00 && r <= 0x9fff {
			return "japanese"
		}
	}
	return "text"
}
