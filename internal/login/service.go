// Package login holds the rules of the administrator login (SPEC §2): the
// flow's steps, the one-time key's issuance limits and recipients, key
// entry, the initial authentication password, and sessions.
package login

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/secret"
	"golang.org/x/text/width"
)

// Config holds the limits of SPEC §2; Defaults gives the SPEC's values.
type Config struct {
	KeyDigits          int
	KeyTTL             time.Duration
	KeysPerFlow        int
	KeysPerAccountHour int
	KeyCooldown        time.Duration
	FlowTTL            time.Duration
	SessionIdle        time.Duration
	SessionMax         time.Duration
	// KeyFailureLimit consecutive wrong keys lock key entry for the account
	// for a growing wait; a new key does not reset the count.
	KeyFailureLimit int
	// PasswordFailures before a growing wait, per account and per client.
	PasswordFailuresPerAccount int
	PasswordFailuresPerClient  int
	// Initial authentication password: a wait after Throttle failures,
	// locked for good (until reset) after Lock failures.
	InitialPasswordThrottle int
	InitialPasswordLock     int
	// Limits against SMS pumping: SMS keys per account, per destination
	// number and in total, each per hour; 0 is no limit. The SPEC gives no
	// values, so Defaults leaves them off and config sets its own.
	SMSPerAccountHour int
	SMSPerNumberHour  int
	SMSGlobalHour     int
	// FlowsPerClient login flows one client (an IPv6 /64) may start per
	// FlowsPerClientWindow; 0 is no limit.
	FlowsPerClient       int
	FlowsPerClientWindow time.Duration
}

// Defaults returns the SPEC's defaults.
func Defaults() Config {
	return Config{
		KeyDigits:                  8,
		KeyTTL:                     10 * time.Minute,
		KeysPerFlow:                5,
		KeysPerAccountHour:         10,
		KeyCooldown:                60 * time.Second,
		FlowTTL:                    30 * time.Minute,
		SessionIdle:                30 * time.Minute,
		SessionMax:                 12 * time.Hour,
		KeyFailureLimit:            100,
		PasswordFailuresPerAccount: 5,
		PasswordFailuresPerClient:  30,
		InitialPasswordThrottle:    3,
		InitialPasswordLock:        10,
		FlowsPerClient:             30,
		FlowsPerClientWindow:       10 * time.Minute,
	}
}

// Service runs login flows against a store.
type Service struct {
	store  anshin.Store
	hasher *secret.Hasher
	keys   *secret.Keyring
	now    anshin.Clock
	cfg    Config
	// Notify wakes the outbox workers after a commit that queued messages.
	notify  func()
	outbox  Outbox // this process's outbox worker, if key messages go to it (HandTo)
	digits  func(n int) string
	observe func(Event)
}

// Outbox is this process's outbox worker (delivery.Worker), to which
// key messages go straight from the login that queued them.
type Outbox interface {
	Claim(d *anshin.Delivery, now time.Time) // in the transaction that queues d
	Hand(ds []*anshin.Delivery)              // once it committed
}

// HandTo sends the key messages a login queues to o, claimed for it as
// they are queued, instead of waking the outbox workers to claim them.
func (s *Service) HandTo(o Outbox) { s.outbox = o }

// New returns a login service. notify may be nil.
func New(store anshin.Store, hasher *secret.Hasher, keys *secret.Keyring, now anshin.Clock, cfg Config, notify func()) *Service {
	if notify == nil {
		notify = func() {}
	}
	return &Service{store: store, hasher: hasher, keys: keys, now: now, cfg: cfg, notify: notify, digits: secret.NewDigits}
}

// SetKeyGenerator replaces the CSPRNG digits, for tests that must know the key.
func (s *Service) SetKeyGenerator(f func(n int) string) { s.digits = f }

// Config returns the service's limits.
func (s *Service) Config() Config { return s.cfg }

// NormalizeLoginID trims the ID and folds full-width characters, so that an
// ID typed with a Japanese input method still matches.
func NormalizeLoginID(id string) string {
	return strings.TrimSpace(width.Fold.String(strings.TrimSpace(id)))
}

// CheckLoginID is the login ID an account is registered under: normalized
// as NormalizeLoginID does, then 1 to 128 characters without spaces or
// control characters.
func CheckLoginID(id string) (string, error) {
	id = NormalizeLoginID(id)
	switch {
	case id == "":
		return "", anshin.FieldError("login_id", "the login ID is required")
	case !utf8.ValidString(id):
		return "", anshin.FieldError("login_id", "the login ID is not valid UTF-8")
	case utf8.RuneCountInString(id) > anshin.MaxLoginID:
		return "", anshin.FieldError("login_id", "the login ID must be at most %d characters", anshin.MaxLoginID)
	case strings.IndexFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return "", anshin.FieldError("login_id", "the login ID must not contain spaces or control characters")
	}
	return id, nil
}

