package delivery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/secret"
	"github.com/emersion/go-smtp"
)

const bounceDomain = "bounces.example.jp"

// enqueueKey stores a one-time key valid for ttl and queues its message
// to each recipient; it returns the delivery IDs.
func (f *fixture) enqueueKey(t *testing.T, method anshin.Method, key, lang string, ttl time.Duration, to ...string) []string {
	t.Helper()
	var ids []string
	err := f.db.Update(context.Background(), func(tx anshin.Tx) error {
		k := &anshin.OneTimeKey{ID: "k-" + key, FlowID: "flow-" + key, AccountID: "acct-1", Method: method, Hash: "h" + key,
			CreatedAt: f.now, ExpiresAt: f.now.Add(ttl)}
		if err := tx.CreateKey(k); err != nil {
			return err
		}
		payload, _ := json.Marshal(map[string]any{"key": key, "expires_at": k.ExpiresAt})
		for i, r := range to {
			d := &anshin.Delivery{ID: "d" + key + string(rune('a'+i)), Kind: anshin.DeliveryKindKey, Channel: method, Recipient: r,
				FlowID: k.FlowID, KeyID: k.ID, Lang: lang, Payload: f.keys.Seal(payload), NextAttemptAt: f.now, CreatedAt: f.now, UpdatedAt: f.now}
			if err := tx.EnqueueDelivery(d); err != nil {
				return err
			}
			ids = append(ids, d.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func (f *fixture) flowStatus(t *testing.T, flowID, id string) *anshin.Delivery {
	t.Helper()
	var out *anshin.Delivery
	f.db.View(context.Background(), func(tx anshin.Tx) error {
		ds, err := tx.FlowDeliveries(flowID)
		for _, d := range ds {
			if d.ID == id {
				out = d
			}
		}
		return err
	})
	if out == nil {
		t.Fatalf("delivery %s not found", id)
	}
	return out
}

// smtpSender returns a sender to the sink with the given URL query,
// authenticating as the sink's user.
func (f *fixture) smtpSender(t *testing.T, s *sink, scheme, query string) *delivery.SMTPSender {
	t.Helper()
	raw := scheme + "://" + url.UserPassword(s.user, s.pass).String() + "@" + s.addr + query
	cfg, err := delivery.ParseSMTPURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TLSConfig = s.tlsConfig()
	cfg.Timeout = 5 * time.Second
	return delivery.NewSMTPSender(cfg, f.keys, "anshin@example.jp", bounceDomain, f.clock)
}

func (f *fixture) emailWorker(sender delivery.Sender) *delivery.Worker {
	return delivery.NewWorker(f.db, f.keys, f.clock, map[anshin.Method]delivery.Sender{anshin.MethodEmail: sender}, quiet())
}

func TestKeyMailArrivesOverSTARTTLSWithAuthAndVERP(t *testing.T) {
	for _, query := range []string{"?tls=required", "?tls=required&auth=login", "?auth=plain"} {
		t.Run(query, func(t *testing.T) {
			f := newFixture(t)
			s := newSink(t, "")
			ids := f.enqueueKey(t, anshin.MethodEmail, "48151623", "ja", 10*time.Minute, "taro.yamada@example.jp")
			w := f.emailWorker(f.smtpSender(t, s, "smtp", query))
			if n, err := w.RunOnce(context.Background()); n != 1 || err != nil {
				t.Fatalf("claimed %d, %v", n, err)
			}
			if d := f.flowStatus(t, "flow-48151623", ids[0]); d.Status != anshin.DeliverySent {
				t.Fatalf("status %s (%s), want sent", d.Status, d.LastError)
			}
			got := s.messages()
			if len(got) != 1 {
				t.Fatalf("the server received %d messages", len(got))
			}
			r := got[0]
			if !r.TLS || r.AuthUser != "anshin" {
				t.Errorf("TLS %v, authenticated as %q: want STARTTLS and AUTH", r.TLS, r.AuthUser)
			}
			checkKeyMail(t, f, r, ids[0], "taro.yamada@example.jp", "48151623")
		})
	}
}

func TestKeyMailOverImplicitTLS(t *testing.T) {
	f := newFixture(t)
	s := newSink(t, "", implicitTLS)
	ids := f.enqueueKey(t, anshin.MethodEmail, "27182818", "en", 10*time.Minute, "jane@example.com")
	w := f.emailWorker(f.smtpSender(t, s, "smtps", ""))
	w.RunOnce(context.Background())
	if d := f.flowStatus(t, "flow-27182818", ids[0]); d.Status != anshin.DeliverySent {
		t.Fatalf("status %s (%s), want sent", d.Status, d.LastError)
	}
	got := s.messages()
	if len(got) != 1 || !got[0].TLS {
		t.Fatalf("received %+v, want one message over TLS", got)
	}
	msg := parseMail(t, got[0].Data)
	if subj := decodeHeader(t, msg.Header.Get("Subject")); subj != "[anshin] Your one-time key" {
		t.Errorf("English subject %q", subj)
	}
	text, _ := parts(t, msg)
	if !strings.Contains(text, "27182818") || !strings.Contains(text, "valid for 10 minutes") {
		t.Errorf("English body:\n%s", text)
	}
}

func TestTLSRequiredRefusesAServerWithoutSTARTTLS(t *testing.T) {
	f := newFixture(t)
	s := newSink(t, "", noSTARTTLS)
	ids := f.enqueueKey(t, anshin.MethodEmail, "11112222", "ja", 10*time.Minute, "a@example.jp")
	w := f.emailWorker(f.smtpSender(t, s, "smtp", "?tls=required"))
	w.RunOnce(context.Background())
	d := f.flowStatus(t, "flow-11112222", ids[0])
	if d.Status != anshin.DeliveryQueued || len(s.messages()) != 0 {
		t.Fatalf("without STARTTLS: status %s, %d messages; want queued for retry and nothing sent", d.Status, len(s.messages()))
	}
	if strings.Contains(d.LastError, s.pass) {
		t.Fatal("the password is in the recorded error")
	}
}

// Credentials make TLS required even without tls=required: to a server
// that offers no STARTTLS nothing is sent, neither the password nor the
// key mail, whatever AUTH mechanism the URL names.
func TestCredentialsRequireTLS(t *testing.T) {
	for i, query := range []string{"", "?auth=plain", "?auth=login"} {
		t.Run("auth="+strings.TrimPrefix(query, "?auth="), func(t *testing.T) {
			f := newFixture(t)
			s := newSink(t, "", noSTARTTLS, insecureAuth)
			key := fmt.Sprintf("5555000%d", i)
			ids := f.enqueueKey(t, anshin.MethodEmail, key, "ja", 10*time.Minute, "a@example.jp")
			w := f.emailWorker(f.smtpSender(t, s, "smtp", query))
			w.RunOnce(context.Background())
			d := f.flowStatus(t, "flow-"+key, ids[0])
			if d.Status != anshin.DeliveryQueued || len(s.messages()) != 0 || s.authAttempts() != 0 {
				t.Fatalf("credentials, no STARTTLS: status %s (%s), %d messages, %d AUTH attempts; want queued for retry and nothing sent",
					d.Status, d.LastError, len(s.messages()), s.authAttempts())
			}
		})
	}
	for raw, want := range map[string]string{
		"smtp://user:pw@mail.example.jp:587":              "required",
		"smtp://user:pw@mail.example.jp:587?auth=plain":   "required",
		"smtp://user:pw@mail.example.jp:587?tls=required": "required",
		"smtp://relay.example.jp":                         "opportunistic",
		"smtp://relay.example.jp?tls=none":                "none",
	} {
		if c, err := delivery.ParseSMTPURL(raw); err != nil || c.TLS != want {
			t.Errorf("%s: %+v, %v; want tls %s", raw, c, err, want)
		}
	}
	for _, raw := range []string{"smtp://user:pw@mail.example.jp?tls=none", "smtp://user:pw@mail.example.jp?tls=opportunistic"} {
		if _, err := delivery.ParseSMTPURL(raw); err == nil {
			t.Errorf("%s accepted", raw)
		}
	}
}

func checkKeyMail(t *testing.T, f *fixture, r received, deliveryID, to, key string) {
	t.Helper()
	id, err := delivery.ParseVERP(f.keys, r.From, bounceDomain)
	if err != nil || id != deliveryID {
		t.Errorf("envelope sender %q: ParseVERP = %q, %v; want %s", r.From, id, err, deliveryID)
	}
	if len(r.To) != 1 || r.To[0] != to {
		t.Errorf("recipients %v, want [%s]", r.To, to)
	}
	msg := parseMail(t, r.Data)
	h := msg.Header
	if from := h.Get("From"); !strings.Contains(from, "anshin@example.jp") {
		t.Errorf("From %q", from)
	}
	if got := h.Get("To"); !strings.Contains(got, to) {
		t.Errorf("To %q", got)
	}
	if raw := h.Get("Subject"); !strings.HasPrefix(raw, "=?UTF-8?") && !strings.HasPrefix(raw, "=?utf-8?") {
		t.Errorf("Subject is not RFC 2047 encoded: %q", raw)
	}
	if subj := decodeHeader(t, h.Get("Subject")); subj != "【anshin】ワンタイムキーのお知らせ" {
		t.Errorf("decoded Subject %q", subj)
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if mid := h.Get("Message-ID"); !strings.HasPrefix(mid, "<"+deliveryID) || !strings.HasSuffix(mid, "@example.jp>") {
		t.Errorf("Message-ID %q", mid)
	}
	if h.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Auto-Submitted %q", h.Get("Auto-Submitted"))
	}
	if ref := h.Get("X-PM-Metadata-anshin-delivery"); "<"+ref+"@example.jp>" != h.Get("Message-ID") {
		t.Errorf("X-PM-Metadata-anshin-delivery %q is not the local part of Message-ID %q", ref, h.Get("Message-ID"))
	}
	text, html := parts(t, msg)
	for _, want := range []string{key, "ワンタイムキーをお知らせします", "日本時間"} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(html, ">"+key+"<") || !strings.Contains(html, `lang="ja"`) {
		t.Errorf("HTML part lacks the key:\n%s", html)
	}
}

func parseMail(t *testing.T, data []byte) *mail.Message {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a message: %v\n%s", err, data)
	}
	return msg
}

func decodeHeader(t *testing.T, v string) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		t.Fatalf("header %q: %v", v, err)
	}
	return s
}

// parts returns the decoded text and HTML alternatives of a message.
func parts(t *testing.T, msg *mail.Message) (text, html string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q, want multipart/alternative", msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = p // multipart decodes quoted-printable itself
		if p.Header.Get("Content-Transfer-Encoding") == "base64" {
			t.Fatalf("unexpected base64 part")
		}
		b, _ := io.ReadAll(body)
		ct, cp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if strings.ToLower(cp["charset"]) != "utf-8" {
			t.Errorf("part %s charset %q", ct, cp["charset"])
		}
		switch ct {
		case "text/plain":
			text = string(b)
		case "text/html":
			html = string(b)
		}
	}
	if text == "" || html == "" {
		t.Fatalf("want a text and an HTML part")
	}
	return text, html
}

func TestVERPTamperingIsDetected(t *testing.T) {
	f := newFixture(t)
	addr := delivery.VERPAddress(f.keys, "0123456789abcdef0123456789abcdef", bounceDomain)
	local, _, _ := strings.Cut(addr, "@")
	if len(local) > 64 {
		t.Fatalf("local part %q is longer than 64", local)
	}
	if id, err := delivery.ParseVERP(f.keys, strings.ToUpper(addr), bounceDomain); err != nil || id != "0123456789abcdef0123456789abcdef" {
		t.Fatalf("a case-folded address did not verify: %q %v", id, err)
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		return string(b)
	}
	at := strings.IndexByte(addr, '@')
	forged := []string{
		flip(addr, 2),    // another delivery ID
		flip(addr, at-1), // signature altered
		addr[:at] + "@bounces.other.example",
		"b-0123456789abcdef0123456789abcdef@" + bounceDomain,
		"postmaster@" + bounceDomain,
		"",
		"b--@" + bounceDomain,
	}
	for _, a := range forged {
		if id, err := delivery.ParseVERP(f.keys, a, bounceDomain); !errors.Is(err, delivery.ErrVERP) {
			t.Errorf("ParseVERP(%q) = %q, %v; want ErrVERP", a, id, err)
		}
	}
	otherKeys, _ := secret.NewKeyring([]byte("another secret key of 32 bytes!!"))
	if _, err := delivery.ParseVERP(otherKeys, addr, bounceDomain); err == nil {
		t.Error("an address verified under another secret key")
	}
}

func TestSMTPDownAtIssueIsDeliveredWhenItComesBack(t *testing.T) {
	f := newFixture(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens there yet
	s := &sink{addr: addr, user: "anshin", pass: "p@ss wörd"}
	_, s.roots = testCert(t)
	ids := f.enqueueKey(t, anshin.MethodEmail, "31415926", "ja", 10*time.Minute, "a@example.jp")
	w := f.emailWorker(f.smtpSender(t, s, "smtp", ""))
	w.RunOnce(context.Background())
	d := f.flowStatus(t, "flow-31415926", ids[0])
	if d.Status != anshin.DeliveryQueued || d.LastError == "" {
		t.Fatalf("with the server down: %s %q, want queued with the error", d.Status, d.LastError)
	}
	up := newSink(t, addr)
	w = f.emailWorker(f.smtpSender(t, up, "smtp", ""))
	f.now = d.NextAttemptAt
	w.RunOnce(context.Background())
	if d := f.flowStatus(t, "flow-31415926", ids[0]); d.Status != anshin.DeliverySent || len(up.messages()) != 1 {
		t.Fatalf("after the server came back: %s, %d received", d.Status, len(up.messages()))
	}
}

func TestSMTP4xxIsRetriedAnd5xxIsNot(t *testing.T) {
	f := newFixture(t)
	s := newSink(t, "")
	ids := f.enqueueKey(t, anshin.MethodEmail, "16180339", "ja", 10*time.Minute, "four@example.jp", "five@example.jp")
	s.failWith(&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"},
		&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	w := f.emailWorker(f.smtpSender(t, s, "smtp", ""))
	w.RunOnce(context.Background())
	first, second := f.flowStatus(t, "flow-16180339", ids[0]), f.flowStatus(t, "flow-16180339", ids[1])
	if first.Status != anshin.DeliveryQueued || !strings.Contains(first.LastError, "451") {
		t.Fatalf("after 451: %s %q, want queued", first.Status, first.LastError)
	}
	if second.Status != anshin.DeliveryFailed || !strings.Contains(second.LastError, "550") {
		t.Fatalf("after 550: %s %q, want failed", second.Status, second.LastError)
	}
	f.now = first.NextAttemptAt.Add(time.Second)
	if n, _ := w.RunOnce(context.Background()); n != 1 {
		t.Fatalf("claimed %d after the backoff, want only the 451 one", n)
	}
	if d := f.flowStatus(t, "flow-16180339", ids[0]); d.Status != anshin.DeliverySent {
		t.Fatalf("after 451 then 250: %s", d.Status)
	}
	got := s.messages()
	if len(got) != 1 || got[0].To[0] != "four@example.jp" {
		t.Fatalf("received %d messages; want only the retried one", len(got))
	}
}

func TestKeyExpiredWhileQueuedIsNeverSent(t *testing.T) {
	f := newFixture(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	down := &sink{addr: addr, user: "anshin", pass: "x"}
	_, down.roots = testCert(t)
	ids := f.enqueueKey(t, anshin.MethodEmail, "27182845", "ja", 10*time.Minute, "a@example.jp")
	f.emailWorker(f.smtpSender(t, down, "smtp", "")).RunOnce(context.Background())
	up := newSink(t, addr)
	f.now = f.now.Add(10 * time.Minute) // the key expired while the server was down
	f.emailWorker(f.smtpSender(t, up, "smtp", "")).RunOnce(context.Background())
	d := f.flowStatus(t, "flow-27182845", ids[0])
	if d.Status != anshin.DeliveryFailed || d.LastError != "key_expired" || len(up.messages()) != 0 {
		t.Fatalf("expired key: %s %q, %d sent; want failed key_expired and nothing sent", d.Status, d.LastError, len(up.messages()))
	}
}

func TestSMTPURLErrorsNeverShowThePassword(t *testing.T) {
	for _, raw := range []string{
		"http://user:s3cret@host", "smtp://user:s3cret@", "smtp://user:s3cret@host:99999",
		"smtp://user:s3cret@host?tls=maybe", "smtps://user:s3cret@host?tls=required", "smtp://:s3cret@host",
		"smtp://user:s3cret@host/path", "smtp://user:s3cret@host?bogus=1", "smtp://host?auth=plain", "smtp://us er:s3cret@ho st",
		"smtp://user:s3cret@host?tls=none",
	} {
		_, err := delivery.ParseSMTPURL(raw)
		if err == nil {
			t.Errorf("%s accepted", raw)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
	c, err := delivery.ParseSMTPURL("smtp://user:s3cret@mail.example.jp:587?tls=required")
	if err != nil || c.Port != 587 || c.TLS != "required" || c.Username != "user" || c.Password != "s3cret" || strings.Contains(c.String(), "s3cret") {
		t.Fatalf("parsed %+v, %v", c, err)
	}
}

// Opportunistic STARTTLS without credentials encrypts even with a
// certificate nobody vouches for (a relay's self-signed one); with a
// password to protect the certificate must verify, and a failed handshake
// never falls back to plaintext.
func TestOpportunisticSTARTTLSAndUntrustedCertificates(t *testing.T) {
	f := newFixture(t)
	relay := newSink(t, "")
	relay.user = "" // a relay without AUTH
	cfg, err := delivery.ParseSMTPURL("smtp://" + relay.addr)
	if err != nil {
		t.Fatal(err)
	}
	ids := f.enqueueKey(t, anshin.MethodEmail, "13572468", "ja", 10*time.Minute, "a@example.jp")
	f.emailWorker(delivery.NewSMTPSender(cfg, f.keys, "anshin@example.jp", bounceDomain, f.clock)).RunOnce(context.Background())
	got := relay.messages()
	if d := f.flowStatus(t, "flow-13572468", ids[0]); d.Status != anshin.DeliverySent || len(got) != 1 || !got[0].TLS {
		t.Fatalf("to a relay with a self-signed certificate: %s %q, received %d (want one, over TLS)", d.Status, d.LastError, len(got))
	}

	s := newSink(t, "")
	cfg, err = delivery.ParseSMTPURL("smtp://" + url.UserPassword(s.user, s.pass).String() + "@" + s.addr)
	if err != nil {
		t.Fatal(err)
	}
	ids = f.enqueueKey(t, anshin.MethodEmail, "24681357", "ja", 10*time.Minute, "b@example.jp")
	f.emailWorker(delivery.NewSMTPSender(cfg, f.keys, "anshin@example.jp", bounceDomain, f.clock)).RunOnce(context.Background())
	d := f.flowStatus(t, "flow-24681357", ids[0])
	if d.Status != anshin.DeliveryQueued || len(s.messages()) != 0 {
		t.Fatalf("with credentials and an untrusted certificate: %s %q, %d received", d.Status, d.LastError, len(s.messages()))
	}
}
