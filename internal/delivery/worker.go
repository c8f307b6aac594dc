// Package delivery sends what the outbox holds: workers claim queued
// deliveries through the store, open their sealed payload, render the
// message in the recipient's language and hand it to the channel's sender.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/secret"
)

// Message is a rendered message ready for a sender.
type Message struct {
	ID        string    `json:"id"` // the delivery's ID
	Channel   string    `json:"channel"`
	To        string    `json:"to"`
	Lang      string    `json:"lang"`
	Subject   string    `json:"subject,omitempty"`
	Body      string    `json:"body"`           // plain text (e-mail) or the SMS text
	HTML      string    `json:"html,omitempty"` // e-mail's HTML alternative
	CreatedAt time.Time `json:"created_at"`
	// ProviderID is set by a sender whose gateway names the message (a
	// Twilio message SID), so that delivery receipts can find it.
	ProviderID string `json:"provider_id,omitempty"`
}

// Sender hands a message to a mail server, an SMS gateway or the
// development outbox. An error wrapped with Permanent is not retried.
type Sender interface {
	Send(ctx context.Context, m *Message) error
}

type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return permanentError{err} }

// Worker delivers the outbox. Several workers, in one process or many,
// never send a message twice: each claims with a lease in the database.
type Worker struct {
	store    anshin.Store
	keys     *secret.Keyring
	now      anshin.Clock
	senders  map[anshin.Method]Sender
	log      *slog.Logger
	wake     chan struct{}
	Lease    time.Duration // how long a claim lasts before another worker may retry
	Batch    int
	Poll     time.Duration // how often to look without being woken
	MaxTries int
	// SMSOrigin is the host key SMS are bound to (the origin-bound code
	// line), "" for none.
	SMSOrigin string
	// Observe, when set, hears the outcome of every attempt: sent, failed
	// or retry (metrics).
	Observe func(channel anshin.Method, status string)

	running atomic.Int32 // Runs in progress
	beat    atomic.Int64 // Unix ms of the last loop or delivery of any Run

	mu       sync.Mutex
	handed   []*anshin.Delivery // leased at enqueue and committed, for Hand
	handWake chan struct{}
}

// NewWorker returns a worker with one sender per channel.
func NewWorker(store anshin.Store, keys *secret.Keyring, now anshin.Clock, senders map[anshin.Method]Sender, log *slog.Logger) *Worker {
	return &Worker{store: store, keys: keys, now: now, senders: senders, log: log, wake: make(chan struct{}, 1), handWake: make(chan struct{}, 1),
		Lease: 60 * time.Second, Batch: 8, Poll: time.Second, MaxTries: 8}
}

// Claim claims d for this worker as it is queued, in the transaction that
// queues it: no worker claims it before its lease ends, and once the
// transaction committed, Hand gives it to this one to send without a claim
// of its own (a statement saved per message). Should this process stop
// before sending it, another worker claims it when the lease ends.
func (w *Worker) Claim(d *anshin.Delivery, now time.Time) {
	d.Attempts, d.LeaseUntil = 1, now.Add(w.Lease)
}

// Hand gives the worker messages Claim claimed and their transaction
// committed; it never blocks. Run sends them next, RunOnce first.
func (w *Worker) Hand(ds []*anshin.Delivery) {
	w.mu.Lock()
	w.handed = append(w.handed, ds...)
	w.mu.Unlock()
	select {
	case w.handWake <- struct{}{}:
	default:
	}
}

// takeHanded returns what Hand gave and forgets it.
func (w *Worker) takeHanded() []*anshin.Delivery {
	w.mu.Lock()
	defer w.mu.Unlock()
	ds := w.handed
	w.handed = nil
	return ds
}

// Notify wakes the worker; it never blocks.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends; a message being sent when it ends is
// finished first.
func (w *Worker) Run(ctx context.Context) { w.RunDraining(ctx, context.WithoutCancel(ctx)) }

