package bounce

import (
	"strings"
	"testing"
)

// TestSESVerdicts holds each documented SES bounce type and subtype to its
// row of SPEC §3.
func TestSESVerdicts(t *testing.T) {
	for _, tc := range []struct {
		typ, sub, status, diagnostic string
		class                        Class
		reason                       string
	}{
		{"Permanent", "General", "5.1.1", "smtp; 550 5.1.1 <taro@example.jp>... User unknown", Permanent, ReasonNoSuchUser},
		{"Permanent", "General", "", "", Permanent, ReasonNoSuchUser},
		{"Permanent", "General", "5.7.1", "smtp; 550 5.7.1 Message rejected as spam", None, ReasonPolicy},
		{"Permanent", "NoEmail", "5.1.1", "smtp; 550 5.1.1 mailbox does not exist", Permanent, ReasonNoSuchUser},
		{"Permanent", "NoEmail", "5.1.2", "smtp; 550 5.1.2 host not found", Permanent, ReasonNoSuchDomain},
		{"Permanent", "Suppressed", "5.1.1", "Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.", Permanent, ReasonProviderSuppressed},
		{"Permanent", "OnAccountSuppressionList", "5.1.1", "Amazon SES did not send the message to this address because it is on the suppression list for your account.", Permanent, ReasonProviderSuppressed},
		{"Transient", "General", "4.4.7", "smtp; 451 4.4.7 delivery time expired", Transient, ReasonTemporary},
		{"Transient", "General", "", "", Transient, ReasonTemporary},
		{"Transient", "MailboxFull", "5.2.2", "smtp; 552 5.2.2 Mailbox full", Permanent, ReasonMailboxFull},
		{"Transient", "MailboxFull", "4.2.2", "smtp; 452 4.2.2 over quota", Permanent, ReasonMailboxFull},
		{"Transient", "MessageTooLarge", "5.3.4", "smtp; 552 5.3.4 Message too large", Transient, ReasonTemporary},
		{"Transient", "ContentRejected", "5.1.1", "smtp; 550 user unknown (content filter)", None, ReasonPolicy},
		{"Transient", "AttachmentRejected", "5.7.1", "smtp; 554 attachment not allowed", None, ReasonPolicy},
		{"Undetermined", "Undetermined", "", "", Transient, ReasonUndetermined},
		{"Undetermined", "Undetermined", "5.1.1", "smtp; 550 5.1.1 user unknown", Permanent, ReasonNoSuchUser},
	} {
		v := sesVerdict(tc.typ, tc.sub, tc.status, tc.diagnostic)
		if v.Class != tc.class || v.Reason != tc.reason {
			t.Errorf("%s/%s %s %q: %s/%s, want %s/%s", tc.typ, tc.sub, tc.status, tc.diagnostic, v.Class, v.Reason, tc.class, tc.reason)
		}
		if tc.status != "" && v.Status != tc.status {
			t.Errorf("%s/%s: status %q, want %q", tc.typ, tc.sub, v.Status, tc.status)
		}
	}
}

// wantVerdict checks what a provider's mapping made of the event ev.
func wantVerdict(t *testing.T, ev any, kind Kind, v Verdict, ok bool, wantKind Kind, class Class, reason string) {
	t.Helper()
	if !ok || kind != wantKind || v.Class != class || v.Reason != reason {
		t.Errorf("%+v: %v %s %s/%s, want %s %s/%s", ev, ok, kind, v.Class, v.Reason, wantKind, class, reason)
	}
}

