package login

import (
	"context"
	"encoding/json"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/secret"
)

// GroupChoice is one group offered at the group choice (SPEC §2 step 5).
type GroupChoice struct {
	GroupID              string  `json:"group_id"`
	RepresentativeNumber string  `json:"representative_number"`
	OrganizationName     *string `json:"organization_name"`
}

// Issued is the answer to a key issuance.
type Issued struct {
	Method    anshin.Method `json:"method"`
	ExpiresAt time.Time     `json:"expires_at"`
	SentTo    []string      `json:"sent_to"` // masked
	Skipped   []string      `json:"skipped"` // masked
	Groups    []GroupChoice `json:"groups"`
}

// KeyMessage is the sealed payload of a one-time key's delivery.
type KeyMessage struct {
	Key       string    `json:"key"`
	ExpiresAt time.Time `json:"expires_at"`
}

// IssueKey issues a one-time key by method and queues its messages in the
// same transaction, after checking every issuance rule of SPEC §2 step 3.
func (s *Service) IssueKey(ctx context.Context, token string, method anshin.Method, lang, clientIP string) (_ *Issued, err error) {
	ev := Event{Kind: EventKeyIssued, Method: method, ClientIP: clientIP}
	defer func() { s.emit(ctx, &ev, err) }()
	if method != anshin.MethodSMS && method != anshin.MethodEmail {
		return nil, &anshin.Error{Code: anshin.ECodeMethodInvalid, Field: "method", Message: `method must be "sms" or "email"`}
	}
	var out *Issued
	err = s.store.Update(ctx, func(tx anshin.Tx) error {
		f, err := s.flow(tx, token, anshin.StepOneTimeKey)
		if err != nil {
			return err
		}
		ev.AccountID = f.AccountID
		if err := tx.LockAccount(f.AccountID); err != nil {
			return err
		}
		acct, err := tx.AccountByID(f.AccountID)
		if err != nil {
			return err
		}
		admins, err := tx.AdministratorsOfAccount(acct.ID)
		if err != nil {
			return err
		}
		out = &Issued{Method: method, SentTo: []string{}, Skipped: []string{}}
		var to []string
		if method == anshin.MethodSMS {
			if e := smsProblem(acct, admins); e != nil {
				return e
			}
			to = []string{acct.DocomoLine}
			out.SentTo = []string{MaskPhone(acct.DocomoLine)}
		} else {
			r, err := emailRecipients(tx, acct, admins)
			if err != nil {
				return err
			}
			if e := r.problem(admins); e != nil {
				return e
			}
			to, out.SentTo, out.Skipped = r.To, maskAll(r.To), maskAll(r.Skipped)
		}
		if err := s.checkIssueLimits(tx, f, acct.ID); err != nil {
			return err
		}
		if method == anshin.MethodSMS {
			if err := s.checkSMSLimits(tx, acct.ID, acct.DocomoLine); err != nil {
				return err
			}
		}
		if out.Groups, err = groupChoices(tx, admins); err != nil {
			return err
		}
		out.ExpiresAt, err = s.createKey(tx, f, acct.ID, method, lang, to)
		if err != nil {
			return err
		}
		return s.auditKeyIssued(tx, admins, acct.ID, f.ID, method, out.SentTo, clientIP)
	})
	if err != nil {
		return nil, err
	}
	s.notify()
	return out, nil
}

func (s *Service) checkIssueLimits(tx anshin.Tx, f *anshin.Flow, accountID string) error {
	now := s.now()
	c, err := tx.CountKeys(f.ID, accountID, now.Add(-time.Hour), s.cfg.KeysPerAccountHour)
	if err != nil {
		return err
	}
	limited := func(retry time.Time, limit, why string) error {
		return &anshin.Error{Code: anshin.ECodeRateLimited, Message: why, RetryAt: retry, Limit: limit}
	}
	switch {
	case c.PerFlow >= s.cfg.KeysPerFlow:
		return limited(f.ExpiresAt, "keys_per_flow", "too many keys in this login; start the login again")
	case c.PerAccount >= s.cfg.KeysPerAccountHour:
		return limited(c.OldestInWindow.Add(time.Hour), "keys_per_account", "too many keys for this account in the last hour")
	case !c.Last.IsZero() && now.Before(c.Last.Add(s.cfg.KeyCooldown)):
		return limited(c.Last.Add(s.cfg.KeyCooldown), "key_cooldown", "a key was issued a moment ago")
	}
	return nil
}

// checkSMSLimits holds SMS keys under hourly caps per account, per number
// and in total: an attacker who drives many logins to costly SMS (SMS
// pumping) meets one of them. The counts come from the outbox, so every
// instance sees the same ones.
func (s *Service) checkSMSLimits(tx anshin.Tx, accountID, number string) error {
	caps := anshin.SMSCaps{PerAccount: s.cfg.SMSPerAccountHour, PerNumber: s.cfg.SMSPerNumberHour, Total: s.cfg.SMSGlobalHour}
	if caps == (anshin.SMSCaps{}) {
		return nil
	}
	c, err := tx.CountSMS(accountID, number, s.now().Add(-time.Hour), caps)
	if err != nil {
		return err
	}
	limited := func(oldest time.Time, limit, why string) error {
		return &anshin.Error{Code: anshin.ECodeRateLimited, Message: why, RetryAt: oldest.Add(time.Hour), Limit: limit}
	}
	switch {
	case s.cfg.SMSPerAccountHour > 0 && c.PerAccount >= s.cfg.SMSPerAccountHour:
		return limited(c.OldestAccount, "sms_per_account", "too many SMS keys for this account in the last hour")
	case s.cfg.SMSPerNumberHour > 0 && c.PerNumber >= s.cfg.SMSPerNumberHour:
		return limited(c.OldestNumber, "sms_per_number", "too many SMS keys to this number in the last hour")
	case s.cfg.SMSGlobalHour > 0 && c.Total >= s.cfg.SMSGlobalHour:
		return limited(c.OldestTotal, "sms_global", "the hourly SMS cap of this service is reached")
	}
	return nil
}

