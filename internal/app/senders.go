package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/secret"
)

// Senders chooses each channel's sender from the configuration:
// SMTP when ANSHIN_SMTP_URL is set, the SMS driver by name, and the
// development outbox for the rest.
func Senders(cfg *config.Config, keys *secret.Keyring, outbox *delivery.DevOutbox, now anshin.Clock, log *slog.Logger) map[anshin.Method]delivery.Sender {
	var email, sms delivery.Sender = outbox, outbox
	if cfg.SMTP != nil {
		email = delivery.NewSMTPSender(cfg.SMTP, keys, cfg.MailFrom, cfg.BounceDomain, now)
	}
	switch cfg.SMSDriver {
	case "twilio":
		sms = delivery.NewTwilioSender(cfg.Twilio, nil)
	case "webhook":
		sms = delivery.NewWebhookSender(cfg.SMSWebhookURL, cfg.SMSWebhookSecret, nil, now)
	}
	smtp := "none: outbox"
	if cfg.SMTP != nil {
		smtp = cfg.SMTP.String() // the password redacted
	}
	log.Info("delivery", "smtp", smtp, "sms_driver", cfg.SMSDriver, "bounce_domain", cfg.BounceDomain,
		"sms_receipts", cfg.Twilio.StatusCallback != "")
	return map[anshin.Method]delivery.Sender{
		anshin.MethodEmail: delayedSender(email, cfg.DevSendDelay),
		anshin.MethodSMS:   delayedSender(sms, cfg.DevSendDelay),
	}
}

// twilioReceipts is the status callback handler, when the twilio driver
// asked for callbacks.
func twilioReceipts(cfg *config.Config, store anshin.Store, now func() time.Time) *delivery.TwilioReceipts {
	if cfg.SMSDriver != "twilio" || cfg.Twilio.StatusCallback == "" {
		return nil
	}
	return delivery.NewTwilioReceipts(store, cfg.Twilio.AuthToken, cfg.Twilio.StatusCallback, now)
}

// delayedSender makes each send wait d first (ANSHIN_DEV_SEND_DELAY,
// development mode only): tests kill an instance while it holds claimed
// messages and watch another deliver them once the lease ends.
func delayedSender(s delivery.Sender, d time.Duration) delivery.Sender {
	if d <= 0 {
		return s
	}
	return slowSender{s, d}
}

type slowSender struct {
	delivery.Sender
	delay time.Duration
}

func (s slowSender) Send(ctx context.Context, m *delivery.Message) error {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Sender.Send(ctx, m)
}
