package bounce

import (
	"context"
	"io"
	"log/slog"
	"net"
	netsmtp "net/smtp"
	"strings"
	"testing"
	"time"
)

func startListener(t testing.TB, f *fixture) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &Listener{Handler: f.handler, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Domain: testDomain,
		MaxBytes: 1 << 20, MaxConns: 4, Timeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- l.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		l.Shutdown(ctx)
		<-done
	})
	return ln.Addr().String()
}

func TestListenerAcceptsOnlySignedReturnPaths(t *testing.T) {
	f := newFixture(t)
	addr := startListener(t, f)
	rp := f.sent(t, "d1", "taro@example.jp")

	c, err := netsmtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("mx.example.jp"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(""); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"postmaster@" + testDomain, "taro@example.jp", strings.Replace(rp, "b-d1-", "b-d9-", 1)} {
		err := c.Rcpt(bad)
		if err == nil || !strings.HasPrefix(err.Error(), "550") {
			t.Errorf("RCPT %s: %v, want 550", bad, err)
		}
	}
	if err := c.Rcpt(rp); err != nil {
		t.Fatalf("RCPT of a signed return path: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write(corpusFile(t, "exim_user_unknown.eml"))
	if err := w.Close(); err != nil {
		t.Fatalf("DATA: %v", err)
	}
	c.Quit()
	if disabled, status, _ := f.state(t, "taro@example.jp", "d1"); !disabled || status != "bounced" {
		t.Fatalf("after the SMTP bounce: disabled %v, delivery %s", disabled, status)
	}
}

func TestListenerRefusesOversizedMessages(t *testing.T) {
	f := newFixture(t)
	addr := startListener(t, f)
	rp := f.sent(t, "d1", "taro@example.jp")
	c, err := netsmtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Mail("")
	if err := c.Rcpt(rp); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	big := append(corpusFile(t, "exim_user_unknown.eml"), []byte(strings.Repeat("x", 80)+"\r\n")...)
	for range (1 << 20) / 80 {
		w.Write([]byte(strings.Repeat("x", 78) + "\r\n"))
	}
	w.Write(big)
	if err := w.Close(); err == nil || !strings.HasPrefix(err.Error(), "552") {
		t.Fatalf("oversized DATA: %v, want 552", err)
	}
	if disabled, _, _ := f.state(t, "taro@example.jp", "d1"); disabled {
		t.Fatal("an oversized message was applied")
	}
}
