package app

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/bounce"
	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/secret"
	"github.com/anshin/anshin/internal/web"
)

// BounceHandler is the one handler the SMTP receiver and the webhook share.
func BounceHandler(cfg *config.Config, store anshin.Store, keys *secret.Keyring, now anshin.Clock, log *slog.Logger) *bounce.Handler {
	return &bounce.Handler{Store: store, Now: now, Log: log, Verify: bounce.VERPVerifier(keys, cfg.BounceDomain),
		TransientLimit: cfg.BounceTransientLimit, TransientWindow: cfg.BounceTransientWindow}
}

// providerChecks turns on the endpoints of the sending services'
// notifications that the configuration names, each with its signature
// check (left nil: that endpoint off).
func providerChecks(d *web.Deps, cfg *config.Config, now anshin.Clock) {
	p := cfg.Providers
	if len(p.SESTopicARNs) > 0 {
		d.SES = &bounce.SNS{Client: &http.Client{Timeout: 10 * time.Second}, CertHosts: p.SESCertHosts, TopicARNs: p.SESTopicARNs}
	}
	if p.SendGridKey != nil {
		d.SendGrid = &bounce.SendGrid{Key: p.SendGridKey, MaxAge: p.SendGridMaxAge, Now: now}
	}
	if p.MailgunKey != nil {
		d.Mailgun = &bounce.Mailgun{Key: p.MailgunKey, MaxAge: p.MailgunMaxAge, Now: now}
	}
	if p.PostmarkUser != "" {
		d.Postmark = &bounce.Postmark{User: p.PostmarkUser, Password: p.PostmarkPassword}
	}
}