func TestSendGridVerdicts(t *testing.T) {
	for _, tc := range []struct {
		ev     sendGridEvent
		kind   Kind
		class  Class
		reason string
	}{
		{sendGridEvent{Event: "bounce", Type: "bounce", Status: "5.1.1", Reason: "550 5.1.1 The email account that you tried to reach does not exist."}, KindBounce, Permanent, ReasonNoSuchUser},
		{sendGridEvent{Event: "bounce", Status: "5.2.2", Reason: "552 5.2.2 mailbox full"}, KindBounce, Permanent, ReasonMailboxFull},
		{sendGridEvent{Event: "bounce", Type: "bounce", Status: "5.0.0", Reason: "550 unrecognised"}, KindBounce, Permanent, ReasonNoSuchUser},
		{sendGridEvent{Event: "bounce", Type: "blocked", Status: "5.1.1", Reason: "550 5.1.1 user unknown"}, KindBounce, None, ReasonPolicy},
		{sendGridEvent{Event: "bounce", Type: "bounce", Status: "5.0.0", Reason: "550 rejected", Classification: "Reputation"}, KindBounce, None, ReasonPolicy},
		{sendGridEvent{Event: "dropped", Reason: "Bounced Address"}, KindBounce, Permanent, ReasonProviderSuppressed},
		{sendGridEvent{Event: "dropped", Reason: "Invalid"}, KindBounce, Permanent, ReasonBadAddress},
		{sendGridEvent{Event: "dropped", Reason: "Spam Reporting Address"}, KindBounce, None, ReasonPolicy},
		{sendGridEvent{Event: "dropped", Reason: "Unsubscribed Address"}, KindBounce, None, ReasonPolicy},
		{sendGridEvent{Event: "deferred", Response: "400 try again later"}, KindBounce, Transient, ReasonDelayed},
		{sendGridEvent{Event: "delivered", Response: "250 OK"}, KindBounce, None, ReasonDelivered},
		{sendGridEvent{Event: "spamreport"}, KindFeedback, None, ReasonFeedback},
	} {
		kind, v, ok := sendGridVerdict(&tc.ev)
		wantVerdict(t, tc.ev, kind, v, ok, tc.kind, tc.class, tc.reason)
	}
	for _, name := range []string{"processed", "open", "click", "unsubscribe", "group_unsubscribe", "group_resubscribe", ""} {
		if _, _, ok := sendGridVerdict(&sendGridEvent{Event: name}); ok {
			t.Errorf("%q taken for an event about delivery", name)
		}
	}
}

func TestMailgunVerdicts(t *testing.T) {
	status := func(code int, enhanced, message string) (s struct {
		Code         int    `json:"code"`
		EnhancedCode string `json:"enhanced-code"`
		Message      string `json:"message"`
		Description  string `json:"description"`
	}) {
		s.Code, s.EnhancedCode, s.Message = code, enhanced, message
		return s
	}
	for _, tc := range []struct {
		ev     mailgunEvent
		kind   Kind
		class  Class
		reason string
	}{
		{mailgunEvent{Event: "failed", Severity: "permanent", Reason: "bounce", Status: status(550, "5.1.1", "5.1.1 The email account that you tried to reach does not exist.")}, KindBounce, Permanent, ReasonNoSuchUser},
		// Judged as the SMTP path judges it: a bare "no such user" with no
		// command is how Japanese carriers' receiving settings refuse.
		{mailgunEvent{Event: "failed", Severity: "permanent", Reason: "bounce", Status: status(550, "", "No such user here")}, KindBounce, None, ReasonFiltered},
		{mailgunEvent{Event: "failed", Severity: "permanent", Reason: "bounce", Status: status(550, "", "host mx.example.jp said: 550 No such user here (in reply to RCPT TO command)")}, KindBounce, Permanent, ReasonNoSuchUser},
		{mailgunEvent{Event: "failed", Severity: "permanent", Reason: "bounce", Status: status(552, "5.2.2", "5.2.2 mailbox full")}, KindBounce, Permanent, ReasonMailboxFull},
		{mailgunEvent{Event: "failed", Severity: "permanent", Reason: "bounce", Status: status(0, "", "")}, KindBounce, Permanent, ReasonNoSuchUser},
		{mailgunEvent{Event: "failed", Severity: "permanent", Reason: "bounce", Status: status(554, "5.7.1", "5.7.1 rejected as spam")}, KindBounce, None, ReasonPolicy},
		{mailgunEvent{Event: "failed", Severity: "permanent", Reason: "suppress-bounce", Status: status(605, "", "")}, KindBounce, Permanent, ReasonProviderSuppressed},
		{mailgunEvent{Event: "failed", Severity: "permanent", Reason: "suppress-complaint", Status: status(607, "", "")}, KindBounce, None, ReasonPolicy},
		{mailgunEvent{Event: "failed", Severity: "permanent", Reason: "suppress-unsubscribe", Status: status(606, "", "")}, KindBounce, None, ReasonPolicy},
		{mailgunEvent{Event: "failed", Severity: "permanent", Reason: "old", Status: status(0, "", "")}, KindBounce, Transient, ReasonTemporary},
		{mailgunEvent{Event: "failed", Severity: "permanent", Reason: "generic", Status: status(0, "", "")}, KindBounce, Transient, ReasonUndetermined},
		{mailgunEvent{Event: "failed", Severity: "temporary", Reason: "generic", Status: status(421, "4.4.2", "4.4.2 try again later")}, KindBounce, Transient, ReasonDelayed},
		{mailgunEvent{Event: "delivered", Status: status(250, "", "OK")}, KindBounce, None, ReasonDelivered},
		{mailgunEvent{Event: "complained"}, KindFeedback, None, ReasonFeedback},
	} {
		kind, v, ok := mailgunVerdict(&tc.ev)
		wantVerdict(t, tc.ev, kind, v, ok, tc.kind, tc.class, tc.reason)
	}
	for _, name := range []string{"accepted", "rejected", "opened", "clicked", "unsubscribed", "stored", ""} {
		if _, _, ok := mailgunVerdict(&mailgunEvent{Event: name}); ok {
			t.Errorf("%q taken for an event about delivery", name)
		}
	}
}

