package login

import (
	"context"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/secret"
)

// Result is where a flow goes after key entry or the initial password.
type Result struct {
	Next         anshin.Step `json:"next"`
	SessionToken string      `json:"session_token,omitempty"`
	GroupID      string      `json:"-"`
}

// Verify checks the key entered for groupID (SPEC §2 step 6). A wrong key
// invalidates the current key and counts a failure for the account; a right
// key is used at most once, which the store's conditional update
// guarantees however many requests race.
func (s *Service) Verify(ctx context.Context, token, key, groupID, clientIP string) (_ *Result, err error) {
	ev := Event{Kind: EventKeyVerified, GroupID: groupID, ClientIP: clientIP}
	defer func() { s.emit(ctx, &ev, err) }()
	key = NormalizeKey(key)
	if key == "" {
		return nil, anshin.FieldError("key", "enter the one-time key")
	}
	if groupID == "" {
		return nil, anshin.FieldError("group_id", "choose a contract group")
	}
	var res *Result
	var refused error // committed with the failure it records, then returned
	err = s.store.Update(ctx, func(tx anshin.Tx) error {
		res, refused, ev.lockout = nil, nil, "" // the store may run this again (SERIALIZABLE retry)
		now := s.now()
		f, err := s.flow(tx, token, anshin.StepOneTimeKey)
		if err != nil {
			return err
		}
		ev.AccountID = f.AccountID
		acct, err := tx.AccountByID(f.AccountID)
		if err != nil {
			return err
		}
		if now.Before(acct.KeyLockedTill) {
			return &anshin.Error{Code: anshin.ECodeRateLimited, Message: "too many wrong keys; wait and try again", RetryAt: acct.KeyLockedTill, Limit: "key_entry_lock"}
		}
		admin, err := tx.Administrator(groupID, acct.ID)
		if anshin.ErrorCode(err) == anshin.ECodeNotFound {
			return &anshin.Error{Code: anshin.ECodeGroupNotAllowed, Field: "group_id", Message: "the account does not administer that group"}
		}
		if err != nil {
			return err
		}
		k, err := tx.LatestKey(f.ID)
		if anshin.ErrorCode(err) == anshin.ECodeNotFound {
			return &anshin.Error{Code: anshin.ECodeKeyInvalid, Field: "key", Message: "no key was issued in this login"}
		}
		if err != nil {
			return err
		}
		switch {
		case !k.UsedAt.IsZero() || !k.InvalidatedAt.IsZero():
			return &anshin.Error{Code: anshin.ECodeKeyInvalid, Field: "key", Message: "the key is no longer valid; issue a new one"}
		case !now.Before(k.ExpiresAt):
			return &anshin.Error{Code: anshin.ECodeKeyExpired, Field: "key", Message: "the key expired; issue a new one"}
		}
		if !secret.Equal(s.keyHash(f.ID, key), k.Hash) {
			refused = &anshin.Error{Code: anshin.ECodeKeyInvalid, Field: "key", Message: "the key is wrong; issue a new one"}
			locked, err := s.recordKeyFailure(tx, k, acct.ID, groupID, clientIP)
			if locked {
				ev.lockout = "key_entry"
			}
			return err
		}
		if used, err := tx.UseKey(k.ID, now); err != nil || !used {
			if err == nil {
				err = &anshin.Error{Code: anshin.ECodeKeyInvalid, Field: "key", Message: "the key was already used"}
			}
			return err
		}
		if err := tx.ResetKeyFailures(acct.ID); err != nil {
			return err
		}
		if admin.NeedsInitialPassword() {
			f.Step, f.GroupID = anshin.StepInitialPassword, groupID
			if ok, err := tx.UpdateFlow(f, anshin.StepOneTimeKey); err != nil || !ok {
				return firstErr(err, stepGone())
			}
			res = &Result{Next: anshin.StepInitialPassword, GroupID: groupID}
			return nil
		}
		res, err = s.signIn(tx, f, anshin.StepOneTimeKey, groupID, clientIP)
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

// recordKeyFailure invalidates the key, counts the failure and reports
// whether key entry is now locked for the account.
func (s *Service) recordKeyFailure(tx anshin.Tx, k *anshin.OneTimeKey, accountID, groupID, clientIP string) (locked bool, err error) {
	now := s.now()
	if err := tx.InvalidateKey(k.ID, now); err != nil {
		return false, err
	}
	n, err := tx.RecordKeyFailure(accountID)
	if err != nil {
		return false, err
	}
	if locked = n >= s.cfg.KeyFailureLimit; locked {
		if err := tx.LockKeyEntry(accountID, now.Add(backoff(n-s.cfg.KeyFailureLimit, time.Minute, 24*time.Hour))); err != nil {
			return false, err
		}
	}
	return locked, tx.AppendAudit(&anshin.AuditEvent{GroupID: groupID, AccountID: accountID, Kind: "key_failed", ClientIP: clientIP, At: now})
}

// signIn ends the flow with a new session in groupID.
func (s *Service) signIn(tx anshin.Tx, f *anshin.Flow, from anshin.Step, groupID, clientIP string) (*Result, error) {
	now := s.now()
	f.Step, f.GroupID = anshin.StepDone, groupID
	if ok, err := tx.UpdateFlow(f, from); err != nil || !ok {
		return nil, firstErr(err, stepGone())
	}
	token := secret.NewToken()
	sess := &anshin.Session{ID: secret.TokenID(token), AccountID: f.AccountID, GroupID: groupID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.cfg.SessionMax)}
	if err := tx.CreateSession(sess); err != nil {
		return nil, err
	}
	if err := tx.AppendAudit(&anshin.AuditEvent{GroupID: groupID, AccountID: f.AccountID, Kind: "sign_in", ClientIP: clientIP, At: now}); err != nil {
		return nil, err
	}
	return &Result{Next: anshin.StepDone, SessionToken: token, GroupID: groupID}, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
