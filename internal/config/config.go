// Package config turns anshin's environment variables into a typed,
// validated configuration, once, at start.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/passkey"
	"github.com/anshin/anshin/internal/secret"
)

// Config is everything anshin reads from its environment.
type Config struct {
	HTTPAddr       string
	MetricsAddr    string // "": /metrics on HTTPAddr
	Pprof          bool   // /debug/pprof/ on MetricsAddr
	DatabaseURL    string
	SecretKey      []byte
	OperatorToken  string
	SMTPURL        string
	MailFrom       string
	BounceDomain   string
	BounceSMTPAddr string
	SMSDriver      string
	Dev            bool
	Login          login.Config
	Argon2         secret.Argon2Params
	MemoryLimit    int64 // bytes; 0: none (ANSHIN_MEMORY_LIMIT, memory.go)
	Workers        int
	LogLevel       string
	// Operations (README: Operations).
	LogFormat       string        // json or text
	ShutdownTimeout time.Duration // for requests and sends in flight after SIGTERM
	// Delivery (SPEC §3).
	SMTP             *delivery.SMTPConfig // nil: the development outbox
	Twilio           delivery.TwilioConfig
	SMSWebhookURL    string
	SMSWebhookSecret string
	PublicURL        string // e.g. https://anshin.example.jp, for gateway callbacks
	OutboxLease      time.Duration
	DevSendDelay     time.Duration // tests: a crash while messages are claimed
	// Bounces (SPEC §3).
	BounceTransientLimit  int
	BounceTransientWindow time.Duration
	BounceWebhookToken    string
	BounceMaxBytes        int
	BounceMaxConns        int
	BounceMaxConnsClient  int           // per client address (IPv6: per /64)
	BounceSessionTimeout  time.Duration // whole SMTP session, however it trickles
	// Retention keeps finished deliveries, bounces and audit events
	// (README: Retention).
	Retention time.Duration
	// TrustedProxies are the reverse proxies whose forwarding headers name
	// the client; none: the socket's peer is the client.
	TrustedProxies []netip.Prefix
	// OIDC is the upstream OpenID Provider (oidc.go); Issuer "": none.
	OIDC OIDC
	// Providers are the sending services' bounce notifications.
	Providers Providers
	// Passkeys is the relying party of passkeys; nil: passkeys off.
	Passkeys *passkey.Config
}

