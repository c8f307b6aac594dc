package web_test

import (
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/delivery"
)

// bearer returns the header pair of a session token.
func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// as sends a console request with the session token.
func (ts *testServer) as(token, method, path string, body any) apiResponse {
	ts.t.Helper()
	return ts.request(method, path, body, bearer(token)...)
}

// consoleEndpoint is one console JSON endpoint with a harmless body.
type consoleEndpoint struct {
	method, path string
	body         any
}

// consoleEndpoints lists every console endpoint of routes.go, aimed at the
// administrator target (a login ID) where the path names one.
func consoleEndpoints(target, group string) []consoleEndpoint {
	return []consoleEndpoint{
		{http.MethodGet, "/api/v1/session", nil},
		{http.MethodDelete, "/api/v1/session", nil},
		{http.MethodPost, "/api/v1/session/group", map[string]string{"group_id": group}},
		{http.MethodGet, "/api/v1/groups", nil},
		{http.MethodGet, "/api/v1/contract", nil},
		{http.MethodGet, "/api/v1/clomo", nil},
		{http.MethodPut, "/api/v1/clomo", map[string]string{"organization_name": "乗っ取り株式会社"}},
		{http.MethodGet, "/api/v1/admins", nil},
		{http.MethodPost, "/api/v1/admins", map[string]string{"login_id": "demo-nogroup", "name": "侵入 者", "initial_password": "Abcd12345"}},
		{http.MethodGet, "/api/v1/admins/" + target, nil},
		{http.MethodPut, "/api/v1/admins/" + target, map[string]string{"name": "改ざん", "email": "evil@example.com"}},
		{http.MethodDelete, "/api/v1/admins/" + target, nil},
		{http.MethodDelete, "/api/v1/admins/" + target + "/mail-state", nil},
		{http.MethodPut, "/api/v1/admins/" + target + "/initial-password", map[string]string{"initial_password": "Abcd12345"}},
		{http.MethodGet, "/api/v1/audit", nil},
	}
}

// notifications delivers what is due and returns the お知らせメール sent.
func (ts *testServer) notifications() []delivery.Message {
	ts.t.Helper()
	var out []delivery.Message
	for _, m := range ts.deliver() {
		if !anshintest.HasKey(m.Body) {
			out = append(out, m)
		}
	}
	return out
}

// wantMail fails unless exactly the addresses in to got a notification.
func wantMail(t *testing.T, msgs []delivery.Message, to ...string) {
	t.Helper()
	got := map[string]int{}
	for _, m := range msgs {
		got[m.To]++
		if (m.Subject == "" && m.Channel != "sms") || m.Body == "" {
			t.Errorf("notification to %s has no subject or body", m.To)
		}
	}
	for _, a := range to {
		if got[a] != 1 {
			t.Errorf("notifications to %s: %d, want 1 (all: %v)", a, got[a], got)
		}
		delete(got, a)
	}
	if len(got) > 0 {
		t.Errorf("unexpected notifications: %v", got)
	}
}

// auditKinds returns the kinds of the group's audit log as the console
// shows it, newest first.
func (ts *testServer) auditKinds(token, query string) []string {
	ts.t.Helper()
	r := ts.as(token, http.MethodGet, "/api/v1/audit"+query, nil)
	wantStatus(ts.t, r, http.StatusOK)
	var kinds []string
	events, _ := r.JSON["events"].([]any)
	for _, e := range events {
		m, _ := e.(map[string]any)
		k, _ := m["kind"].(string)
		kinds = append(kinds, k)
	}
	return kinds
}

// lastAudit returns the newest event of kind.
func (ts *testServer) lastAudit(token, kind string) map[string]any {
	ts.t.Helper()
	r := ts.as(token, http.MethodGet, "/api/v1/audit?limit=1&kind="+kind, nil)
	wantStatus(ts.t, r, http.StatusOK)
	events, _ := r.JSON["events"].([]any)
	if len(events) != 1 {
		ts.t.Fatalf("no %s event in the audit log: %s", kind, r.Raw)
	}
	m, _ := events[0].(map[string]any)
	return m
}

// adminOf finds an administrator in a GET /api/v1/admins answer.
func adminOf(t *testing.T, r apiResponse, loginID string) map[string]any {
	t.Helper()
	list, _ := r.JSON["administrators"].([]any)
	for _, x := range list {
		m, _ := x.(map[string]any)
		if m["login_id"] == loginID {
			return m
		}
	}
	return nil
}

// signInPending runs a whole login that ends with the initial password.
func (ts *testServer) signInPending(loginID, group, initial string) string {
	ts.t.Helper()
	flow := ts.toKeyStep(loginID)
	_, key, _ := ts.issueKey(flow, "sms")
	r := ts.verify(flow, key, group)
	wantStatus(ts.t, r, http.StatusOK)
	if r.String("next") != "initial_password" {
		ts.t.Fatalf("verify answered %s, want next initial_password", r.Raw)
	}
	r = ts.initialPassword(flow, initial)
	wantStatus(ts.t, r, http.StatusOK)
	return r.String("session_token")
}

func jsonNumber(f float64) string { return strconv.FormatInt(int64(f), 10) }

// readDBFile returns the database file and its WAL as text, to look for
// secrets at rest.
func readDBFile(t *testing.T, ts *testServer) string {
	t.Helper()
	var b strings.Builder
	for _, p := range []string{ts.DBPath, ts.DBPath + "-wal"} {
		raw, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		b.Write(raw)
	}
	return b.String()
}
