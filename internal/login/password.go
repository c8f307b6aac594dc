package login

import (
	"context"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

// MethodOption tells the key-method step whether a method can be used and,
// if not, why.
type MethodOption struct {
	Method      anshin.Method `json:"method"`
	Available   bool          `json:"available"`
	Reason      string        `json:"reason,omitempty"` // an issuance error code
	Destination []string      `json:"destinations"`     // masked
}

// Password checks the password of the flow's login ID. Unknown IDs and
// wrong passwords cost one hash each and answer invalid_credentials alike.
func (s *Service) Password(ctx context.Context, flowToken, password, clientIP string) (_ []MethodOption, err error) {
	ev := Event{Kind: EventPassword, ClientIP: clientIP}
	defer func() { s.emit(ctx, &ev, err); err = flowGone(err) }()
	if password == "" {
		return nil, anshin.FieldError("password", "enter the password")
	}
	if len(password) > 1024 {
		return nil, anshin.Errorf(anshin.ECodeInvalidCredentials, "the login ID or the password is wrong")
	}
	var f *anshin.Flow
	var acct *anshin.Account
	acctThrottle, clientThrottle := "pw:account:", "pw:client:"+ClientKey(clientIP)
	err = s.store.View(ctx, func(tx anshin.Tx) error {
		var err error
		if f, err = s.flow(tx, flowToken, anshin.StepPassword); err != nil {
			return err
		}
		loginID, err := s.keys.Open(f.SealedLoginID)
		if err != nil {
			// Sealed under another secret key: the flow cannot go on.
			return anshin.Errorf(anshin.ECodeFlowExpired, "the login flow expired; start again")
		}
		// A keyed hash, not the ID: the throttle's name rests in the
		// database, and what was typed may be a password.
		acctThrottle += s.keys.MAC("password throttle login ID", string(loginID))
		if _, err := s.checkThrottles(tx, acctThrottle, clientThrottle); err != nil {
			return err
		}
		acct, err = tx.AccountByLoginID(string(loginID))
		if anshin.ErrorCode(err) == anshin.ECodeNotFound {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	hash := ""
	if acct != nil {
		hash, ev.AccountID = acct.PasswordHash, acct.ID
	}
	ok, err := s.hasher.Verify(ctx, password, hash)
	if err != nil {
		return nil, err
	}
	// Guesses sent together all passed the check above before any failure
	// was counted; checking again where writes are serialized holds them,
	// right or wrong alike, to the same limits as guesses sent one by one.
	var acctFailures int // the account's throttle as rechecked: nothing to delete when 0
	recheck := func(tx anshin.Tx) error {
		var err error
		acctFailures, err = s.checkThrottles(tx, acctThrottle, clientThrottle)
		return err
	}
	if !ok || acct == nil {
		err := s.store.Update(ctx, func(tx anshin.Tx) error {
			if err := recheck(tx); err != nil {
				return err
			}
			if err := s.countFailure(tx, acctThrottle, s.cfg.PasswordFailuresPerAccount); err != nil {
				return err
			}
			if err := s.countFailure(tx, clientThrottle, s.cfg.PasswordFailuresPerClient); err != nil {
				return err
			}
			return s.auditPasswordFailure(tx, acct, clientIP)
		})
		if err != nil {
			return nil, err
		}
		return nil, anshin.Errorf(anshin.ECodeInvalidCredentials, "the login ID or the password is wrong")
	}
	// A hash made with other parameters (ANSHIN_ARGON2_* changed) is made
	// again now that the password is known; should that fail, the old hash
	// stays and the next login tries again.
	rehashed := ""
	if s.hasher.NeedsRehash(hash) {
		rehashed, _ = s.hasher.Hash(ctx, password)
	}
	var opts []MethodOption
	err = s.store.Update(ctx, func(tx anshin.Tx) error {
		if err := recheck(tx); err != nil {
			return err
		}
		f.AccountID, f.Step = acct.ID, anshin.StepOneTimeKey
		if err := tx.UpdateFlow(f, anshin.StepPassword); err != nil {
			return err
		}
		if acctFailures > 0 {
			if err := tx.DeleteThrottle(acctThrottle); err != nil {
				return err
			}
		}
		if rehashed != "" {
			if _, err := tx.RehashPassword(acct.ID, hash, rehashed); err != nil {
				return err
			}
		}
		if opts, err = s.methodOptions(tx, acct); err != nil {
			return err
		}
		// Step 3 offers パスキー beside SMS and e-mail when the account has one.
		keys, err := tx.PasskeysOfAccount(acct.ID)
		if len(keys) > 0 {
			opts = append(opts, MethodOption{Method: anshin.MethodPasskey, Available: true, Destination: []string{}})
		}
		return err
	})
	return opts, err
}

// auditPasswordFailure records a wrong password in the audit log of each
// group the account administers. The administrators are read for unknown
// IDs too, so both answers do the same work.
func (s *Service) auditPasswordFailure(tx anshin.Tx, acct *anshin.Account, clientIP string) error {
	id := ""
	if acct != nil {
		id = acct.ID
	}
	admins, err := tx.AdministratorsOfAccount(id)
	if err != nil {
		return err
	}
	for _, a := range admins {
		if err := tx.AppendAudit(&anshin.AuditEvent{GroupID: a.GroupID, AccountID: id, Kind: anshin.AuditPasswordFailed, ClientIP: clientIP, At: s.now()}); err != nil {
			return err
		}
	}
	return nil
}

// checkThrottles refuses while the account's or the client's password
// throttle is in a wait (its limit named for metrics); it returns the
// failures the account's counts.
func (s *Service) checkThrottles(tx anshin.Tx, acctThrottle, clientThrottle string) (acctFailures int, err error) {
	now := s.now()
	st, err := tx.Throttles(now, acctThrottle, clientThrottle)
	if err != nil {
		return 0, err
	}
	for i, limit := range []string{"password_per_account", "password_per_client"} {
		if now.Before(st[i].LockedTill) {
			return st[0].Failures, &anshin.Error{Code: anshin.ECodeRateLimited, Message: "too many failed attempts; wait and try again", RetryAt: st[i].LockedTill, Limit: limit}
		}
	}
	return st[0].Failures, nil
}

// countFailure counts one failure under name; past free failures, each
// further one doubles the wait, from one second up to fifteen minutes.
func (s *Service) countFailure(tx anshin.Tx, name string, free int) error {
	now := s.now()
	n, _, err := tx.Throttle(name, now)
	if err != nil {
		return err
	}
	n++
	var till time.Time
	if n >= free {
		till = now.Add(backoff(n-free, time.Second, 15*time.Minute))
	}
	return tx.PutThrottle(name, n, till, now.Add(time.Hour))
}

// backoff doubles base n times, capped.
func backoff(n int, base, max time.Duration) time.Duration {
	d := base
	for i := 0; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// Methods returns the key methods for the flow's account (key-method step).
func (s *Service) Methods(ctx context.Context, flowToken string) ([]MethodOption, error) {
	var opts []MethodOption
	err := s.store.View(ctx, func(tx anshin.Tx) error {
		f, err := s.flow(tx, flowToken, anshin.StepOneTimeKey)
		if err != nil {
			return err
		}
		if f.AccountID == "" { // a federated subject with no account
			reason := noAccount().Code
			opts = []MethodOption{{Method: anshin.MethodSMS, Reason: reason, Destination: []string{}}, {Method: anshin.MethodEmail, Reason: reason, Destination: []string{}}}
			return nil
		}
		acct, err := tx.AccountByID(f.AccountID)
		if err != nil {
			return err
		}
		opts, err = s.methodOptions(tx, acct)
		return err
	})
	return opts, flowGone(err)
}

func (s *Service) methodOptions(tx anshin.Tx, acct *anshin.Account) ([]MethodOption, error) {
	admins, err := tx.AdministratorsOfAccount(acct.ID)
	if err != nil {
		return nil, err
	}
	sms := MethodOption{Method: anshin.MethodSMS, Available: true, Destination: []string{}}
	if err := smsProblem(acct, admins); err != nil {
		sms.Available, sms.Reason = false, err.Code
	} else {
		sms.Destination = []string{anshin.MaskPhone(acct.DocomoLine)}
	}
	email := MethodOption{Method: anshin.MethodEmail, Available: true, Destination: []string{}}
	r, err := emailRecipients(tx, acct, admins)
	if err != nil {
		return nil, err
	}
	if e := r.problem(admins); e != nil {
		email.Available, email.Reason = false, e.Code
	} else {
		for _, a := range r.To {
			email.Destination = append(email.Destination, anshin.MaskEmail(a.Address))
		}
	}
	return []MethodOption{sms, email}, nil
}