// Load reads the configuration through getenv. dev forces development
// mode (serve --demo). Every bad value is reported, each with its variable.
func Load(getenv func(string) string, dev bool) (*Config, error) {
	p := parser{getenv: getenv}
	c := &Config{
		HTTPAddr:       p.str("ANSHIN_HTTP_ADDR"),
		MetricsAddr:    p.str("ANSHIN_METRICS_ADDR"),
		Pprof:          p.onOff("ANSHIN_PPROF"),
		DatabaseURL:    p.str("ANSHIN_DATABASE_URL"),
		OperatorToken:  p.str("ANSHIN_OPERATOR_TOKEN"),
		SMTPURL:        p.str("ANSHIN_SMTP_URL"),
		MailFrom:       p.str("ANSHIN_MAIL_FROM"),
		BounceDomain:   p.str("ANSHIN_BOUNCE_DOMAIN"),
		BounceSMTPAddr: p.str("ANSHIN_BOUNCE_SMTP_ADDR"),
		SMSDriver:      p.str("ANSHIN_SMS_DRIVER"),
		Dev:            dev || p.boolean("ANSHIN_DEV"),
		Workers:        p.integer("ANSHIN_OUTBOX_WORKERS"),
		LogLevel:       p.str("ANSHIN_LOG_LEVEL"),
		Twilio: delivery.TwilioConfig{
			AccountSID: p.str("ANSHIN_TWILIO_ACCOUNT_SID"),
			AuthToken:  p.str("ANSHIN_TWILIO_AUTH_TOKEN"),
			From:       p.str("ANSHIN_TWILIO_FROM"),
			BaseURL:    p.str("ANSHIN_TWILIO_BASE_URL"),
		},
		SMSWebhookURL:    p.str("ANSHIN_SMS_WEBHOOK_URL"),
		SMSWebhookSecret: p.str("ANSHIN_SMS_WEBHOOK_SECRET"),
		PublicURL:        strings.TrimRight(p.str("ANSHIN_PUBLIC_URL"), "/"),
		OutboxLease:      p.duration("ANSHIN_OUTBOX_LEASE"),
		DevSendDelay:     p.duration("ANSHIN_DEV_SEND_DELAY"),

		BounceTransientLimit:  p.integer("ANSHIN_BOUNCE_TRANSIENT_LIMIT"),
		BounceTransientWindow: p.duration("ANSHIN_BOUNCE_TRANSIENT_WINDOW"),
		BounceWebhookToken:    p.str("ANSHIN_BOUNCE_WEBHOOK_TOKEN"),
		BounceMaxBytes:        p.integer("ANSHIN_BOUNCE_MAX_BYTES"),
		BounceMaxConns:        p.integer("ANSHIN_BOUNCE_MAX_CONNECTIONS"),
		BounceMaxConnsClient:  p.integer("ANSHIN_BOUNCE_MAX_CONNECTIONS_PER_CLIENT"),
		BounceSessionTimeout:  p.duration("ANSHIN_BOUNCE_SESSION_TIMEOUT"),
	}
	c.TrustedProxies = p.prefixes("ANSHIN_TRUSTED_PROXIES")
	c.Providers = p.providers()
	c.OIDC = p.oidc(c.PublicURL)
	c.ShutdownTimeout = p.duration("ANSHIN_SHUTDOWN_TIMEOUT")
	c.Retention = p.duration("ANSHIN_RETENTION")
	c.LogFormat = p.str("ANSHIN_LOG_FORMAT")
	if c.LogFormat == "" {
		c.LogFormat = "json" // for a log collector; text is for a person at a terminal
		if c.Dev {
			c.LogFormat = "text"
		}
	}
	d := login.Defaults()
	c.Login = login.Config{
		KeyDigits:                  p.integer("ANSHIN_KEY_DIGITS"),
		KeyTTL:                     p.duration("ANSHIN_KEY_TTL"),
		KeysPerFlow:                p.integer("ANSHIN_KEYS_PER_FLOW"),
		KeysPerAccountHour:         p.integer("ANSHIN_KEYS_PER_ACCOUNT_HOUR"),
		KeyCooldown:                p.duration("ANSHIN_KEY_COOLDOWN"),
		KeyFailureLimit:            p.integer("ANSHIN_KEY_FAILURE_LIMIT"),
		FlowTTL:                    p.duration("ANSHIN_FLOW_TTL"),
		FlowsPerClient:             p.integer("ANSHIN_FLOWS_PER_CLIENT"),
		FlowsPerClientWindow:       d.FlowsPerClientWindow,
		SessionIdle:                p.duration("ANSHIN_SESSION_IDLE"),
		SessionMax:                 p.duration("ANSHIN_SESSION_MAX"),
		PasswordFailuresPerAccount: d.PasswordFailuresPerAccount,
		PasswordFailuresPerClient:  d.PasswordFailuresPerClient,
		InitialPasswordThrottle:    d.InitialPasswordThrottle,
		InitialPasswordLock:        d.InitialPasswordLock,
		SMSPerAccountHour:          p.integer("ANSHIN_SMS_PER_ACCOUNT_HOUR"),
		SMSPerNumberHour:           p.integer("ANSHIN_SMS_PER_NUMBER_HOUR"),
		SMSGlobalHour:              p.integer("ANSHIN_SMS_GLOBAL_HOUR"),
	}
	c.Argon2 = secret.Argon2Params{
		MemoryKiB: uint32(p.integer("ANSHIN_ARGON2_MEMORY_KIB")),
		Time:      uint32(p.integer("ANSHIN_ARGON2_TIME")),
		Threads:   uint8(p.integer("ANSHIN_ARGON2_THREADS")),
	}
	c.MemoryLimit = p.memoryLimit(c.Argon2)
	c.Passkeys = p.passkeys(c)
	p.check(c)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return c, nil
}

