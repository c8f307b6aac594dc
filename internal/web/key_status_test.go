package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/anshin/anshin/internal/demo"
)

// The key page polls GET /login/key/status (static/key.js) for the
// delivery table; the answer follows the outbox and speaks the page's
// language.
func TestKeyStatusFollowsTheOutbox(t *testing.T) {
	ts := newTestServer(t)
	flow := ts.toKeyStep(demo.RepresentativeID)
	cookie := "anshin_flow=" + flow
	wantStatus(t, ts.issue(flow, "sms"), http.StatusOK)

	r := ts.request(http.MethodGet, "/login/key/status", nil, "Cookie", cookie)
	wantStatus(t, r, http.StatusOK)
	rows, _ := r.JSON["deliveries"].([]any)
	if len(rows) != 1 || r.JSON["pending"] != true {
		t.Fatalf("before the worker ran: %s", r.Raw)
	}
	row := rows[0].(map[string]any)
	if row["to"] != "090-****-5678" || row["status"] != "queued" || row["label"] != "送信待ち" {
		t.Fatalf("queued row %v", row)
	}
	if strings.Contains(string(r.Raw), "12345678") {
		t.Fatal("the status shows the whole number")
	}

	ts.deliver()
	r = ts.request(http.MethodGet, "/login/key/status?lang=en", nil, "Cookie", cookie)
	row = r.JSON["deliveries"].([]any)[0].(map[string]any)
	if row["status"] != "sent" || row["label"] != "Sent" {
		t.Fatalf("after the worker ran: %s", r.Raw)
	}

	wantError(t, ts.request(http.MethodGet, "/login/key/status", nil), http.StatusNotFound, "flow_not_found")
}

func TestKeyPageLoadsItsPollingScript(t *testing.T) {
	ts := newTestServer(t)
	flow := ts.toKeyStep(demo.RepresentativeID)
	wantStatus(t, ts.issue(flow, "email"), http.StatusOK)
	r := ts.request(http.MethodGet, "/login/key", nil, "Cookie", "anshin_flow="+flow)
	wantStatus(t, r, http.StatusOK)
	page := string(r.Raw)
	if !strings.Contains(page, `<script src="/static/key.js" defer></script>`) || !strings.Contains(page, `data-status-url="/login/key/status"`) {
		t.Fatalf("the key page lacks the polling script:\n%s", page)
	}
	if !strings.Contains(page, `href="/login/key"`) {
		t.Fatal("the key page lacks the refresh link that works without script")
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP %q", csp)
	}
	js := ts.request(http.MethodGet, "/static/key.js", nil)
	wantStatus(t, js, http.StatusOK)
	if ct := js.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") || !strings.Contains(string(js.Raw), "/login/key/status") && !strings.Contains(string(js.Raw), "data-status-url") {
		t.Fatalf("key.js: %q\n%s", ct, js.Raw)
	}
}
