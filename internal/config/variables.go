package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/bounce"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/secret"
)

// Variable declares one environment variable, once: Load reads it with
// this default and range, `anshin config check` lists it, and a test holds
// the README's table to the list.
type Variable struct {
	Name string
	// Default is the value as it would be written in the environment;
	// "" when leaving the variable unset means Unset instead.
	Default string
	Unset   string
	// Min and Max bound a whole number (when Max > 0).
	Min, Max int
	Help     string
}

// Shown is how `config check` names the variable's default.
func (v Variable) Shown() string {
	if v.Default != "" {
		return v.Default
	}
	return v.Unset
}

// Variables is every variable anshin reads.
var Variables = variables()

// DefaultRetention is 400 days.
const DefaultRetention = 9600 * time.Hour

func variables() []Variable {
	d := login.Defaults()
	n := strconv.Itoa
	return []Variable{
		{Name: "ANSHIN_HTTP_ADDR", Default: "127.0.0.1:8080", Help: "listen address"},
		{Name: "ANSHIN_TRUSTED_PROXIES", Unset: "none: the socket's peer is the client", Help: "comma-separated CIDRs or addresses of reverse proxies whose X-Forwarded-For / Forwarded (and X-Forwarded-Proto) are believed, e.g. 10.0.0.0/8,192.0.2.7; see Running behind a proxy"},
		{Name: "ANSHIN_METRICS_ADDR", Unset: "none: /metrics on ANSHIN_HTTP_ADDR", Help: "listen address of /metrics alone, e.g. a private 10.0.0.5:9090; then the main listener does not serve it"},
		{Name: "ANSHIN_PPROF", Default: "off", Help: "on: Go's net/http/pprof profiles under /debug/pprof/ on ANSHIN_METRICS_ADDR, which it requires; never on the main listener"},
		{Name: "ANSHIN_DATABASE_URL", Default: "sqlite:./data/anshin.db", Help: "sqlite:PATH, or postgres://user:password@host:port/database?sslmode=… for several instances on one PostgreSQL"},
		{Name: "ANSHIN_SECRET_KEY", Unset: "generated into the data folder in development", Help: "key for hashes, signatures and sealed messages: 32+ random bytes as hex (64+ characters, openssl rand -hex 32) or base64"},
		{Name: "ANSHIN_OPERATOR_TOKEN", Unset: "none: operator API off", Help: "bearer token of the operator API; at least 16 characters"},
		{Name: "ANSHIN_SMTP_URL", Unset: "none: outbox", Help: "smtp://user:pass@host:port (STARTTLS required with credentials, else when offered), smtps://… for TLS; see Delivery"},
		{Name: "ANSHIN_MAIL_FROM", Default: "anshin@localhost", Help: "From address of key and notification mail"},
		{Name: "ANSHIN_BOUNCE_DOMAIN", Default: "bounces.localhost", Help: "domain of the VERP return path"},
		{Name: "ANSHIN_BOUNCE_SMTP_ADDR", Unset: "none: off", Help: "listen address of the bounce SMTP receiver"},
		{Name: "ANSHIN_BOUNCE_TRANSIENT_LIMIT", Default: "3", Min: 1, Max: 100, Help: "transient failures (each of another message) that disable an address"},
		{Name: "ANSHIN_BOUNCE_TRANSIENT_WINDOW", Default: "72h", Help: "the window those transient failures are counted in"},
		{Name: "ANSHIN_BOUNCE_WEBHOOK_TOKEN", Unset: "none: bounce webhook off", Help: "bearer token of POST /api/v1/bounces; at least 16 characters"},
		{Name: "ANSHIN_SES_SNS_TOPIC_ARN", Unset: "none: POST /api/v1/bounces/ses off", Help: "ARNs of the SNS topics (comma-separated) whose Amazon SES bounce, complaint and delivery notifications are taken; see Bounces"},
		{Name: "ANSHIN_SES_SNS_CERT_HOST", Default: bounce.DefaultSNSCertHost, Help: "hosts (comma-separated; * is one label) that SNS signing certificates and subscription confirmations may come from, over https; add sns.*.amazonaws.com.cn for the China regions"},
		{Name: "ANSHIN_SENDGRID_WEBHOOK_PUBLIC_KEY", Unset: "none: POST /api/v1/bounces/sendgrid off", Help: "the verification key of SendGrid's signed Event Webhook (base64, as SendGrid shows it, or PEM); see Bounces"},
		{Name: "ANSHIN_SENDGRID_WEBHOOK_MAX_AGE", Default: "10m", Help: "how far a SendGrid post's signed timestamp may be from now before it is refused as a replay (1m to 72h)"},
		{Name: "ANSHIN_MAILGUN_WEBHOOK_SIGNING_KEY", Unset: "none: POST /api/v1/bounces/mailgun off", Help: "Mailgun's HTTP webhook signing key (16+ characters), which checks its webhooks' signatures; see Bounces"},
		{Name: "ANSHIN_MAILGUN_WEBHOOK_MAX_AGE", Default: "10m", Help: "how far a Mailgun post's signed timestamp may be from now before it is refused as a replay (1m to 72h, at most half of ANSHIN_RETENTION)"},
		{Name: "ANSHIN_POSTMARK_WEBHOOK_USER", Unset: "none: POST /api/v1/bounces/postmark off", Help: "user name of the HTTP Basic credentials set on Postmark's webhooks (with ANSHIN_POSTMARK_WEBHOOK_PASSWORD); see Bounces"},
		{Name: "ANSHIN_POSTMARK_WEBHOOK_PASSWORD", Unset: "none: POST /api/v1/bounces/postmark off", Help: "password of those credentials, 16 to 64 characters"},
		{Name: "ANSHIN_BOUNCE_MAX_BYTES", Default: n(1 << 20), Min: 4096, Max: 10 << 20, Help: "largest bounce message the SMTP receiver accepts"},
		{Name: "ANSHIN_BOUNCE_MAX_CONNECTIONS", Default: "32", Min: 1, Max: 1024, Help: "SMTP connections the bounce receiver serves at once"},
		{Name: "ANSHIN_BOUNCE_MAX_CONNECTIONS_PER_CLIENT", Default: "8", Min: 1, Max: 1024, Help: "SMTP connections one client address (IPv6: one /64) may hold at once; more are answered 421"},
		{Name: "ANSHIN_BOUNCE_SESSION_TIMEOUT", Default: "5m", Help: "longest SMTP session of the bounce receiver; the connection is closed then"},
		{Name: "ANSHIN_SMS_DRIVER", Default: "outbox", Help: "twilio, webhook, outbox"},
		{Name: "ANSHIN_TWILIO_ACCOUNT_SID", Help: "twilio driver: account SID (required)"},
		{Name: "ANSHIN_TWILIO_AUTH_TOKEN", Help: "twilio driver: auth token (required; also checks status callbacks)"},
		{Name: "ANSHIN_TWILIO_FROM", Help: "twilio driver: sender number in E.164 or sender ID (required)"},
		{Name: "ANSHIN_TWILIO_BASE_URL", Default: delivery.TwilioDefaultBaseURL, Help: "twilio driver: API base URL of Twilio or a compatible provider"},
		{Name: "ANSHIN_SMS_WEBHOOK_URL", Help: "webhook driver: https:// URL the JSON is posted to (required)"},
		{Name: "ANSHIN_SMS_WEBHOOK_SECRET", Help: "webhook driver: key of the X-Anshin-Signature HMAC, at least 16 characters (required)"},
		{Name: "ANSHIN_PUBLIC_URL", Unset: "none: no SMS receipts", Help: "public base URL of this server, for the Twilio status callback and the relying party of passkeys; with https:// cookies are Secure with the __Host- prefix and HSTS is sent"},
		{Name: "ANSHIN_SMS_PER_ACCOUNT_HOUR", Default: "10", Min: 1, Max: 1000, Help: "SMS keys one account may be sent per hour"},
		{Name: "ANSHIN_SMS_PER_NUMBER_HOUR", Default: "10", Min: 1, Max: 1000, Help: "SMS keys one number may be sent per hour"},
		{Name: "ANSHIN_SMS_GLOBAL_HOUR", Default: "1000", Min: 1, Max: 1000000, Help: "SMS keys this service may send per hour in total"},
		{Name: "ANSHIN_OIDC_ISSUER", Unset: "none: no federation", Help: "issuer URL of the upstream OpenID Provider (d アカウント); with it the entry and login pages offer d アカウントでログイン; needs ANSHIN_PUBLIC_URL (redirect URI {ANSHIN_PUBLIC_URL}/login/oidc/callback)"},
		{Name: "ANSHIN_OIDC_CLIENT_ID", Help: "client ID anshin is registered under at the provider (required with ANSHIN_OIDC_ISSUER)"},
		{Name: "ANSHIN_OIDC_CLIENT_SECRET", Help: "client secret of that registration (required with ANSHIN_OIDC_ISSUER)"},
		{Name: "ANSHIN_OIDC_LOGIN_CLAIM", Default: "sub", Help: "the ID token claim whose value is the login ID of the account (provisioned by the operator)"},
		{Name: "ANSHIN_PASSWORD_LOGIN", Default: "on", Help: "on or off: off removes the built-in password step (pages and API) when federation is the only way in; needs ANSHIN_OIDC_ISSUER"},
		{Name: "ANSHIN_OUTBOX_LEASE", Default: "60s", Help: "how long a worker holds a claimed message before another may retry it"},
		{Name: "ANSHIN_PASSKEYS", Unset: "off", Help: "true: passkeys (WebAuthn); the relying party ID and origin come from ANSHIN_PUBLIC_URL, in development from ANSHIN_HTTP_ADDR; the host must be a domain name (localhost in development), never an IP address"},
		{Name: "ANSHIN_DEV", Unset: "off (on with --demo)", Help: "development mode: /dev/outbox, generated secret key"},
		{Name: "ANSHIN_DEV_SEND_DELAY", Default: "0s", Help: "development mode only: each send waits this long first (to test a crash while messages are claimed)"},
		{Name: "ANSHIN_KEY_TTL", Default: short(d.KeyTTL), Help: "validity of a one-time key"},
		{Name: "ANSHIN_KEY_DIGITS", Default: n(d.KeyDigits), Min: 6, Max: 12, Help: "digits of a one-time key (6 to 12)"},
		{Name: "ANSHIN_KEYS_PER_FLOW", Default: n(d.KeysPerFlow), Min: 1, Max: 100, Help: "keys one login may issue"},
		{Name: "ANSHIN_KEYS_PER_ACCOUNT_HOUR", Default: n(d.KeysPerAccountHour), Min: 1, Max: 1000, Help: "keys one account may be issued per hour"},
		{Name: "ANSHIN_KEY_COOLDOWN", Default: short(d.KeyCooldown), Help: "wait between two keys of one account"},
		{Name: "ANSHIN_KEY_FAILURE_LIMIT", Default: n(d.KeyFailureLimit), Min: 1, Max: 100, Help: "consecutive wrong keys before key entry waits (at most 100)"},
		{Name: "ANSHIN_FLOW_TTL", Default: short(d.FlowTTL), Help: "lifetime of a login flow"},
		{Name: "ANSHIN_FLOWS_PER_CLIENT", Default: n(d.FlowsPerClient), Min: 0, Max: 1000000, Help: "login flows one client (an IPv4 address, an IPv6 /64) may start per 10 minutes; 0 is no limit"},
		{Name: "ANSHIN_SESSION_IDLE", Default: short(d.SessionIdle), Help: "session idle timeout"},
		{Name: "ANSHIN_SESSION_MAX", Default: short(d.SessionMax), Help: "session absolute timeout"},
		{Name: "ANSHIN_ARGON2_MEMORY_KIB", Default: n(int(secret.DefaultArgon2.MemoryKiB)), Min: 1024, Max: 1 << 21, Help: "argon2id memory in KiB"},
		{Name: "ANSHIN_ARGON2_TIME", Default: n(int(secret.DefaultArgon2.Time)), Min: 1, Max: 64, Help: "argon2id passes"},
		{Name: "ANSHIN_ARGON2_THREADS", Default: n(int(secret.DefaultArgon2.Threads)), Min: 1, Max: 64, Help: "argon2id lanes"},
		{Name: "ANSHIN_OUTBOX_WORKERS", Default: "2", Min: 1, Max: 64, Help: "outbox workers of this instance"},
		{Name: "ANSHIN_LOG_LEVEL", Default: "info", Help: "debug, info, warn, error"},
		{Name: "ANSHIN_LOG_FORMAT", Unset: "json (text in development mode)", Help: "json or text: the format of the log on standard error"},
		{Name: "ANSHIN_MEMORY_LIMIT", Unset: "32MiB on Linux (the argon2id memory is outside the Go heap); elsewhere 32MiB + one argon2id memory per core", Help: "soft limit of the Go runtime's memory (runtime/debug.SetMemoryLimit), like 256MiB, or off; GOMEMLIMIT, when set, is left to Go instead"},
		{Name: "ANSHIN_SHUTDOWN_TIMEOUT", Default: "20s", Help: "how long SIGTERM waits for requests and sends in flight before giving up on them"},
		{Name: "ANSHIN_RETENTION", Default: short(DefaultRetention), Help: "how long finished deliveries, bounces and audit events are kept before the purge deletes them (default 400 days); at least 24h and ANSHIN_BOUNCE_TRANSIENT_WINDOW"},
	}
}

// short writes a duration as people do: 10m, 72h, not 10m0s.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// variable is the declaration of name; reading an undeclared variable is
// a bug of this package, so it panics.
func variable(name string) Variable {
	for _, v := range Variables {
		if v.Name == name {
			return v
		}
	}
	panic(fmt.Sprintf("config: %s is read but not declared in Variables", name))
}
