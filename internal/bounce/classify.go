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
// the address; the enhanced status code decides where the words do not.
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
	// 2. Words of a permanently gone address that no code overrules.
	if r := addressGone(text); r != "" {
		if temporary || klass == "" && (r == ReasonMailboxFull && containsAny(text, transientPhrases) || containsAny(text, temporaryPhrases)) {
			// "Mailbox full, try again later" is a state that may pass.
			return set(Transient, ReasonTemporary)
		}
		if r != ReasonNoSuchUser || userUnknownHolds(text, klass, code, cmd) {
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
		if containsAny(text, userPhrases) || klass == "5" && (subject == "1" || subject == "2") {
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
	case containsAny(text, userPhrases), containsAny(text, weakUserPhrases):
		return ReasonNoSuchUser
	}
	return ""
}

// userUnknownHolds tells a "user unknown" that means the mailbox does not
// exist from one that is a receiving filter in disguise. The address is
// judged at RCPT TO, and a code of the address class (5.1.x) says so too;
// a bare "user unknown" with neither, or with a mailbox-status code
// (5.2.x: the mailbox exists), is how Japanese carriers and some filters
// refuse a sender — unless the words are ones only a directory lookup
// writes.
func userUnknownHolds(text, klass, code, cmd string) bool {
	strong := containsAny(text, userPhrases)
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
	case klass == "5" && strings.HasPrefix(code, "2."):
		return false
	}
	return cmd == "RCPT"
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

var commandPhrases = []struct{ phrase, command string }{
	{"in reply to rcpt to", "RCPT"}, {"[rcpt_to]", "RCPT"}, {"after rcpt to", "RCPT"}, {"after rcpt command", "RCPT"}, {">>> rcpt to", "RCPT"},
	{"our rcpt to", "RCPT"}, {"rcpt to response", "RCPT"}, {"does not like recipient", "RCPT"}, {"rcpt to command", "RCPT"},
	{"in reply to end of data", "DATA"}, {"in reply to data", "DATA"}, {"after end of data", "DATA"}, {"after data", "DATA"},
	{">>> data", "DATA"}, {"our data command", "DATA"}, {"data command", "DATA"}, {"didn't like our data", "DATA"},
	{"in reply to mail from", "MAIL"}, {"after mail from", "MAIL"}, {">>> mail from", "MAIL"}, {"our mail from", "MAIL"},
	{"mail from command", "MAIL"}, {"does not like sender", "MAIL"},
	{"in reply to ehlo", "CONN"}, {"in reply to helo", "CONN"}, {"after ehlo", "CONN"}, {"after helo", "CONN"},
	{"in reply to starttls", "CONN"}, {"after starttls", "CONN"}, {"after initial connection", "CONN"}, {"while connected to", "CONN"},
}

// Phrases, matched on lower-cased text with white space collapsed.
var (
	// The recipient's own filter or receiving setting refused our mail.
	filterPhrases = []string{
		"refused due to recipient preferences", "recipient is only accepting mail from specific", "user refuses to receive",
		"recipient id refuse to receive", "has restricted sms e-mail", "message rejected due to user rules", "blocked by the recipient",
		"you have been blocked by the recipient", "is not accepting any mail", "user reject", "message filtered",
		"sender isn't on the recipient's list of senders", "not on the recipient's list of senders",
		"受信拒否", "拒否設定", "指定受信", "受信設定", "迷惑メール設定", "迷惑メールフィルタ",
	}
	// Our sender address, its domain or our sending host was refused.
	senderPhrases = []string{
		"sender address rejected", "domain of sender address", "sender verify failed", "sender rejected", "sender was rejected",
		"sender email address rejected", "invalid sender", "mailfrom domain", "mail from domain", "sender domain",
		"sender address has been blacklisted", "sender is in my black list", "sender not pre-approved", "bogus mail from",
		"empty envelope senders not allowed", "null sender is not allowed", "unroutable sender address",
		"this server does not accept mail from", "returned mail not accepted here", "no third-party dsns",
		"your email address has been blacklisted", "not a registered gateway user", "mail from not owned by user",
		"open relay", "no access from mail server", "administrative prohibition",
	}
	// Spam, virus, content, authentication, reputation, rate limits.
	policyPhrases = []string{
		"spam", "blocklist", "block list", "blacklist", "black list", "blocked", "reputation", "policy", "policies",
		"dmarc", "spf", "dkim", "unsolicited", "relay access denied", "relaying denied", "relay not permitted",
		"not permitted to relay", "we do not relay", "not authorized to send", "virus", "malware", "phish", "access denied", "rate limit", "rate-limit",
		"at a rate that", "too many messages", "too many connections", "too many recipients", "greylist", "graylist",
		"content rejected", "message rejected", "bulk mail", "junk", "suspicious", "reverse dns", "ptr record",
		"rdns", "not in accordance with rfc", "non-compliant", "rfc 5322", "rfc5322",
		"迷惑", "ポリシー", "スパム", "なりすまし", "ウイルス",
	}
	cpanelUnroutable = "the account or domain may not exist, they may be blacklisted, or missing the proper dns entries"
	domainPhrases    = []string{
		"no such domain", "domain not found", "host or domain name not found", "host not found",
		"domain does not exist", "domain doesn't exist", "nxdomain", "unknown domain", "unrouteable address",
		"no mx record", "domain is not valid", "host unknown", "unknown host", "domain name not found", "unrouteable mail domain",
		"ドメインが存在しません", "ドメインが見つかりません", "ドメイン名が存在しません", "ドメインが不明",
	}
	// DNS trouble of our side or theirs, not a missing domain.
	dnsTroublePhrases = []string{"malformed or unexpected name server reply", "server failure", "servfail", "temporary failure in name resolution", "try again"}
	noMXPhrases       = []string{"no mx found for domain", "no mx or a records"}
	notAcceptPhrases  = []string{"null mx", "does not accept mail", "no smtp service", "accepts no mail", "not accepting mail", "domain does not receive mail"}
	disabledPhrases   = []string{
		"mailbox disabled", "mailbox is disabled", "account disabled", "account is disabled", "account has been disabled",
		"disabled recipient", "address is disabled", "is disabled", "mailbox inactive", "account inactive", "inactive account",
		"mailbox is inactive", "deactivated", "no longer active", "account closed", "mailbox closed", "account has been closed",
		"suspended", "account is locked", "temporary locked", "temporarily locked", "account locked", "has moved", "moved away",
		"no forwarding address", "no longer valid", "no longer accepts mail", "not an active address",
		"利用停止", "停止されて", "無効になって", "無効です", "解約",
	}
	fullPhrases = []string{
		"mailbox full", "mailbox is full", "over quota", "overquota", "quota exceeded", "exceeded quota", "exceeded storage",
		"exceeds quota", "mailbox size limit exceeded", "insufficient storage", "out of storage", "storage space",
		"mailbox exceeds allowed size", "mailfolder is full", "mail folder is full", "exceeded the local limit", "mailbox exceeded", "their mailbox is full", "mailbox is over",
		"容量を超え", "容量オーバー", "容量が一杯", "容量がいっぱい", "容量が不足", "メールボックスがいっぱい", "メールボックスが一杯", "メールボックスが満杯", "満杯",
	}
	userPhrases = []string{
		"user unknown", "unknown user", "no such user", "no such mailbox", "no such recipient", "no such account",
		"unknown recipient", "recipient unknown", "recipient not found", "recipientnotfound", "recipnotfound", "user not found",
		"address not found", "address unknown", "mailbox not found", "invalid recipient",
		"invalid mailbox", "does not exist", "doesn't exist", "no mailbox here", "not a valid mailbox", "invalid address",
		"doesn't have a", "does not have an account", "is not a valid user", "name is not recognized", "not listed in",
		"address couldn't be found", "address could not be found", "check if address is correct", "no account by that name",
		"not our user", "not our customer", "destinataire invalide",
		"宛先不明", "存在しません", "存在しない", "見つかりません", "登録されていません", "ユーザーが不明", "ユーザが不明", "該当するユーザ", "該当ユーザ",
	}
	// Words that name the address but not why it was refused: about the
	// mailbox at RCPT TO or with an address code, else not.
	weakUserPhrases = []string{"recipient address rejected", "address rejected", "recipient rejected", "mailbox unavailable"}
	// Words only a directory lookup writes: with no code and no SMTP
	// command, they still mean the mailbox does not exist.
	directoryPhrases = []string{
		"recipient name is not recognized", "not listed in domino directory", "not listed in the directory",
		"delivery error: dd ", "address couldn't be found", "address could not be found", "check if address is correct",
		"recipnotfound", "recipientnotfound", "no such mailbox", "user does not exist", "invalid recipient",
		"mailbox unavailable (-", "unknown user:",
		"宛先不明", "存在しません", "存在しない", "登録されていません",
	}
	// Words that make any state they name a passing one.
	temporaryPhrases = []string{"temporar", "一時的"}
	transientPhrases = []string{
		"temporar", "try again", "retry", "timed out", "timeout", "connection refused", "deferred", "delayed",
		"could not be delivered within", "message expired", "delivery expired", "has not yet been delivered",
		"一時的", "しばらく", "タイムアウト", "接続できません", "遅延", "再送",
	}
)

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
