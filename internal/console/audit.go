package console

import (
	"context"
	"encoding/json"
	"regexp"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

const (
	defaultAuditPage = 50
	maxAuditPage     = 200
)

var kindPattern = regexp.MustCompile(`^[a-z_]{1,64}$`)

// AuditFilter selects a page of the log. From and To are dates (YYYY-MM-DD,
// Japan time, both inclusive); Before pages back from an event ID.
type AuditFilter struct {
	Kind   string
	From   string
	To     string
	Before int64
	Limit  int
}

// AuditEntry is one event as the console shows it.
type AuditEntry struct {
	ID       int64          `json:"id"`
	Kind     string         `json:"kind"`
	At       time.Time      `json:"at"`
	LoginID  string         `json:"login_id"` // who; empty for operator events
	ClientIP string         `json:"client_ip"`
	Detail   map[string]any `json:"detail"`
}

// AuditPage is a page of the log and the cursor of the next one.
type AuditPage struct {
	Events     []AuditEntry `json:"events"`
	NextBefore int64        `json:"next_before,omitempty"`
}

func (f AuditFilter) query(groupID string) (anshin.AuditQuery, error) {
	q := anshin.AuditQuery{GroupID: groupID, Kind: f.Kind, BeforeID: f.Before, Limit: f.Limit}
	if f.Kind != "" && !kindPattern.MatchString(f.Kind) {
		return q, anshin.FieldError("kind", "the kind is not valid")
	}
	if f.Before < 0 {
		return q, anshin.FieldError("before", "before must be a positive event ID")
	}
	switch {
	case q.Limit == 0:
		q.Limit = defaultAuditPage
	case q.Limit < 0 || q.Limit > maxAuditPage:
		return q, anshin.FieldError("limit", "limit must be 1 to %d", maxAuditPage)
	}
	if f.From != "" {
		d, err := time.ParseInLocation(time.DateOnly, f.From, anshin.JapanTime)
		if err != nil {
			return q, anshin.FieldError("from", "from must be a date written YYYY-MM-DD")
		}
		q.Since = d
	}
	if f.To != "" {
		d, err := time.ParseInLocation(time.DateOnly, f.To, anshin.JapanTime)
		if err != nil {
			return q, anshin.FieldError("to", "to must be a date written YYYY-MM-DD")
		}
		q.Until = d.AddDate(0, 0, 1)
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return q, anshin.FieldError("to", "to must not be before from")
	}
	return q, nil
}

// Audit returns a page of the actor's group's audit log, newest first.
func (s *Service) Audit(ctx context.Context, a Actor, f AuditFilter) (AuditPage, error) {
	page := AuditPage{Events: []AuditEntry{}}
	q, err := f.query(a.GroupID)
	if err != nil {
		return page, err
	}
	q.Limit++ // one more tells whether a next page exists
	err = s.store.View(ctx, func(tx anshin.Tx) error {
		if _, err := me(tx, a); err != nil {
			return err
		}
		events, err := tx.AuditPage(q)
		if err != nil {
			return err
		}
		if len(events) == q.Limit {
			events = events[:q.Limit-1]
			page.NextBefore = events[len(events)-1].ID
		}
		who := map[string]string{}
		for _, e := range events {
			en := AuditEntry{ID: e.ID, Kind: e.Kind, At: e.At, ClientIP: e.ClientIP, Detail: map[string]any{}}
			json.Unmarshal([]byte(e.Detail), &en.Detail)
			if err := keyDeliveries(tx, en.Detail); err != nil {
				return err
			}
			if e.AccountID != "" {
				id, ok := who[e.AccountID]
				if !ok {
					if acct, err := tx.AccountByID(e.AccountID); err == nil {
						id = acct.LoginID
					}
					who[e.AccountID] = id
				}
				en.LoginID = id
			}
			page.Events = append(page.Events, en)
		}
		return nil
	})
	return page, err
}

// keyDeliveries replaces the key IDs of a key_issued event with the
// masked destination and current status of each of the keys' messages, so
// the log shows whether the keys arrived.
func keyDeliveries(tx anshin.Tx, detail map[string]any) error {
	var ids []string
	if id, _ := detail["key_id"].(string); id != "" { // events before key scopes
		ids = append(ids, id)
	}
	list, _ := detail["key_ids"].([]any)
	for _, v := range list {
		if id, _ := v.(string); id != "" {
			ids = append(ids, id)
		}
	}
	delete(detail, "key_id")
	delete(detail, "key_ids")
	if len(ids) == 0 {
		return nil
	}
	out := []map[string]string{}
	for _, id := range ids {
		k, err := tx.Key(id)
		if anshin.ErrorCode(err) == anshin.ECodeNotFound {
			continue
		}
		if err != nil {
			return err
		}
		ds, err := tx.FlowDeliveries(k.FlowID)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if d.KeyID != id {
				continue
			}
			out = append(out, map[string]string{"to": anshin.MaskDestination(d.Channel, d.Recipient), "status": d.Status})
		}
	}
	detail["deliveries"] = out
	return nil
}
