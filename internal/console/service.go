// Package console holds the rules behind the console after sign-in (SPEC
// §4): the CLOMO environment, the group's administrators and their roles,
// the audit log, and the notification e-mails (お知らせメール) that every
// change sends to the administrator it affects.
//
// Role rules:
//   - any administrator of the group reads the contract, the administrator
//     list and the audit log, and creates or edits the CLOMO environment;
//   - only the representative (代表管理者) adds or deletes administrators and
//     resets initial authentication passwords;
//   - the representative is never deleted, and nobody deletes themselves;
//   - the representative edits anyone's name and e-mail; an admin edits only
//     their own, because the administrator e-mail receives one-time keys and
//     letting one admin redirect another's keys would be a takeover;
//   - any administrator of the group clears メール通知不可 of any
//     administrator of the group (SPEC §3), audited.
//
// Every method takes the signed-in Actor and re-reads the actor's
// registration inside its transaction, so a removed administrator can
// change nothing even with a request already under way.
package console

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/secret"
)

// Actor is the signed-in administrator a request acts for.
type Actor struct {
	AccountID string
	GroupID   string
	ClientIP  string
	Lang      string // language of the notification e-mails
	// Scope is the groups the session's second factor opened: the groups
	// it may switch to without a new login (SPEC §4).
	Scope []string
	// SessionID and SignedInAt name the session and when its sign-in was:
	// a passkey is added or deleted only within 10 minutes of it.
	SessionID  string
	SignedInAt time.Time
}

// Service applies the console's rules to a store.
type Service struct {
	store  anshin.Store
	hasher *secret.Hasher
	keys   *secret.Keyring
	now    anshin.Clock
	notify func()
}

// New returns a console service. notify wakes the outbox workers and may be nil.
func New(store anshin.Store, hasher *secret.Hasher, keys *secret.Keyring, now anshin.Clock, notify func()) *Service {
	if notify == nil {
		notify = func() {}
	}
	return &Service{store: store, hasher: hasher, keys: keys, now: now, notify: notify}
}

func forbidden(format string, args ...any) error {
	return anshin.Errorf(anshin.ECodeForbidden, format, args...)
}

// me loads the actor's own registration: the membership re-check.
func me(tx anshin.Tx, a Actor) (*anshin.Administrator, error) {
	adm, err := tx.Administrator(a.GroupID, a.AccountID)
	if anshin.ErrorCode(err) == anshin.ECodeNotFound {
		return nil, anshin.Errorf(anshin.ECodeUnauthorized, "the account no longer administers the group")
	}
	return adm, err
}

// target loads the administrator of the actor's group with loginID.
func target(tx anshin.Tx, groupID, loginID string) (*anshin.Administrator, *anshin.Account, error) {
	id, err := login.CheckLoginID(loginID)
	if err != nil {
		return nil, nil, anshin.Errorf(anshin.ECodeNotFound, "no such administrator")
	}
	acct, err := tx.AccountByLoginID(id)
	if err != nil {
		return nil, nil, anshin.Errorf(anshin.ECodeNotFound, "no such administrator")
	}
	adm, err := tx.Administrator(groupID, acct.ID)
	if anshin.ErrorCode(err) == anshin.ECodeNotFound {
		return nil, nil, anshin.Errorf(anshin.ECodeNotFound, "no such administrator")
	}
	return adm, acct, err
}

func (s *Service) audit(tx anshin.Tx, a Actor, kind string, detail map[string]any) error {
	b, _ := json.Marshal(detail)
	return tx.AppendAudit(&anshin.AuditEvent{GroupID: a.GroupID, AccountID: a.AccountID, Kind: kind, Detail: string(b), ClientIP: a.ClientIP, At: s.now()})
}

// Group returns the actor's group, after the membership check.
func (s *Service) Group(ctx context.Context, a Actor) (*anshin.ContractGroup, error) {
	var g *anshin.ContractGroup
	err := s.store.View(ctx, func(tx anshin.Tx) error {
		if _, err := me(tx, a); err != nil {
			return err
		}
		var err error
		g, err = tx.Group(a.GroupID)
		return err
	})
	return g, err
}

// AdministeredGroup is a group the actor's account administers, as the
// group switch offers it.
type AdministeredGroup struct {
	anshin.GroupChoice
	ManagementNumber   string `json:"management_number"`
	Role               string `json:"role"`
	Current            bool   `json:"current"`
	InitialPasswordDue bool   `json:"initial_password_required"`
	// NewLoginRequired: the session's key does not open the group, so
	// switching there needs a new login.
	NewLoginRequired bool `json:"new_login_required"`
}

// Groups lists every group the actor's account administers, for the switch.
func (s *Service) Groups(ctx context.Context, a Actor) ([]AdministeredGroup, error) {
	out := []AdministeredGroup{}
	err := s.store.View(ctx, func(tx anshin.Tx) error {
		if _, err := me(tx, a); err != nil {
			return err
		}
		admins, err := tx.AdministratorsOfAccount(a.AccountID)
		if err != nil {
			return err
		}
		for _, adm := range admins {
			g, err := tx.Group(adm.GroupID)
			if err != nil {
				return err
			}
			out = append(out, AdministeredGroup{GroupChoice: g.Choice(), ManagementNumber: g.ManagementNumber,
				Role: string(adm.Role), Current: g.ID == a.GroupID, InitialPasswordDue: adm.NeedsInitialPassword(),
				NewLoginRequired: !slices.Contains(a.Scope, g.ID)})
		}
		return nil
	})
	return out, err
}
