package login

import (
	"context"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/secret"
)

// SignedIn is a live session with what the console needs about it.
type SignedIn struct {
	Session *anshin.Session
	Account *anshin.Account
	Admin   *anshin.Administrator
	Group   *anshin.ContractGroup
	// Groups is how many contract groups the account administers: the
	// console offers グループ切替 only when there is another one.
	Groups int
	// EnrollOnly: the group requires passkeys and this sign-in was by a
	// one-time key; it may only register a first passkey, within
	// EnrollWindow of signing in (SPEC §2, Passkeys).
	EnrollOnly bool
}

// EnrollWindow is how long a key sign-in into a group that requires
// passkeys may register the first one.
const EnrollWindow = 10 * time.Minute

// keyMayEnter refuses a one-time key for a group that requires passkeys
// once the account has a passkey that opens it.
func keyMayEnter(tx anshin.Tx, accountID, groupID string) error {
	g, err := tx.Group(groupID)
	if err != nil || !g.PasskeyRequired {
		return err
	}
	keys, err := tx.PasskeysOfAccount(accountID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.Opens(groupID) {
			return &anshin.Error{Code: anshin.ECodePasskeyRequired, Field: "group_id", Message: "the group requires a passkey sign-in"}
		}
	}
	return nil
}

// Session returns the live session behind sessionToken. Membership is checked on
// every call, so an administrator removed from the group loses access at
// once; idle and absolute timeouts end the session.
func (s *Service) Session(ctx context.Context, sessionToken string) (*SignedIn, error) {
	unauthorized := anshin.Errorf(anshin.ECodeUnauthorized, "sign in first")
	if sessionToken == "" || len(sessionToken) > 128 {
		return nil, unauthorized
	}
	now := s.now()
	var out SignedIn
	err := s.store.View(ctx, func(tx anshin.Tx) error {
		var err error
		if out.Session, err = tx.Session(secret.TokenID(sessionToken)); err != nil {
			return err
		}
		if !now.Before(out.Session.ExpiresAt) || !now.Before(out.Session.LastSeenAt.Add(s.cfg.SessionIdle)) {
			return unauthorized
		}
		if out.Admin, err = tx.Administrator(out.Session.GroupID, out.Session.AccountID); err != nil {
			return err
		}
		if out.Account, err = tx.AccountByID(out.Session.AccountID); err != nil {
			return err
		}
		if out.Group, err = tx.Group(out.Session.GroupID); err != nil {
			return err
		}
		admins, err := tx.AdministratorsOfAccount(out.Session.AccountID)
		if err != nil {
			return err
		}
		out.Groups = len(admins)
		if out.Group.PasskeyRequired && out.Session.Factor != anshin.MethodPasskey {
			// A key sign-in lives on only to register the first passkey:
			// once, within the window.
			if now.Sub(out.Session.CreatedAt) > EnrollWindow {
				return unauthorized
			}
			if err := keyMayEnter(tx, out.Account.ID, out.Group.ID); err != nil {
				return unauthorized
			}
			out.EnrollOnly = true
		}
		return nil
	})
	if c := anshin.ErrorCode(err); c == anshin.ECodeNotFound || c == anshin.ECodeUnauthorized {
		return nil, unauthorized
	}
	if err != nil {
		return nil, err
	}
	// Writing last-seen once a minute is enough for a 30-minute idle limit
	// and keeps reads from becoming writes.
	if now.Sub(out.Session.LastSeenAt) > time.Minute {
		err = s.store.Update(ctx, func(tx anshin.Tx) error { return tx.TouchSession(out.Session.ID, now) })
	}
	return &out, err
}

// SignOut ends the session behind sessionToken.
func (s *Service) SignOut(ctx context.Context, sessionToken string) (err error) {
	ev := Event{Kind: EventSignOut}
	defer func() { s.emit(ctx, &ev, err) }()
	return s.store.Update(ctx, func(tx anshin.Tx) error {
		id := secret.TokenID(sessionToken)
		sess, err := tx.Session(id)
		if anshin.ErrorCode(err) == anshin.ECodeNotFound {
			return nil // already gone: signing out twice is not an error
		}
		if err != nil {
			return err
		}
		ev.AccountID, ev.GroupID = sess.AccountID, sess.GroupID
		return tx.DeleteSession(id)
	})
}
