package bounce

import (
	"strings"
	"testing"
)

// TestClassify pins the rules on single diagnostics, in the order they
// apply: policy before address, codes before phrases, temporary codes
// before permanent phrases.
func TestClassify(t *testing.T) {
	for _, c := range []struct {
		status, action, diagnostic string
		class                      Class
		reason                     string
	}{
		{"5.1.1", "failed", "550 5.1.1 user unknown", Permanent, ReasonNoSuchUser},
		{"5.1.1", "failed", "550 5.1.1 blocked by Spamhaus", None, ReasonPolicy},
		{"5.7.1", "failed", "550 5.7.1 user unknown", None, ReasonPolicy},
		{"", "", "550 5.7.606 Access denied, banned sending IP", None, ReasonPolicy},
		{"4.2.2", "failed", "452 4.2.2 mailbox full", Transient, ReasonTemporary},
		{"", "", "452 mailbox full", Transient, ReasonTemporary},
		{"", "", "552 mailbox full", Permanent, ReasonMailboxFull},
		{"", "", "Mailbox full, try again later", Transient, ReasonTemporary},
		{"", "", "550 Host unknown: domain does not exist", Permanent, ReasonNoSuchDomain},
		{"", "", "Requested action not taken: mailbox unavailable", None, ReasonUndetermined},
		{"", "", "550 Requested action not taken: mailbox unavailable (in reply to RCPT TO command)", Permanent, ReasonNoSuchUser},
		{"", "", "connect to 192.0.2.1 port 25: connection refused", Transient, ReasonTemporary},
		{"", "", "host 5.1.1.1 said: 554 go away", None, ReasonUndetermined},
		{"5.0.0", "failed", "554 Transaction failed", None, ReasonUndetermined},
		{"2.0.0", "delivered", "250 ok", None, ReasonDelivered},
		{"4.4.1", "delayed", "connection timed out", Transient, ReasonDelayed},
		{"", "", "このメールアドレスは存在しません", Permanent, ReasonNoSuchUser},
		{"", "", "一時的にホストが見つかりません。しばらくしてから再送してください", Transient, ReasonTemporary},
		{"", "", "受信拒否設定により配信できませんでした（宛先不明ではありません）", None, ReasonFiltered},
		{"", "", "", None, ReasonUndetermined},
		{"", "", "Remote host said:\n452 mailbox full", Transient, ReasonTemporary},
		{"", "", "your message of 400 KB: mailbox full", Permanent, ReasonMailboxFull},
		{"", "", "sent to 200 recipients; the recipient's mailbox is full", Permanent, ReasonMailboxFull},
		// A mail-system status (X.3.X) makes a "mailbox" word the system's;
		// an unknown user still needs the command or an address code.
		{"5.3.0", "failed", "552 5.3.0 mailbox full", Transient, ReasonTemporary},
		{"5.3.0", "failed", "550 5.3.0 <taro@example.jp>... User unknown (in reply to RCPT TO command)", Permanent, ReasonNoSuchUser},
		{"5.3.0", "failed", "550 5.3.0 User unknown", None, ReasonFiltered},
		// A "user unknown" that names the recipient after the reply code
		// answered RCPT TO; without the name (or with DATA named) it is a
		// receiving filter.
		{"", "", "550: <taro@ezweb.ne.jp>: User unknown", Permanent, ReasonNoSuchUser},
		{"5.0.0", "failed", "550 <taro@ezweb.ne.jp>: User unknown", Permanent, ReasonNoSuchUser},
		{"5.0.0", "failed", "550 : User unknown", None, ReasonFiltered},
		{"", "", "550 <taro@ezweb.ne.jp>: User unknown (in reply to end of DATA command)", None, ReasonFiltered},
		{"", "", "<taro@ezweb.ne.jp>: host lsean.ezweb.ne.jp said: 550 : User unknown", None, ReasonFiltered},
		// Words about our host, our sending, the message or a failing
		// system beat an address code some servers send with anything.
		{"5.1.1", "failed", "550 5.1.1 Client host rejected: cannot find your hostname", None, ReasonPolicy},
		{"5.1.1", "failed", "550 5.1.1 Unable to relay for taro@example.jp", None, ReasonRejected},
		{"5.1.1", "failed", "550 5.1.1 Throttling failure: Daily message quota exceeded", None, ReasonPolicy},
		{"", "", "550 because the recipient is not accepting mail with attachments", None, ReasonPolicy},
		{"5.1.1", "failed", "550 5.1.1 Hop count exceeded - possible mail loop", Transient, ReasonTemporary},
		{"5.1.1", "failed", "552 5.1.1 Message size exceeds fixed maximum message size", Transient, ReasonTemporary},
		{"5.3.4", "failed", "552 5.3.4 Requested mail action aborted: exceeded storage allocation", Transient, ReasonTemporary},
		{"", "", "550 Unrouteable mail domain \"example.jp\"", Transient, ReasonTemporary},
		// More wordings of a gone address; a user-unknown one still needs
		// RCPT TO or an address code.
		{"", "", "552 Quota violation for taro@example.jp", Permanent, ReasonMailboxFull},
		{"", "", "550 Archived recipient (in reply to RCPT TO command)", Permanent, ReasonMailboxDisabled},
		{"", "", "550 Recipient domain must exist", Permanent, ReasonNoSuchDomain},
		{"", "", "550 No such person at this address (in reply to RCPT TO command)", Permanent, ReasonNoSuchUser},
		{"", "", "550 User (taro@example.jp) unknown (in reply to RCPT TO command)", Permanent, ReasonNoSuchUser},
		{"", "", "550 No such person at this address", None, ReasonFiltered},
	} {
		v := classify(c.status, c.action, c.diagnostic)
		if v.Class != c.class || v.Reason != c.reason {
			t.Errorf("%q %q %q: %s (%s), want %s (%s)", c.status, c.action, c.diagnostic, v.Class, v.Reason, c.class, c.reason)
		}
	}
}

