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
		// A gateway's per-recipient protection or rule, a sending service's
		// suppression of an address it saw bounce before.
		"account is protected by", "rule imposed mailbox access", "recipient refuses to accept", "bounced address",
		"not found recipient account", "mail is rejected by recipients",
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
		"sender denied", "unknown sender", "sender not in allowed", "sender not authenticated", "sender was not authenticated",
		"sender is spammer", "outbound sender", "submitter failed", "mail sending denied", "email address is not verified",
		"not allowed to post", "members-only", "not subscribed to this group", "send mail as", "delivery not authorized",
		"senderfilterconfig", "emetteur invalide", "provide a valid from", "valid address in the from", "from: domain",
		"fully qualified email address required", "empty email address", "recursive cname", "unregistered domains",
		// Bounce-address tagging and backscatter filters refusing a bounce or our return path.
		"batv", "backscatter", "bouncedeny", "valid-address-filter", "unsigned dsn", "purported responsible address",
		// Our sending host: its name, its greeting, its way of connecting.
		"helo command rejected", "helo/ehlo", "bad helo", "send hello first", "ehlo requires", "not allowed to connect",
		"not accepting connections", "not currently accepting mail from", "host network", "server access", "your access",
		"your server requires", "confirm this mail server", "remotehost looks", "open proxy",
		"smtp server of your isp", "not passed validation", "not allowed to send", "invalid ip for sending",
		"will be permanently deferred",
		// Relaying: the server does not take mail for the recipient's domain from us.
		"unable to relay", "relay denied", "no relaying", "as a relay", "relay mail", "relay through", "relaying mail",
		"mail relay", "credentials for relay", "not a gateway", "rcpthost", "we don't handle mail for",
		"specified domain is not allowed", "not local host", "submit messages to this e-mail system", "closed mailing list",
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
		// Our sending host's address and its standing on block lists.
		"client host", "sender ip", "sending ip", "source ip", "your ip", "from ip", "the ip ", "ip address is listed",
		"dynamic ip", "bad ip", "ip profile", "listed as abusive", "rbl", "spamhaus", "spamcop", "barracuda", "abuseat",
		"cloudmark", "customer block list", "client blocked", "dnsbl", "connection denied", "suspected bounce attack",
		"rejected by destination domain",
		// Authentication of our session or domain, TLS.
		"authenticat", "authentificat", "username and password", "identity changes", "login attempts", "ses:sendrawemail",
		"not subscribed to ses", "starttls", "tls required", "requires tls", "requires encryption", "tls/ssl", "mta-sts",
		"tlsa-invalid", "dnssec-invalid", "certificate", "high-strength ciphers", "spoof",
		// Reverse DNS of our host.
		"ptr resource", "ptr-record", "(ptr)", "no ptr", "reverse lookup", "your hostname", "resolve your address",
		"ip name lookup", "relay host name", "mismatches client ip", "unverifyable", "unverifiable",
		// The message: its content, headers, attachments, form.
		"content filter", "mail content", "banned content", "unacceptable content", "message content", "content examination",
		"content presents", "recurrent pattern", "mail score", "illegal attachment", "attachment extension",
		"or other attachments", "executable", "not accepting mail with", "duplicate header", "header error",
		"header are not", "headers are not", "header is too long", "disallowed header", "in message header",
		"from: header", "message-id: header", "multiple addresses", "mime header", "mime complexity", "base64",
		"8-bit data", "binary content", "invalid characters", "unicode character", "encoded-word", "message is malformed", "malformed message",
		"rfc compliant", "mass mailer", "captcha", "low priority", "organizational settings",
		// Rates and volumes of our sending.
		"throttl", "try again slower", "too quickly", "connection limit", "connection rate", "per hour", "per session",
		"per connection", "sending quota", "submission quota", "message quota", "sending limit", "relay limit",
		"receive limit", "their limit for", "daily limit", "permitted limits", "thread limit", "message threshold",
		"exceeded threshold", "unusual rate", "excessive volume", "unexpected volume", "maximum number of connections",
		"too many sessions", "too many smtp sessions", "too many concurrent", "too many errors", "too many invalid",
		"too many bad commands", "too many unwanted", "trop de connexions", "numerous attempts", "user complaints",
		"frequency limited", "frequency of receiving", "access denined",
		// Refusals that point the sender to a page about its host or message.
		"refused - see", "service refused", "service refuse", "mail rejete", "noncompliant", "multiple from",
	}
	cpanelUnroutable = "the account or domain may not exist, they may be blacklisted, or missing the proper dns entries"
	domainPhrases    = []string{
		"no such domain", "domain not found", "host or domain name not found", "host not found",
		"domain does not exist", "domain doesn't exist", "nxdomain", "unknown domain", "unrouteable address",
		"no mx record", "domain is not valid", "host unknown", "unknown host", "domain name not found", "unroutable address",
		"recipient domain must exist", "domain mentioned in email address is unknown", "able to find the recipient domain",
		"ドメインが存在しません", "ドメインが見つかりません", "ドメイン名が存在しません", "ドメインが不明",
	}
	// DNS trouble of our side or theirs, not a missing domain.
	dnsTroublePhrases = []string{
		"malformed or unexpected name server reply", "server failure", "servfail", "temporary failure in name resolution", "try again",
		// Exim's router found no way to the domain: the lookup may have failed.
		"unrouteable mail domain",
	}
	noMXPhrases      = []string{"no mx found for domain", "no mx or a records"}
	notAcceptPhrases = []string{"null mx", "does not accept mail", "no smtp service", "accepts no mail", "not accepting mail", "domain does not receive mail"}
	disabledPhrases  = []string{
		"mailbox disabled", "mailbox is disabled", "account disabled", "account is disabled", "account has been disabled",
		"disabled recipient", "address is disabled", "is disabled", "mailbox inactive", "account inactive", "inactive account",
		"mailbox is inactive", "deactivated", "no longer active", "account closed", "mailbox closed", "account has been closed",
		"suspended", "account is locked", "temporary locked", "temporarily locked", "account locked", "has moved", "moved away",
		"no forwarding address", "no longer valid", "no longer accepts mail", "not an active address",
		"inactive user", "user not active", "account is inactive", "reach is inactive", "user is terminated", "mailbox is frozen",
		"suspend the service", "archived recipient", "destinataire archivee", "mail receiving disabled",
		"has been replaced by", "no longer on server",
		"利用停止", "停止されて", "無効になって", "無効です", "解約",
	}
	fullPhrases = []string{
		"mailbox full", "mailbox is full", "over quota", "overquota", "quota exceeded", "exceeded quota", "exceeded storage",
		"exceeds quota", "mailbox size limit exceeded", "insufficient storage", "out of storage", "storage space",
		"mailbox exceeds allowed size", "mailfolder is full", "mail folder is full", "exceeded the local limit", "mailbox exceeded", "their mailbox is full", "mailbox is over",
		"full mailbox", "mailbox has exceeded", "mailbox would exceed", "mailbox quota", "quota has been exceeded", "quota violation",
		"space has been used up", "storage limit", "destinataire pleine", "too much mail data",
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
		"no such address", "no such person", "address invalid", "mailbox invalid", "unknown mailbox", "user not exist",
		"recipient not exist", "user not known", "is not a known user", "not a valid recipient", "not a valid user",
		"nonexistent user", "non-existent user", "unknown local part", "unknown local-part", "unknown email address",
		"unknown e-mail address", "no mailbox found", "no mailbox by that name", "no mail box available", "mailbox not present",
		"not present in directory", "no one at this address", "email name is not found", "recipient notfound",
		"unknown virtual user", "illegal alias", "inactive email address", "bad destination mailbox address",
		"addresses were unknown",
		// qmail's lists of addresses it refuses at RCPT TO.
		"badrcptto", "badrecipientto", "validrcptto",
		"utilisateur inconnu", "nessun utente", "no existe dicha persona", "no existe ese usuario", "adresse nicht gefunden",
		"宛先不明", "存在しません", "存在しない", "見つかりません", "登録されていません", "ユーザーが不明", "ユーザが不明", "該当するユーザ", "該当ユーザ",
	}
	// A user-unknown sentence with the address or name inside it:
	// "user (taro@example.jp) unknown", "user taro was not found".
	userPairs = [][2]string{
		{"user (", ") unknown"}, {"user ", " was not found"}, {"recipient ", " was not found in"}, {"<", "> not found"},
		{"no ", " in name directory"},
	}
	// Words that name the address but not why it was refused: about the
	// mailbox at RCPT TO or with an address code, else not.
	weakUserPhrases = []string{"recipient address rejected", "address rejected", "recipient rejected", "mailbox unavailable", "mailbox is unavailable"}
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

