package config

import (
	"strings"
	"testing"
)

func TestDeliveryConfiguration(t *testing.T) {
	c, err := Load(env(map[string]string{
		"ANSHIN_SMTP_URL":           "smtps://mailer:s3cr%40t@mail.example.jp",
		"ANSHIN_SMS_DRIVER":         "twilio",
		"ANSHIN_TWILIO_ACCOUNT_SID": "AC0123",
		"ANSHIN_TWILIO_AUTH_TOKEN":  "token",
		"ANSHIN_TWILIO_FROM":        "+815011112222",
		"ANSHIN_PUBLIC_URL":         "https://anshin.example.jp/",
		"ANSHIN_SMS_GLOBAL_HOUR":    "50",
	}), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP == nil || !c.SMTP.Implicit || c.SMTP.Port != 465 || c.SMTP.Password != "s3cr@t" {
		t.Errorf("SMTP %+v", c.SMTP)
	}
	if c.Twilio.StatusCallback != "https://anshin.example.jp/api/v1/sms/twilio/status" || c.Twilio.BaseURL != "https://api.twilio.com" {
		t.Errorf("Twilio %+v", c.Twilio)
	}
	if c.Login.SMSPerAccountHour != 10 || c.Login.SMSPerNumberHour != 10 || c.Login.SMSGlobalHour != 50 {
		t.Errorf("SMS limits %d %d %d", c.Login.SMSPerAccountHour, c.Login.SMSPerNumberHour, c.Login.SMSGlobalHour)
	}

	// Every mistake at once, each naming its variable, no secret repeated.
	_, err = Load(env(map[string]string{
		"ANSHIN_SMTP_URL":             "smtp://mailer:hunter2@mail.example.jp?tls=sometimes",
		"ANSHIN_SMS_DRIVER":           "webhook",
		"ANSHIN_SMS_WEBHOOK_SECRET":   "hunter3",
		"ANSHIN_SMS_PER_NUMBER_HOUR":  "0",
		"ANSHIN_OUTBOX_LEASE":         "1s",
		"ANSHIN_PUBLIC_URL":           "ftp://anshin.example.jp",
		"ANSHIN_SMS_PER_ACCOUNT_HOUR": "lots",
	}), false)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, name := range []string{"ANSHIN_SMTP_URL:", "ANSHIN_SMS_WEBHOOK_URL:", "ANSHIN_SMS_WEBHOOK_SECRET:", "ANSHIN_SMS_PER_NUMBER_HOUR:",
		"ANSHIN_OUTBOX_LEASE:", "ANSHIN_PUBLIC_URL:", "ANSHIN_SMS_PER_ACCOUNT_HOUR:"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s:\n%v", name, err)
		}
	}
	if strings.Contains(err.Error(), "hunter") {
		t.Errorf("the error repeats a secret:\n%v", err)
	}
}

// Credentials in ANSHIN_SMTP_URL make TLS required; asking for less with
// them is an error that names the variable.
func TestSMTPCredentialsRequireTLS(t *testing.T) {
	c, err := Load(env(map[string]string{"ANSHIN_SMTP_URL": "smtp://mailer:pw@mail.example.jp:587"}), false)
	if err != nil || c.SMTP == nil || c.SMTP.TLS != "required" {
		t.Fatalf("smtp:// with credentials: %+v, %v; want TLS required", c, err)
	}
	c, err = Load(env(map[string]string{"ANSHIN_SMTP_URL": "smtp://relay.example.jp"}), false)
	if err != nil || c.SMTP.TLS != "opportunistic" {
		t.Fatalf("smtp:// without credentials: %+v, %v; want opportunistic STARTTLS", c, err)
	}
	for _, raw := range []string{"smtp://mailer:pw@mail.example.jp?tls=none", "smtp://mailer:pw@mail.example.jp?tls=opportunistic"} {
		_, err := Load(env(map[string]string{"ANSHIN_SMTP_URL": raw}), false)
		if err == nil || !strings.Contains(err.Error(), "ANSHIN_SMTP_URL:") || strings.Contains(err.Error(), "pw@") {
			t.Errorf("%s: %v; want an error naming ANSHIN_SMTP_URL", raw, err)
		}
	}
}