// RunDraining is Run whose sends in flight when ctx ends are given up when
// sends ends too (a shutdown deadline): their lease lets another attempt
// follow.
func (w *Worker) RunDraining(ctx, sends context.Context) {
	w.running.Add(1)
	defer w.running.Add(-1)
	// Messages handed over and not sent when the run ends go back to the
	// queue for any worker, instead of waiting for their lease to end.
	defer func() { w.release(sends, w.takeHanded()) }()
	t := time.NewTicker(w.Poll)
	defer t.Stop()
	for ctx.Err() == nil {
		w.beat.Store(w.now().UnixMilli())
		n, err := w.RunOnce(sends)
		if err != nil {
			w.log.Error("outbox: claim failed", "err", err)
		}
		if n == w.Batch && err == nil {
			// A full batch: more may be queued. A smaller one emptied the
			// queue as it was; what is queued since comes with a Notify
			// (or, from another instance, by the next poll).
			continue
		}
		if !w.wait(ctx, sends, t.C) {
			return
		}
	}
}

// wait waits for a reason to claim — a Notify or the next poll — and
// reports false when ctx ends first. Messages handed over meanwhile need
// no claim: it sends them and waits on.
func (w *Worker) wait(ctx, sends context.Context, poll <-chan time.Time) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case <-w.handWake:
			w.send(sends, w.takeHanded())
			w.beat.Store(w.now().UnixMilli())
		case <-w.wake:
			return true
		case <-poll:
			return true
		}
	}
}

// RunOnce claims one batch and delivers it, then what Hand gave (queued
// later than the batch), reporting how many it claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	defer func() { w.send(ctx, w.takeHanded()) }()
	var batch []*anshin.Delivery
	err := w.store.UpdateOne(ctx, func(tx anshin.Tx) error {
		now := w.now()
		var err error
		batch, err = tx.ClaimDeliveries(now, now.Add(w.Lease), w.Batch)
		return err
	})
	if err != nil {
		return 0, err
	}
	w.send(ctx, batch)
	return len(batch), nil
}

// send delivers messages leased to this worker, one after another.
func (w *Worker) send(ctx context.Context, batch []*anshin.Delivery) {
	for i, d := range batch {
		// A batch is sent one message after another under one lease. Once
		// half of it is gone, the rest is handed back: sent later, a message
		// could still be on its way when the lease ends and another worker
		// claims and sends it too.
		if d.LeaseUntil.Sub(w.now()) < w.Lease/2 {
			w.release(ctx, batch[i:])
			break
		}
		w.deliver(ctx, d)
		w.beat.Store(w.now().UnixMilli())
	}
}

