package bounce

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpus is every message under testdata/ with the recipient its delivery
// went to and what the message must say about that recipient.
var corpus = []struct {
	file, rcpt string
	kind       Kind
	class      Class
	reason     string
}{
	// RFC 3464 delivery status notifications.
	{"dsn_postfix_511_user_unknown.eml", "taro@example.jp", KindBounce, Permanent, ReasonNoSuchUser},
	{"dsn_512_bad_destination_system.eml", "taro@example.jp", KindBounce, Permanent, ReasonNoSuchDomain},
	{"dsn_postfix_544_host_not_found.eml", "taro@nxdomain.example", KindBounce, Permanent, ReasonNoSuchDomain},
	{"dsn_521_mailbox_disabled.eml", "taro@example.jp", KindBounce, Permanent, ReasonMailboxDisabled},
	{"dsn_522_mailbox_full.eml", "taro@example.jp", KindBounce, Permanent, ReasonMailboxFull},
	{"dsn_422_delayed_quota.eml", "taro@example.jp", KindBounce, Transient, ReasonDelayed},
	{"dsn_447_expired.eml", "taro@example.jp", KindBounce, Transient, ReasonTemporary},
	{"dsn_571_spam_rejected.eml", "taro@example.jp", KindBounce, None, ReasonPolicy},
	{"dsn_5723_spf_fail.eml", "taro@example.jp", KindBounce, None, ReasonPolicy},
	{"dsn_534_message_too_big.eml", "taro@example.jp", KindBounce, Transient, ReasonTemporary}, // SPEC §3: too big is counted
	{"dsn_500_text_unknown_user.eml", "taro@example.jp", KindBounce, Permanent, ReasonNoSuchUser},
	{"dsn_500_undetermined.eml", "taro@example.jp", KindBounce, None, ReasonUndetermined},
	{"dsn_multi_recipient.eml", "taro@example.jp", KindBounce, Transient, ReasonTemporary},
	{"dsn_multi_recipient.eml", "jiro@example.jp", KindBounce, Permanent, ReasonNoSuchUser},
	{"dsn_multi_recipient.eml", "hanako@example.jp", KindBounce, None, ReasonPolicy},
	{"dsn_multi_recipient.eml", "saburo@example.jp", KindBounce, None, ReasonOtherRecipient},
	{"dsn_other_recipient_only.eml", "taro@example.jp", KindBounce, None, ReasonOtherRecipient},
	{"dsn_global_utf8.eml", "太郎@example.jp", KindBounce, Permanent, ReasonNoSuchUser},
	{"dsn_sendmail_user_unknown.eml", "taro@example.jp", KindBounce, Permanent, ReasonNoSuchUser},
	{"dsn_exchange_5110.eml", "Taro@Contoso.example", KindBounce, Permanent, ReasonNoSuchUser},
	{"dsn_gmail_522_over_quota.eml", "taro@gmail.example", KindBounce, Permanent, ReasonMailboxFull},
	{"dsn_gmail_470_rate_limited.eml", "taro@gmail.example", KindBounce, None, ReasonPolicy},
	{"dsn_original_recipient_alias.eml", "taro@example.jp", KindBounce, Permanent, ReasonMailboxDisabled},
	{"dsn_delivered_success.eml", "taro@example.jp", KindBounce, None, ReasonDelivered},
	{"dsn_japanese_human_part.eml", "taro@example.ne.jp", KindBounce, Permanent, ReasonNoSuchUser},
	{"dsn_441_connection_refused_delayed.eml", "taro@example.jp", KindBounce, Transient, ReasonDelayed},

	// Non-standard families.
	{"qmail_no_mailbox.eml", "taro@example.jp", KindBounce, Permanent, ReasonNoSuchUser},
	{"qmail_remote_user_unknown.eml", "taro@example.jp", KindBounce, Permanent, ReasonNoSuchUser},
	{"qmail_badmailfrom.eml", "taro@example.jp", KindBounce, None, ReasonPolicy},
	{"exim_user_unknown.eml", "taro@example.jp", KindBounce, Permanent, ReasonNoSuchUser},
	{"exim_retry_timeout.eml", "taro@example.jp", KindBounce, Transient, ReasonTemporary},
	{"exim_unrouteable.eml", "taro@no-such-domain.example", KindBounce, Permanent, ReasonNoSuchDomain},
	{"exim_spamhaus.eml", "taro@example.jp", KindBounce, None, ReasonPolicy},
	{"exim_two_recipients.eml", "taro@example.jp", KindBounce, None, ReasonPolicy},
	{"exim_two_recipients.eml", "jiro@example.jp", KindBounce, Permanent, ReasonNoSuchUser},
	{"postfix_plain_user_unknown.eml", "taro@example.jp", KindBounce, Permanent, ReasonNoSuchUser},
	{"exchange_o365_recipient_not_found.eml", "taro@contoso.example", KindBounce, Permanent, ReasonNoSuchUser},
	{"exchange_o365_blocked_ip.eml", "taro@contoso.example", KindBounce, None, ReasonPolicy},
	{"exchange_legacy_mailbox_full.eml", "taro@corp.example.jp", KindBounce, Permanent, ReasonMailboxFull},
	{"exchange_ja_outlook_not_found.eml", "taro@contoso.example", KindBounce, Permanent, ReasonNoSuchUser},
	{"gmail_text_does_not_exist.eml", "taro@gmail.example", KindBounce, Permanent, ReasonNoSuchUser},
	{"gmail_text_disabled.eml", "taro@gmail.example", KindBounce, Permanent, ReasonMailboxDisabled},
	{"yahoo_dd_no_account.eml", "taro@yahoo.example", KindBounce, Permanent, ReasonNoSuchUser},
	{"yahoo_tss04_deferred.eml", "taro@yahoo.example", KindBounce, None, ReasonPolicy},

	// Japanese carriers and ISPs, in ISO-2022-JP, Shift_JIS, UTF-8 and HTML.
	{"jp_carrier_user_unknown_iso2022jp.eml", "taro@docomo.example.ne.jp", KindBounce, Permanent, ReasonNoSuchUser},
	{"jp_carrier_quota_sjis.eml", "taro@ezweb.example.ne.jp", KindBounce, Permanent, ReasonMailboxFull},
	// A carrier's bare "user unknown" (no code, no RCPT TO) is its receiving filter (SPEC §3).
	{"jp_carrier_au_style_user_unknown_sjis.eml", "taro@ezweb.example.ne.jp", KindBounce, None, ReasonFiltered},
	{"jp_carrier_reject_iso2022jp.eml", "taro@softbank.example.ne.jp", KindBounce, None, ReasonFiltered},
	{"jp_isp_domain_base64.eml", "taro@nodomain.example.jp", KindBounce, Permanent, ReasonNoSuchDomain},
	{"jp_isp_temporary_sjis.eml", "taro@example.ne.jp", KindBounce, Transient, ReasonTemporary},
	{"jp_isp_suspended_iso2022jp.eml", "taro@isp.example.jp", KindBounce, Permanent, ReasonMailboxDisabled},
	{"jp_isp_no_address_named_sjis.eml", "taro@isp.example.jp", KindBounce, Permanent, ReasonNoSuchUser},
	{"jp_raw_sjis_no_charset.eml", "taro@example.ne.jp", KindBounce, Permanent, ReasonMailboxFull},
	{"jp_html_only_notice.eml", "taro@example.ne.jp", KindBounce, Permanent, ReasonNoSuchUser},
	{"jp_carrier_user_unknown_iso2022jp.eml", "hanako@docomo.example.ne.jp", KindBounce, None, ReasonOtherRecipient},

	// Auto-replies and feedback reports are never bounces.
	{"autoreply_auto_submitted.eml", "taro@example.jp", KindAutoReply, None, ReasonAutoReply},
	{"autoreply_x_autoreply_header.eml", "taro@example.jp", KindAutoReply, None, ReasonAutoReply},
	{"autoreply_vacation_jp_iso2022jp.eml", "taro@example.jp", KindAutoReply, None, ReasonAutoReply},
	{"autoreply_out_of_office_sjis.eml", "taro@example.jp", KindAutoReply, None, ReasonAutoReply},
	{"autoreply_says_address_gone.eml", "taro@example.jp", KindAutoReply, None, ReasonAutoReply},
	{"autoreply_vacation_program.eml", "taro@example.jp", KindAutoReply, None, ReasonAutoReply},
	{"arf_abuse_report.eml", "taro@example.jp", KindFeedback, None, ReasonFeedback},

	// Garbage: never a disable, never a panic.
	{"garbage_binary.eml", "taro@example.jp", KindOther, None, ReasonNotBounce},
	{"garbage_empty.eml", "taro@example.jp", KindOther, None, ReasonNotBounce},
	{"garbage_headers_only.eml", "taro@example.jp", KindOther, None, ReasonNotBounce},
	{"garbage_human_reply.eml", "taro@example.jp", KindOther, None, ReasonNotBounce},
	{"garbage_truncated_report.eml", "taro@example.jp", KindBounce, None, ReasonUndetermined},
	{"garbage_nested_multipart.eml", "taro@example.jp", KindBounce, None, ReasonUndetermined},
	{"garbage_base64_broken.eml", "taro@example.jp", KindBounce, None, ReasonUndetermined},
}

