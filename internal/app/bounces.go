package app

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/bounce"
	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/secret"
)

// BounceHandler is the one handler the SMTP receiver and the webhook share.
func BounceHandler(cfg *config.Config, store anshin.Store, keys *secret.Keyring, now anshin.Clock, log *slog.Logger) *bounce.Handler {
	return &bounce.Handler{Store: store, Now: now, Log: log, Verify: bounce.VERPVerifier(keys, cfg.BounceDomain),
		TransientLimit: cfg.BounceTransientLimit, TransientWindow: cfg.BounceTransientWindow}
}

// providerChecks are the signature checks of the sending services'
// notifications that the configuration turns on (nil: that endpoint off).
func providerChecks(cfg *config.Config, now anshin.Clock) (*bounce.SNS, *bounce.SendGrid) {
	p := cfg.Providers
	var ses *bounce.SNS
	if len(p.SESTopicARNs) > 0 {
		ses = &bounce.SNS{Client: &http.Client{Timeout: 10 * time.Second}, CertHosts: p.SESCertHosts, TopicARNs: p.SESTopicARNs}
	}
	var sg *bounce.SendGrid
	if p.SendGridKey != nil {
		sg = &bounce.SendGrid{Key: p.SendGridKey, MaxAge: p.SendGridMaxAge, Now: now}
	}
	return ses, sg
}
