package delivery_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/secret"
	"github.com/anshin/anshin/internal/store/sqlstore"
)

type fixture struct {
	db   *sqlstore.DB
	keys *secret.Keyring
	now  time.Time
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := anshintest.MustOpenDB(t)
	keys, _ := secret.NewKeyring(bytes.Repeat([]byte("s"), 32))
	return &fixture{db: db, keys: keys, now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
}

func (f *fixture) clock() time.Time { return f.now }

// enqueue queues n notifications to distinct addresses.
func (f *fixture) enqueue(t testing.TB, n int) {
	t.Helper()
	err := f.db.Update(context.Background(), func(tx anshin.Tx) error {
		for i := range n {
			payload := fmt.Sprintf(`{"Subject":"お知らせ %d","Body":"本文 %d"}`, i, i)
			d := &anshin.Delivery{ID: fmt.Sprintf("d%04d", i), Kind: anshin.DeliveryKindNotification, Channel: anshin.MethodEmail,
				Recipient: fmt.Sprintf("user%d@example.jp", i), Lang: "ja", Payload: f.keys.Seal([]byte(payload)),
				NextAttemptAt: f.now, CreatedAt: f.now, UpdatedAt: f.now}
			if err := tx.EnqueueDelivery(d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) status(t *testing.T, id string) *anshin.Delivery {
	t.Helper()
	var out *anshin.Delivery
	// Notifications belong to no login flow: the empty flow lists them.
	f.db.View(context.Background(), func(tx anshin.Tx) error {
		ds, err := tx.FlowDeliveries("")
		for _, d := range ds {
			if d.ID == id {
				out = d
			}
		}
		return err
	})
	if out == nil {
		t.Fatalf("delivery %s not found", id)
	}
	return out
}

type countingSender struct {
	mu   sync.Mutex
	sent map[string]int
	err  error
}

func (s *countingSender) Send(_ context.Context, m *delivery.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.sent == nil {
		s.sent = map[string]int{}
	}
	s.sent[m.ID]++
	return nil
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestManyWorkersSendEachMessageOnce(t *testing.T) {
	f := newFixture(t)
	f.enqueue(t, 200)
	sender := &countingSender{}
	w := delivery.NewWorker(f.db, f.keys, time.Now, map[anshin.Method]delivery.Sender{anshin.MethodEmail: sender}, quiet())
	w.Batch = 3
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				n, err := w.RunOnce(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if len(sender.sent) != 200 {
		t.Fatalf("%d distinct messages sent, want 200", len(sender.sent))
	}
	for id, n := range sender.sent {
		if n != 1 {
			t.Errorf("%s sent %d times", id, n)
		}
	}
}

func TestTransientFailureIsRetriedAfterBackoff(t *testing.T) {
	f := newFixture(t)
	f.enqueue(t, 1)
	sender := &countingSender{err: errors.New("421 try again later")}
	w := delivery.NewWorker(f.db, f.keys, f.clock, map[anshin.Method]delivery.Sender{anshin.MethodEmail: sender}, quiet())
	ctx := context.Background()
	if n, _ := w.RunOnce(ctx); n != 1 {
		t.Fatalf("claimed %d, want 1", n)
	}
	d := f.status(t, "d0000")
	if d.Status != anshin.DeliveryQueued || d.Attempts != 1 || !d.NextAttemptAt.After(f.now) || d.LastError == "" {
		t.Fatalf("after a transient failure: %+v", d)
	}
	if n, _ := w.RunOnce(ctx); n != 0 {
		t.Fatal("retried before its backoff")
	}
	f.now = d.NextAttemptAt
	sender.err = nil
	if n, _ := w.RunOnce(ctx); n != 1 || sender.sent["d0000"] != 1 {
		t.Fatalf("not retried after the backoff: %v", sender.sent)
	}
	if d := f.status(t, "d0000"); d.Status != anshin.DeliverySent || len(d.Payload) != 0 {
		t.Fatalf("after success: status %s, payload %d bytes (want erased)", d.Status, len(d.Payload))
	}
}

func TestPermanentFailureIsNotRetried(t *testing.T) {
	f := newFixture(t)
	f.enqueue(t, 1)
	sender := &countingSender{err: delivery.Permanent(errors.New("550 no such user"))}
	w := delivery.NewWorker(f.db, f.keys, f.clock, map[anshin.Method]delivery.Sender{anshin.MethodEmail: sender}, quiet())
	w.RunOnce(context.Background())
	d := f.status(t, "d0000")
	if d.Status != anshin.DeliveryFailed || d.LastError != "550 no such user" {
		t.Fatalf("after a permanent failure: %+v", d)
	}
	f.now = f.now.Add(time.Hour)
	if n, _ := w.RunOnce(context.Background()); n != 0 {
		t.Fatal("a failed message was claimed again")
	}
}

func TestAnExpiredLeaseIsClaimedAgain(t *testing.T) {
	f := newFixture(t)
	f.enqueue(t, 1)
	// A worker claims and dies before recording anything.
	err := f.db.Update(context.Background(), func(tx anshin.Tx) error {
		ds, err := tx.ClaimDeliveries(f.now, f.now.Add(time.Minute), 10)
		if len(ds) != 1 {
			t.Fatalf("claimed %d", len(ds))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sender := &countingSender{}
	w := delivery.NewWorker(f.db, f.keys, f.clock, map[anshin.Method]delivery.Sender{anshin.MethodEmail: sender}, quiet())
	if n, _ := w.RunOnce(context.Background()); n != 0 {
		t.Fatal("claimed while another worker's lease holds")
	}
	f.now = f.now.Add(time.Minute)
	if n, _ := w.RunOnce(context.Background()); n != 1 || sender.sent["d0000"] != 1 {
		t.Fatalf("not delivered after the lease expired: %v", sender.sent)
	}
}

func TestQueuedMessagesSurviveARestart(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "restart.db")
	db := anshintest.MustOpenDBAt(t, path)
	f.db = db
	f.enqueue(t, 3)
	db.Close() // the process stops before any worker ran

	db = anshintest.MustOpenDBAt(t, path) // as serve does at start
	sender := &countingSender{}
	w := delivery.NewWorker(db, f.keys, f.clock, map[anshin.Method]delivery.Sender{anshin.MethodEmail: sender}, quiet())
	if n, err := w.RunOnce(context.Background()); err != nil || n != 3 || len(sender.sent) != 3 {
		t.Fatalf("after the restart: claimed %d (%v), sent %v", n, err, sender.sent)
	}
}
