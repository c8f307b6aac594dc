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
	"github.com/anshin/anshin/internal/secret"
)

// Config is everything anshin reads from its environment.
type Config struct {
	HTTPAddr       string
	MetricsAddr    string // "": /metrics on HTTPAddr
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
	// Providers are the sending services' bounce notifications.
	Providers Providers
}

// DefaultRetention is 400 days.
const DefaultRetention = 9600 * time.Hour

// Variable documents one environment variable; Variables lists them all,
// and the README's table is written from it.
type Variable struct {
	Name, Default, Meaning string
}

// Variables is every variable anshin reads.
var Variables = []Variable{
	{"ANSHIN_HTTP_ADDR", "127.0.0.1:8080", "listen address"},
	{"ANSHIN_TRUSTED_PROXIES", "none: the socket's peer is the client", "comma-separated CIDRs or addresses of reverse proxies whose X-Forwarded-For / Forwarded (and X-Forwarded-Proto) are believed, e.g. 10.0.0.0/8,192.0.2.7; see Running behind a proxy"},
	{"ANSHIN_METRICS_ADDR", "none: /metrics on ANSHIN_HTTP_ADDR", "listen address of /metrics alone, e.g. a private 10.0.0.5:9090; then the main listener does not serve it"},
	{"ANSHIN_DATABASE_URL", "sqlite:./data/anshin.db", "sqlite:PATH, or postgres://user:password@host:port/database?sslmode=… for several instances on one PostgreSQL"},
	{"ANSHIN_SECRET_KEY", "generated into the data folder in development", "key for hashes, signatures and sealed messages: 32+ random bytes as hex (64+ characters, openssl rand -hex 32) or base64"},
	{"ANSHIN_OPERATOR_TOKEN", "none: operator API off", "bearer token of the operator API; at least 16 characters"},
	{"ANSHIN_SMTP_URL", "none: outbox", "smtp://user:pass@host:port (STARTTLS required with credentials, else when offered), smtps://… for TLS; see Delivery"},
	{"ANSHIN_MAIL_FROM", "anshin@localhost", "From address of key and notification mail"},
	{"ANSHIN_BOUNCE_DOMAIN", "bounces.localhost", "domain of the VERP return path"},
	{"ANSHIN_BOUNCE_SMTP_ADDR", "none: off", "listen address of the bounce SMTP receiver"},
	{"ANSHIN_BOUNCE_TRANSIENT_LIMIT", "3", "transient failures (each of another message) that disable an address"},
	{"ANSHIN_BOUNCE_TRANSIENT_WINDOW", "72h", "the window those transient failures are counted in"},
	{"ANSHIN_BOUNCE_WEBHOOK_TOKEN", "none: bounce webhook off", "bearer token of POST /api/v1/bounces; at least 16 characters"},
	{"ANSHIN_SES_SNS_TOPIC_ARN", "none: POST /api/v1/bounces/ses off", "ARNs of the SNS topics (comma-separated) whose Amazon SES bounce, complaint and delivery notifications are taken; see Bounces"},
	{"ANSHIN_SES_SNS_CERT_HOST", "sns.*.amazonaws.com", "hosts (comma-separated; * is one label) that SNS signing certificates and subscription confirmations may come from, over https; add sns.*.amazonaws.com.cn for the China regions"},
	{"ANSHIN_SENDGRID_WEBHOOK_PUBLIC_KEY", "none: POST /api/v1/bounces/sendgrid off", "the verification key of SendGrid's signed Event Webhook (base64, as SendGrid shows it, or PEM); see Bounces"},
	{"ANSHIN_SENDGRID_WEBHOOK_MAX_AGE", "10m", "how far a SendGrid post's signed timestamp may be from now before it is refused as a replay (1m to 72h)"},
	{"ANSHIN_BOUNCE_MAX_BYTES", "1048576", "largest bounce message the SMTP receiver accepts"},
	{"ANSHIN_BOUNCE_MAX_CONNECTIONS", "32", "SMTP connections the bounce receiver serves at once"},
	{"ANSHIN_BOUNCE_MAX_CONNECTIONS_PER_CLIENT", "8", "SMTP connections one client address (IPv6: one /64) may hold at once; more are answered 421"},
	{"ANSHIN_BOUNCE_SESSION_TIMEOUT", "5m", "longest SMTP session of the bounce receiver; the connection is closed then"},
	{"ANSHIN_SMS_DRIVER", "outbox", "twilio, webhook, outbox"},
	{"ANSHIN_TWILIO_ACCOUNT_SID", "", "twilio driver: account SID (required)"},
	{"ANSHIN_TWILIO_AUTH_TOKEN", "", "twilio driver: auth token (required; also checks status callbacks)"},
	{"ANSHIN_TWILIO_FROM", "", "twilio driver: sender number in E.164 or sender ID (required)"},
	{"ANSHIN_TWILIO_BASE_URL", "https://api.twilio.com", "twilio driver: API base URL of Twilio or a compatible provider"},
	{"ANSHIN_SMS_WEBHOOK_URL", "", "webhook driver: https:// URL the JSON is posted to (required)"},
	{"ANSHIN_SMS_WEBHOOK_SECRET", "", "webhook driver: key of the X-Anshin-Signature HMAC, at least 16 characters (required)"},
	{"ANSHIN_PUBLIC_URL", "none: no SMS receipts", "public base URL of this server, for the Twilio status callback; with https:// cookies are Secure with the __Host- prefix and HSTS is sent"},
	{"ANSHIN_SMS_PER_ACCOUNT_HOUR", "10", "SMS keys one account may be sent per hour"},
	{"ANSHIN_SMS_PER_NUMBER_HOUR", "10", "SMS keys one number may be sent per hour"},
	{"ANSHIN_SMS_GLOBAL_HOUR", "1000", "SMS keys this service may send per hour in total"},
	{"ANSHIN_OUTBOX_LEASE", "60s", "how long a worker holds a claimed message before another may retry it"},
	{"ANSHIN_DEV", "off (on with --demo)", "development mode: /dev/outbox, generated secret key"},
	{"ANSHIN_DEV_SEND_DELAY", "0s", "development mode only: each send waits this long first (to test a crash while messages are claimed)"},
	{"ANSHIN_KEY_TTL", "10m", "validity of a one-time key"},
	{"ANSHIN_KEY_DIGITS", "8", "digits of a one-time key (6 to 12)"},
	{"ANSHIN_KEYS_PER_FLOW", "5", "keys one login may issue"},
	{"ANSHIN_KEYS_PER_ACCOUNT_HOUR", "10", "keys one account may be issued per hour"},
	{"ANSHIN_KEY_COOLDOWN", "60s", "wait between two keys of one account"},
	{"ANSHIN_KEY_FAILURE_LIMIT", "100", "consecutive wrong keys before key entry waits (at most 100)"},
	{"ANSHIN_FLOW_TTL", "30m", "lifetime of a login flow"},
	{"ANSHIN_FLOWS_PER_CLIENT", "30", "login flows one client (an IPv4 address, an IPv6 /64) may start per 10 minutes; 0 is no limit"},
	{"ANSHIN_SESSION_IDLE", "30m", "session idle timeout"},
	{"ANSHIN_SESSION_MAX", "12h", "session absolute timeout"},
	{"ANSHIN_ARGON2_MEMORY_KIB", "19456", "argon2id memory in KiB"},
	{"ANSHIN_ARGON2_TIME", "2", "argon2id passes"},
	{"ANSHIN_ARGON2_THREADS", "1", "argon2id lanes"},
	{"ANSHIN_MEMORY_LIMIT", "24MiB + one argon2id memory per core (62MiB on 2 cores)", "soft limit of the Go runtime's memory (runtime/debug.SetMemoryLimit), like 256MiB, or off; GOMEMLIMIT, when set, is left to Go instead"},
	{"ANSHIN_OUTBOX_WORKERS", "2", "outbox workers of this instance"},
	{"ANSHIN_LOG_LEVEL", "info", "debug, info, warn, error"},
	{"ANSHIN_LOG_FORMAT", "json (text in development mode)", "json or text: the format of the log on standard error"},
	{"ANSHIN_SHUTDOWN_TIMEOUT", "20s", "how long SIGTERM waits for requests and sends in flight before giving up on them"},
	{"ANSHIN_RETENTION", "9600h (400 days)", "how long finished deliveries, bounces and audit events are kept before the purge deletes them; at least 24h and ANSHIN_BOUNCE_TRANSIENT_WINDOW"},
}

