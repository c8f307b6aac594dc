package metrics_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/metrics"
)

// BenchmarkScrape measures one whole scrape with n messages queued: the
// outbox query counts them at each scrape.
func BenchmarkScrape(b *testing.B) {
	for _, n := range []int{0, 10_000, 100_000} {
		b.Run(fmt.Sprintf("queued=%d", n), func(b *testing.B) {
			db := openStore(b)
			t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
			for i := 0; i < n; i += 1000 {
				err := db.Update(context.Background(), func(tx anshin.Tx) error {
					for j := i; j < min(i+1000, n); j++ {
						at := t0.Add(time.Duration(j) * time.Millisecond)
						if err := tx.EnqueueDelivery(&anshin.Delivery{ID: fmt.Sprintf("d%07d", j), Kind: anshin.DeliveryKindNotification, Channel: anshin.MethodEmail,
							Recipient: "x@example.jp", Lang: "ja", Payload: []byte("x"), NextAttemptAt: at, CreatedAt: at, UpdatedAt: at}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			m := metrics.New(metrics.Sources{Store: db, DBStats: db.Stats, Runtime: true})
			b.ResetTimer()
			for b.Loop() {
				if code, _ := exposition(b, m); code != 200 {
					b.Fatal(code)
				}
			}
		})
	}
}
