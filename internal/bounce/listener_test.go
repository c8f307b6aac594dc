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

// With MaxConns connections open, the next one is not served (no
// greeting) until one of them closes.
func TestListenerConnectionLimit(t *testing.T) {
	f := newFixture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &Listener{Handler: f.handler, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Domain: testDomain,
		MaxBytes: 1 << 20, MaxConns: 1, Timeout: 10 * time.Second}
	go l.Serve(ln)
	defer l.Shutdown(context.Background())
	greeting := func(c net.Conn, wait time.Duration) string {
		c.SetReadDeadline(time.Now().Add(wait))
		buf := make([]byte, 512)
		n, _ := c.Read(buf)
		return string(buf[:n])
	}
	first, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if g := greeting(first, 10*time.Second); !strings.HasPrefix(g, "220 ") {
		t.Fatalf("first connection: %q", g)
	}
	second, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if g := greeting(second, 300*time.Millisecond); g != "" {
		t.Fatalf("a connection beyond the limit was served: %q", g)
	}
	first.Close()
	if g := greeting(second, 10*time.Second); !strings.HasPrefix(g, "220 ") {
		t.Fatalf("the waiting connection was not served after the first closed: %q", g)
	}
}

// Shutdown ends even while an MTA keeps an idle connection open, and
// closes that connection.
func TestListenerShutdownClosesIdleConnections(t *testing.T) {
	f := newFixture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &Listener{Handler: f.handler, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Domain: testDomain,
		MaxBytes: 1 << 20, MaxConns: 1, Timeout: time.Hour}
	done := make(chan error, 1)
	go func() { done <- l.Serve(ln) }()
	idle, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	waiting, _ := net.Dial("tcp", ln.Addr().String()) // beyond the limit
	if waiting != nil {
		defer waiting.Close()
	}
	idle.SetReadDeadline(time.Now().Add(10 * time.Second))
	idle.Read(make([]byte, 512))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	l.Shutdown(ctx)
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	idle.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := idle.Read(make([]byte, 512)); err != io.EOF {
		t.Fatalf("the idle connection was left open: %v", err)
	}
}
