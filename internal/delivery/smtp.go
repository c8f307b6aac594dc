package delivery

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/secret"
	gomail "github.com/wneessen/go-mail"
)

// SMTPConfig is ANSHIN_SMTP_URL taken apart:
//
//	smtp://[user:pass@]host[:port][?tls=required|none][&auth=plain|login][&helo=name]
//	smtps://[user:pass@]host[:port]
//
// smtp:// without credentials uses STARTTLS when the server offers it
// (tls=required refuses to go on without it; tls=none never tries);
// smtps:// is TLS from the first byte. Credentials in the URL make TLS
// required: STARTTLS must be offered and succeed, or the send fails, so
// neither the password nor the key mail crosses the network in clear;
// tls=none or tls=opportunistic with credentials is refused. The server's
// certificate is verified, except for opportunistic STARTTLS without
// credentials, where encryption is a bonus and a self-signed certificate
// must not stop the mail; a failed handshake never falls back to
// plaintext. Credentials turn AUTH on: the strongest mechanism the server
// offers over the encrypted connection (SCRAM, CRAM-MD5, PLAIN, LOGIN), or
// the one auth= names.
type SMTPConfig struct {
	Host       string
	Port       int
	Implicit   bool   // smtps://
	TLS        string // opportunistic, required, none
	Username   string
	Password   string
	Auth       string // "", plain, login
	HELO       string
	Timeout    time.Duration
	TLSConfig  *tls.Config // nil: the system roots and Host as server name
	redactedTo string
}

// String is the URL with the password hidden, for logs.
func (c *SMTPConfig) String() string { return c.redactedTo }

// ParseSMTPURL checks and parses ANSHIN_SMTP_URL. Its errors never repeat
// the URL, which may hold a password.
func ParseSMTPURL(raw string) (*SMTPConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("not a URL; use smtp://user:pass@host:port or smtps://… (percent-encode special characters in the password)")
	}
	c := &SMTPConfig{Host: u.Hostname(), TLS: "opportunistic", Timeout: 30 * time.Second, redactedTo: u.Redacted()}
	switch u.Scheme {
	case "smtp":
		c.Port = 25
	case "smtps":
		c.Port, c.Implicit, c.TLS = 465, true, "required"
	default:
		return nil, errors.New("must start with smtp:// (STARTTLS) or smtps:// (TLS from the first byte)")
	}
	if c.Host == "" {
		return nil, errors.New("has no host")
	}
	if u.Path != "" && u.Path != "/" {
		return nil, errors.New("must not have a path")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, errors.New("has a bad port")
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" {
			return nil, errors.New("has a password but no user name")
		}
	}
	q := u.Query()
	tlsGiven := false
	for k, v := range q {
		if len(v) != 1 {
			return nil, fmt.Errorf("parameter %s is given more than once", k)
		}
		switch val := strings.ToLower(v[0]); k {
		case "tls":
			if c.Implicit {
				return nil, errors.New("tls= applies to smtp:// only; smtps:// is always TLS")
			}
			if val != "required" && val != "none" && val != "opportunistic" {
				return nil, errors.New("tls= must be required, opportunistic or none")
			}
			c.TLS, tlsGiven = val, true
		case "auth":
			if val != "plain" && val != "login" {
				return nil, errors.New("auth= must be plain or login")
			}
			if c.Username == "" {
				return nil, errors.New("auth= needs a user name and password in the URL")
			}
			c.Auth = val
		case "helo":
			if val == "" || strings.ContainsAny(val, " \r\n") {
				return nil, errors.New("helo= must be a host name")
			}
			c.HELO = val
		default:
			return nil, fmt.Errorf("unknown parameter %q (known: tls, auth, helo)", k)
		}
	}
	if c.Username != "" {
		switch {
		case c.TLS == "none":
			return nil, errors.New("a password is only ever sent over TLS: drop tls=none, or the credentials")
		case tlsGiven && c.TLS == "opportunistic":
			return nil, errors.New("with credentials TLS is required: drop tls=opportunistic")
		}
		c.TLS = "required"
	}
	return c, nil
}

