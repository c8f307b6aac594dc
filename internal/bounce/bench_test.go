package bounce

import (
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

// BenchmarkHandlerCorpus classifies and applies each corpus message to a
// delivery of its own in a real SQLite store.
func BenchmarkHandlerCorpus(b *testing.B) {
	f := newFixture(b)
	msgs := loadCorpus(b)
	var rps []string
	for i := range 2000 {
		rps = append(rps, f.sent(b, fmt.Sprintf("d%d", i), "taro@example.jp"))
	}
	b.ResetTimer()
	n := 0
	for b.Loop() {
		if _, err := f.handler.Message(context.Background(), rps[n%len(rps)], msgs[n%len(msgs)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkListenerCorpus sends corpus messages through the SMTP bounce
// receiver, one connection per message as an MTA relaying bounces does.
func BenchmarkListenerCorpus(b *testing.B) {
	f := newFixture(b)
	addr := startListener(b, f)
	msgs := loadCorpus(b)
	var rps []string
	for i := range 2000 {
		rps = append(rps, f.sent(b, fmt.Sprintf("d%d", i), "taro@example.jp"))
	}
	b.ResetTimer()
	n := 0
	for b.Loop() {
		c, err := netsmtp.Dial(addr)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Mail(""); err != nil {
			b.Fatal(err)
		}
		if err := c.Rcpt(rps[n%len(rps)]); err != nil {
			b.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			b.Fatal(err)
		}
		w.Write(msgs[n%len(msgs)])
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		c.Quit()
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}