// NormalizeKey is the one normalization of key input (SPEC §2): surrounding
// spaces, full-width digits.
func NormalizeKey(key string) string {
	return strings.TrimSpace(width.Narrow.String(strings.TrimSpace(key)))
}

// flow loads the flow behind flowToken and checks it is alive and at step.
func (s *Service) flow(tx anshin.Tx, flowToken string, step anshin.Step) (*anshin.Flow, error) {
	if flowToken == "" || len(flowToken) > 128 {
		return nil, anshin.Errorf(anshin.ECodeFlowNotFound, "no such login flow")
	}
	f, err := tx.Flow(secret.TokenID(flowToken))
	return s.judgeFlow(f, err, step)
}

// flowAccount is flow with the flow's account, read in the same statement
// (locked as LockAccount locks it when lock is set): an error of the
// account's comes after the flow's own, as when the two were read one
// after the other. A flow without an account returns noAccount.
func (s *Service) flowAccount(tx anshin.Tx, flowToken string, step anshin.Step, lock bool) (*anshin.Flow, *anshin.Account, error) {
	if flowToken == "" || len(flowToken) > 128 {
		return nil, nil, anshin.Errorf(anshin.ECodeFlowNotFound, "no such login flow")
	}
	f, acct, err := tx.FlowAccount(secret.TokenID(flowToken), lock)
	if f == nil {
		_, err = s.judgeFlow(nil, err, step)
		return nil, nil, err
	}
	if _, ferr := s.judgeFlow(f, nil, step); ferr != nil {
		return nil, nil, ferr
	}
	if err != nil {
		return f, nil, err
	}
	if acct == nil { // a federated subject with no account
		return f, nil, noAccount()
	}
	return f, acct, nil
}

// judgeFlow answers a flow read for a step: missing, expired, or at
// another step is an error.
func (s *Service) judgeFlow(f *anshin.Flow, err error, step anshin.Step) (*anshin.Flow, error) {
	if anshin.ErrorCode(err) == anshin.ECodeNotFound || (f == nil && err == nil) {
		return nil, anshin.Errorf(anshin.ECodeFlowNotFound, "no such login flow")
	}
	if err != nil {
		return nil, err
	}
	if !s.now().Before(f.ExpiresAt) {
		return nil, anshin.Errorf(anshin.ECodeFlowExpired, "the login flow expired; start again")
	}
	if f.Step != step {
		return nil, &anshin.Error{Code: anshin.ECodeFlowStep, Message: "the login flow is at step " + string(f.Step), Field: string(f.Step)}
	}
	return f, nil
}

// flowGone answers a row missing under a flow step (its account, key or
// group removed meanwhile) as flow_not_found: to the client the login flow
// is what is gone. Every other error passes unchanged.
func flowGone(err error) error {
	if anshin.ErrorCode(err) == anshin.ECodeNotFound {
		return anshin.Errorf(anshin.ECodeFlowNotFound, "no such login flow (%v)", err)
	}
	return err
}

// LoginID opens the flow's sealed login ID, for the password page to show;
// "" when it cannot (sealed under another secret key, or a flow that no
// longer keeps it).
func (s *Service) LoginID(f *anshin.Flow) string {
	id, err := s.keys.Open(f.SealedLoginID)
	if err != nil {
		return ""
	}
	return string(id)
}

// Flow returns the flow behind flowToken, alive, at any step.
func (s *Service) Flow(ctx context.Context, flowToken string) (*anshin.Flow, error) {
	var f *anshin.Flow
	err := s.store.View(ctx, func(tx anshin.Tx) error {
		var err error
		f, err = s.flow(tx, flowToken, "")
		if e := anshin.AsError(err); e != nil && e.Code == anshin.ECodeFlowStep {
			f, err = tx.Flow(secret.TokenID(flowToken))
		}
		return err
	})
	return f, err
}

// Start begins a login flow for loginID and returns the flow's flowToken. It
// neither looks the account up nor answers differently for unknown IDs.
func (s *Service) Start(ctx context.Context, loginID, clientIP string) (_ string, err error) {
	ev := Event{Kind: EventLoginStarted, ClientIP: clientIP}
	defer func() { s.emit(ctx, &ev, err) }()
	loginID = NormalizeLoginID(loginID)
	if loginID == "" {
		return "", anshin.FieldError("login_id", "enter the login ID")
	}
	if len(loginID) > 256 || strings.ContainsAny(loginID, "\x00\r\n") {
		return "", anshin.FieldError("login_id", "the login ID is not valid")
	}
	flowToken := secret.NewToken()
	now := s.now()
	f := &anshin.Flow{ID: secret.TokenID(flowToken), SealedLoginID: s.keys.Seal([]byte(loginID)), Step: anshin.StepPassword, ClientIP: clientIP, CreatedAt: now, ExpiresAt: now.Add(s.cfg.FlowTTL)}
	err = s.store.Update(ctx, func(tx anshin.Tx) error {
		if err := s.countFlow(tx, clientIP); err != nil {
			return err
		}
		return tx.CreateFlow(f)
	})
	return flowToken, err
}
