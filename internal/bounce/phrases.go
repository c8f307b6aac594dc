package bounce

// The words classify looks for in bounce texts.

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

// Providers whose notices say a recipient does not exist in words that,
// from any other mail system, could be a filter: their own mailers write
// them only for an unknown address.
var providerUnknownPhrases = []struct {
	domain  string
	phrases []string
}{
	// Broadcom Email Security.cloud (MessageLabs) documents these as an
	// invalid recipient in the protected domain.
	{"messagelabs.com", []string{"no such user", "invalid recipient", "recipient mailbox is not allowed"}},
	// Verizon Wireless's e-mail gateways to phones: no such subscriber.
	{"vtext.com", []string{"invalid user address", "no such user here", "no valid recipients"}},
	{"vzwpix.com", []string{"invalid user address", "no such user here", "no valid recipients"}},
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
