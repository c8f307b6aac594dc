// Package purge keeps the database from growing without bound: it removes
// what expired (login flows and their keys, sessions, throttles, message
// payloads) and, after the retention time, finished deliveries, bounces
// and audit events. Nothing live is touched; the store's statements check
// each row as it is when they remove it, so every instance may run a
// purger on the same database at once.
package purge

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

// Config says what is no longer live, and how much one run removes.
type Config struct {
	// Retention keeps finished deliveries, bounce events and audit events.
	Retention time.Duration
	// KeyWindow is how long a key counts towards its account's issuance
	// limits (an hour; longer when the cooldown is).
	KeyWindow time.Duration
	// FlowGrace keeps an expired flow a while, so that its user is told
	// "expired" rather than "no such login flow".
	FlowGrace time.Duration
	// SessionIdle is the session idle timeout.
	SessionIdle time.Duration
	// Batch rows per statement, at most MaxBatches statements per kind and
	// run: a run's work, and each transaction's locks, stay bounded; what
	// is left waits for the next run.
	Batch      int
	MaxBatches int
}

// Defaults returns the batch sizes and grace; the caller sets Retention,
// KeyWindow and SessionIdle from its configuration.
func Defaults() Config {
	return Config{Retention: 9600 * time.Hour, KeyWindow: time.Hour, FlowGrace: time.Hour, SessionIdle: 30 * time.Minute, Batch: 500, MaxBatches: 20}
}

// Purger runs purges against a store.
type Purger struct {
	store anshin.Store
	now   anshin.Clock
	cfg   Config
	// Observe, if set, is told how many rows of a kind each run removed.
	Observe func(kind anshin.PurgeKind, n int)
	// Log, if set, receives a line per run that removed something, and
	// errors.
	Log *slog.Logger
}

// New returns a purger.
func New(store anshin.Store, now anshin.Clock, cfg Config) *Purger {
	return &Purger{store: store, now: now, cfg: cfg}
}

// Cutoffs are what a run at now removes on the far side of.
func (p *Purger) Cutoffs(now time.Time) anshin.PurgeCutoffs {
	return anshin.PurgeCutoffs{
		Now:                now,
		KeysCreatedBefore:  now.Add(-p.cfg.KeyWindow),
		FlowsExpiredBefore: now.Add(-p.cfg.FlowGrace),
		SessionIdleSince:   now.Add(-p.cfg.SessionIdle),
		RetainSince:        now.Add(-p.cfg.Retention),
	}
}

// Run purges each kind once, in batches, and reports how many rows of
// each it removed. A kind that fails does not stop the others.
func (p *Purger) Run(ctx context.Context) (map[anshin.PurgeKind]int, error) {
	c := p.Cutoffs(p.now())
	out := make(map[anshin.PurgeKind]int, len(anshin.PurgeKinds))
	var errs []error
	for _, kind := range anshin.PurgeKinds {
		for range max(p.cfg.MaxBatches, 1) {
			var n int
			// One statement per transaction: locks are held for one batch.
			err := p.store.Update(ctx, func(tx anshin.Tx) error {
				var err error
				n, err = tx.Purge(kind, c, p.cfg.Batch)
				return err
			})
			if err != nil {
				errs = append(errs, err)
				break
			}
			out[kind] += n
			if n < p.cfg.Batch {
				break
			}
		}
		if p.Observe != nil && out[kind] > 0 {
			p.Observe(kind, out[kind])
		}
	}
	return out, errors.Join(errs...)
}

// Loop runs a purge about every interval until ctx ends. Each wait is
// drawn between half and one and a half intervals, and the first comes
// before the first run, so instances started together spread out.
func (p *Purger) Loop(ctx context.Context, interval time.Duration) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval/2 + rand.N(interval+1)):
		}
		n, err := p.Run(ctx)
		if p.Log == nil {
			continue
		}
		if err != nil && ctx.Err() == nil {
			p.Log.Error("purge", "err", err)
		}
		total := 0
		attrs := []any{}
		for _, kind := range anshin.PurgeKinds {
			if n[kind] > 0 {
				total += n[kind]
				attrs = append(attrs, string(kind), n[kind])
			}
		}
		if total > 0 {
			p.Log.Info("purge", attrs...)
		}
	}
}
