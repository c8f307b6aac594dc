package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/demo"
)

// BenchmarkKeyIssueToSMTPAccept measures, on an idle `anshin serve` (run
// in-process, SQLite), the time from the key issuance request to the SMTP
// server's acceptance of the key mail, and reports p50 and p99. Run with
// -benchtime=Nx (N ≤ 1000, the hourly key limit of one account).
func BenchmarkKeyIssueToSMTPAccept(b *testing.B) {
	sink := newMailSink(b, "")
	env := map[string]string{
		"ANSHIN_HTTP_ADDR":             "127.0.0.1:0",
		"ANSHIN_DATABASE_URL":          "sqlite:" + b.TempDir() + "/anshin.db",
		"ANSHIN_ARGON2_MEMORY_KIB":     "1024",
		"ANSHIN_ARGON2_TIME":           "1",
		"ANSHIN_KEY_COOLDOWN":          "0s",
		"ANSHIN_FLOWS_PER_CLIENT":      "0",
		"ANSHIN_KEYS_PER_FLOW":         "100",
		"ANSHIN_KEYS_PER_ACCOUNT_HOUR": "1000",
		"ANSHIN_SMTP_URL":              "smtp://" + sink.Addr,
		"ANSHIN_SECRET_KEY":            testSecretKey,
		"ANSHIN_LOG_LEVEL":             "warn",
	}
	ctx, stop := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo"}, getenvFrom(env), strings.NewReader(""), out, io.Discard)
	}()
	defer func() { stop(); <-done }()
	var base string
	for deadline := time.Now().Add(60 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		b.Fatal("anshin serve did not listen")
	}
	issue := func(flow string) {
		resp, err := http.Post(base+"/api/v1/login/"+flow+"/one-time-key", "application/json", bytes.NewReader([]byte(`{"method":"email"}`)))
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("issue: HTTP %d", resp.StatusCode)
		}
	}
	var flow string
	samples := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		if i%99 == 0 { // 100 keys per flow at most
			b.StopTimer()
			flow = apiIssue(b, base, demo.RepresentativeID, "email")
			<-sink.accepted
			b.StartTimer()
		}
		start := time.Now()
		issue(flow)
		select {
		case at := <-sink.accepted:
			samples = append(samples, at.Sub(start))
		case <-time.After(30 * time.Second):
			b.Fatal("no mail accepted within 30 s")
		}
	}
	b.StopTimer()
	slices.Sort(samples)
	pct := func(p float64) float64 {
		return float64(samples[min(len(samples)-1, int(p*float64(len(samples))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
