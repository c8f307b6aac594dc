package delivery

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

// TwilioDefaultBaseURL is Twilio's REST API; compatible providers serve the
// same paths under their own base URL.
const TwilioDefaultBaseURL = "https://api.twilio.com"

// TwilioStatusPath is where delivery receipts arrive (StatusCallback).
const TwilioStatusPath = "/api/v1/sms/twilio/status"

// TwilioConfig is the twilio SMS driver's configuration.
type TwilioConfig struct {
	AccountSID string
	AuthToken  string
	From       string // a number in E.164 or a messaging service / alphanumeric sender
	BaseURL    string
	// StatusCallback is the public URL of TwilioStatusPath; empty: no
	// receipts are asked for and SMS stay "sent".
	StatusCallback string
}

// TwilioSender sends SMS with the Twilio Messages REST API.
type TwilioSender struct {
	cfg    TwilioConfig
	client *http.Client
}

var _ Sender = (*TwilioSender)(nil)

// NewTwilioSender returns a sender; client nil means a 30-second timeout.
func NewTwilioSender(cfg TwilioConfig, client *http.Client) *TwilioSender {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &TwilioSender{cfg: cfg, client: client}
}

// Send creates the message; the returned SID becomes m.ProviderID.
func (s *TwilioSender) Send(ctx context.Context, m *Message) error {
	if err := checkSMSDestination(m.To); err != nil {
		return Permanent(err)
	}
	form := url.Values{"To": {m.To}, "From": {s.cfg.From}, "Body": {m.Body}}
	if s.cfg.StatusCallback != "" {
		form.Set("StatusCallback", s.cfg.StatusCallback)
	}
	endpoint := s.cfg.BaseURL + "/2010-04-01/Accounts/" + url.PathEscape(s.cfg.AccountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Permanent(fmt.Errorf("twilio: %w", err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(s.cfg.AccountSID, s.cfg.AuthToken)
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("twilio: %w", redactURLError(err))
	}
	defer resp.Body.Close()
	var out struct {
		SID     string `json:"sid"`
		Status  string `json:"status"`
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&out)
	if resp.StatusCode/100 == 2 {
		if out.SID == "" {
			return errors.New("twilio: accepted without a message SID")
		}
		m.ProviderID = out.SID
		return nil
	}
	err = fmt.Errorf("twilio: HTTP %d, error %d: %s", resp.StatusCode, out.Code, truncate(out.Message, 200))
	return httpFailure(resp.StatusCode, err)
}

// httpFailure retries what may pass later (429, 5xx) and gives up on
// the rest, which no retry repairs (bad number, bad credentials).
func httpFailure(status int, err error) error {
	if status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500 {
		return err
	}
	return Permanent(err)
}

// redactURLError keeps an HTTP error but not the URL, which for webhooks
// may carry a token.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// checkSMSDestination refuses anything but a Japanese number in E.164:
// SMS only ever goes to an account's docomo line, and a foreign or premium
// number is how SMS pumping costs money.
func checkSMSDestination(to string) error {
	rest, ok := strings.CutPrefix(to, "+81")
	if !ok || len(rest) < 9 || len(rest) > 10 {
		return errors.New("sms: destination is not a Japanese number in E.164")
	}
	for _, r := range rest {
		if r < '0' || r > '9' {
			return errors.New("sms: destination is not a Japanese number in E.164")
		}
	}
	return nil
}

// TwilioReceipts turns Twilio's status callbacks into delivered / failed,
// after checking X-Twilio-Signature.
type TwilioReceipts struct {
	store     anshin.Store
	authToken string
	url       string // the public URL Twilio calls, exactly as given in StatusCallback
	now       anshin.Clock
}

// NewTwilioReceipts returns the receipt handler for callbacks to url.
func NewTwilioReceipts(store anshin.Store, authToken, url string, now anshin.Clock) *TwilioReceipts {
	return &TwilioReceipts{store: store, authToken: authToken, url: url, now: now}
}

// Record verifies one callback and records a final status. Intermediate
// statuses (queued, sending, sent) change nothing. A bad signature is
// unauthorized; a receipt for an unknown message is ignored.
func (r *TwilioReceipts) Record(ctx context.Context, form url.Values, signature string) error {
	if !hmac.Equal([]byte(signature), []byte(TwilioSignature(r.authToken, r.url, form))) || signature == "" {
		return anshin.Errorf(anshin.ECodeUnauthorized, "X-Twilio-Signature does not match")
	}
	sid := form.Get("MessageSid")
	if sid == "" {
		sid = form.Get("SmsSid")
	}
	var status, why string
	switch form.Get("MessageStatus") {
	case "delivered":
		status = anshin.DeliveryDelivered
	case "undelivered", "failed":
		status, why = anshin.DeliveryFailed, "twilio: "+form.Get("MessageStatus")
		if code := form.Get("ErrorCode"); code != "" {
			why += " (error " + truncate(code, 16) + ")"
		}
	default:
		return nil
	}
	return r.store.Update(ctx, func(tx anshin.Tx) error {
		_, err := tx.RecordDeliveryReceipt(sid, status, why, r.now())
		return err
	})
}

// TwilioSignature is Twilio's request signature: base64 HMAC-SHA1, keyed
// with the auth token, of the full URL followed by each POST parameter's
// name and value, sorted by name.
func TwilioSignature(authToken, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		vs := append([]string(nil), form[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	m := hmac.New(sha1.New, []byte(authToken))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
