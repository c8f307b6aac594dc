package bounce

import (
	"bytes"
	"context"
	"fmt"
	netsmtp "net/smtp"
	"os"
	"path/filepath"
	"testing"
)

func loadCorpus(b *testing.B) [][]byte {
	files, _ := filepath.Glob("testdata/*.eml")
	var msgs [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, raw)
	}
	return msgs
}

// BenchmarkParseCorpus classifies the whole corpus: parsing and the
// verdict for the delivery's recipient, no store.
func BenchmarkParseCorpus(b *testing.B) {
	msgs := loadCorpus(b)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for _, m := range msgs {
			Parse(m).For("taro@example.jp")
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

// deliveries sends n messages to addresses of their own and returns their
// return paths: each benchmarked bounce then applies to a fresh delivery.
func deliveries(b *testing.B, f *fixture, n int) []string {
	rps := make([]string, n)
	for i := range rps {
		rps[i] = f.sent(b, fmt.Sprintf("d%d", i), fmt.Sprintf("user%d@example.jp", i))
	}
	return rps
}

// BenchmarkHandlerCorpus classifies and applies each corpus message to a
// delivery of its own in a real SQLite store.
func BenchmarkHandlerCorpus(b *testing.B) {
	f := newFixture(b)
	msgs := loadCorpus(b)
	rps := deliveries(b, f, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.handler.Message(context.Background(), rps[i], readdressed(msgs[i%len(msgs)], i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func readdressed(raw []byte, i int) []byte {
	return bytes.ReplaceAll(raw, []byte("taro@example.jp"), fmt.Appendf(nil, "user%d@example.jp", i))
}

// BenchmarkListenerCorpus sends corpus messages through the SMTP bounce
// receiver, one connection per message as an MTA relaying bounces does.
func BenchmarkListenerCorpus(b *testing.B) {
	f := newFixture(b)
	addr := startListener(b, f)
	msgs := loadCorpus(b)
	rps := deliveries(b, f, b.N)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		c, err := netsmtp.Dial(addr)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Mail(""); err != nil {
			b.Fatal(err)
		}
		if err := c.Rcpt(rps[n]); err != nil {
			b.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			b.Fatal(err)
		}
		w.Write(readdressed(msgs[n%len(msgs)], n))
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		c.Quit()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