// SMTPSender sends e-mail through one SMTP server, with the delivery's
// VERP address as envelope sender.
type SMTPSender struct {
	cfg          *SMTPConfig
	keys         *secret.Keyring
	from         string
	bounceDomain string
	now          func() time.Time
}

var _ Sender = (*SMTPSender)(nil)

// NewSMTPSender returns a sender; from is ANSHIN_MAIL_FROM and bounceDomain
// ANSHIN_BOUNCE_DOMAIN.
func NewSMTPSender(cfg *SMTPConfig, keys *secret.Keyring, from, bounceDomain string, now func() time.Time) *SMTPSender {
	return &SMTPSender{cfg: cfg, keys: keys, from: from, bounceDomain: bounceDomain, now: now}
}

// Send delivers m in one SMTP conversation. A 5xx answer is permanent;
// everything else (connection refused, 4xx, TLS trouble) is retried.
func (s *SMTPSender) Send(ctx context.Context, m *Message) error {
	msg, err := s.Build(m)
	if err != nil {
		return Permanent(err)
	}
	client, err := gomail.NewClient(s.cfg.Host, s.options()...)
	if err != nil {
		return Permanent(fmt.Errorf("smtp client: %w", err))
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return classifySMTP(err)
	}
	return nil
}

func (s *SMTPSender) options() []gomail.Option {
	c := s.cfg
	opts := []gomail.Option{gomail.WithPort(c.Port), gomail.WithTimeout(c.Timeout)}
	switch {
	case c.TLSConfig != nil:
		opts = append(opts, gomail.WithTLSConfig(c.TLSConfig))
	case c.TLS == "opportunistic" && c.Username == "":
		// Opportunistic STARTTLS, as MTAs do it: encryption against
		// eavesdroppers without trusting the certificate, because a relay's
		// is often self-signed (Debian's Postfix: snakeoil). With a password
		// to protect (TLS is then required), or with tls=required, the
		// certificate is verified.
		opts = append(opts, gomail.WithTLSConfig(&tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: true}))
	}
	if c.HELO != "" {
		opts = append(opts, gomail.WithHELO(c.HELO))
	}
	switch {
	case c.Implicit:
		opts = append(opts, gomail.WithSSL())
	case c.TLS == "required":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case c.TLS == "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if c.Username != "" {
		// go-mail's PLAIN and LOGIN refuse a connection without TLS (but
		// for localhost), and auto-discovery offers only challenge-response
		// mechanisms there: a password does not travel in clear.
		auth := gomail.SMTPAuthAutoDiscover
		switch c.Auth {
		case "plain":
			auth = gomail.SMTPAuthPlain
		case "login":
			auth = gomail.SMTPAuthLogin
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(c.Username), gomail.WithPassword(c.Password))
	}
	return opts
}

// PostmarkMetadataKey names the delivery to Postmark, which reports its
// own message ID, not ours: sent through Postmark, an X-PM-Metadata-*
// header becomes the message's metadata (not shown to the recipient) and
// comes back in its webhooks. Its value is our Message-ID's local part.
const PostmarkMetadataKey = "anshin-delivery"

// Build makes the MIME message: UTF-8 subject (RFC 2047), a text and an
// HTML part, Date, a Message-ID naming the delivery (also as Postmark
// metadata), Auto-Submitted, and the VERP envelope sender.
func (s *SMTPSender) Build(m *Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP), gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.from); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.EnvelopeFrom(VERPAddress(s.keys, m.ID, s.bounceDomain)); err != nil {
		return nil, fmt.Errorf("envelope sender: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(s.now())
	ref := m.ID + "." + strconv.FormatInt(m.CreatedAt.Unix(), 36)
	msg.SetMessageIDWithValue(ref + "@" + domainOf(s.from))
	msg.SetGenHeader("X-PM-Metadata-"+PostmarkMetadataKey, ref)
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	if m.Lang != "" {
		msg.SetGenHeader("Content-Language", m.Lang)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// classifySMTP marks a 5xx answer permanent; the rest is worth a retry.
func classifySMTP(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
		return Permanent(err)
	}
	return err
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return "localhost"
}
