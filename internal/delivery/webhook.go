package delivery

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WebhookSignatureHeader carries the webhook's signature:
//
//	X-Anshin-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
//
// keyed with ANSHIN_SMS_WEBHOOK_SECRET. The gateway recomputes it over the
// raw body and refuses a stale t, which stops replays.
const WebhookSignatureHeader = "X-Anshin-Signature"

// WebhookSender posts each SMS as JSON {to, body, message_id} to a gateway
// of the operator's own. message_id is the delivery's ID: the same message
// retried after a crash carries the same one, so the gateway can drop the
// duplicate.
type WebhookSender struct {
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
}

var _ Sender = (*WebhookSender)(nil)

// NewWebhookSender returns a sender; client nil means a 30-second timeout.
func NewWebhookSender(url, secret string, client *http.Client, now func() time.Time) *WebhookSender {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return &WebhookSender{url: url, secret: []byte(secret), client: client, now: now}
}

// Send posts m; a 2xx answer is "sent", 429 and 5xx are retried, other
// answers are failures.
func (s *WebhookSender) Send(ctx context.Context, m *Message) error {
	if err := checkSMSDestination(m.To); err != nil {
		return Permanent(err)
	}
	body, _ := json.Marshal(struct {
		To        string `json:"to"`
		Body      string `json:"body"`
		MessageID string `json:"message_id"`
	}{m.To, m.Body, m.ID})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("sms webhook: %w", redactURLError(err)))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "anshin")
	req.Header.Set(WebhookSignatureHeader, WebhookSignature(s.secret, s.now(), body))
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("sms webhook: %w", redactURLError(err))
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	return httpFailure(resp.StatusCode, fmt.Errorf("sms webhook: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(truncate(string(msg), 200))))
}

// WebhookSignature is the X-Anshin-Signature value for body sent at t.
func WebhookSignature(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// VerifyWebhookSignature checks a header made by WebhookSignature, no older
// than maxAge at now; gateways written in Go can use it as it is.
func VerifyWebhookSignature(secret []byte, header string, body []byte, now time.Time, maxAge time.Duration) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return false
	}
	if age := now.Sub(time.Unix(sec, 0)); age > maxAge || age < -maxAge {
		return false
	}
	want := WebhookSignature(secret, time.Unix(sec, 0), body)
	return hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig))
}