// release hands claimed messages back to the queue while their lease
// still holds, for the next claim by any worker.
func (w *Worker) release(ctx context.Context, batch []*anshin.Delivery) {
	if len(batch) == 0 {
		return
	}
	err := w.store.Update(ctx, func(tx anshin.Tx) error {
		now := w.now()
		for _, d := range batch {
			if err := tx.RetryDelivery(d.ID, d.LastError, now, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		w.log.Error("outbox: handing back a batch failed; its lease will end", "err", anshin.MaskText(err.Error()))
	}
}

// Ready tells whether the worker is delivering (/readyz): a Run is in
// progress and has looped or delivered within Lease and three polls — a
// send that outlasts its lease is a fault anyway.
func (w *Worker) Ready() error {
	if w.running.Load() == 0 {
		return errors.New("outbox worker: not running")
	}
	last := time.UnixMilli(w.beat.Load()).UTC()
	if w.now().Sub(last) > w.Lease+3*w.Poll {
		return fmt.Errorf("outbox worker: no progress since %s", last.Format(time.RFC3339))
	}
	return nil
}

func (w *Worker) deliver(ctx context.Context, d *anshin.Delivery) {
	w.log.Debug("outbox: sending", "delivery", d.ID, "kind", d.Kind, "channel", d.Channel)
	status, reason, providerID, retry := w.attempt(ctx, d)
	if w.Observe != nil {
		outcome := status
		if retry {
			outcome = "retry"
		}
		w.Observe(d.Channel, outcome)
	}
	update := w.store.UpdateOne // one statement…
	if !retry && providerID != "" {
		update = w.store.Update // …or two
	}
	err := update(ctx, func(tx anshin.Tx) error {
		now := w.now()
		if retry {
			return tx.RetryDelivery(d.ID, reason, now.Add(backoff(d.Attempts)), now)
		}
		if err := tx.FinishDelivery(d.ID, status, reason, now); err != nil || providerID == "" {
			return err
		}
		return tx.SetDeliveryProviderID(d.ID, providerID)
	})
	if err != nil {
		// The lease runs out and another attempt follows; for a sent message
		// that is the rare duplicate a crash can cause.
		w.log.Error("outbox: recording the outcome failed", "delivery", d.ID, "err", anshin.MaskText(err.Error()))
		return
	}
	w.log.Info("outbox: delivery", "delivery", d.ID, "kind", d.Kind, "channel", d.Channel, "to", anshin.MaskDestination(d.Channel, d.Recipient),
		"status", status, "retry", retry, "reason", anshin.MaskText(reason))
}

// attempt sends d and says what became of it. A key's message is never sent
// after its key expired, was used or was replaced.
func (w *Worker) attempt(ctx context.Context, d *anshin.Delivery) (status, reason, providerID string, retry bool) {
	if d.Kind == anshin.DeliveryKindKey {
		if why := w.keyGone(ctx, d.KeyID); why != "" {
			return anshin.DeliveryFailed, why, "", false
		}
	}
	sender, ok := w.senders[d.Channel]
	if !ok {
		return anshin.DeliveryFailed, "no sender for channel " + string(d.Channel), "", false
	}
	plain, err := w.keys.Open(d.Payload)
	if err != nil {
		return anshin.DeliveryFailed, "payload cannot be opened with this secret key", "", false
	}
	m, err := RenderFor(d, plain, w.SMSOrigin)
	if err != nil {
		return anshin.DeliveryFailed, err.Error(), "", false
	}
	// The send ends before the lease does (with a tenth of it left to
	// record the outcome), so that no other worker claims the message
	// while it is still being sent.
	sendCtx, cancel := context.WithTimeout(ctx, d.LeaseUntil.Sub(w.now())-w.Lease/10)
	defer cancel()
	err = sender.Send(sendCtx, m)
	switch {
	case err == nil:
		return anshin.DeliverySent, "", m.ProviderID, false
	case errors.As(err, new(permanentError)) || d.Attempts >= w.MaxTries:
		return anshin.DeliveryFailed, truncate(err.Error(), 500), "", false
	default:
		return anshin.DeliveryQueued, truncate(err.Error(), 500), "", true
	}
}

// truncate keeps an error recorded on a delivery short; a server's answer
// can be long.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func (w *Worker) keyGone(ctx context.Context, keyID string) string {
	var why string
	err := w.store.View(ctx, func(tx anshin.Tx) error {
		k, err := tx.Key(keyID)
		if err != nil {
			return err
		}
		switch {
		case !k.UsedAt.IsZero():
			why = "key_used"
		case !k.InvalidatedAt.IsZero():
			why = "key_replaced"
		case !w.now().Before(k.ExpiresAt):
			why = "key_expired"
		}
		return nil
	})
	if err != nil {
		return "key_missing"
	}
	return why
}

// backoff is exponential with jitter: about 2s, 4s, 8s … capped at 5
// minutes, each between half and the whole of it.
func backoff(attempts int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < attempts && d < 5*time.Minute; i++ {
		d *= 2
	}
	d = min(d, 5*time.Minute)
	return d/2 + rand.N(d/2+1)
}
