package login

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/secret"
)

// GroupOption is one group offered at the group choice (SPEC §2 step 5),
// with the masked destinations whose key opens it (step 4): empty when no
// key of the current issuance does.
type GroupOption struct {
	anshin.GroupChoice
	KeySentTo []string `json:"key_sent_to"`
}

// Issued is the answer to a key issuance.
type Issued struct {
	Method    anshin.Method `json:"method"`
	ExpiresAt time.Time     `json:"expires_at"`
	SentTo    []string      `json:"sent_to"` // masked
	Skipped   []string      `json:"skipped"` // masked
	Groups    []GroupOption `json:"groups"`
}

// IssueKey issues a one-time key by method and queues its messages in the
// same transaction, after checking every issuance rule of SPEC §2 step 3.
func (s *Service) IssueKey(ctx context.Context, flowToken string, method anshin.Method, lang, clientIP string) (_ *Issued, err error) {
	ev := Event{Kind: EventKeyIssued, Method: method, ClientIP: clientIP}
	defer func() { s.emit(ctx, &ev, err); err = flowGone(err) }()
	if method != anshin.MethodSMS && method != anshin.MethodEmail {
		return nil, &anshin.Error{Code: anshin.ECodeMethodInvalid, Field: "method", Message: `method must be "sms" or "email"`}
	}
	var out *Issued
	var queued []*anshin.Delivery
	err = s.store.Update(ctx, func(tx anshin.Tx) error {
		queued = nil
		// SMS issuances take turns: each counts the SMS the others queue,
		// and two at once would collide at commit and one run again. (The
		// first run of each went without its turn before 2026-11-30: at 8
		// clients on PostgreSQL about one run in two lost, and a login
		// cost 3.6–4.1 ms of CPU with a 1 MiB hash; with turns 2.8–3.0.)
		if method == anshin.MethodSMS {
			if err := tx.TakeSMSTurn(); err != nil {
				return err
			}
		}
		f, acct, err := s.flowAccount(tx, flowToken, anshin.StepOneTimeKey, true)
		if f != nil {
			ev.AccountID = f.AccountID
		}
		if err != nil {
			return err
		}
		admins, err := tx.AdministratorsOfAccount(acct.ID)
		if err != nil {
			return err
		}
		out = &Issued{Method: method, SentTo: []string{}, Skipped: []string{}}
		var to []anshin.AddressScope
		if method == anshin.MethodSMS {
			if e := smsProblem(acct, admins); e != nil {
				return e
			}
			to = []anshin.AddressScope{{Address: acct.DocomoLine, Groups: groupIDs(admins)}}
		} else {
			r, err := emailRecipients(tx, acct, admins)
			if err != nil {
				return err
			}
			if e := r.problem(admins); e != nil {
				return e
			}
			to, out.Skipped = r.To, anshin.MaskEmails(r.Skipped)
		}
		issued, err := s.checkIssueLimits(tx, f, acct.ID)
		if err != nil {
			return err
		}
		if method == anshin.MethodSMS {
			if err := s.checkSMSLimits(tx, acct.ID, acct.DocomoLine); err != nil {
				return err
			}
		}
		keys, err := s.createKeys(tx, f, acct.ID, method, lang, to, issued.PerFlow > 0, &queued)
		if err != nil {
			return err
		}
		out.ExpiresAt = keys[0].ExpiresAt
		for _, k := range keys {
			out.SentTo = append(out.SentTo, k.SentTo)
		}
		if out.Groups, err = groupChoices(tx, admins, keys); err != nil {
			return err
		}
		return s.auditKeyIssued(tx, admins, keys, method, clientIP)
	})
	if err != nil {
		return nil, err
	}
	if s.outbox != nil {
		s.outbox.Hand(queued)
	} else {
		s.notify()
	}
	return out, nil
}

