package bounce

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// SNS message types (Amazon SNS HTTP(S) notifications).
const (
	SNSSubscriptionConfirmation = "SubscriptionConfirmation"
	SNSNotification             = "Notification"
	SNSUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// DefaultSNSCertHost is where Amazon SNS keeps its signing certificates.
const DefaultSNSCertHost = "sns.*.amazonaws.com"

// SNSMessage is the JSON document Amazon SNS posts to an HTTP(S)
// subscriber.
type SNSMessage struct {
	Type             string `json:"Type"`
	MessageID        string `json:"MessageId"`
	Token            string `json:"Token"`
	TopicArn         string `json:"TopicArn"`
	Subject          string `json:"Subject"`
	Message          string `json:"Message"`
	Timestamp        string `json:"Timestamp"`
	SignatureVersion string `json:"SignatureVersion"`
	Signature        string `json:"Signature"`
	SigningCertURL   string `json:"SigningCertURL"`
	SubscribeURL     string `json:"SubscribeURL"`
	// hasSubject tells an absent Subject from an empty one: only a present
	// one is signed.
	hasSubject bool
}

// ParseSNSMessage reads the body SNS posted.
func ParseSNSMessage(body []byte) (*SNSMessage, error) {
	var m SNSMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("not an SNS message: %w", err)
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) == nil {
		// A null Subject counts as none, as in AWS's own validators.
		raw, ok := fields["Subject"]
		m.hasSubject = ok && string(raw) != "null"
	}
	switch m.Type {
	case SNSSubscriptionConfirmation, SNSNotification, SNSUnsubscribeConfirmation:
	default:
		return nil, fmt.Errorf("SNS message type %q is none of %s, %s, %s", m.Type, SNSSubscriptionConfirmation, SNSNotification, SNSUnsubscribeConfirmation)
	}
	// Signature and SigningCertURL are Verify's: a message without is
	// unsigned, not malformed.
	if m.MessageID == "" || len(m.MessageID) > 100 || m.TopicArn == "" {
		return nil, errors.New("an SNS message needs MessageId (at most 100 characters) and TopicArn")
	}
	return &m, nil
}

// stringToSign is the canonical form SNS signs: the documented fields of
// the message type, in their documented order, each name and value on a
// line of its own.
func (m *SNSMessage) stringToSign() string {
	var b strings.Builder
	add := func(name, value string) { b.WriteString(name + "\n" + value + "\n") }
	add("Message", m.Message)
	add("MessageId", m.MessageID)
	if m.Type == SNSNotification {
		if m.hasSubject {
			add("Subject", m.Subject)
		}
	} else {
		add("SubscribeURL", m.SubscribeURL)
	}
	add("Timestamp", m.Timestamp)
	if m.Type != SNSNotification {
		add("Token", m.Token)
	}
	add("TopicArn", m.TopicArn)
	add("Type", m.Type)
	return b.String()
}

// ErrSNSSignature is returned for a message whose signature does not hold,
// or whose certificate is not from an allowed host over https.
var ErrSNSSignature = errors.New("sns: not signed by Amazon SNS")

// ErrSNSTopic is returned for a message of a topic not configured.
var ErrSNSTopic = errors.New("sns: topic not allowed")

// SNS checks Amazon SNS messages: the topic, and the signature with the
// certificate fetched from the allowed hosts, which it keeps.
type SNS struct {
	Client *http.Client
	// CertHosts are patterns of hosts that may serve signing certificates
	// and confirmation URLs; a * stands for one DNS label.
	CertHosts []string
	// TopicARNs are the topics accepted.
	TopicARNs []string

	mu    sync.Mutex
	certs map[string]*rsa.PublicKey
}

// maxCerts bounds the cache: SNS signs with a handful of certificates per
// region at a time.
const maxCerts = 32

// Verify checks m's topic and signature.
func (s *SNS) Verify(ctx context.Context, m *SNSMessage) error {
	if !slices.Contains(s.TopicARNs, m.TopicArn) {
		return ErrSNSTopic
	}
	var h crypto.Hash
	switch m.SignatureVersion {
	case "1":
		h = crypto.SHA1
	case "2":
		h = crypto.SHA256
	default:
		return fmt.Errorf("%w: SignatureVersion %q", ErrSNSSignature, m.SignatureVersion)
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil || len(sig) == 0 {
		return fmt.Errorf("%w: Signature is not base64", ErrSNSSignature)
	}
	key, err := s.cert(ctx, m.SigningCertURL)
	if err != nil {
		return err
	}
	var digest []byte
	if h == crypto.SHA1 {
		d := sha1.Sum([]byte(m.stringToSign()))
		digest = d[:]
	} else {
		d := sha256.Sum256([]byte(m.stringToSign()))
		digest = d[:]
	}
	if rsa.VerifyPKCS1v15(key, h, digest, sig) != nil {
		return fmt.Errorf("%w: signature does not match", ErrSNSSignature)
	}
	return nil
}

// Confirm fetches the SubscribeURL of a verified SubscriptionConfirmation,
// which SNS allows only from an allowed host.
func (s *SNS) Confirm(ctx context.Context, m *SNSMessage) error {
	u, err := s.allowedURL(m.SubscribeURL)
	if err != nil {
		return err
	}
	if _, err := s.get(ctx, u); err != nil {
		return fmt.Errorf("sns: confirming the subscription: %w", err)
	}
	return nil
}

// allowedURL accepts an https URL of an allowed host, with no user
// information.
func (s *SNS) allowedURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || !HostAllowed(s.CertHosts, u.Hostname()) {
		return "", fmt.Errorf("%w: %q is not an https URL of an allowed host", ErrSNSSignature, raw)
	}
	return u.String(), nil
}

func (s *SNS) cert(ctx context.Context, raw string) (*rsa.PublicKey, error) {
	u, err := s.allowedURL(raw)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	key := s.certs[u]
	s.mu.Unlock()
	if key != nil {
		return key, nil
	}
	body, err := s.get(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("sns: fetching the signing certificate: %w", err)
	}
	block, _ := pem.Decode(body)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%w: the signing certificate is not PEM", ErrSNSSignature)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: the signing certificate does not parse", ErrSNSSignature)
	}
	key, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: the signing certificate holds no RSA key", ErrSNSSignature)
	}
	s.mu.Lock()
	if s.certs == nil || len(s.certs) >= maxCerts {
		s.certs = map[string]*rsa.PublicKey{}
	}
	s.certs[u] = key
	s.mu.Unlock()
	return key, nil
}

// ErrSNSUnreachable is returned when a certificate or confirmation URL
// could not be fetched: SNS should try again later.
var ErrSNSUnreachable = errors.New("sns: unreachable")

func (s *SNS) get(ctx context.Context, u string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	// No redirects: the allowed host must answer itself.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSNSUnreachable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSNSUnreachable, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s answered %s", ErrSNSUnreachable, u, resp.Status)
	}
	return body, nil
}

// HostAllowed reports whether host matches one of the patterns, label by
// label, a * standing for exactly one label.
func HostAllowed(patterns []string, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" {
		return false
	}
	hl := strings.Split(host, ".")
	for _, p := range patterns {
		pl := strings.Split(strings.ToLower(p), ".")
		if len(pl) != len(hl) {
			continue
		}
		match := true
		for i := range pl {
			if hl[i] == "" || pl[i] != "*" && pl[i] != hl[i] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
