package bounce

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

// serveWith starts a listener on loopback with the given limits.
func serveWith(t *testing.T, f *fixture, adjust func(*Listener)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &Listener{Handler: f.handler, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Domain: testDomain,
		MaxBytes: 1 << 20, MaxConns: 8, Timeout: 10 * time.Second}
	adjust(l)
	done := make(chan error, 1)
	go func() { done <- l.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		l.Shutdown(ctx)
		<-done
	})
	return ln.Addr().String()
}

// dialFrom connects to addr from the loopback address from (Linux routes
// all of 127.0.0.0/8 to lo), and returns the connection and its first
// line from the server.
func dialFrom(t *testing.T, from, addr string) (net.Conn, string) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", from, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	return c, line
}

// One client address holds at most MaxConnsPerClient connections: the
// next is answered 421 and closed, while another address is still served,
// and a slot freed is taken again.
func TestListenerCapsConnectionsPerClient(t *testing.T) {
	f := newFixture(t)
	addr := serveWith(t, f, func(l *Listener) { l.MaxConnsPerClient = 2 })
	first, g1 := dialFrom(t, "127.0.0.1", addr)
	_, g2 := dialFrom(t, "127.0.0.1", addr)
	if !strings.HasPrefix(g1, "220 ") || !strings.HasPrefix(g2, "220 ") {
		t.Fatalf("the first two connections: %q, %q", g1, g2)
	}
	third, g3 := dialFrom(t, "127.0.0.1", addr)
	if !strings.HasPrefix(g3, "421 ") {
		t.Fatalf("the third connection from one address: %q, want 421", g3)
	}
	third.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := third.Read(make([]byte, 64)); err != io.EOF {
		t.Fatalf("the refused connection was left open: %v", err)
	}
	if _, g := dialFrom(t, "127.0.0.2", addr); !strings.HasPrefix(g, "220 ") {
		t.Fatalf("another client address: %q, want 220", g)
	}

	// The server notices the first one closing in its own time: a new
	// connection is refused until then, and served after.
	first.Close()
	for i := 0; ; i++ {
		c, g := dialFrom(t, "127.0.0.1", addr)
		if strings.HasPrefix(g, "220 ") {
			break
		}
		c.Close()
		if i == 500 {
			t.Fatalf("the slot of a closed connection was never freed: %q", g)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A client that keeps a session alive by trickling commands (each well
// within the per-command timeout) is cut off at SessionTimeout.
func TestListenerEndsSessionsAtTheTimeLimit(t *testing.T) {
	f := newFixture(t)
	addr := serveWith(t, f, func(l *Listener) { l.SessionTimeout = 200 * time.Millisecond })
	c, g := dialFrom(t, "127.0.0.1", addr)
	if !strings.HasPrefix(g, "220 ") {
		t.Fatalf("greeting %q", g)
	}
	r := bufio.NewReader(c)
	// Without the limit this loop would go on for ever: NOOP keeps the
	// per-command timeout from firing. The bound only keeps a broken
	// build from hanging the test run.
	for i := 0; ; i++ {
		if i == 2000 {
			t.Fatal("the trickling session was never closed")
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, "NOOP\r\n"); err != nil {
			break
		}
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		if !strings.HasPrefix(line, "250") {
			t.Fatalf("NOOP answered %q", line)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
