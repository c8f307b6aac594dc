package config

import (
	"net"

	"github.com/anshin/anshin/internal/passkey"
)

// passkeys derives the relying party from ANSHIN_PUBLIC_URL or, in
// development without one, from the listen address. An IP address cannot
// be a WebAuthn RP ID: that is a start-up error, not a ceremony that
// fails in the browser later.
func (p *parser) passkeys(c *Config) *passkey.Config {
	if !p.boolean("ANSHIN_PASSKEYS") {
		return nil
	}
	base, from := c.PublicURL, "ANSHIN_PUBLIC_URL"
	if base == "" {
		if !c.Dev {
			p.fail("ANSHIN_PASSKEYS", "passkeys need ANSHIN_PUBLIC_URL (https://…): their relying party ID and origin come from it")
			return nil
		}
		host, port, err := net.SplitHostPort(c.HTTPAddr)
		if err != nil {
			return nil // ANSHIN_HTTP_ADDR's own error says it
		}
		base, from = "http://"+net.JoinHostPort(host, port), "ANSHIN_HTTP_ADDR"
	}
	cfg, err := passkey.ConfigFromURL(base)
	if err != nil {
		p.fail(from, err.Error()+"; e.g. ANSHIN_HTTP_ADDR=localhost:8080 or ANSHIN_PUBLIC_URL=http://localhost:8080 in development")
		return nil
	}
	return &cfg
}
