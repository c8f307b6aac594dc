package web_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/bounce"
)

const (
	sesPath  = "/api/v1/bounces/ses"
	sesTopic = "arn:aws:sns:ap-northeast-1:123456789012:anshin-ses"
)

// snsFixture plays Amazon SNS: an https server on 127.0.0.1 (the allowed
// certificate host) that serves the signing certificate and answers
// subscription confirmations, and the key that signs.
type snsFixture struct {
	t         *testing.T
	ts        *testServer
	key       *rsa.PrivateKey
	base      string // https://127.0.0.1:port
	port      string
	certGets  atomic.Int32
	confirmed atomic.Int32
}

func selfSigned(t *testing.T, key *rsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sns.ap-northeast-1.amazonaws.com"},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func newSNSFixture(t *testing.T) *snsFixture {
	t.Helper()
	f := &snsFixture{t: t}
	var err error
	if f.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good, wrong := selfSigned(t, f.key), selfSigned(t, other)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /SimpleNotificationService-good.pem", func(w http.ResponseWriter, r *http.Request) {
		f.certGets.Add(1)
		w.Write(good)
	})
	mux.HandleFunc("GET /SimpleNotificationService-other.pem", func(w http.ResponseWriter, r *http.Request) { w.Write(wrong) })
	mux.HandleFunc("GET /confirm", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("Token") == "token-1" {
			f.confirmed.Add(1)
		}
		w.Write([]byte("<ConfirmSubscriptionResponse/>"))
	})
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	f.base = srv.URL
	f.port = srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
	f.ts = newTestServer(t, withLogin(noCooldown), withSES(&bounce.SNS{Client: srv.Client(), CertHosts: []string{"127.0.0.1"}, TopicARNs: []string{sesTopic}}))
	return f
}

// snsMessage is an SNS message as posted, before and after signing.
type snsMessage map[string]string

