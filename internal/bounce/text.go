package bounce

import (
	"regexp"
	"strings"
)

// The human-readable part of a non-standard bounce is cut where the
// returned original begins: its To: line names the recipient too, and its
// text is the sender's, not the failing server's.
var originalMarkers = []string{
	"--- below this line is a copy of the message",
	"------ this is a copy of the message",
	"----- original message -----",
	"-----original message-----",
	"original message follows",
	"----- the header of the original message is following",
	"------ original message ------",
	"original message headers",
	"--- 元のメッセージ",
	"----- 元のメッセージ",
	"-----元のメッセージ",
	"以下は元のメッセージ",
	"以下、元のメッセージ",
	"以下は送信されたメッセージ",
	"送信したメッセージ",
	"--- original message",
}

var headerLineRE = regexp.MustCompile(`(?m)^(Return-Path|Received|Message-ID|DKIM-Signature|X-Original-To):`)

// failureText is text up to the returned original.
func failureText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lower := strings.ToLower(s)
	cut := len(s)
	for _, m := range originalMarkers {
		if i := strings.Index(lower, m); i >= 0 && i < cut {
			cut = i
		}
	}
	if loc := headerLineRE.FindStringIndex(s); loc != nil && loc[0] < cut {
		cut = loc[0]
	}
	return s[:cut]
}

var (
	leadAddrRE  = regexp.MustCompile(`^\s*(?:[-*•]\s*)?(?:[245]\d\d[ -]|>>> RCPT To:\s*)?(?:(?:Recipient|Failed Recipient|Original-Recipient|宛先|送信先)\s*[:：]\s*)?<?([A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>?(?:\.\.\.|\s*[:：(（]|\s*$|\s+\S)`)
	mailtoQuote = strings.NewReplacer("mailto:", "")
	replyLineRE = regexp.MustCompile(`^\s*[245]\d\d[ -]`)
)

const discard = "\x00"

// textBlocks splits failure text into the blocks each failed recipient
// heads (a line that starts with the address, as qmail, Exim, Postfix,
// Gmail and most Japanese servers write them). The text before the first
// such line is returned as the preamble.
func textBlocks(s string) (preamble string, blocks map[string][]string) {
	blocks = map[string][]string{}
	cur := ""
	var b strings.Builder
	flush := func() {
		if cur == "" {
			preamble = b.String()
		} else {
			blocks[cur] = append(blocks[cur], b.String())
		}
		b.Reset()
	}
	for _, line := range strings.Split(mailtoQuote.Replace(s), "\n") {
		if m := leadAddrRE.FindStringSubmatch(line); m != nil && !looksLikeSystemAddress(m[1]) {
			flush()
			cur = strings.ToLower(m[1])
			if replyLineRE.MatchString(line) {
				// sendmail's "554 <a@b>... reason": one line each; what
				// follows is about other hosts of the transcript.
				blocks[cur] = append(blocks[cur], line+"\n")
				cur = discard
				continue
			}
		}
		if cur != discard {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	flush()
	delete(blocks, discard)
	return preamble, blocks
}

// looksLikeSystemAddress tells the mail system's own addresses, which head
// no failure, from recipients.
func looksLikeSystemAddress(a string) bool {
	local := strings.ToLower(a[:strings.IndexByte(a, '@')])
	switch local {
	case "mailer-daemon", "postmaster", "mailer_daemon", "mail-daemon":
		return true
	}
	return false
}
