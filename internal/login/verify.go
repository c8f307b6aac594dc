package login

import (
	"context"
	"slices"
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

// Verify checks the key entered for groupID (SPEC §2 step 6) against the
// flow's live keys. A wrong key invalidates them all and counts one failure
// for the account; a right key that does not open groupID is refused and
// stays usable; a right key is used at most once, which the store's
// conditional update guarantees however many requests race. The session
// remembers the groups the key opened (SPEC §4).
func (s *Service) Verify(ctx context.Context, flowToken, key, groupID, clientIP string) (_ *Result, err error) {
	ev := Event{Kind: EventKeyVerified, GroupID: groupID, ClientIP: clientIP}
	defer func() { s.emit(ctx, &ev, err); err = flowGone(err) }()
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
		f, acct, err := s.flowAccount(tx, flowToken, anshin.StepOneTimeKey, false)
		if f != nil {
			ev.AccountID = f.AccountID
		}
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
		keys, err := tx.CurrentKeys(f.ID)
		if err != nil {
			return err
		}
		k, err := s.matchKey(f, keys, key, groupID, now)
		if err != nil {
			return err
		}
		if k == nil {
			refused = &anshin.Error{Code: anshin.ECodeKeyInvalid, Field: "key", Message: "the key is wrong; issue a new one"}
			locked, err := s.recordKeyFailure(tx, f.ID, acct.ID, groupID, clientIP)
			if locked {
				ev.lockout = "key_entry"
			}
			return err
		}
		// A group that requires passkeys takes a key only to register a
		// first passkey for it: once one opens the group, keys do not.
		if err := keyMayEnter(tx, acct.ID, groupID); err != nil {
			return err
		}
		if err := tx.UseKey(k.ID, now); err != nil {
			return err
		}
		// The issuance's other keys have nothing left to open.
		if len(keys) > 1 {
			if err := tx.InvalidateFlowKeys(f.ID, now); err != nil {
				return err
			}
		}
		f.Scope, f.Factor = k.Scope, k.Method
		if acct.KeyFailures != 0 {
			if err := tx.ResetKeyFailures(acct.ID); err != nil {
				return err
			}
		}
		if admin.NeedsInitialPassword() {
			f.Step, f.GroupID = anshin.StepInitialPassword, groupID
			if err := tx.UpdateFlow(f, anshin.StepOneTimeKey); err != nil {
				return err
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

// matchKey finds the live key of the current issuance that key is. It
// returns an error when no key can be entered (none issued, none left,
// expired) or the key does not open groupID (key_not_for_group, neither
// used nor counted: it names the destinations whose key does); nil,
// without error, when key is wrong.
func (s *Service) matchKey(f *anshin.Flow, keys []*anshin.OneTimeKey, key, groupID string, now time.Time) (*anshin.OneTimeKey, error) {
	if len(keys) == 0 {
		return nil, &anshin.Error{Code: anshin.ECodeKeyInvalid, Field: "key", Message: "no key was issued in this login"}
	}
	var live []*anshin.OneTimeKey
	for _, k := range keys {
		if k.UsedAt.IsZero() && k.InvalidatedAt.IsZero() {
			live = append(live, k)
		}
	}
	switch {
	case len(live) == 0:
		return nil, &anshin.Error{Code: anshin.ECodeKeyInvalid, Field: "key", Message: "the key is no longer valid; issue a new one"}
	case !now.Before(live[0].ExpiresAt): // one issuance, one expiry
		return nil, &anshin.Error{Code: anshin.ECodeKeyExpired, Field: "key", Message: "the key expired; issue a new one"}
	}
	h := s.keyHash(f.ID, key)
	var match *anshin.OneTimeKey
	for _, k := range live {
		if secret.Equal(h, k.Hash) {
			match = k
		}
	}
	switch {
	case match != nil && !match.Opens(groupID):
		e := &anshin.Error{Code: anshin.ECodeKeyNotForGroup, Field: "group_id", Message: "this key does not open that group", Masked: []string{}}
		for _, k := range keys {
			if k.Opens(groupID) {
				e.Masked = append(e.Masked, k.SentTo)
			}
		}
		slices.Sort(e.Masked)
		return nil, e
	}
	return match, nil
}

// recordKeyFailure invalidates the flow's keys, counts the failure and
// reports whether key entry is now locked for the account.
func (s *Service) recordKeyFailure(tx anshin.Tx, flowID, accountID, groupID, clientIP string) (locked bool, err error) {
	now := s.now()
	if err := tx.InvalidateFlowKeys(flowID, now); err != nil {
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
	return locked, tx.AppendAudit(&anshin.AuditEvent{GroupID: groupID, AccountID: accountID, Kind: anshin.AuditKeyFailed, ClientIP: clientIP, At: now})
}

// signIn ends the flow with a new session in groupID.
func (s *Service) signIn(tx anshin.Tx, f *anshin.Flow, from anshin.Step, groupID, clientIP string) (*Result, error) {
	now := s.now()
	f.Step, f.GroupID = anshin.StepDone, groupID
	if err := tx.UpdateFlow(f, from); err != nil {
		return nil, err
	}
	token := secret.NewToken()
	sess := &anshin.Session{ID: secret.TokenID(token), AccountID: f.AccountID, GroupID: groupID, Scope: f.Scope, Factor: f.Factor,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.cfg.SessionMax)}
	if err := tx.CreateSession(sess); err != nil {
		return nil, err
	}
	detail := ""
	if f.Factor != "" { // the log tells a passkey sign-in from a key's
		detail = `{"method":"` + string(f.Factor) + `"}`
	}
	if err := tx.AppendAudit(&anshin.AuditEvent{GroupID: groupID, AccountID: f.AccountID, Kind: anshin.AuditSignIn, Detail: detail, ClientIP: clientIP, At: now}); err != nil {
		return nil, err
	}
	return &Result{Next: anshin.StepDone, SessionToken: token, GroupID: groupID}, nil
}
