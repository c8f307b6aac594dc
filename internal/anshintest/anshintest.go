// Package anshintest is the one home of what tests share: a migrated
// database, a cheap password hasher, a cookie-keeping browser client, an
// injected clock, the outbox worker run until idle with the key read
// back from its messages, and a real OpenID Provider (oidcop.go). Tests
// get these here, never by hand.
package anshintest

import (
	"bytes"
	"context"
	"net/http"
	"net/http/cookiejar"
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
	return MustOpenDBAt(t, filepath.Join(t.TempDir(), "anshin.db"))
}

// MustOpenDBAt opens and migrates the SQLite file at path (a test that
// reopens the file, or reads it, names it), closed when the test ends.
func MustOpenDBAt(t testing.TB, path string) *sqlstore.DB {
	t.Helper()
	return MustOpenURL(t, "sqlite:"+path)
}

// MustOpenURL opens and migrates the database at url (sqlite:PATH or a
// PostgreSQL URL), closed when the test ends.
func MustOpenURL(t testing.TB, url string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(url)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// NewBrowser returns an HTTP client that keeps cookies, as a browser does,
// and does not follow redirects, so that a test sees each 303 and its
// Location.
func NewBrowser(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(c.CloseIdleConnections)
	return c
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
	// The SMS may name its key twice: in the text and in the origin-bound
	// line (@host #key) that phones read.
	m := keyInBody.FindAllStringSubmatch(body, -1)
	if len(m) == 0 || len(m) > 2 || m[len(m)-1][1] != m[0][1] {
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