// canonical is the documented string to sign of the message's type.
func (m snsMessage) canonical() string {
	names := []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	if m["Type"] != "Notification" {
		names = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var b strings.Builder
	for _, n := range names {
		if v, ok := m[n]; ok {
			b.WriteString(n + "\n" + v + "\n")
		}
	}
	return b.String()
}

// sign signs m with key the way SNS does (version 1: SHA1withRSA, 2:
// SHA256withRSA).
func (f *snsFixture) sign(m snsMessage, key *rsa.PrivateKey) snsMessage {
	f.t.Helper()
	var sig []byte
	var err error
	if m["SignatureVersion"] == "1" {
		d := sha1.Sum([]byte(m.canonical()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA1, d[:])
	} else {
		d := sha256.Sum256([]byte(m.canonical()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	}
	if err != nil {
		f.t.Fatal(err)
	}
	m["Signature"] = base64.StdEncoding.EncodeToString(sig)
	return m
}

// notification is an SNS Notification carrying the SES notification ses,
// signed with version 2 by the fixture's key.
func (f *snsFixture) notification(id string, ses any) snsMessage {
	f.t.Helper()
	body, err := json.Marshal(ses)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.sign(snsMessage{"Type": "Notification", "MessageId": id, "TopicArn": sesTopic, "Message": string(body),
		"Timestamp": "2025-04-01T09:10:00.000Z", "SignatureVersion": "2", "SigningCertURL": f.base + "/SimpleNotificationService-good.pem",
		"UnsubscribeURL": f.base + "/unsubscribe"}, f.key)
}

func (f *snsFixture) post(m snsMessage) apiResponse {
	f.t.Helper()
	body, _ := json.Marshal(m)
	return f.ts.request(http.MethodPost, sesPath, body, "Content-Type", "text/plain; charset=UTF-8", "X-Amz-Sns-Message-Type", m["Type"])
}

// sesMail is the mail object of an SES notification about m, with the
// original headers, as SES sends it when headers are included.
func sesMail(m sentMail) map[string]any {
	return map[string]any{"timestamp": "2025-04-01T09:00:00.000Z", "messageId": "0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000",
		"source": m.ReturnPath, "sourceArn": "arn:aws:ses:ap-northeast-1:123456789012:identity/example.jp",
		"sendingAccountId": "123456789012", "destination": []string{m.To}, "headersTruncated": false,
		"headers":       []map[string]string{{"name": "From", "value": "anshin@example.jp"}, {"name": "To", "value": m.To}, {"name": "Message-ID", "value": m.MessageID}},
		"commonHeaders": map[string]any{"from": []string{"anshin@example.jp"}, "to": []string{m.To}, "messageId": m.MessageID}}
}

func sesBounce(m sentMail, typ, sub, addr, status, diagnostic string) map[string]any {
	return map[string]any{"notificationType": "Bounce", "mail": sesMail(m), "bounce": map[string]any{
		"bounceType": typ, "bounceSubType": sub, "timestamp": "2025-04-01T09:05:00.000Z", "reportingMTA": "dns; email.example.co.jp",
		"feedbackId":        "000001378603176d-5a4b5ad9-6f30-4198-a8c3-b1eb0c270a1d-000000",
		"bouncedRecipients": []map[string]string{{"emailAddress": addr, "action": "failed", "status": status, "diagnosticCode": diagnostic}}}}
}

func TestSESPermanentBounceDisablesOnceAndRepeatsChangeNothing(t *testing.T) {
	f := newSNSFixture(t)
	m := f.ts.emailDelivery()
	msg := f.notification("b7a1a5c8-0001-5e8e-9c3f-4a0b0cd1a001",
		sesBounce(m, "Permanent", "General", m.To, "5.1.1", "smtp; 550 5.1.1 <"+m.To+">... User unknown"))
	res := result(f.ts, f.post(msg))
	if res["disabled"] != true || res["delivery_id"] != m.ID {
		t.Fatalf("a permanent bounce: %v", res)
	}
	st := f.ts.mailState(m.To, m.ID)
	if !st.Disabled || st.Reason != "no_such_user" || st.DeliveryStatus != "bounced" || st.Audit != 1 {
		t.Fatalf("after the bounce: %+v", st)
	}
	// SNS delivers at least once: the same message again, even after the
	// state was cleared, changes nothing.
	f.ts.clearMailNotificationDisabled(m.To)
	for range 2 {
		res = result(f.ts, f.post(msg))
		if res["duplicate"] != true || res["disabled"] == true {
			t.Fatalf("a repeat: %v", res)
		}
	}
	if st := f.ts.mailState(m.To, m.ID); st.Disabled || st.Audit != 1 {
		t.Fatalf("after repeats: %+v", st)
	}
	if n := f.certGets.Load(); n != 1 {
		t.Errorf("the signing certificate was fetched %d times, want once (kept)", n)
	}
}

func TestSESSignatureVersion1(t *testing.T) {
	f := newSNSFixture(t)
	m := f.ts.emailDelivery()
	msg := f.notification("b7a1a5c8-0002-5e8e-9c3f-4a0b0cd1a002", sesBounce(m, "Permanent", "NoEmail", m.To, "5.1.1", "smtp; 550 5.1.1 mailbox does not exist"))
	msg["SignatureVersion"] = "1"
	f.sign(msg, f.key)
	if res := result(f.ts, f.post(msg)); res["disabled"] != true {
		t.Fatalf("a version 1 signature: %v", res)
	}
}

// TestSESRefusesWhatSNSDidNotSign: a changed message, another key, a
// certificate from a host not allowed or over http, an unknown topic, no
// signature: refused, and nothing changes.
func TestSESRefusesWhatSNSDidNotSign(t *testing.T) {
	f := newSNSFixture(t)
	m := f.ts.emailDelivery()
	bounceOf := func(id string) snsMessage {
		return f.notification(id, sesBounce(m, "Permanent", "General", m.To, "5.1.1", "smtp; 550 5.1.1 user unknown"))
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		change func(snsMessage) snsMessage
		status int
		code   string
	}{
		"tampered message": {func(s snsMessage) snsMessage {
			s["Message"] = strings.Replace(s["Message"], `"5.1.1"`, `"5.1.2"`, 1)
			return s
		}, 401, "unauthorized"},
		"tampered message ID":   {func(s snsMessage) snsMessage { s["MessageId"] += "x"; return s }, 401, "unauthorized"},
		"signed by another key": {func(s snsMessage) snsMessage { return f.sign(s, other) }, 401, "unauthorized"},
		"certificate of another key": {func(s snsMessage) snsMessage {
			s["SigningCertURL"] = f.base + "/SimpleNotificationService-other.pem"
			return s
		}, 401, "unauthorized"},
		"certificate host not allowed": {func(s snsMessage) snsMessage {
			s["SigningCertURL"] = "https://localhost:" + f.port + "/SimpleNotificationService-good.pem"
			return s
		}, 401, "unauthorized"},
		"certificate over http": {func(s snsMessage) snsMessage {
			s["SigningCertURL"] = "http://127.0.0.1:" + f.port + "/SimpleNotificationService-good.pem"
			return s
		}, 401, "unauthorized"},
		"no signature":              {func(s snsMessage) snsMessage { delete(s, "Signature"); delete(s, "SigningCertURL"); return s }, 401, "unauthorized"},
		"unknown signature version": {func(s snsMessage) snsMessage { s["SignatureVersion"] = "3"; return s }, 401, "unauthorized"},
		"topic not configured": {func(s snsMessage) snsMessage {
			s["TopicArn"] = "arn:aws:sns:ap-northeast-1:999999999999:someone-else"
			return f.sign(s, f.key)
		}, 403, "forbidden"},
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, f.post(tc.change(bounceOf("refused-"+name))), tc.status, tc.code)
		})
	}
	if st := f.ts.mailState(m.To, m.ID); st.Disabled || st.DeliveryStatus != "sent" {
		t.Fatalf("a refused message changed something: %+v", st)
	}
	// Not JSON, not an SNS type: a clear 4xx.
	wantError(t, f.ts.request(http.MethodPost, sesPath, "{", "Content-Type", "text/plain"), 400, "invalid_request")
	wantError(t, f.ts.request(http.MethodPost, sesPath, `{"Type":"Other"}`, "Content-Type", "text/plain"), 400, "invalid_request")
}

// TestSESUnknownRecipientsChangeNothing: a bounce of our delivery that
// names another address, a Message-ID naming our delivery but not its
// recipient, and a message of nobody of ours.
func TestSESUnknownRecipientsChangeNothing(t *testing.T) {
	f := newSNSFixture(t)
	m := f.ts.emailDelivery()
	res := result(f.ts, f.post(f.notification("u1", sesBounce(m, "Permanent", "General", "someone.else@example.co.jp", "5.1.1", "user unknown"))))
	if _, reason := verdictOf(res); reason != "other_recipient" || res["recorded"] == true {
		t.Errorf("a bounce of another recipient: %v", res)
	}
	noVERP := m
	noVERP.ReturnPath = "anshin@example.jp"
	res = result(f.ts, f.post(f.notification("u2", sesBounce(noVERP, "Permanent", "General", "someone.else@example.co.jp", "5.1.1", "user unknown"))))
	if res["error"] != "unknown_delivery" {
		t.Errorf("our Message-ID with another recipient: %v", res)
	}
	forged := m
	other := "0" // another delivery ID: the last digit changed
	if strings.HasSuffix(m.ID, other) {
		other = "1"
	}
	forged.ReturnPath = strings.Replace(m.ReturnPath, "b-"+m.ID, "b-"+m.ID[:len(m.ID)-1]+other, 1)
	forged.MessageID = "<0000014644fe5ef6@email.amazonses.com>"
	res = result(f.ts, f.post(f.notification("u3", sesBounce(forged, "Permanent", "General", m.To, "5.1.1", "user unknown"))))
	if res["error"] != "unknown_delivery" {
		t.Errorf("a bounce naming no delivery of ours: %v", res)
	}
	if st := f.ts.mailState(m.To, m.ID); st.Disabled || st.DeliveryStatus != "sent" {
		t.Fatalf("an unknown recipient changed something: %+v", st)
	}
}

// TestSESNotificationKinds follows SPEC §3 for what SES reports: a
// complaint and a delivery are not failures, rejected content never
// disables, a transient failure is counted, and our Message-ID finds the
// delivery where the return path is not ours.
func TestSESNotificationKinds(t *testing.T) {
	f := newSNSFixture(t)

	m := f.ts.emailDelivery()
	complaint := map[string]any{"notificationType": "Complaint", "mail": sesMail(m), "complaint": map[string]any{
		"userAgent": "AnyCompany Feedback Loop (V0.01)", "complainedRecipients": []map[string]string{{"emailAddress": m.To}},
		"complaintFeedbackType": "abuse", "timestamp": "2025-04-01T09:05:00.000Z", "feedbackId": "000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-000000"}}
	res := result(f.ts, f.post(f.notification("k1", complaint)))
	if res["kind"] != "feedback" || res["recorded"] == true {
		t.Errorf("a complaint: %v", res)
	}
	delivered := map[string]any{"notificationType": "Delivery", "mail": sesMail(m), "delivery": map[string]any{
		"timestamp": "2025-04-01T09:00:02.000Z", "processingTimeMillis": 546, "recipients": []string{m.To},
		"smtpResponse": "250 ok:  Message 64111812 accepted", "reportingMTA": "a8-70.smtp-out.amazonses.com", "remoteMtaIp": "127.0.2.0"}}
	res = result(f.ts, f.post(f.notification("k2", delivered)))
	if _, reason := verdictOf(res); reason != "delivered" || res["recorded"] == true {
		t.Errorf("a delivery: %v", res)
	}
	if st := f.ts.mailState(m.To, m.ID); st.Disabled || st.DeliveryStatus != "sent" {
		t.Fatalf("a complaint or delivery changed something: %+v", st)
	}

	res = result(f.ts, f.post(f.notification("k3", sesBounce(m, "Transient", "ContentRejected", m.To, "5.7.1", "smtp; 554 5.7.1 Message content rejected"))))
	if c, reason := verdictOf(res); c != "none" || reason != "policy" || res["disabled"] == true {
		t.Errorf("rejected content: %v", res)
	}
	if st := f.ts.mailState(m.To, m.ID); st.Disabled || st.DeliveryStatus != "bounced" {
		t.Fatalf("after rejected content: %+v", st)
	}

	// A transient failure found by our Message-ID (the return path is not
	// ours): counted, not disabling; the third of three deliveries does.
	for i, id := range []string{"k4", "k5", "k6"} {
		m := f.ts.emailDelivery()
		m.ReturnPath = "bounces@ses.example.jp"
		res = result(f.ts, f.post(f.notification(id, sesBounce(m, "Transient", "General", m.To, "4.4.7", "smtp; 451 4.4.7 delivery time expired"))))
		if c, _ := verdictOf(res); c != "transient" || res["recorded"] != true || (res["disabled"] == true) != (i == 2) {
			t.Fatalf("transient failure %d: %v", i+1, res)
		}
	}
	if st := f.ts.mailState(m.To, m.ID); !st.Disabled || st.Reason != "repeated_transient" {
		t.Fatalf("after three transient failures: %+v", st)
	}
	f.ts.clearMailNotificationDisabled(m.To)

	// SES's full mailbox disables at once (SPEC §3), though SES calls it
	// transient.
	m = f.ts.emailDelivery()
	res = result(f.ts, f.post(f.notification("k7", sesBounce(m, "Transient", "MailboxFull", m.To, "4.2.2", "smtp; 452 4.2.2 mailbox full"))))
	if st := f.ts.mailState(m.To, m.ID); res["disabled"] != true || st.Reason != "mailbox_full" {
		t.Fatalf("a full mailbox: %v, %+v", res, st)
	}
}

func TestSESSubscriptionConfirmation(t *testing.T) {
	f := newSNSFixture(t)
	confirm := func(url string) snsMessage {
		return f.sign(snsMessage{"Type": "SubscriptionConfirmation", "MessageId": "c1", "Token": "token-1", "TopicArn": sesTopic,
			"Message":      "You have chosen to subscribe to the topic " + sesTopic + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
			"SubscribeURL": url, "Timestamp": "2025-04-01T09:00:00.000Z", "SignatureVersion": "2",
			"SigningCertURL": f.base + "/SimpleNotificationService-good.pem"}, f.key)
	}
	// A confirmation URL on a host not allowed is never fetched.
	wantError(t, f.post(confirm("https://localhost:"+f.port+"/confirm?Action=ConfirmSubscription&Token=token-1")), 401, "unauthorized")
	if f.confirmed.Load() != 0 {
		t.Fatal("a confirmation URL on a host not allowed was fetched")
	}
	// Unsigned: not fetched either.
	unsigned := confirm(f.base + "/confirm?Action=ConfirmSubscription&Token=token-1")
	unsigned["Token"] = "token-2"
	wantError(t, f.post(unsigned), 401, "unauthorized")
	r := f.post(confirm(f.base + "/confirm?Action=ConfirmSubscription&Token=token-1"))
	wantStatus(t, r, http.StatusOK)
	if r.JSON["confirmed"] != true || f.confirmed.Load() != 1 {
		t.Fatalf("confirmation: %s, fetched %d", r.Raw, f.confirmed.Load())
	}
	unsub := f.sign(snsMessage{"Type": "UnsubscribeConfirmation", "MessageId": "c2", "Token": "token-3", "TopicArn": sesTopic,
		"Message": "You have chosen to deactivate subscription.", "SubscribeURL": f.base + "/confirm?Token=token-3",
		"Timestamp": "2025-04-01T09:30:00.000Z", "SignatureVersion": "2", "SigningCertURL": f.base + "/SimpleNotificationService-good.pem"}, f.key)
	r = f.post(unsub)
	wantStatus(t, r, http.StatusOK)
	if f.confirmed.Load() != 1 || !strings.Contains(f.ts.Log.String(), "subscription was removed") {
		t.Errorf("an unsubscribe confirmation resubscribed or went unlogged: %s", r.Raw)
	}
}

func TestProviderEndpointsOffUntilConfigured(t *testing.T) {
	ts := newTestServer(t)
	wantError(t, ts.request(http.MethodPost, sesPath, `{}`, "Content-Type", "text/plain"), 404, "not_found")
	wantError(t, ts.request(http.MethodPost, sendGridPath, `[]`), 404, "not_found")
}