func (p *parser) check(c *Config) {
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		p.fail("ANSHIN_HTTP_ADDR", "must be host:port, like 127.0.0.1:8080")
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			p.fail("ANSHIN_METRICS_ADDR", "must be host:port, like 127.0.0.1:9090")
		}
	}
	if c.Pprof && c.MetricsAddr == "" {
		p.fail("ANSHIN_PPROF", "on needs ANSHIN_METRICS_ADDR: profiles are served on the metrics listener only, never on the main one")
	}
	if c.BounceSMTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.BounceSMTPAddr); err != nil {
			p.fail("ANSHIN_BOUNCE_SMTP_ADDR", "must be host:port")
		}
	}
	p.checkDatabaseURL(c.DatabaseURL)
	if c.DevSendDelay < 0 || c.DevSendDelay > 0 && !c.Dev {
		p.fail("ANSHIN_DEV_SEND_DELAY", "must be a positive duration, and only in development mode (ANSHIN_DEV=true)")
	}
	if c.BounceWebhookToken != "" && len(c.BounceWebhookToken) < 16 {
		p.fail("ANSHIN_BOUNCE_WEBHOOK_TOKEN", "must be at least 16 characters")
	}
	if c.BounceSessionTimeout < 10*time.Second {
		p.fail("ANSHIN_BOUNCE_SESSION_TIMEOUT", "must be a duration of 10s or more, like 5m")
	}
	if c.BounceTransientWindow <= 0 {
		p.fail("ANSHIN_BOUNCE_TRANSIENT_WINDOW", "must be a positive duration")
	}
	// Deliveries are counted for the SMS limits (an hour) and their bounces
	// for the transient limit: retention must outlast both windows.
	if c.Retention < 24*time.Hour || c.Retention < c.BounceTransientWindow {
		p.fail("ANSHIN_RETENTION", "must be a duration of at least 24h and of ANSHIN_BOUNCE_TRANSIENT_WINDOW, like 9600h (400 days)")
	}
	// A Mailgun token is refused the second time only while it is kept:
	// retention must outlast the window its timestamp is taken in.
	if c.Providers.MailgunKey != nil && c.Retention < 2*c.Providers.MailgunMaxAge {
		p.fail("ANSHIN_MAILGUN_WEBHOOK_MAX_AGE", "must be at most half of ANSHIN_RETENTION, which is how long its tokens are kept")
	}
	if c.OperatorToken != "" && len(c.OperatorToken) < 16 {
		p.fail("ANSHIN_OPERATOR_TOKEN", "must be at least 16 characters")
	}
	if a, err := mail.ParseAddress(c.MailFrom); err != nil || a.Address != c.MailFrom {
		p.fail("ANSHIN_MAIL_FROM", "must be a bare e-mail address, like anshin@example.jp")
	}
	if c.BounceDomain == "" || strings.ContainsAny(c.BounceDomain, "@ /") {
		p.fail("ANSHIN_BOUNCE_DOMAIN", "must be a domain name")
	}
	p.checkDelivery(c)
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		p.fail("ANSHIN_LOG_LEVEL", "must be debug, info, warn or error")
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		p.fail("ANSHIN_LOG_FORMAT", "must be json or text")
	}
	if c.ShutdownTimeout <= 0 {
		p.fail("ANSHIN_SHUTDOWN_TIMEOUT", "must be a positive duration")
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"ANSHIN_KEY_TTL", c.Login.KeyTTL}, {"ANSHIN_FLOW_TTL", c.Login.FlowTTL}, {"ANSHIN_SESSION_IDLE", c.Login.SessionIdle}, {"ANSHIN_SESSION_MAX", c.Login.SessionMax}} {
		if d.v <= 0 {
			p.fail(d.name, "must be a positive duration")
		}
	}
	if c.Login.KeyCooldown < 0 {
		p.fail("ANSHIN_KEY_COOLDOWN", "must not be negative")
	}
	if c.Login.KeyTTL > c.Login.FlowTTL {
		p.fail("ANSHIN_KEY_TTL", "must not be longer than ANSHIN_FLOW_TTL")
	}
	if c.Login.SessionIdle > c.Login.SessionMax {
		p.fail("ANSHIN_SESSION_IDLE", "must not be longer than ANSHIN_SESSION_MAX")
	}
	if s := strings.TrimSpace(p.getenv("ANSHIN_SECRET_KEY")); s != "" {
		if problem := secretKeyProblem(s); problem != "" {
			p.fail("ANSHIN_SECRET_KEY", problem)
		}
		c.SecretKey = []byte(s)
	}
}