// troublePhrases name a failure of a mail system, the network between us,
// the queue or the message's size or form: with no words about the
// address, they say the address was never judged, whatever code came with
// them (servers send "550 5.1.1" for a loop or a timeout too).
var troublePhrases = []string{
	// The receiving system.
	"mail loop", "routing loop", "forwarding loop", "loop detected", "loops back", "looping", "loop was found",
	"loop count", "configuration error", "config error", "misconfigured", "incorrectly configured", "local error",
	"internal error", "server error", "interrupted system call", "write error", "output file", "drd for domain",
	"no mdb", "error while being processed", "service currently unavailable", "service not available",
	"service unavailable", "service not active", "temporarily not available", "temporarily unavailable",
	"server busy", "agent busy", "system problem", "local problem", "system resources", "mail system full",
	"disk space", "no space left on device", "unable to process", "message ended early", "expansion problem",
	"address ambiguous", "failed to be replicated", "journaling", "destination domains per transaction",
	"upstream error",
	// The network and DNS between us.
	"unable to connect", "could not connect", "cannot connect", "couldn't connect", "no route to host",
	"unreachable", "not reachable", "connection refused", "connection reset", "connection dropped",
	"connection was dropped", "connection was closed", "timed out", "timeout", "name server", "nameserver",
	"dns query failed", "lookup failure", "dns check failure", "hop count", "too many hops", " hops",
	"unable to resolve", "could not find a gateway", "dns records for the destination computer",
	"incorrect hostname used for inbounds", "suspiciousremoteservererror",
	// The queue gave up.
	"message expired", "delivery expired", "delivery time expired", "queue expired", "connection expired",
	"past the expiration", "past expiration", "giving up", "failing for a long time", "has been delayed",
	"not been collected", "queue too long", "after multiple retries", "allowed queue period",
	"could not be delivered for", "delivery attempts will continue", "did not respond", "retry time not reached",
	"failed to deliver to domain",
	// The message's size or the session's syntax.
	"too big", "too large", "message size", "email size", "size limit", "size exceeds", "message length",
	"line limit", "taille limite", "maximum inbound message", "maximum incoming message", "recipsizelimit",
	"syntax error", "protocol violation", "unrecognized command", "bad sequence", "no data before greeting",
	"invalid arguments",
}
