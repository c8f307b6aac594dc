package config

import (
	"crypto/ecdsa"
	"regexp"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/bounce"
)

// Providers is how the sending services' bounce notifications reach
// anshin (README: Bounces). Each endpoint is off until its own variable
// is set.
type Providers struct {
	// SESTopicARNs are the SNS topics whose SES notifications are taken;
	// none: POST /api/v1/bounces/ses is off.
	SESTopicARNs []string
	// SESCertHosts are the host patterns SNS signing certificates and
	// subscription URLs may come from.
	SESCertHosts []string
	// SendGridKey verifies the signed Event Webhook; nil: POST
	// /api/v1/bounces/sendgrid is off.
	SendGridKey    *ecdsa.PublicKey
	SendGridMaxAge time.Duration
	// MailgunKey is the HTTP webhook signing key; nil: POST
	// /api/v1/bounces/mailgun is off.
	MailgunKey    []byte
	MailgunMaxAge time.Duration
	// PostmarkUser and PostmarkPassword are the HTTP Basic credentials of
	// Postmark's webhooks; empty: POST /api/v1/bounces/postmark is off.
	PostmarkUser, PostmarkPassword string
}

var (
	topicARN = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
	// basicCredential is what a webhook URL's user or password may be.
	basicCredential = regexp.MustCompile(`^[!-~]{1,64}$`)
	hostPattern     = regexp.MustCompile(`^(\*|[a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.(\*|[a-z0-9]([a-z0-9-]*[a-z0-9])?))*$`)
)

func (p *parser) providers() Providers {
	var v Providers
	for _, arn := range p.list("ANSHIN_SES_SNS_TOPIC_ARN") {
		if !topicARN.MatchString(arn) {
			p.fail("ANSHIN_SES_SNS_TOPIC_ARN", "must be SNS topic ARNs, comma-separated, like arn:aws:sns:ap-northeast-1:123456789012:anshin-ses")
			break
		}
		v.SESTopicARNs = append(v.SESTopicARNs, arn)
	}
	v.SESCertHosts = p.list("ANSHIN_SES_SNS_CERT_HOST")
	if len(v.SESCertHosts) == 0 {
		v.SESCertHosts = strings.Split(variable("ANSHIN_SES_SNS_CERT_HOST").Default, ",")
	}
	for _, h := range v.SESCertHosts {
		// The last two labels are literal: a * there would take any domain.
		labels := strings.Split(h, ".")
		if !hostPattern.MatchString(h) || len(labels) < 2 || strings.Contains(labels[len(labels)-2]+labels[len(labels)-1], "*") {
			p.fail("ANSHIN_SES_SNS_CERT_HOST", "must be host names, comma-separated, where * stands for one label left of the domain, like sns.*.amazonaws.com")
			break
		}
	}
	if s := strings.TrimSpace(p.getenv("ANSHIN_SENDGRID_WEBHOOK_PUBLIC_KEY")); s != "" {
		k, err := bounce.ParseSendGridKey(s)
		if err != nil {
			p.fail("ANSHIN_SENDGRID_WEBHOOK_PUBLIC_KEY", "must be the verification key SendGrid shows (base64 of an ECDSA P-256 public key), or the same as PEM: "+err.Error())
		}
		v.SendGridKey = k
	}
	v.SendGridMaxAge = p.maxAge("ANSHIN_SENDGRID_WEBHOOK_MAX_AGE")
	if s := strings.TrimSpace(p.getenv("ANSHIN_MAILGUN_WEBHOOK_SIGNING_KEY")); s != "" {
		if len(s) < 16 || strings.ContainsAny(s, " \t\r\n") {
			p.fail("ANSHIN_MAILGUN_WEBHOOK_SIGNING_KEY", "must be the HTTP webhook signing key Mailgun shows (at least 16 characters, no spaces)")
		}
		v.MailgunKey = []byte(s)
	}
	v.MailgunMaxAge = p.maxAge("ANSHIN_MAILGUN_WEBHOOK_MAX_AGE")
	v.PostmarkUser, v.PostmarkPassword = p.str("ANSHIN_POSTMARK_WEBHOOK_USER"), p.str("ANSHIN_POSTMARK_WEBHOOK_PASSWORD")
	switch {
	case v.PostmarkUser == "" && v.PostmarkPassword == "":
	case v.PostmarkUser == "" || v.PostmarkPassword == "":
		p.fail("ANSHIN_POSTMARK_WEBHOOK_USER", "and ANSHIN_POSTMARK_WEBHOOK_PASSWORD go together: set both or neither")
	case !basicCredential.MatchString(v.PostmarkUser) || strings.Contains(v.PostmarkUser, ":"):
		p.fail("ANSHIN_POSTMARK_WEBHOOK_USER", "must be 1 to 64 printable ASCII characters, without spaces or a colon")
	case !basicCredential.MatchString(v.PostmarkPassword) || len(v.PostmarkPassword) < 16:
		p.fail("ANSHIN_POSTMARK_WEBHOOK_PASSWORD", "must be 16 to 64 printable ASCII characters, without spaces")
	}
	return v
}

// maxAge reads how far a provider's signed timestamp may be from now.
func (p *parser) maxAge(name string) time.Duration {
	d := p.duration(name)
	if d < time.Minute || d > 72*time.Hour {
		p.fail(name, "must be a duration from 1m to 72h")
	}
	return d
}

// list reads comma-separated values, lower-cased where they are names.
func (p *parser) list(name string) []string {
	var out []string
	for _, v := range strings.Split(p.getenv(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			if name == "ANSHIN_SES_SNS_CERT_HOST" {
				v = strings.ToLower(v)
			}
			out = append(out, v)
		}
	}
	return out
}
