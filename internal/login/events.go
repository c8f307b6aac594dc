package login

import (
	"context"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

// Event is one authentication event, reported exactly once to the
// observer (logs and metrics): each step's success or failure with its
// code, and lockouts. It never carries a key, a password, a token, a login
// ID or an address.
type Event struct {
	Kind      string        `json:"kind"`            // login_started, password, key_issued, key_verified, initial_password, sign_out, group_switch, lockout
	Code      string        `json:"code"`            // "" on success, else the error code
	Limit     string        `json:"limit,omitempty"` // with rate_limited: which limit refused (anshin.Error.Limit)
	AccountID string        `json:"account_id,omitempty"`
	GroupID   string        `json:"group_id,omitempty"`
	Method    anshin.Method `json:"method,omitempty"`
	ClientIP  string        `json:"client_ip,omitempty"`
	At        time.Time     `json:"at"`

	lockout string          // the kind of lock this event caused, if any
	ctx     context.Context // of the call that caused the event
}

// Context is the context of the call that caused the event: the log line
// of the event carries the request's ID from it.
func (e Event) Context() context.Context {
	if e.ctx == nil {
		return context.Background()
	}
	return e.ctx
}

// Event kinds.
const (
	EventLoginStarted    = "login_started"
	EventPassword        = "password"
	EventKeyIssued       = "key_issued"
	EventKeyVerified     = "key_verified"
	EventInitialPassword = "initial_password"
	EventSignOut         = "sign_out"
	EventGroupSwitch     = "group_switch"
	EventLockout         = "lockout"
)

// Observe sets the function that receives every Event; call it before the
// service is used. It must be quick and must not call back into the service.
func (s *Service) Observe(f func(Event)) { s.observe = f }

// emit reports ev with the outcome err, and a lockout event after it when
// the step locked something.
func (s *Service) emit(ctx context.Context, ev *Event, err error) {
	if s.observe == nil {
		return
	}
	ev.Code, ev.At, ev.ctx = anshin.ErrorCode(err), s.now(), ctx
	if e := anshin.AsError(err); e != nil {
		ev.Limit = e.Limit
	}
	s.observe(*ev)
	if ev.lockout != "" {
		s.observe(Event{Kind: EventLockout, Code: ev.lockout, AccountID: ev.AccountID, GroupID: ev.GroupID, ClientIP: ev.ClientIP, At: ev.At, ctx: ctx})
	}
}