// A provider's own wording for an unknown address counts only in a notice
// its own mail system wrote: the same words from anyone else (or from a
// look-alike domain) are a filter's.
func TestProviderWording(t *testing.T) {
	notice := func(from string) string {
		return "From: Mail Delivery System <" + from + ">\nSubject: Mail Delivery Failure\n\n" +
			"I was unable to deliver your message to the following addresses:\n\ntaro@example.jp\n\n" +
			"Reason: 550 taro@example.jp... No such user\n"
	}
	for from, want := range map[string]Class{
		"MAILER-DAEMON@messagelabs.com":                   Permanent,
		"mailer-daemon@server-7.bemta-12.messagelabs.com": Permanent,
		"mailer-daemon@mx.example.org":                    None,
		"mailer-daemon@messagelabs.com.attacker.example":  None,
		"mailer-daemon@notmessagelabs.com":                None,
	} {
		if v := Parse([]byte(notice(from))).For("taro@example.jp"); v.Class != want {
			t.Errorf("from %s: %s (%s), want %s", from, v.Class, v.Reason, want)
		}
	}
	// Named at DATA, even the provider's words are about the message.
	data := strings.Replace(notice("MAILER-DAEMON@messagelabs.com"), "No such user", "No such user (in reply to end of DATA command)", 1)
	if v := Parse([]byte(data)).For("taro@example.jp"); v.Class != None {
		t.Errorf("provider wording at DATA: %s (%s)", v.Class, v.Reason)
	}
}

func TestEnhancedStatusSkipsIPAddresses(t *testing.T) {
	for in, want := range map[string]string{
		"host 5.1.1.1 said: 550 5.1.1 no": "5.1.1",
		"from 10.5.1.1":                   "",
		"(#5.1.1)":                        "5.1.1",
		"5.7.708 Service unavailable":     "5.7.708",
	} {
		if got := enhancedStatus(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// An address line alone, in any case, takes its reason from the rest of
// the text when it is the only recipient, and from the text before the
// first address when there are several: never from another's block.
func TestBareAddressLines(t *testing.T) {
	head := "Return-Path: <>\nFrom: Mailer-Daemon@mx.example.jp\nSubject: Mail delivery failed\n\n"
	one := head + "The following address failed:\n\n  Taro@Example.JP\n\nreason: 550 5.1.1 user unknown\n"
	if v := Parse([]byte(one)).For("taro@example.jp"); v.Class != Permanent || v.Reason != ReasonNoSuchUser {
		t.Errorf("only recipient: %s (%s)", v.Class, v.Reason)
	}
	two := head + "The following address(es) failed:\n\n  Taro@Example.JP\n\n  Jiro@Example.JP\n    550 5.7.1 relaying denied\n\nuser unknown\n"
	if v := Parse([]byte(two)).For("taro@example.jp"); v.Class != None || v.Reason != ReasonUndetermined {
		t.Errorf("taro among two: %s (%s)", v.Class, v.Reason)
	}
	if v := Parse([]byte(two)).For("jiro@example.jp"); v.Class != None || v.Reason != ReasonPolicy {
		t.Errorf("jiro: %s (%s)", v.Class, v.Reason)
	}
	all := head + "None of these mailboxes exist any more (550 5.1.1 user unknown):\n\n  taro@example.jp\n  jiro@example.jp\n"
	if v := Parse([]byte(all)).For("taro@example.jp"); v.Class != Permanent {
		t.Errorf("preamble about all: %s (%s)", v.Class, v.Reason)
	}
}