// EnsureSecretKey generates a secret key into the database's folder in
// development mode, or reports that production needs one.
func (c *Config) EnsureSecretKey() error {
	if len(c.SecretKey) > 0 {
		return nil
	}
	if !c.Dev {
		return errors.New("ANSHIN_SECRET_KEY: required outside development mode (generate one with: openssl rand -hex 32)")
	}
	dir := "data" // with PostgreSQL: ./data, as with the default SQLite URL
	if path, ok := strings.CutPrefix(c.DatabaseURL, "sqlite:"); ok {
		dir = filepath.Dir(path)
	}
	path := filepath.Join(dir, "secret.key")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		key := strings.TrimSpace(string(b))
		if problem := secretKeyProblem(key); problem != "" {
			return fmt.Errorf("ANSHIN_SECRET_KEY: %s %s; remove it to have a new one generated", path, problem)
		}
		c.SecretKey = []byte(key)
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("ANSHIN_SECRET_KEY: create %s: %w", dir, err)
	}
	b := make([]byte, 32)
	rand.Read(b)
	key := hex.EncodeToString(b)
	// Chmod too: WriteFile keeps the mode of an (empty) file already there.
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return fmt.Errorf("ANSHIN_SECRET_KEY: write %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("ANSHIN_SECRET_KEY: %w", err)
	}
	c.SecretKey = []byte(key)
	return nil
}

// checkDatabaseURL accepts sqlite:PATH and postgres://… (postgresql://…)
// with a host; the store reports what the server says about the rest.
func (p *parser) checkDatabaseURL(v string) {
	if path, ok := strings.CutPrefix(v, "sqlite:"); ok {
		if path == "" {
			p.fail("ANSHIN_DATABASE_URL", "sqlite: needs a file path, like sqlite:./data/anshin.db")
		}
		return
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		p.fail("ANSHIN_DATABASE_URL", "must be sqlite:PATH or postgres://user:password@host:port/database")
		return
	}
	if u.Host == "" {
		p.fail("ANSHIN_DATABASE_URL", "postgres:// needs a host, like postgres://anshin@db.example.jp:5432/anshin")
	}
}

type parser struct {
	getenv func(string) string
	errs   []error
}

func (p *parser) fail(name, msg string) {
	p.errs = append(p.errs, fmt.Errorf("%s: %s", name, msg))
}

func (p *parser) str(name string) string {
	if v := strings.TrimSpace(p.getenv(name)); v != "" {
		return v
	}
	return variable(name).Default
}

func (p *parser) boolean(name string) bool {
	v := p.getenv(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, "must be true or false")
	}
	return b
}

// onOff reads a switch written on or off.
func (p *parser) onOff(name string) bool {
	switch v := strings.ToLower(p.str(name)); v {
	case "on":
		return true
	case "off":
		return false
	}
	p.fail(name, "must be on or off")
	return false
}

func (p *parser) integer(name string) int {
	decl := variable(name)
	def, _ := strconv.Atoi(decl.Default)
	v := p.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < decl.Min || n > decl.Max {
		p.fail(name, fmt.Sprintf("must be a whole number from %d to %d", decl.Min, decl.Max))
		return def
	}
	return n
}

// prefixes reads comma-separated CIDRs, a plain address being its own
// /32 or /128.
func (p *parser) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, v := range strings.Split(p.getenv(name), ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if a, err := netip.ParseAddr(v); err == nil && a.Zone() == "" {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		pf, err := netip.ParsePrefix(v)
		if err != nil {
			p.fail(name, fmt.Sprintf("%q is not a CIDR or an IP address (like 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32)", v))
			continue
		}
		if pf.Addr().Is4In6() && pf.Bits() >= 96 {
			pf = netip.PrefixFrom(pf.Addr().Unmap(), pf.Bits()-96)
		}
		out = append(out, pf.Masked())
	}
	return out
}

func (p *parser) duration(name string) time.Duration {
	def, _ := time.ParseDuration(variable(name).Default)
	v := p.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		p.fail(name, "must be a duration like 90s, 10m or 12h")
		return def
	}
	return d
}
