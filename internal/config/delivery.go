package config

import (
	"net/url"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/delivery"
)

// checkDelivery validates the SMTP URL and the SMS driver's settings. No
// message repeats a password, token or secret.
func (p *parser) checkDelivery(c *Config) {
	if c.SMTPURL != "" {
		smtp, err := delivery.ParseSMTPURL(c.SMTPURL)
		if err != nil {
			p.fail("ANSHIN_SMTP_URL", err.Error())
		}
		c.SMTP = smtp
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" {
			p.fail("ANSHIN_PUBLIC_URL", "must be the http(s):// base URL the outside world reaches this server at, like https://anshin.example.jp")
		}
	}
	if c.OutboxLease < 2*time.Second || c.OutboxLease > time.Hour {
		p.fail("ANSHIN_OUTBOX_LEASE", "must be a duration from 2s to 1h")
	}
	tw := &c.Twilio
	switch c.SMSDriver {
	case "outbox":
	case "twilio":
		if tw.AccountSID == "" || strings.ContainsAny(tw.AccountSID, "/?#% ") {
			p.fail("ANSHIN_TWILIO_ACCOUNT_SID", "required by ANSHIN_SMS_DRIVER=twilio (the account SID, AC…)")
		}
		if tw.AuthToken == "" {
			p.fail("ANSHIN_TWILIO_AUTH_TOKEN", "required by ANSHIN_SMS_DRIVER=twilio")
		}
		if tw.From == "" {
			p.fail("ANSHIN_TWILIO_FROM", "required by ANSHIN_SMS_DRIVER=twilio (a number in E.164 or a sender ID)")
		}
		if !httpURL(tw.BaseURL, false) {
			p.fail("ANSHIN_TWILIO_BASE_URL", "must be an http(s):// URL without credentials, like https://api.twilio.com")
		}
		if c.PublicURL != "" {
			tw.StatusCallback = c.PublicURL + delivery.TwilioStatusPath
		}
	case "webhook":
		if !httpURL(c.SMSWebhookURL, true) {
			p.fail("ANSHIN_SMS_WEBHOOK_URL", "required by ANSHIN_SMS_DRIVER=webhook: an http(s):// URL")
		}
		if len(c.SMSWebhookSecret) < 16 {
			p.fail("ANSHIN_SMS_WEBHOOK_SECRET", "required by ANSHIN_SMS_DRIVER=webhook: at least 16 characters")
		}
	default:
		p.fail("ANSHIN_SMS_DRIVER", "must be one of twilio, webhook, outbox")
	}
}

func httpURL(raw string, userOK bool) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && (userOK || u.User == nil)
}