// checkIssueLimits refuses an issuance over a limit; it returns the counts
// it checked.
func (s *Service) checkIssueLimits(tx anshin.Tx, f *anshin.Flow, accountID string) (anshin.KeyCounts, error) {
	now := s.now()
	c, err := tx.CountKeys(f.ID, accountID, now.Add(-time.Hour), s.cfg.KeysPerAccountHour)
	if err != nil {
		return c, err
	}
	if e := s.issueLimit(c, f, now); e != nil {
		return c, e
	}
	return c, nil
}

// issueLimit is the limit, if any, that keeps a key from being issued now.
func (s *Service) issueLimit(c anshin.KeyCounts, f *anshin.Flow, now time.Time) *anshin.Error {
	limited := func(retry time.Time, limit, why string) *anshin.Error {
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

// createKeys invalidates the flow's earlier keys (if it issued any) and stores a new key per
// destination, each opening the groups of its scope, with one sealed
// message each, added to queued. The keys of one issuance differ from each
// other, so an entered key names exactly one of them.
func (s *Service) createKeys(tx anshin.Tx, f *anshin.Flow, accountID string, method anshin.Method, lang string, to []anshin.AddressScope, earlier bool, queued *[]*anshin.Delivery) ([]*anshin.OneTimeKey, error) {
	now := s.now()
	if earlier {
		if err := tx.InvalidateFlowKeys(f.ID, now); err != nil {
			return nil, err
		}
	}
	issue := secret.NewID()
	taken := map[string]bool{}
	keys := make([]*anshin.OneTimeKey, 0, len(to))
	for _, dest := range to {
		key := s.digits(s.cfg.KeyDigits)
		for taken[key] {
			key = s.digits(s.cfg.KeyDigits)
		}
		taken[key] = true
		k := &anshin.OneTimeKey{ID: secret.NewID(), IssueID: issue, FlowID: f.ID, AccountID: accountID, Method: method,
			Hash: s.keyHash(f.ID, key), SentTo: anshin.MaskDestination(method, dest.Address), Scope: dest.Groups, CreatedAt: now, ExpiresAt: now.Add(s.cfg.KeyTTL)}
		err := tx.CreateKey(k)
		if err != nil {
			return nil, err
		}
		msg := anshin.KeyPayload{Key: key, ExpiresAt: k.ExpiresAt}
		if method == anshin.MethodEmail {
			if msg.Groups, err = groupNames(tx, dest.Groups); err != nil {
				return nil, err
			}
		}
		payload, err := json.Marshal(msg)
		if err != nil {
			return nil, err
		}
		d := &anshin.Delivery{ID: secret.NewID(), Kind: anshin.DeliveryKindKey, Channel: method, Recipient: dest.Address, FlowID: f.ID, KeyID: k.ID,
			Lang: lang, Payload: s.keys.Seal(payload), NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
		if s.outbox != nil {
			s.outbox.Claim(d, now)
		}
		if err := tx.EnqueueDelivery(d); err != nil {
			return nil, err
		}
		*queued = append(*queued, d)
		keys = append(keys, k)
	}
	return keys, nil
}

// groupNames names groups as their administrators know them.
func groupNames(tx anshin.Tx, ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		g, err := tx.Group(id)
		if err != nil {
			return nil, err
		}
		name := g.ManagementNumber
		if g.CLOMO != nil {
			name += " " + g.CLOMO.OrganizationName
		}
		out = append(out, name)
	}
	return out, nil
}

func (s *Service) keyHash(flowID, key string) string {
	return s.keys.MAC("one-time-key", flowID, key)
}

// auditKeyIssued records the issuance in every group of the account, each
// with only the keys that open it: a group's log never shows where another
// group's keys went. The key IDs let the console's audit log show their
// deliveries' status.
func (s *Service) auditKeyIssued(tx anshin.Tx, admins []*anshin.Administrator, keys []*anshin.OneTimeKey, method anshin.Method, clientIP string) error {
	for _, a := range admins {
		sentTo, ids := []string{}, []string{}
		for _, k := range keys {
			if k.Opens(a.GroupID) {
				sentTo, ids = append(sentTo, k.SentTo), append(ids, k.ID)
			}
		}
		detail, _ := json.Marshal(map[string]any{"method": method, "sent_to": sentTo, "key_ids": ids})
		if err := tx.AppendAudit(&anshin.AuditEvent{GroupID: a.GroupID, AccountID: a.AccountID, Kind: anshin.AuditKeyIssued, Detail: string(detail), ClientIP: clientIP, At: s.now()}); err != nil {
			return err
		}
	}
	return nil
}

// groupChoices lists the account's groups with the destinations of the
// keys that open each.
func groupChoices(tx anshin.Tx, admins []*anshin.Administrator, keys []*anshin.OneTimeKey) ([]GroupOption, error) {
	out := make([]GroupOption, 0, len(admins))
	order := map[string]string{} // group ID → management number
	for _, a := range admins {
		g, err := tx.Group(a.GroupID)
		if err != nil {
			return nil, err
		}
		order[g.ID] = g.ManagementNumber
		c := GroupOption{GroupChoice: g.Choice(), KeySentTo: []string{}}
		for _, k := range keys {
			if k.Opens(g.ID) {
				c.KeySentTo = append(c.KeySentTo, k.SentTo)
			}
		}
		slices.Sort(c.KeySentTo) // the same order on every page
		out = append(out, c)
	}
	// By management number: the order administrators know from their
	// contracts, the same on every page.
	slices.SortStableFunc(out, func(a, b GroupOption) int { return strings.Compare(order[a.GroupID], order[b.GroupID]) })
	return out, nil
}

// KeyState is what the key-entry page shows: the groups to choose from and
// the current key's delivery, if a key was issued in the flow.
type KeyState struct {
	Issued     bool
	Method     anshin.Method
	ExpiresAt  time.Time
	Groups     []GroupOption
	Deliveries []DeliveryStatus
	// NextIssueAt is when a key may be issued again, zero when it may be
	// issued now: the key page counts down to it instead of letting the
	// user run into rate_limited.
	NextIssueAt time.Time
}

// DeliveryStatus is one message of the current key, masked; a bounced one
// says why (the bounce's reason, e.g. filtered, and its status code).
type DeliveryStatus struct {
	To           string `json:"to"`
	Status       string `json:"status"`
	BounceReason string `json:"bounce_reason,omitempty"`
	BounceStatus string `json:"bounce_status,omitempty"`
}

// KeyState returns the state of the flow's current key.
func (s *Service) KeyState(ctx context.Context, flowToken string) (*KeyState, error) {
	st := &KeyState{}
	err := s.store.View(ctx, func(tx anshin.Tx) error {
		f, err := s.flow(tx, flowToken, anshin.StepOneTimeKey)
		if err != nil {
			return err
		}
		now := s.now()
		c, err := tx.CountKeys(f.ID, f.AccountID, now.Add(-time.Hour), s.cfg.KeysPerAccountHour)
		if err != nil {
			return err
		}
		if e := s.issueLimit(c, f, now); e != nil {
			st.NextIssueAt = e.RetryAt
		}
		keys, err := tx.CurrentKeys(f.ID)
		if err != nil || len(keys) == 0 {
			return err
		}
		k := keys[0]
		st.Method, st.ExpiresAt = k.Method, k.ExpiresAt
		current := map[string]bool{}
		for _, k := range keys {
			st.Issued = st.Issued || k.Usable(s.now())
			current[k.ID] = true
		}
		admins, err := tx.AdministratorsOfAccount(f.AccountID)
		if err != nil {
			return err
		}
		if st.Groups, err = groupChoices(tx, admins, keys); err != nil {
			return err
		}
		ds, err := tx.FlowDeliveries(f.ID)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if current[d.KeyID] {
				st.Deliveries = append(st.Deliveries, DeliveryStatus{To: anshin.MaskDestination(d.Channel, d.Recipient), Status: d.Status,
					BounceReason: d.BounceReason, BounceStatus: d.BounceStatus})
			}
		}
		return nil
	})
	return st, flowGone(err)
}
