package bounce

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	netsmtp "net/smtp"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A refused recipient is logged masked: it may be anyone's address.
func TestRefusedRecipientsAreLoggedMasked(t *testing.T) {
	f := newFixture(t)
	var log lockedBuffer
	f.handler.Log = slog.New(slog.NewJSONHandler(&log, nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &Listener{Handler: f.handler, Log: f.handler.Log, Domain: testDomain, MaxBytes: 1 << 20, MaxConns: 4, Timeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- l.Serve(ln) }()
	c, err := netsmtp.Dial(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Hello("mx.example.jp")
	c.Mail("")
	if err := c.Rcpt("yamada.taro@example.co.jp"); err == nil {
		t.Fatal("a plain address was accepted")
	}
	c.Quit()
	c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l.Shutdown(ctx)
	<-done
	if _, err := f.handler.Message(ctx, "hanako@example.jp", []byte("Subject: x\r\n\r\nx")); err != ErrForged {
		t.Fatalf("an unsigned rcpt: %v", err)
	}
	text := log.String()
	if !strings.Contains(text, "recipient refused") || !strings.Contains(text, "not a signed return path") {
		t.Fatalf("the refusals are not logged:\n%s", text)
	}
	for _, full := range []string{"yamada.taro@", "hanako@"} {
		if strings.Contains(text, full) {
			t.Errorf("the log holds %q in full:\n%s", full, text)
		}
	}
}
