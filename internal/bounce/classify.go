package bounce

import (
	"regexp"
	"strings"
)

// Class is what a bounce says about one recipient address.
type Class string

const (
	// Permanent: the address cannot receive mail (no such user, mailbox or
	// domain; the domain takes no mail; mailbox disabled, moved or full).
	// One is enough to disable it.
	Permanent Class = "permanent"
	// Transient: delivery failed for now or for an unclear reason;
	// repeated, it disables the address.
	Transient Class = "transient"
	// None: the message says nothing against the address itself (the
	// recipient's filter, sender, content, policy, spam or reputation
	// rejections, auto-replies, feedback reports, success notices, an
	// unrecognized message). It never disables anything.
	None Class = "none"
)

// Reasons, recorded with each bounce and a disabled address and shown to
// administrators. The vocabulary is small on purpose: what the recipient or
// the administrator can do differs between them, nothing finer.
const (
	// Permanent.
	ReasonNoSuchUser      = "no_such_user"     // the mailbox does not exist
	ReasonNoSuchDomain    = "no_such_domain"   // the domain does not exist or takes no mail (null MX)
	ReasonMailboxDisabled = "mailbox_disabled" // suspended, disabled, locked or moved away
	ReasonMailboxFull     = "mailbox_full"     // over quota
	ReasonBadAddress      = "bad_address"      // the address is not even well formed
	// Transient.
	ReasonTemporary = "temporary_failure" // 4.x.x, expired, network or system errors, too big
	ReasonDelayed   = "delayed"           // a delay notice: not (yet) a failure
	// None: delivery bounced, the address is fine.
	ReasonFiltered = "filtered" // the recipient's own filter or receiving setting refused us (a carrier's 指定受信)
	ReasonRejected = "rejected" // our sender address or sending host was refused
	ReasonPolicy   = "policy"   // spam, virus, content, authentication (SPF/DKIM/DMARC), reputation, rate limits
	// None: not a failure, or nothing to judge.
	ReasonUndetermined   = "undetermined"
	ReasonDelivered      = "delivered"
	ReasonAutoReply      = "auto_reply"
	ReasonFeedback       = "feedback_report"
	ReasonNotBounce      = "not_a_bounce"
	ReasonOtherRecipient = "other_recipient"
)

// Verdict is the classification of one recipient.
type Verdict struct {
	Class      Class  `json:"class"`
	Reason     string `json:"reason"`
	Status     string `json:"status,omitempty"`     // enhanced status code, 5.1.1
	Diagnostic string `json:"diagnostic,omitempty"` // the remote server's words, shortened
}

var (
	enhancedRE = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)
	// An SMTP reply code where servers and bounce writers put one: at the
	// start of a line, or after "said:", "returned", "error", ";", a quote or
	// a parenthesis — not any three digits in the text.
	replyRE = regexp.MustCompile(`(?m)(?:^|said:|returned|error:|reply:|[;'"(])\s*([245])\d\d(?:[ :-]|$)`)
	spaceRE = regexp.MustCompile(`\s+`)
	// A refusal that names the recipient right after its reply code,
	// "550 <a@example.jp>: User unknown", answers RCPT TO: only there is
	// one recipient to name. Refused at DATA, the same server leaves the
	// name out ("550 : User unknown", a Japanese carrier's receiving
	// setting).
	echoedRecipientRE = regexp.MustCompile(`\b[45]\d\d[ :-]+(?:[45]\.\d{1,3}\.\d{1,3}[ :-]+)?<[^<>\s@]+@[^<>\s]+>:`)
)

// enhancedStatus finds the first enhanced status code (RFC 3463) in s,
// skipping what is part of a longer dotted number (an IP address).
func enhancedStatus(s string) string {
	for _, loc := range enhancedRE.FindAllStringIndex(s, 8) {
		if loc[1] < len(s) && s[loc[1]] == '.' && loc[1]+1 < len(s) && s[loc[1]+1] >= '0' && s[loc[1]+1] <= '9' {
			continue
		}
		if loc[0] > 0 && s[loc[0]-1] == '.' {
			continue
		}
		return s[loc[0]:loc[1]]
	}
	return ""
}

