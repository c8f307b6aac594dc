// Package anshintest holds what many packages' tests need: a migrated
// SQLite file, a cheap password hasher, and the outbox worker run until
// idle with the key read back from its messages.
package anshintest

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/secret"
	"github.com/anshin/anshin/internal/store/sqlstore"
)

// CheapArgon2 makes hashing nearly free where a test does not measure it.
var CheapArgon2 = secret.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

// CheapHasher returns a hasher with CheapArgon2.
func CheapHasher() *secret.Hasher { return secret.NewHasher(CheapArgon2) }

// MustOpenDB opens a migrated SQLite file in a temporary folder, closed
// when the test ends.
func MustOpenDB(t testing.TB) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open("sqlite:" + filepath.Join(t.TempDir(), "anshin.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// Deliver runs the worker until nothing is due and returns the messages it
// put in the outbox, oldest first.
func Deliver(t testing.TB, w *delivery.Worker, outbox *delivery.DevOutbox) []delivery.Message {
	t.Helper()
	before := len(outbox.Messages())
	for {
		n, err := w.RunOnce(context.Background())
		if err != nil {
			t.Fatalf("outbox worker: %v", err)
		}
		if n == 0 {
			break
		}
	}
	all := outbox.Messages() // newest first
	sent := all[:len(all)-before]
	out := make([]delivery.Message, len(sent))
	for i, m := range sent {
		out[len(sent)-1-i] = m
	}
	return out
}

var keyInBody = regexp.MustCompile(`(?:^|[^0-9])([0-9]{8})(?:[^0-9]|$)`)

// KeyIn extracts the one 8-digit key of a message body.
func KeyIn(t testing.TB, body string) string {
	t.Helper()
	m := keyInBody.FindAllStringSubmatch(body, -1)
	if len(m) != 1 {
		t.Fatalf("want exactly one 8-digit key in the message, found %d in %q", len(m), body)
	}
	return m[0][1]
}

// HasKey reports whether a message body carries an 8-digit key (a key
// message rather than a notification).
func HasKey(body string) bool { return keyInBody.MatchString(body) }

// Clock is an injected clock that only the test moves.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now tells the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// SyncBuffer is a bytes.Buffer that a server's goroutines and the test may
// share (a log or an output to read back).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