func TestPostmarkVerdicts(t *testing.T) {
	for _, tc := range []struct {
		rec    postmarkRecord
		kind   Kind
		class  Class
		reason string
	}{
		{postmarkRecord{RecordType: "Bounce", Type: "HardBounce", Details: "smtp;550 5.1.1 The email account that you tried to reach does not exist."}, KindBounce, Permanent, ReasonNoSuchUser},
		{postmarkRecord{RecordType: "Bounce", Type: "HardBounce", Details: ""}, KindBounce, Permanent, ReasonNoSuchUser},
		{postmarkRecord{RecordType: "Bounce", Type: "HardBounce", Details: "smtp;550 5.7.1 Message rejected as spam"}, KindBounce, None, ReasonPolicy},
		{postmarkRecord{RecordType: "Bounce", Type: "BadEmailAddress", Details: "Invalid email address"}, KindBounce, Permanent, ReasonNoSuchUser},
		{postmarkRecord{RecordType: "Bounce", Type: "SoftBounce", Details: "smtp;452 4.2.2 The email account that you tried to reach is over quota."}, KindBounce, Transient, ReasonTemporary},
		{postmarkRecord{RecordType: "Bounce", Type: "SoftBounce", Details: "smtp;552 5.2.2 mailbox full"}, KindBounce, Permanent, ReasonMailboxFull},
		{postmarkRecord{RecordType: "Bounce", Type: "SoftBounce", Details: ""}, KindBounce, Transient, ReasonTemporary},
		{postmarkRecord{RecordType: "Bounce", Type: "DnsError", Details: "DNS lookup timed out"}, KindBounce, Transient, ReasonTemporary},
		{postmarkRecord{RecordType: "Bounce", Type: "Transient", Details: "smtp;421 4.4.2 try again later"}, KindBounce, Transient, ReasonDelayed},
		{postmarkRecord{RecordType: "Bounce", Type: "ManuallyDeactivated"}, KindBounce, Permanent, ReasonProviderSuppressed},
		{postmarkRecord{RecordType: "Bounce", Type: "Blocked", Details: "smtp;550 5.1.1 user unknown"}, KindBounce, None, ReasonPolicy},
		{postmarkRecord{RecordType: "Bounce", Type: "DMARCPolicy"}, KindBounce, None, ReasonPolicy},
		{postmarkRecord{RecordType: "Bounce", Type: "VirusNotification"}, KindBounce, None, ReasonPolicy},
		{postmarkRecord{RecordType: "Bounce", Type: "SpamNotification"}, KindFeedback, None, ReasonFeedback},
		{postmarkRecord{RecordType: "Bounce", Type: "AutoResponder", Details: "I am out of the office"}, KindAutoReply, None, ReasonAutoReply},
		{postmarkRecord{RecordType: "Bounce", Type: "ChallengeVerification"}, KindAutoReply, None, ReasonAutoReply},
		{postmarkRecord{RecordType: "Bounce", Type: "AddressChange", Details: "I moved to new@example.jp"}, KindAutoReply, None, ReasonAutoReply},
		{postmarkRecord{RecordType: "Bounce", Type: "Unsubscribe"}, KindOther, None, ReasonNotBounce},
		{postmarkRecord{RecordType: "Bounce", Type: "Unknown"}, KindBounce, Transient, ReasonUndetermined},
		{postmarkRecord{RecordType: "SpamComplaint", Type: "SpamComplaint"}, KindFeedback, None, ReasonFeedback},
		{postmarkRecord{RecordType: "Delivery", Details: "250 OK"}, KindBounce, None, ReasonDelivered},
	} {
		kind, v, ok := postmarkVerdict(&tc.rec)
		wantVerdict(t, tc.rec, kind, v, ok, tc.kind, tc.class, tc.reason)
	}
	for _, rt := range []string{"Open", "Click", "SubscriptionChange", "Inbound", ""} {
		if _, _, ok := postmarkVerdict(&postmarkRecord{RecordType: rt}); ok {
			t.Errorf("%q taken for a record about delivery", rt)
		}
	}
}

