package web_test

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/demo"
)

// SPEC §2 step 1 and 2: the login ID step never tells whether an ID
// exists, and an unknown ID fails the password step exactly like a wrong
// password.
func TestLoginDoesNotEnumerateAccounts(t *testing.T) {
	ts := newTestServer(t)
	known := ts.postJSON("/api/v1/login", map[string]string{"login_id": demo.RepresentativeID})
	unknown := ts.postJSON("/api/v1/login", map[string]string{"login_id": "nobody-at-all"})
	for _, r := range []apiResponse{known, unknown} {
		wantStatus(t, r, http.StatusCreated)
		if got := keysOf(r.JSON); !slices.Equal(got, []string{"flow_id", "next"}) || r.String("next") != "password" {
			t.Fatalf("POST /api/v1/login = %s, want {flow_id, next: password}", r.Raw)
		}
	}
	if len(known.String("flow_id")) != len(unknown.String("flow_id")) {
		t.Errorf("flow IDs differ in length for known and unknown IDs: %q, %q", known.String("flow_id"), unknown.String("flow_id"))
	}

	wrong := ts.password(known.String("flow_id"), "not-the-password")
	missing := ts.password(unknown.String("flow_id"), demo.Password)
	wantError(t, wrong, http.StatusUnauthorized, "invalid_credentials")
	wantError(t, missing, http.StatusUnauthorized, "invalid_credentials")
	if !bytes.Equal(wrong.Raw, missing.Raw) {
		t.Errorf("bodies differ:\nwrong password: %s\nunknown ID:     %s", wrong.Raw, missing.Raw)
	}
	for _, h := range []string{"Content-Type", "Retry-After", "WWW-Authenticate"} {
		if wrong.Header.Get(h) != missing.Header.Get(h) {
			t.Errorf("header %s differs: %q vs %q", h, wrong.Header.Get(h), missing.Header.Get(h))
		}
	}
}

// SPEC §2 step 6: a wrong key invalidates the key; the user issues a new one.
func TestWrongKeyInvalidatesTheKey(t *testing.T) {
	ts := newTestServer(t)
	flow := ts.toKeyStep(demo.RepresentativeID)
	_, key, _ := ts.issueKey(flow, "sms")

	wantError(t, ts.verify(flow, wrongKey(key), demo.GroupAnshin), http.StatusUnauthorized, "key_invalid")
	wantError(t, ts.verify(flow, key, demo.GroupAnshin), http.StatusUnauthorized, "key_invalid")

	ts.Clock.Advance(61 * time.Second) // past the cooldown of 60 seconds
	_, again, _ := ts.issueKey(flow, "sms")
	token := wantDone(t, ts.verify(flow, again, demo.GroupAnshin))
	wantSession(t, ts, token, demo.RepresentativeID, demo.GroupAnshin, "representative")
}

// With no cooldown, a second key replaces the first at once.
func TestReissueReplacesTheKey(t *testing.T) {
	ts := newTestServer(t, withLogin(noCooldown))
	flow := ts.toKeyStep(demo.RepresentativeID)
	_, first, _ := ts.issueKey(flow, "sms")
	_, second, _ := ts.issueKey(flow, "email")
	if first == second {
		t.Skip("two random keys happened to be equal")
	}
	wantError(t, ts.verify(flow, first, demo.GroupAnshin), http.StatusUnauthorized, "key_invalid")
	// The wrong (old) key invalidated the new one too.
	wantError(t, ts.verify(flow, second, demo.GroupAnshin), http.StatusUnauthorized, "key_invalid")
	_, third, _ := ts.issueKey(flow, "sms")
	wantDone(t, ts.verify(flow, third, demo.GroupAnshin))
}