func TestCorpus(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range corpus {
		seen[c.file] = true
		t.Run(c.file+"/"+c.rcpt, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			r := Parse(raw)
			v := r.For(c.rcpt)
			if r.Kind != c.kind || v.Class != c.class || v.Reason != c.reason {
				t.Errorf("got kind %s, %s (%s) status %q diagnostic %q; want kind %s, %s (%s)",
					r.Kind, v.Class, v.Reason, v.Status, v.Diagnostic, c.kind, c.class, c.reason)
			}
		})
	}
	files, _ := filepath.Glob("testdata/*.eml")
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no expected classification in the table", f)
		}
	}
	if len(files) < 40 {
		t.Errorf("the corpus has %d messages, want at least 40", len(files))
	}
}

// TestCorpusDisablesOnlyOnEvidence checks precision over the whole corpus:
// every message that names recipients must say nothing about an address it
// does not name. (One that names none speaks of the delivery its VERP
// return path identifies, whatever its recipient.)
func TestCorpusDisablesOnlyOnEvidence(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		r := Parse(raw)
		if len(r.Recipients) == 0 {
			continue
		}
		if v := r.For("stranger@unrelated.example"); v.Class != None {
			t.Errorf("%s: an address the bounce does not name got %s (%s)", f, v.Class, v.Reason)
		}
	}
}