func TestParsePostmark(t *testing.T) {
	e, err := ParsePostmark([]byte(`{"RecordType":"Bounce","ID":4323372036854775807,"Type":"HardBounce","Email":"Taro@Example.jp","Details":"",
		"Metadata":{"anshin-delivery":"d1.sz6uo0","other":7}}`))
	if err != nil || e.ID != "4323372036854775807" || e.MessageID != "d1.sz6uo0@" || !e.Named("taro@example.jp") {
		t.Fatalf("%+v, %v", e, err)
	}
	if id, stamp := parseMessageID(e.MessageID); id != "d1" || stamp != "sz6uo0" {
		t.Errorf("the metadata names %q %q", id, stamp)
	}
	d, err := ParsePostmark([]byte(`{"RecordType":"Delivery","MessageID":"883953f4","Recipient":"taro@example.jp"}`))
	if err != nil || d.ID != "delivery:883953f4" || !d.Named("taro@example.jp") {
		t.Fatalf("a delivery: %+v, %v", d, err)
	}
	for _, body := range []string{`{"RecordType":"Bounce","Type":"HardBounce","Email":"a@example.jp"}`, `{"RecordType":"Delivery","Recipient":"a@example.jp"}`,
		`{"RecordType":"Bounce","ID":"x"}`, `[]`, ``} {
		if _, err := ParsePostmark([]byte(body)); err == nil {
			t.Errorf("%s taken", body)
		}
	}
	if e, err := ParsePostmark([]byte(`{"RecordType":"Open","MessageID":"m"}`)); e != nil || err != nil {
		t.Errorf("an open: %+v, %v", e, err)
	}
}

func TestParseSendGridRefusesEventsWithoutID(t *testing.T) {
	if _, err := ParseSendGrid([]byte(`[{"event":"bounce","email":"a@example.jp"}]`)); err == nil {
		t.Error("a bounce without sg_event_id was taken")
	}
	if evs, err := ParseSendGrid([]byte(`[{"event":"open","email":"a@example.jp"}]`)); err != nil || len(evs) != 0 {
		t.Errorf("an open event: %v, %v", evs, err)
	}
	for _, body := range []string{`{}`, `"x"`, `[1]`, ``} {
		if _, err := ParseSendGrid([]byte(body)); err == nil {
			t.Errorf("%q taken for a list of events", body)
		}
	}
}