func TestKeyIssuanceIsRateLimited(t *testing.T) {
	ts := newTestServer(t)
	flow := ts.toKeyStep(demo.RepresentativeID)
	ts.issueKey(flow, "sms")

	ts.Clock.Advance(15 * time.Second)
	r := ts.issue(flow, "sms")
	wantError(t, r, http.StatusTooManyRequests, "rate_limited")
	if got := r.Header.Get("Retry-After"); got != "45" {
		t.Errorf("Retry-After = %q, want 45 (the rest of the 60-second cooldown)", got)
	}
	retryAt, err := time.Parse(time.RFC3339, r.ErrorField("retry_at").(string))
	if err != nil || !retryAt.Equal(t0.Add(60*time.Second)) {
		t.Errorf("retry_at = %v, want %s", r.ErrorField("retry_at"), t0.Add(60*time.Second).Format(time.RFC3339))
	}
	if got := r.ErrorField("retry_after"); got != float64(45) {
		t.Errorf("retry_after = %v, want 45", got)
	}
	if msgs := ts.deliver(); len(msgs) != 0 {
		t.Errorf("a refused issuance sent %d messages", len(msgs))
	}

	ts.Clock.Advance(45 * time.Second)
	_, key, _ := ts.issueKey(flow, "sms")
	wantDone(t, ts.verify(flow, key, demo.GroupAnshin))
}

// SPEC §2 defaults: at most 5 keys per flow.
func TestKeysPerFlowLimit(t *testing.T) {
	ts := newTestServer(t, withLogin(noCooldown))
	flow := ts.toKeyStep(demo.RepresentativeID)
	for i := range 5 {
		if r := ts.issue(flow, "sms"); r.Status != http.StatusOK {
			t.Fatalf("key %d: %s", i+1, r.Raw)
		}
	}
	r := ts.issue(flow, "sms")
	wantError(t, r, http.StatusTooManyRequests, "rate_limited")
	if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n < 1 {
		t.Errorf("Retry-After = %q, want a positive number of seconds", r.Header.Get("Retry-After"))
	}
}

func TestSignOut(t *testing.T) {
	ts := newTestServer(t)
	token := ts.signIn(demo.RepresentativeID, "sms", demo.GroupAnshin)
	wantStatus(t, ts.session(token), http.StatusOK)

	r := ts.request(http.MethodDelete, "/api/v1/session", nil, "Authorization", "Bearer "+token)
	wantStatus(t, r, http.StatusNoContent)
	wantError(t, ts.session(token), http.StatusUnauthorized, "unauthorized")
	wantError(t, ts.request(http.MethodDelete, "/api/v1/session", nil, "Authorization", "Bearer "+token), http.StatusUnauthorized, "unauthorized")
}

func TestSessionNeedsAValidBearer(t *testing.T) {
	ts := newTestServer(t)
	for _, h := range [][]string{
		nil,
		{"Authorization", "Bearer "},
		{"Authorization", "Bearer not-a-session"},
		{"Authorization", "Basic ZGVtbzpkZW1v"},
	} {
		wantError(t, ts.request(http.MethodGet, "/api/v1/session", nil, h...), http.StatusUnauthorized, "unauthorized")
	}
}

// SPEC §7: a key accepted twice must never happen, even when the same key
// arrives in many requests at once.
func TestConcurrentVerifyAcceptsTheKeyOnce(t *testing.T) {
	ts := newTestServer(t)
	flow := ts.toKeyStep(demo.RepresentativeID)
	_, key, _ := ts.issueKey(flow, "sms")

	const n = 50
	results := make([]apiResponse, n)
	var wg sync.WaitGroup
	startLine := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-startLine
			results[i] = ts.verify(flow, key, demo.GroupAnshin)
		})
	}
	close(startLine)
	wg.Wait()

	ok := 0
	for _, r := range results {
		switch {
		case r.Status == http.StatusOK:
			ok++
			if r.String("session_token") == "" {
				t.Errorf("200 without a session token: %s", r.Raw)
			}
		case r.Code() == "key_invalid" && r.Status == http.StatusUnauthorized:
		case r.Code() == "flow_step_invalid" && r.Status == http.StatusConflict:
		default:
			t.Errorf("unexpected answer %d %s", r.Status, r.Raw)
		}
	}
	if ok != 1 {
		t.Errorf("%d requests signed in with one key, want exactly 1", ok)
	}
	if t.Failed() {
		t.Logf("server log:\n%s", ts.Log.String())
	}
}
