package delivery_test

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/delivery"
)

// BenchmarkOutboxToSMTP measures messages per second from the outbox
// (SQLite) through the workers to a local SMTP server, one SMTP
// conversation per message, with 1 and 4 workers: plain SMTP, and
// STARTTLS with AUTH.
func BenchmarkOutboxToSMTP(b *testing.B) {
	for _, mode := range []string{"plain", "starttls+auth"} {
		for _, workers := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/workers=%d", mode, workers), func(b *testing.B) {
				f := newFixture(b)
				s := newSink(b, "")
				raw := "smtp://" + s.addr + "?tls=none"
				if mode == "plain" {
					s.user = "" // a relay without AUTH; set before any connection
				} else {
					raw = "smtp://" + url.UserPassword(s.user, s.pass).String() + "@" + s.addr + "?tls=required"
				}
				cfg, err := delivery.ParseSMTPURL(raw)
				if err != nil {
					b.Fatal(err)
				}
				cfg.TLSConfig = s.tlsConfig()
				sender := delivery.NewSMTPSender(cfg, f.keys, "anshin@example.jp", bounceDomain, time.Now)
				f.enqueue(b, b.N)
				w := delivery.NewWorker(f.db, f.keys, time.Now, map[anshin.Method]delivery.Sender{anshin.MethodEmail: sender}, quiet())
				w.Batch = 4
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for range workers {
					wg.Go(func() {
						for {
							n, err := w.RunOnce(context.Background())
							if err != nil {
								b.Error(err)
								return
							}
							if n == 0 {
								return
							}
						}
					})
				}
				wg.Wait()
				elapsed := time.Since(start)
				b.StopTimer()
				if got := len(s.messages()); got != b.N {
					b.Fatalf("the server received %d of %d", got, b.N)
				}
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			})
		}
	}
}