// createKey stores a new key for the flow, invalidating the flow's earlier
// one, and queues one sealed message per recipient.
func (s *Service) createKey(tx anshin.Tx, f *anshin.Flow, accountID string, method anshin.Method, lang string, to []string) (time.Time, error) {
	now := s.now()
	if prev, err := tx.LatestKey(f.ID); err == nil {
		if err := tx.InvalidateKey(prev.ID, now); err != nil {
			return time.Time{}, err
		}
	} else if anshin.ErrorCode(err) != anshin.ECodeNotFound {
		return time.Time{}, err
	}
	key := s.digits(s.cfg.KeyDigits)
	k := &anshin.OneTimeKey{ID: secret.NewID(), FlowID: f.ID, AccountID: accountID, Method: method,
		Hash: s.keyHash(f.ID, key), CreatedAt: now, ExpiresAt: now.Add(s.cfg.KeyTTL)}
	if err := tx.CreateKey(k); err != nil {
		return time.Time{}, err
	}
	payload, err := json.Marshal(KeyMessage{Key: key, ExpiresAt: k.ExpiresAt})
	if err != nil {
		return time.Time{}, err
	}
	for _, r := range to {
		d := &anshin.Delivery{ID: secret.NewID(), Kind: "one_time_key", Channel: method, Recipient: r, FlowID: f.ID, KeyID: k.ID,
			Lang: lang, Payload: s.keys.Seal(payload), NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
		if err := tx.EnqueueDelivery(d); err != nil {
			return time.Time{}, err
		}
	}
	return k.ExpiresAt, nil
}

func (s *Service) keyHash(flowID, key string) string {
	return s.keys.MAC("one-time-key", flowID, key)
}

// auditKeyIssued records the issuance in every group of the account; the
// key's ID lets the console's audit log show its deliveries' status.
func (s *Service) auditKeyIssued(tx anshin.Tx, admins []*anshin.Administrator, accountID, flowID string, method anshin.Method, sentTo []string, clientIP string) error {
	k, err := tx.LatestKey(flowID)
	if err != nil {
		return err
	}
	detail, _ := json.Marshal(map[string]any{"method": method, "sent_to": sentTo, "key_id": k.ID})
	for _, a := range admins {
		if err := tx.AppendAudit(&anshin.AuditEvent{GroupID: a.GroupID, AccountID: accountID, Kind: "key_issued", Detail: string(detail), ClientIP: clientIP, At: s.now()}); err != nil {
			return err
		}
	}
	return nil
}

func groupChoices(tx anshin.Tx, admins []*anshin.Administrator) ([]GroupChoice, error) {
	out := make([]GroupChoice, 0, len(admins))
	for _, a := range admins {
		g, err := tx.Group(a.GroupID)
		if err != nil {
			return nil, err
		}
		c := GroupChoice{GroupID: g.ID, RepresentativeNumber: g.RepresentativeNumber}
		if g.CLOMO != nil {
			c.OrganizationName = &g.CLOMO.OrganizationName
		}
		out = append(out, c)
	}
	return out, nil
}

// KeyState is what the key-entry page shows: the groups to choose from and
// the current key's delivery, if a key was issued in the flow.
type KeyState struct {
	Issued     bool
	Method     anshin.Method
	ExpiresAt  time.Time
	Groups     []GroupChoice
	Deliveries []DeliveryStatus
}

// DeliveryStatus is one message of the current key, masked.
type DeliveryStatus struct {
	To     string `json:"to"`
	Status string `json:"status"`
}

// KeyState returns the state of the flow's current key.
func (s *Service) KeyState(ctx context.Context, token string) (*KeyState, error) {
	st := &KeyState{}
	err := s.store.View(ctx, func(tx anshin.Tx) error {
		f, err := s.flow(tx, token, anshin.StepOneTimeKey)
		if err != nil {
			return err
		}
		k, err := tx.LatestKey(f.ID)
		if anshin.ErrorCode(err) == anshin.ECodeNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		st.Issued, st.Method, st.ExpiresAt = k.Usable(s.now()), k.Method, k.ExpiresAt
		admins, err := tx.AdministratorsOfAccount(f.AccountID)
		if err != nil {
			return err
		}
		if st.Groups, err = groupChoices(tx, admins); err != nil {
			return err
		}
		ds, err := tx.FlowDeliveries(f.ID)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if d.KeyID != k.ID {
				continue
			}
			to := MaskEmail(d.Recipient)
			if d.Channel == anshin.MethodSMS {
				to = MaskPhone(d.Recipient)
			}
			st.Deliveries = append(st.Deliveries, DeliveryStatus{To: to, Status: d.Status})
		}
		return nil
	})
	return st, err
}