func containsAny(s string, list []string) bool {
	for _, p := range list {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// containsPair tells whether s holds both words of one pair, in order.
func containsPair(s string, pairs [][2]string) bool {
	for _, p := range pairs {
		if i := strings.Index(s, p[0]); i >= 0 && strings.Contains(s[i+len(p[0]):], p[1]) {
			return true
		}
	}
	return false
}

// facts are what a bounce tells about one recipient.
type facts struct {
	status     string // enhanced status code, possibly empty
	action     string // RFC 3464 Action, possibly empty
	diagnostic string // the remote server's reply or the bounce's words for this recipient
	// context is further human-readable text about this recipient (its
	// block in a multi-recipient notice, or the whole notice when it names
	// one): the SMTP command the reply answered is read from it, and its
	// words are judged when the diagnostic says nothing.
	context string
	// reporter is the domain of the mail system that wrote the notice
	// (its From address): a provider's own wording is read its way.
	reporter string
}

// classify decides what status (an enhanced code, possibly empty), action
// (an RFC 3464 Action, possibly empty) and diagnostic (free text) say
// about the address.
func classify(status, action, diagnostic string) Verdict {
	return judge(facts{status: status, action: action, diagnostic: diagnostic})
}

// judge applies SPEC §3's table. The order is the rule: what speaks of the
// recipient's filter, the sender or the message wins over what speaks of
// the address, because a wrong disable locks an administrator out; the
// SMTP command a refusal answered comes next (an address is only judged at
// RCPT TO: a "user unknown" after DATA is a filter); then the words about
// the address (a system, network, queue or size failure named with no
// word about the address passes, whatever code came with it); the
// enhanced status code decides where the words do not.
func judge(f facts) Verdict {
	diag := strings.TrimSpace(spaceRE.ReplaceAllString(f.diagnostic, " "))
	v := judgeText(f, strings.ToLower(diag))
	if v.Reason == ReasonDelayed && containsAny(strings.ToLower(f.context+" "+diag), noMXPhrases) {
		// Still queued, but the domain has no mail server at all: waiting
		// does not change that.
		v.Class, v.Reason = Permanent, ReasonNoSuchDomain
	}
	if v.Reason == ReasonUndetermined && strings.TrimSpace(f.context) != "" {
		// The reply says nothing we know ("550 Unknown", or none at all):
		// the human-readable part may.
		ctx := strings.ToLower(strings.TrimSpace(spaceRE.ReplaceAllString(f.context, " ")))
		if cv := judgeText(f, ctx); cv.Reason != ReasonUndetermined {
			cv.Status = v.Status
			v = cv
		}
	}
	v.Diagnostic = shorten(diag)
	return v
}

func judgeText(f facts, text string) Verdict {
	status := f.status
	if status == "" || strings.HasSuffix(status, ".0.0") {
		// A specific code in the words beats a bare X.0.0 in the Status field.
		if s := enhancedStatus(text); s != "" && (status == "" || !strings.HasSuffix(s, ".0.0")) {
			status = s
		}
	}
	v := Verdict{Status: status}
	set := func(c Class, reason string) Verdict { v.Class, v.Reason = c, reason; return v }

	action := strings.ToLower(strings.TrimSpace(f.action))
	switch action {
	case "delivered", "relayed", "expanded":
		return set(None, ReasonDelivered)
	}
	var klass, subject, detail string
	if p := strings.SplitN(status, ".", 3); len(p) == 3 {
		klass, subject, detail = p[0], p[1], p[2]
	}
	if klass == "" {
		if m := replyRE.FindStringSubmatch(text); m != nil {
			klass = m[1]
		}
	}
	code := subject + "." + detail
	if klass == "2" {
		return set(None, ReasonDelivered)
	}
	cmd := smtpCommand(strings.ToLower(spaceRE.ReplaceAllString(f.context+" "+f.diagnostic, " ")))

	// cPanel's Exim says one fixed sentence for an address whose domain
	// cannot be routed; its list of guesses names a blacklist, which is
	// not a policy refusal.
	if strings.Contains(text, cpanelUnroutable) {
		return set(Permanent, ReasonNoSuchDomain)
	}
	// 1. Not about the address: the recipient's filter, the sender, the
	// message, the sending host.
	switch {
	case containsAny(text, filterPhrases):
		return set(None, ReasonFiltered)
	case klass == "5" && (code == "1.7" || code == "1.8") || containsAny(text, senderPhrases):
		return set(None, ReasonRejected)
	case containsAny(text, policyPhrases):
		return set(None, ReasonPolicy)
	case action == "delayed":
		return set(Transient, ReasonDelayed)
	}
	switch cmd {
	case "MAIL", "CONN":
		// Refused before any recipient was named: the address was never
		// judged.
		return set(None, ReasonRejected)
	}
	temporary := klass == "4"
	if subject == "7" && code != "7.13" && code != "7.17" && code != "7.18" && code != "7.27" {
		// Security or policy status: only a disabled account is about the
		// address ("5.7.1 ... temporarily locked").
		if addressGone(text) == ReasonMailboxDisabled {
			return set(Permanent, ReasonMailboxDisabled)
		}
		return set(None, ReasonPolicy)
	}
	gone := addressGone(text)
	switch {
	case klass != "" && subject == "3" && code != "3.2" && gone != ReasonNoSuchUser && gone != ReasonNoSuchDomain:
		// The mail system's own status (its storage, its configuration):
		// whatever it says of a "mailbox" or "disabled" is about the
		// system. (X.3.2, a system that takes no mail at all, is judged
		// with the domain below; words of an unknown user or domain, by
		// the rules for those, which want the command or an address code.)
		return set(Transient, ReasonTemporary)
	case gone == "" && systemTrouble(text):
		// A system, network, queue or size failure and no word about the
		// address: the address was never judged, whatever the code.
		return set(Transient, ReasonTemporary)
	}
	// 2. Words of a permanently gone address that no code overrules.
	if r := gone; r != "" {
		if temporary || klass == "" && (r == ReasonMailboxFull && containsAny(text, transientPhrases) || containsAny(text, temporaryPhrases)) {
			// "Mailbox full, try again later" is a state that may pass.
			return set(Transient, ReasonTemporary)
		}
		if r != ReasonNoSuchUser || userUnknownHolds(text, klass, code, cmd) || cmd != "DATA" && providerSaysUnknown(f.reporter, text) {
			return set(Permanent, r)
		}
		if cmd == "DATA" || klass == "5" && subject == "2" || !containsAny(text, weakUserPhrases) {
			return set(None, ReasonFiltered)
		}
		// Only "address rejected" with a code of another class: judged below.
	}
	// 3. The session: refused at MAIL FROM or before, the address was never
	// judged; refused after DATA, the message was.
	switch cmd {
	case "DATA":
		if containsAny(text, userPhrases) || containsPair(text, userPairs) || klass == "5" && (subject == "1" || subject == "2") {
			return set(None, ReasonFiltered)
		}
	}
	// 4. The enhanced status code.
	if klass == "5" {
		switch code {
		case "1.1", "1.0", "1.3":
			if code == "1.3" {
				return set(Permanent, ReasonBadAddress)
			}
			return set(Permanent, ReasonNoSuchUser)
		case "1.2", "1.10", "3.2", "7.27":
			return set(Permanent, ReasonNoSuchDomain)
		case "4.4":
			if !containsAny(text, transientPhrases) && !containsAny(text, dnsTroublePhrases) {
				return set(Permanent, ReasonNoSuchDomain)
			}
		case "1.6", "7.13", "7.17", "7.18":
			return set(Permanent, ReasonMailboxDisabled)
		case "2.2":
			return set(Permanent, ReasonMailboxFull)
		case "2.0", "2.1", "2.4", "1.4":
			// Mailbox status other than full, said without words about the
			// address: the mailbox exists and refused this message.
			return set(None, ReasonFiltered)
		}
		if subject == "6" {
			return set(None, ReasonPolicy)
		}
	}
	if temporary || klass == "5" && subject != "" && subject != "0" || containsAny(text, transientPhrases) {
		return set(Transient, ReasonTemporary)
	}
	return set(None, ReasonUndetermined)
}

// addressGone names what the words say about the address itself, or "".
func addressGone(text string) string {
	switch {
	case containsAny(text, fullPhrases):
		return ReasonMailboxFull
	case containsAny(text, disabledPhrases):
		return ReasonMailboxDisabled
	case containsAny(text, notAcceptPhrases), containsAny(text, domainPhrases) && !containsAny(text, dnsTroublePhrases):
		return ReasonNoSuchDomain
	case containsAny(text, userPhrases), containsPair(text, userPairs), containsAny(text, weakUserPhrases):
		return ReasonNoSuchUser
	}
	return ""
}

// systemTrouble tells whether the words name a failure that passes or is
// not the address's: a system, the network, DNS, the queue, the message's
// size.
func systemTrouble(text string) bool {
	return containsAny(text, troublePhrases) || containsAny(text, transientPhrases) || containsAny(text, dnsTroublePhrases)
}

// userUnknownHolds tells a "user unknown" that means the mailbox does not
// exist from one that is a receiving filter in disguise. The address is
// judged at RCPT TO, and a code of the address class (5.1.x) says so too;
// a bare "user unknown" with neither, or with a mailbox-status code
// (5.2.x: the mailbox exists), is how Japanese carriers and some filters
// refuse a sender — unless the words are ones only a directory lookup
// writes.
func userUnknownHolds(text, klass, code, cmd string) bool {
	strong := containsAny(text, userPhrases) || containsPair(text, userPairs)
	switch {
	case klass == "5" && strings.HasPrefix(code, "1."):
		// The address class: whatever the command (with pipelining,
		// sendmail reports RCPT refusals after DATA).
		return true
	case klass == "5" && code != "." && !strings.HasPrefix(code, "0.") && !strings.HasPrefix(code, "5.") && !strong:
		// "Recipient address rejected: Media error" (5.6.0): the code's
		// class says what was refused.
		return false
	case containsAny(text, directoryPhrases), cmd == "RCPT":
		return true
	case cmd == "DATA":
		return false
	case echoedRecipientRE.MatchString(text):
		return true
	case klass == "5" && strings.HasPrefix(code, "2."):
		return false
	}
	return cmd == "RCPT"
}

// providerSaysUnknown tells whether the notice comes from a mail system
// whose own words for an address it does not have are in text, as the
// provider documents them.
func providerSaysUnknown(reporter, text string) bool {
	for _, p := range providerUnknownPhrases {
		if (reporter == p.domain || strings.HasSuffix(reporter, "."+p.domain)) && containsAny(text, p.phrases) {
			return true
		}
	}
	return false
}

// smtpCommand finds the SMTP command a refusal answered, in the words MTAs
// use for it: "RCPT", "DATA", "MAIL", "CONN" (greeting, HELO, STARTTLS) or
// "" when the text does not say. The last one named wins: a transcript
// ends with the command that failed.
func smtpCommand(text string) string {
	best, at := "", -1
	for _, c := range commandPhrases {
		if i := strings.LastIndex(text, c.phrase); i > at {
			best, at = c.command, i
		}
	}
	return best
}

func shorten(s string) string {
	const max = 300
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