// TestRecipientsAreAddresses: a DSN's recipient field and the
// X-Failed-Recipients header name someone only when what they hold, once
// its xtext escapes are undone, is an address; "+29" is ")", which no host
// name holds.
func TestRecipientsAreAddresses(t *testing.T) {
	dsn := func(rcpt string) []byte {
		return []byte("From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail\n" +
			"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n" +
			"--b\nContent-Type: text/plain\n\nDelivery failed.\n" +
			"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n" +
			"Final-Recipient: rfc822; " + rcpt + "\nAction: failed\nStatus: 5.1.1\n--b--\n")
	}
	for raw, want := range map[string][]string{
		string(dsn("taro+2Bml@example.jp")):     {"taro+ml@example.jp"},
		string(dsn("taro@[192.0.2.1]")):         {"taro@[192.0.2.1]"},
		string(dsn("taro@[ipv6:2001:db8::1]")):  {"taro@[ipv6:2001:db8::1]"},
		string(dsn("taro@[192.0.2.1)]")):        {},
		string(dsn("taro@例え.jp")):               {"taro@例え.jp"},
		string(dsn("taro@contoso.e+290le")):     {},
		string(dsn("taro@contoso.example,x")):   {},
		string(dsn("taro@(comment)example.jp")): {},
		"From: MAILER-DAEMON@mx.example.org\nSubject: Mail delivery failed\n" +
			"X-Failed-Recipients: taro@example.jp, not-an-address, hanako@ex(ample.jp\n\n" +
			"This message was created automatically by mail delivery software.\n" +
			"A message that you sent could not be delivered to one or more of its recipients.\n": {"taro@example.jp"},
	} {
		var got []string
		for _, rc := range Parse([]byte(raw)).Recipients {
			got = append(got, rc.Address)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("named %q, want %q, in\n%s", got, want, raw)
		}
	}
}

// TestLargeHostileMessages must finish: every loop over recipients or text
// is bounded, so a big message costs about what its size does.
func TestLargeHostileMessages(t *testing.T) {
	var lines, groups, parts strings.Builder
	for i := range 200000 {
		fmt.Fprintf(&lines, "user%d@example.jp\n", i)
	}
	for i := range 50000 {
		fmt.Fprintf(&groups, "Final-Recipient: rfc822; u%d@example.jp\nAction: failed\nStatus: 5.1.1\n\n", i)
	}
	for range 200 {
		parts.WriteString("--b\nContent-Type: text/plain\n\n" + strings.Repeat("user unknown spam 5.1.1 ", 20000) + "\n")
	}
	for _, raw := range []string{
		"Return-Path: <>\nSubject: failure notice\n\n" + lines.String(),
		"Return-Path: <>\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: message/delivery-status\n\n" + groups.String() + "--b--\n",
		"Return-Path: <>\nContent-Type: multipart/mixed; boundary=b\n\n" + parts.String() + "--b--\n",
	} {
		if v := Parse([]byte(raw)).For("stranger@unrelated.example"); v.Class != None {
			t.Errorf("an address the message does not name got %s (%s)", v.Class, v.Reason)
		}
	}
}