// Load reads the configuration through getenv. dev forces development
// mode (serve --demo). Every bad value is reported, each with its variable.
func Load(getenv func(string) string, dev bool) (*Config, error) {
	p := parser{getenv: getenv}
	c := &Config{
		HTTPAddr:       p.str("ANSHIN_HTTP_ADDR", "127.0.0.1:8080"),
		MetricsAddr:    p.str("ANSHIN_METRICS_ADDR", ""),
		DatabaseURL:    p.str("ANSHIN_DATABASE_URL", "sqlite:./data/anshin.db"),
		OperatorToken:  p.str("ANSHIN_OPERATOR_TOKEN", ""),
		SMTPURL:        p.str("ANSHIN_SMTP_URL", ""),
		MailFrom:       p.str("ANSHIN_MAIL_FROM", "anshin@localhost"),
		BounceDomain:   p.str("ANSHIN_BOUNCE_DOMAIN", "bounces.localhost"),
		BounceSMTPAddr: p.str("ANSHIN_BOUNCE_SMTP_ADDR", ""),
		SMSDriver:      p.str("ANSHIN_SMS_DRIVER", "outbox"),
		Dev:            dev || p.boolean("ANSHIN_DEV"),
		Workers:        p.integer("ANSHIN_OUTBOX_WORKERS", 2, 1, 64),
		LogLevel:       p.str("ANSHIN_LOG_LEVEL", "info"),
		Twilio: delivery.TwilioConfig{
			AccountSID: p.str("ANSHIN_TWILIO_ACCOUNT_SID", ""),
			AuthToken:  p.str("ANSHIN_TWILIO_AUTH_TOKEN", ""),
			From:       p.str("ANSHIN_TWILIO_FROM", ""),
			BaseURL:    p.str("ANSHIN_TWILIO_BASE_URL", delivery.TwilioDefaultBaseURL),
		},
		SMSWebhookURL:    p.str("ANSHIN_SMS_WEBHOOK_URL", ""),
		SMSWebhookSecret: p.str("ANSHIN_SMS_WEBHOOK_SECRET", ""),
		PublicURL:        strings.TrimRight(p.str("ANSHIN_PUBLIC_URL", ""), "/"),
		OutboxLease:      p.duration("ANSHIN_OUTBOX_LEASE", 60*time.Second),
		DevSendDelay:     p.duration("ANSHIN_DEV_SEND_DELAY", 0),

		BounceTransientLimit:  p.integer("ANSHIN_BOUNCE_TRANSIENT_LIMIT", 3, 1, 100),
		BounceTransientWindow: p.duration("ANSHIN_BOUNCE_TRANSIENT_WINDOW", 72*time.Hour),
		BounceWebhookToken:    p.str("ANSHIN_BOUNCE_WEBHOOK_TOKEN", ""),
		BounceMaxBytes:        p.integer("ANSHIN_BOUNCE_MAX_BYTES", 1<<20, 4096, 10<<20),
		BounceMaxConns:        p.integer("ANSHIN_BOUNCE_MAX_CONNECTIONS", 32, 1, 1024),
		BounceMaxConnsClient:  p.integer("ANSHIN_BOUNCE_MAX_CONNECTIONS_PER_CLIENT", 8, 1, 1024),
		BounceSessionTimeout:  p.duration("ANSHIN_BOUNCE_SESSION_TIMEOUT", 5*time.Minute),
	}
	c.TrustedProxies = p.prefixes("ANSHIN_TRUSTED_PROXIES")
	c.Providers = p.providers()
	c.ShutdownTimeout = p.duration("ANSHIN_SHUTDOWN_TIMEOUT", 20*time.Second)
	c.Retention = p.duration("ANSHIN_RETENTION", DefaultRetention)
	logFormat := "json" // for a log collector; text is for a person at a terminal
	if c.Dev {
		logFormat = "text"
	}
	c.LogFormat = p.str("ANSHIN_LOG_FORMAT", logFormat)
	d := login.Defaults()
	c.Login = login.Config{
		KeyDigits:                  p.integer("ANSHIN_KEY_DIGITS", d.KeyDigits, 6, 12),
		KeyTTL:                     p.duration("ANSHIN_KEY_TTL", d.KeyTTL),
		KeysPerFlow:                p.integer("ANSHIN_KEYS_PER_FLOW", d.KeysPerFlow, 1, 100),
		KeysPerAccountHour:         p.integer("ANSHIN_KEYS_PER_ACCOUNT_HOUR", d.KeysPerAccountHour, 1, 1000),
		KeyCooldown:                p.duration("ANSHIN_KEY_COOLDOWN", d.KeyCooldown),
		KeyFailureLimit:            p.integer("ANSHIN_KEY_FAILURE_LIMIT", d.KeyFailureLimit, 1, 100),
		FlowTTL:                    p.duration("ANSHIN_FLOW_TTL", d.FlowTTL),
		FlowsPerClient:             p.integer("ANSHIN_FLOWS_PER_CLIENT", d.FlowsPerClient, 0, 1000000),
		FlowsPerClientWindow:       d.FlowsPerClientWindow,
		SessionIdle:                p.duration("ANSHIN_SESSION_IDLE", d.SessionIdle),
		SessionMax:                 p.duration("ANSHIN_SESSION_MAX", d.SessionMax),
		PasswordFailuresPerAccount: d.PasswordFailuresPerAccount,
		PasswordFailuresPerClient:  d.PasswordFailuresPerClient,
		InitialPasswordThrottle:    d.InitialPasswordThrottle,
		InitialPasswordLock:        d.InitialPasswordLock,
		SMSPerAccountHour:          p.integer("ANSHIN_SMS_PER_ACCOUNT_HOUR", 10, 1, 1000),
		SMSPerNumberHour:           p.integer("ANSHIN_SMS_PER_NUMBER_HOUR", 10, 1, 1000),
		SMSGlobalHour:              p.integer("ANSHIN_SMS_GLOBAL_HOUR", 1000, 1, 1000000),
	}
	c.Argon2 = secret.Argon2Params{
		MemoryKiB: uint32(p.integer("ANSHIN_ARGON2_MEMORY_KIB", int(secret.DefaultArgon2.MemoryKiB), 1024, 1<<21)),
		Time:      uint32(p.integer("ANSHIN_ARGON2_TIME", int(secret.DefaultArgon2.Time), 1, 64)),
		Threads:   uint8(p.integer("ANSHIN_ARGON2_THREADS", int(secret.DefaultArgon2.Threads), 1, 64)),
	}
	c.MemoryLimit = p.memoryLimit(c.Argon2)
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

func (p *parser) str(name, def string) string {
	if v := strings.TrimSpace(p.getenv(name)); v != "" {
		return v
	}
	return def
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

func (p *parser) integer(name string, def, lo, hi int) int {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		p.fail(name, fmt.Sprintf("must be a whole number from %d to %d", lo, hi))
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

func (p *parser) duration(name string, def time.Duration) time.Duration {
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
