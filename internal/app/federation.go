package app

import (
	"context"
	"log/slog"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/oidc"
)

// federation is the client of the upstream OpenID Provider, nil without
// ANSHIN_OIDC_ISSUER. Discovery is tried now; should the provider not
// answer, the server starts anyway, says so in the log and on /readyz
// (oidc_provider), and tries again at the first federated login.
func federation(cfg *config.Config, now anshin.Clock, log *slog.Logger) *oidc.Client {
	o := cfg.OIDC
	if o.Issuer == "" {
		return nil
	}
	c := oidc.New(oidc.Config{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		RedirectURL: o.RedirectURL, LoginClaim: o.LoginClaim, Now: now})
	if _, err := c.Discover(context.Background()); err != nil {
		log.Warn("the OpenID Provider's discovery failed; trying again at the first federated login", "issuer", o.Issuer, "err", err)
	}
	return c
}
