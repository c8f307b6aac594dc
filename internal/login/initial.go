package login

import (
	"context"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

// InitialPassword checks the initial authentication password of a
// non-representative's first login to the chosen group (SPEC §2 step 7).
// Failures are throttled and, past the lock limit, refused until the
// representative resets the password.
func (s *Service) InitialPassword(ctx context.Context, flowToken, password, clientIP string) (_ *Result, err error) {
	ev := Event{Kind: EventInitialPassword, ClientIP: clientIP}
	defer func() { s.emit(ctx, &ev, err); err = flowGone(err) }()
	if password == "" {
		return nil, anshin.FieldError("initial_password", "enter the initial authentication password")
	}
	var f *anshin.Flow
	var admin *anshin.Administrator
	err = s.store.View(ctx, func(tx anshin.Tx) error {
		var err error
		if f, err = s.flow(tx, flowToken, anshin.StepInitialPassword); err != nil {
			return err
		}
		ev.AccountID, ev.GroupID = f.AccountID, f.GroupID
		admin, err = tx.Administrator(f.GroupID, f.AccountID)
		if anshin.ErrorCode(err) == anshin.ECodeNotFound {
			return anshin.Errorf(anshin.ECodeGroupNotAllowed, "the account no longer administers the group")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.initialPasswordOpen(admin, s.now()); err != nil {
		return nil, err
	}
	// Unlike the password (Password), a right initial password is not
	// re-hashed with new parameters: CompleteFirstLogin erases it in the
	// same transaction, so there is nothing left to upgrade.
	ok := false
	if len(password) <= 1024 {
		if ok, err = s.hasher.Verify(ctx, password, admin.InitialPasswordHash); err != nil {
			return nil, err
		}
	}
	var res *Result
	var refused error
	err = s.store.Update(ctx, func(tx anshin.Tx) error {
		res, refused, ev.lockout = nil, nil, "" // the store may run this again (SERIALIZABLE retry)
		now := s.now()
		// Guesses sent together all passed the check above before any
		// failure was counted; checking the current record again, where
		// writes are serialized, holds them to the throttle and the lock.
		cur, err := tx.Administrator(f.GroupID, f.AccountID)
		if err != nil {
			return err
		}
		if err := s.initialPasswordOpen(cur, now); err != nil {
			return err
		}
		if !ok || admin.InitialPasswordHash == "" {
			n, err := tx.RecordInitialPasswordFailure(f.GroupID, f.AccountID)
			if err != nil {
				return err
			}
			refused = &anshin.Error{Code: anshin.ECodeInitialPasswordInvalid, Field: "initial_password", Message: "the initial authentication password is wrong"}
			if n >= s.cfg.InitialPasswordLock {
				ev.lockout = "initial_password"
				refused = anshin.Errorf(anshin.ECodeInitialPasswordLocked, "the initial authentication password is locked; ask the representative administrator to reset it")
			}
			if n >= s.cfg.InitialPasswordThrottle {
				if err := tx.LockInitialPassword(f.GroupID, f.AccountID, now.Add(backoff(n-s.cfg.InitialPasswordThrottle, 2*time.Second, 15*time.Minute))); err != nil {
					return err
				}
			}
			return tx.AppendAudit(&anshin.AuditEvent{GroupID: f.GroupID, AccountID: f.AccountID, Kind: anshin.AuditInitialPasswordFailed, ClientIP: clientIP, At: now})
		}
		if err := tx.CompleteFirstLogin(f.GroupID, f.AccountID, now); err != nil {
			return err
		}
		res, err = s.signIn(tx, f, anshin.StepInitialPassword, f.GroupID, clientIP)
		return err
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Service) initialPasswordOpen(a *anshin.Administrator, now time.Time) error {
	if a.InitialPasswordFails >= s.cfg.InitialPasswordLock {
		return anshin.Errorf(anshin.ECodeInitialPasswordLocked, "the initial authentication password is locked; ask the representative administrator to reset it")
	}
	if now.Before(a.InitialPasswordLocked) {
		return &anshin.Error{Code: anshin.ECodeRateLimited, Message: "too many wrong initial passwords; wait and try again", RetryAt: a.InitialPasswordLocked, Limit: "initial_password_throttle"}
	}
	return nil
}
