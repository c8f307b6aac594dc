package purge_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/purge"
)

// A run removes at most Batch × MaxBatches rows of a kind; the next run
// takes the rest. What is live stays, and each run tells Observe.
func TestRunIsBoundedAndSparesLiveRows(t *testing.T) {
	db := anshintest.MustOpenDB(t)
	clock := anshintest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	now := clock.Now()
	ctx := context.Background()
	err := db.Update(ctx, func(tx anshin.Tx) error {
		for i := range 10 {
			if err := tx.PutThrottle(fmt.Sprintf("dead-%d", i), 1, time.Time{}, now.Add(-time.Second)); err != nil {
				return err
			}
		}
		if err := tx.PutThrottle("live", 1, time.Time{}, now.Add(time.Minute)); err != nil {
			return err
		}
		for _, at := range []time.Time{now.Add(-401 * 24 * time.Hour), now.Add(-399 * 24 * time.Hour)} {
			if err := tx.AppendAudit(&anshin.AuditEvent{GroupID: "g1", Kind: "sign_in", At: at}); err != nil {
				return err
			}
		}
		return tx.CreateSession(&anshin.Session{ID: "s", AccountID: "a", GroupID: "g1", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := purge.Defaults()
	cfg.Batch, cfg.MaxBatches = 2, 3
	p := purge.New(db, clock.Now, cfg)
	observed := map[anshin.PurgeKind]int{}
	p.Observe = func(kind anshin.PurgeKind, n int) { observed[kind] += n }

	got, err := p.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got[anshin.PurgeThrottles] != 6 || got[anshin.PurgeAudit] != 1 {
		t.Errorf("first run removed %v, want 6 throttles (3 batches of 2) and 1 audit event (past 400 days)", got)
	}
	if got, _ = p.Run(ctx); got[anshin.PurgeThrottles] != 4 {
		t.Errorf("second run removed %v, want the 4 throttles left", got)
	}
	if observed[anshin.PurgeThrottles] != 10 || observed[anshin.PurgeAudit] != 1 || observed[anshin.PurgeSessions] != 0 {
		t.Errorf("observed %v", observed)
	}
	err = db.View(ctx, func(tx anshin.Tx) error {
		if n, _, err := tx.Throttle("live", now); err != nil || n != 1 {
			t.Errorf("live throttle: %d, %v", n, err)
		}
		if _, err := tx.Session("s"); err != nil {
			t.Errorf("live session: %v", err)
		}
		list, err := tx.Audit("g1", 10)
		if len(list) != 1 {
			t.Errorf("audit events left: %d", len(list))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// A day later the session expired by idleness (30 minutes) and goes.
	clock.Advance(24 * time.Hour)
	if got, _ = p.Run(ctx); got[anshin.PurgeSessions] != 1 {
		t.Errorf("a day later removed %v, want the idle session", got)
	}
}

func TestLoopStopsWithContext(t *testing.T) {
	p := purge.New(anshintest.MustOpenDB(t), time.Now, purge.Defaults())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Loop(ctx, time.Millisecond); close(done) }()
	time.Sleep(20 * time.Millisecond) // a few runs
	cancel()
	<-done
}
