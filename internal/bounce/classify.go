package bounce

import (
	"regexp"
	"strings"
)

// Class is what a bounce says about one recipient address.
type Class string

const (
	// Permanent: the address cannot receive mail (no such user, mailbox or
	// domain; mailbox disabled or full). One is enough to disable it.
	Permanent Class = "permanent"
	// Transient: delivery failed for now; repeated, it disables the address.
	Transient Class = "transient"
	// None: the message says nothing about the address itself (policy,
	// spam or reputation rejections, auto-replies, feedback reports, success
	// notices, an unrecognized message). It never disables anything.
	None Class = "none"
)

// Reasons, recorded with a disabled address and shown to administrators.
const (
	ReasonNoSuchUser      = "no_such_user"
	ReasonNoSuchDomain    = "no_such_domain"
	ReasonMailboxDisabled = "mailbox_disabled"
	ReasonMailboxFull     = "mailbox_full"
	ReasonBadAddress      = "bad_address"
	ReasonTemporary       = "temporary_failure"
	ReasonDelayed         = "delayed"
	ReasonPolicy          = "policy"
	ReasonUndetermined    = "undetermined"
	ReasonDelivered       = "delivered"
	ReasonAutoReply       = "auto_reply"
	ReasonFeedback        = "feedback_report"
	ReasonNotBounce       = "not_a_bounce"
	ReasonOtherRecipient  = "other_recipient"
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

// Phrases, matched on lower-cased text with white space collapsed. Order
// matters: what speaks of the sender or the message wins over what speaks
// of the address, because a wrong disable locks an administrator out.
var (
	policyPhrases = []string{
		"spam", "blocklist", "block list", "blacklist", "black list", "blocked", "spamhaus", "reputation",
		"policy", "policies", "dmarc", "spf", "dkim", "unsolicited", "virus", "malware", "phish",
		"not authorized to send", "relay access denied", "relaying denied", "relay not permitted",
		"access denied", "sender address rejected", "sender verify failed", "rate limit", "rate-limit",
		"too many messages", "too many connections", "too many recipients", "greylist", "graylist",
		"content rejected", "message rejected", "bulk mail", "junk", "suspicious",
		"message size", "message too large", "message is too large", "too big", "size exceeds",
		"迷惑", "受信拒否", "拒否設定", "指定受信", "ポリシー", "スパム", "なりすまし", "ウイルス", "サイズが大き", "メッセージサイズ",
	}
	domainPhrases = []string{
		"no such domain", "domain not found", "host or domain name not found", "host not found",
		"domain does not exist", "domain doesn't exist", "nxdomain", "unknown domain", "unrouteable address",
		"no mx record", "null mx", "ドメインが存在しません", "ドメインが見つかりません", "ドメイン名が存在しません", "ドメインが不明",
	}
	disabledPhrases = []string{
		"mailbox disabled", "mailbox is disabled", "account disabled", "account is disabled", "account has been disabled",
		"is disabled", "mailbox inactive", "account inactive", "inactive account", "mailbox is inactive", "deactivated",
		"no longer active", "account closed", "mailbox closed", "account has been closed",
		"利用停止", "停止されて", "無効になって", "無効です", "解約",
	}
	fullPhrases = []string{
		"mailbox full", "mailbox is full", "over quota", "overquota", "quota exceeded", "exceeded quota", "exceeded storage",
		"exceeds quota", "mailbox size limit exceeded", "insufficient storage", "out of storage", "storage space",
		"容量を超え", "容量オーバー", "容量が一杯", "容量がいっぱい", "容量が不足", "メールボックスがいっぱい", "メールボックスが一杯", "メールボックスが満杯", "満杯",
	}
	userPhrases = []string{
		"user unknown", "unknown user", "no such user", "no such mailbox", "no such recipient", "no such account",
		"unknown recipient", "recipient unknown", "recipient not found", "recipientnotfound", "user not found",
		"address not found", "address unknown", "mailbox not found", "mailbox unavailable", "invalid recipient",
		"invalid mailbox", "does not exist", "doesn't exist", "no mailbox here", "not a valid mailbox",
		"doesn't have a", "does not have an account", "is not a valid user", "account that you tried to reach does not exist",
		"宛先不明", "存在しません", "存在しない", "見つかりません", "登録されていません", "ユーザーが不明", "ユーザが不明", "該当するユーザ", "該当ユーザ",
	}
	transientPhrases = []string{
		"temporar", "try again", "retry", "timed out", "timeout", "connection refused", "deferred", "delayed",
		"could not be delivered within", "message expired", "delivery expired", "has not yet been delivered",
		"一時的", "しばらく", "タイムアウト", "接続できません", "遅延", "再送",
	}
)

func containsAny(s string, list []string) bool {
	for _, p := range list {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// classify decides what status (an enhanced code, possibly empty), action
// (an RFC 3464 Action, possibly empty) and diagnostic (free text) say
// about the address.
func classify(status, action, diagnostic string) Verdict {
	text := strings.ToLower(spaceRE.ReplaceAllString(diagnostic, " "))
	if status == "" {
		status = enhancedStatus(text)
	}
	v := Verdict{Status: status, Diagnostic: shorten(strings.TrimSpace(spaceRE.ReplaceAllString(diagnostic, " ")))}
	set := func(c Class, reason string) Verdict { v.Class, v.Reason = c, reason; return v }

	action = strings.ToLower(strings.TrimSpace(action))
	switch action {
	case "delivered", "relayed", "expanded":
		return set(None, ReasonDelivered)
	}
	var klass, subject, detail string
	if p := strings.SplitN(status, ".", 3); len(p) == 3 {
		klass, subject, detail = p[0], p[1], p[2]
	}
	if klass == "" {
		if m := replyRE.FindStringSubmatch(strings.ToLower(diagnostic)); m != nil {
			klass = m[1]
		}
	}
	switch {
	case klass == "2":
		return set(None, ReasonDelivered)
	case subject == "7":
		return set(None, ReasonPolicy)
	case containsAny(text, policyPhrases):
		return set(None, ReasonPolicy)
	case action == "delayed":
		return set(Transient, ReasonDelayed)
	}
	temporary := klass == "4"
	if klass == "5" {
		switch subject + "." + detail {
		case "1.1", "1.6", "1.10":
			return set(Permanent, ReasonNoSuchUser)
		case "1.2", "4.4":
			return set(Permanent, ReasonNoSuchDomain)
		case "1.3":
			return set(Permanent, ReasonBadAddress)
		case "2.1":
			return set(Permanent, ReasonMailboxDisabled)
		case "2.2":
			return set(Permanent, ReasonMailboxFull)
		}
	}
	reason := ""
	switch {
	case containsAny(text, domainPhrases):
		reason = ReasonNoSuchDomain
	case containsAny(text, fullPhrases):
		reason = ReasonMailboxFull
	case containsAny(text, disabledPhrases):
		reason = ReasonMailboxDisabled
	case containsAny(text, userPhrases):
		reason = ReasonNoSuchUser
	}
	switch {
	case reason != "" && (temporary || klass != "5" && containsAny(text, transientPhrases)):
		// "Mailbox full, try again later" with no code is a temporary state.
		return set(Transient, ReasonTemporary)
	case reason != "":
		return set(Permanent, reason)
	case temporary || containsAny(text, transientPhrases):
		return set(Transient, ReasonTemporary)
	}
	return set(None, ReasonUndetermined)
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
