// Package oidc is anshin's side of an upstream OpenID Provider (SPEC §2,
// Upstream OpenID Connect): discovery and keys from the issuer, the
// authorization code flow with PKCE, and the ID token's checks. go-oidc
// and x/oauth2 do the protocol; this package decides what anshin trusts and
// turns each failure into an error code with a reason for the log.
package oidc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// SigningAlgs are the ID token signature algorithms accepted: asymmetric
// only, so a token signed with the client secret (HS256) or unsigned
// ("none") is never taken.
var SigningAlgs = []string{gooidc.RS256, gooidc.RS384, gooidc.RS512, gooidc.ES256, gooidc.ES384, gooidc.ES512, gooidc.PS256, gooidc.PS384, gooidc.PS512, gooidc.EdDSA}

// Config is the registration of anshin at the provider.
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string
	LoginClaim   string // the claim that is the login ID; "" is sub
	// HTTPClient talks to the provider; nil: one with Timeout.
	HTTPClient *http.Client
	// Timeout bounds each call to the provider; 0 is 10 seconds.
	Timeout time.Duration
	Now     func() time.Time // nil: time.Now
}

// Client is one upstream provider. Discovery happens once it succeeds; until
// then each use (and each Ready) tries again.
type Client struct {
	cfg  Config
	http *http.Client

	mu       sync.Mutex
	provider *gooidc.Provider
}

// New returns a client; it does not reach the provider yet (Discover).
func New(cfg Config) *Client {
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.LoginClaim == "" {
		cfg.LoginClaim = "sub"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	return &Client{cfg: cfg, http: hc}
}

// Discover reads the issuer's discovery document, once: after a success it
// returns at once; after a failure the next call tries again. The lock is
// not held while the provider is asked, so that logins during an outage
// each wait for their own try, not for everyone's before them.
func (c *Client) Discover(ctx context.Context) (*gooidc.Provider, error) {
	c.mu.Lock()
	p := c.provider
	c.mu.Unlock()
	if p != nil {
		return p, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	// The key set fetches keys later, on its own, with the client of this
	// context (not the request's lifetime): go-oidc detaches it.
	p, err := gooidc.NewProvider(gooidc.ClientContext(ctx, c.http), c.cfg.Issuer)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		return nil, unavailable(fmt.Errorf("discovery of %s: %w", c.cfg.Issuer, err))
	}
	if c.provider == nil { // the first success wins: one key set
		c.provider = p
	}
	return c.provider, nil
}

// Ready is nil once discovery succeeded; it tries again if not.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.Discover(ctx)
	return err
}

func (c *Client) oauth(p *gooidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, RedirectURL: c.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: []string{gooidc.ScopeOpenID}}
}

// Request is what ties one authorization request to its callback: kept
// server-side with the login flow, used once.
type Request struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"` // PKCE code verifier
}

// AuthURL is where the browser goes to sign in at the provider.
func (c *Client) AuthURL(ctx context.Context, req Request) (string, error) {
	p, err := c.Discover(ctx)
	if err != nil {
		return "", err
	}
	return c.oauth(p).AuthCodeURL(req.State, gooidc.Nonce(req.Nonce), oauth2.S256ChallengeOption(req.Verifier)), nil
}

// Exchange trades the callback's code for an ID token, checks it (issuer,
// audience, expiry, signature algorithm and key, nonce) and returns the
// value of the login claim.
func (c *Client) Exchange(ctx context.Context, code string, req Request) (string, error) {
	p, err := c.Discover(ctx)
	if err != nil {
		return "", err
	}
	if code == "" {
		return "", anshin.Errorf(anshin.ECodeFederationError, "the provider's callback carries no code")
	}
	ctx, cancel := context.WithTimeout(gooidc.ClientContext(ctx, c.http), c.cfg.Timeout)
	defer cancel()
	tok, err := c.oauth(p).Exchange(ctx, code, oauth2.VerifierOption(req.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return "", anshin.Errorf(anshin.ECodeFederationError, "token endpoint: %s %s", re.ErrorCode, re.ErrorDescription)
		}
		return "", unavailable(fmt.Errorf("token endpoint: %w", err))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", anshin.Errorf(anshin.ECodeFederationToken, "the token response has no id_token")
	}
	v := p.Verifier(&gooidc.Config{ClientID: c.cfg.ClientID, SupportedSigningAlgs: SigningAlgs, Now: c.cfg.Now})
	id, err := v.Verify(ctx, raw)
	if err != nil {
		var expired *gooidc.TokenExpiredError
		if errors.As(err, &expired) {
			return "", anshin.Errorf(anshin.ECodeFederationToken, "id token expired at %s", expired.Expiry.UTC().Format(time.RFC3339))
		}
		if isNetwork(err) {
			return "", unavailable(fmt.Errorf("id token keys: %w", err))
		}
		return "", anshin.Errorf(anshin.ECodeFederationToken, "id token refused: %v", err)
	}
	if id.Nonce != req.Nonce {
		return "", anshin.Errorf(anshin.ECodeFederationToken, "id token nonce does not match the login flow's")
	}
	var claims map[string]any
	if err := id.Claims(&claims); err != nil {
		return "", anshin.Errorf(anshin.ECodeFederationToken, "id token claims: %v", err)
	}
	login, _ := claims[c.cfg.LoginClaim].(string)
	if login == "" {
		return "", anshin.Errorf(anshin.ECodeFederationToken, "id token has no string claim %q", c.cfg.LoginClaim)
	}
	return login, nil
}

func unavailable(err error) error {
	return anshin.Errorf(anshin.ECodeFederationUnavailable, "%v", err)
}

func isNetwork(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded)
}
