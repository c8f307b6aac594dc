package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/app"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/secret"
	"github.com/anshin/anshin/internal/web"
)

// /readyz with a real store and a real outbox worker: not ready until the
// worker runs, ready while it does, not ready once it stopped. The answer
// names the failing check and nothing else; the reason is in the log.
// Every request is measured under its route pattern, never its path.
func TestReadyzFollowsTheOutboxWorker(t *testing.T) {
	db := anshintest.MustOpenDB(t)
	keys, _ := secret.NewKeyring([]byte(strings.Repeat("k", 32)))
	logBuf := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logBuf, nil))
	now := func() time.Time { return time.Now().UTC() }
	worker := delivery.NewWorker(db, keys, now, map[anshin.Method]delivery.Sender{}, log)
	worker.Poll = 5 * time.Millisecond
	var mu sync.Mutex
	var routes []string
	handler, err := web.NewServer(web.Deps{Log: log, Now: now,
		ReadyChecks: app.ReadyChecks(db, worker),
		ObserveRequest: func(route string, status int, _ time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			routes = append(routes, route)
		}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	ready := func() (int, map[string]any) {
		t.Helper()
		resp, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if strings.Contains(string(raw), "not running") {
			t.Errorf("readyz answers the reason: %s", raw)
		}
		var out map[string]any
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("readyz: %q: %v", raw, err)
		}
		return resp.StatusCode, out
	}
	checks := func(out map[string]any) string {
		b, _ := json.Marshal(out["checks"])
		return string(b)
	}

	st, out := ready()
	if st != http.StatusServiceUnavailable || out["status"] != "unavailable" ||
		checks(out) != `{"database":"ok","migrations":"ok","outbox_worker":"failing"}` {
		t.Fatalf("worker not started: %d %v", st, out)
	}
	if !strings.Contains(logBuf.String(), "outbox worker: not running") {
		t.Errorf("the log does not say why:\n%s", logBuf)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); worker.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second) // a failsafe, not a measurement
	for st != http.StatusOK && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		st, out = ready()
	}
	if st != http.StatusOK || out["status"] != "ok" {
		t.Fatalf("worker running: %d %v", st, out)
	}

	cancel()
	<-done
	if st, out := ready(); st != http.StatusServiceUnavailable || !strings.Contains(checks(out), `"outbox_worker":"failing"`) {
		t.Fatalf("worker stopped: %d %v", st, out)
	}

	resp, err := http.Get(srv.URL + "/no/such/page-with-a-secret-flow-id")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(routes) < 4 || routes[0] != "GET /readyz" {
		t.Fatalf("measured routes %q", routes)
	}
	for _, r := range routes {
		if strings.Contains(r, "secret") {
			t.Errorf("measured under %q, which is the path", r)
		}
	}
}