func TestHostAllowed(t *testing.T) {
	patterns := []string{"sns.*.amazonaws.com"}
	for host, want := range map[string]bool{
		"sns.us-east-1.amazonaws.com":      true,
		"SNS.ap-northeast-1.amazonaws.com": true,
		"sns.us-east-1.amazonaws.com.":     true,
		"sns.amazonaws.com":                false,
		"sns.a.b.amazonaws.com":            false,
		"sns..amazonaws.com":               false,
		"sns.us-east-1.amazonaws.com.evil": false,
		"evil.us-east-1.amazonaws.com":     false,
		"sns.us-east-1.amazonaws.co":       false,
		"":                                 false,
	} {
		if got := HostAllowed(patterns, host); got != want {
			t.Errorf("%q: %v, want %v", host, got, want)
		}
	}
}

func TestParseMessageID(t *testing.T) {
	for mid, want := range map[string][2]string{
		"<4f3a9c0d2e1b5a6978c0d1e2f3a4b5c6.t0abcd@example.jp>": {"4f3a9c0d2e1b5a6978c0d1e2f3a4b5c6", "t0abcd"},
		"d1.sz6uo0@example.jp":                                 {"d1", "sz6uo0"},
		"<0101019b-abc@email.amazonses.com>":                   {"", ""},
		"<nodot@example.jp>":                                   {"", ""},
		"<trailing.@example.jp>":                               {"", ""},
		"no-at-sign":                                           {"", ""},
		"<" + strings.Repeat("a", 70) + ".x@e>":                {"", ""},
	} {
		id, stamp := parseMessageID(mid)
		if id != want[0] || stamp != want[1] {
			t.Errorf("%q: %q %q, want %q %q", mid, id, stamp, want[0], want[1])
		}
	}
}

// TestSNSStringToSign follows the documented fields and order of each
// message type; Subject is signed only when present.
func TestSNSStringToSign(t *testing.T) {
	n, err := ParseSNSMessage([]byte(`{"Type":"Notification","MessageId":"m1","TopicArn":"arn:aws:sns:us-east-1:123456789012:t","Message":"hello\nworld","Timestamp":"2012-05-02T00:54:06.655Z","SignatureVersion":"2","Signature":"x","SigningCertURL":"https://sns.us-east-1.amazonaws.com/c.pem"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := "Message\nhello\nworld\nMessageId\nm1\nTimestamp\n2012-05-02T00:54:06.655Z\nTopicArn\narn:aws:sns:us-east-1:123456789012:t\nType\nNotification\n"
	if got := n.stringToSign(); got != want {
		t.Errorf("notification:\n%q\nwant\n%q", got, want)
	}
	n, _ = ParseSNSMessage([]byte(`{"Type":"Notification","MessageId":"m1","Subject":"","TopicArn":"t","Message":"x","Timestamp":"ts","Signature":"x","SigningCertURL":"u"}`))
	if got := n.stringToSign(); !strings.Contains(got, "MessageId\nm1\nSubject\n\nTimestamp") {
		t.Errorf("an empty Subject is present and signed: %q", got)
	}
	c, _ := ParseSNSMessage([]byte(`{"Type":"SubscriptionConfirmation","MessageId":"m2","Token":"tok","TopicArn":"t","Message":"confirm","SubscribeURL":"https://sns/x","Timestamp":"ts","Signature":"x","SigningCertURL":"u"}`))
	want = "Message\nconfirm\nMessageId\nm2\nSubscribeURL\nhttps://sns/x\nTimestamp\nts\nToken\ntok\nTopicArn\nt\nType\nSubscriptionConfirmation\n"
	if got := c.stringToSign(); got != want {
		t.Errorf("confirmation:\n%q\nwant\n%q", got, want)
	}
	for _, body := range []string{`{"Type":"Other","MessageId":"m","TopicArn":"t","Signature":"s","SigningCertURL":"u"}`, `{"Type":"Notification"}`, `[]`} {
		if _, err := ParseSNSMessage([]byte(body)); err == nil {
			t.Errorf("%s taken for an SNS message", body)
		}
	}
}
