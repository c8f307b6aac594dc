package web_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/demo"
)

// options reads the "options" member of an answer as raw JSON.
func options(t *testing.T, r apiResponse) []byte {
	t.Helper()
	raw, err := json.Marshal(r.JSON["options"])
	if err != nil || r.JSON["options"] == nil {
		t.Fatalf("no options in %s", r.Raw)
	}
	return raw
}

// The passkey API end to end: register after an SMS sign-in, sign in with
// it after the password and without ID or password, rename, delete; a
// replayed answer never makes a session.
func TestPasskeyAPI(t *testing.T) {
	ts := newTestServer(t, withPasskeys())
	auth := anshintest.NewAuthenticator("http://localhost:8080")
	bearer := func(token string) []string { return []string{"Authorization", "Bearer " + token} }
	session := ts.signIn(demo.MultiGroupID, "sms", demo.GroupSakura)

	r := ts.request(http.MethodPost, "/api/v1/passkeys/options", nil, bearer(session)...)
	wantStatus(t, r, http.StatusOK)
	body, _, err := auth.Create(options(t, r))
	if err != nil {
		t.Fatal(err)
	}
	r = ts.request(http.MethodPost, "/api/v1/passkeys", map[string]any{"name": "ノート PC", "credential": json.RawMessage(body)}, bearer(session)...)
	wantStatus(t, r, http.StatusCreated)
	id := r.String("id")
	if len(strs(r.JSON["groups"])) != 3 {
		t.Fatalf("an SMS sign-in's passkey opens every group: %s", r.Raw)
	}
	r = ts.request(http.MethodGet, "/api/v1/passkeys", nil, bearer(session)...)
	wantStatus(t, r, http.StatusOK)
	if list, _ := r.JSON["passkeys"].([]any); len(list) != 1 {
		t.Fatalf("list %s", r.Raw)
	}

	// After the password: パスキー is offered beside SMS and e-mail.
	flow := ts.start(demo.MultiGroupID)
	r = ts.password(flow, demo.Password)
	wantStatus(t, r, http.StatusOK)
	if methods, _ := r.JSON["methods"].([]any); len(methods) != 3 || methods[2].(map[string]any)["method"] != "passkey" {
		t.Fatalf("methods after the password: %s", r.Raw)
	}
	r = ts.postJSON(flowPath(flow, "passkey/options"), nil)
	wantStatus(t, r, http.StatusOK)
	answer, err := auth.Get(options(t, r), nil)
	if err != nil {
		t.Fatal(err)
	}
	r = ts.postJSON(flowPath(flow, "passkey"), map[string]any{"credential": json.RawMessage(answer)})
	wantStatus(t, r, http.StatusOK)
	if r.String("next") != "group" {
		t.Fatalf("next %s", r.Raw)
	}
	r = ts.postJSON(flowPath(flow, "group"), map[string]any{"group_id": demo.GroupSakura})
	wantStatus(t, r, http.StatusOK)
	if r.String("session_token") == "" {
		t.Fatalf("no session: %s", r.Raw)
	}
	// The same answer again, in another flow: refused, no session.
	again := ts.toKeyStep(demo.MultiGroupID)
	ts.postJSON(flowPath(again, "passkey/options"), nil)
	wantError(t, ts.postJSON(flowPath(again, "passkey"), map[string]any{"credential": json.RawMessage(answer)}), http.StatusUnauthorized, "passkey_refused")
	wantError(t, ts.postJSON(flowPath(again, "group"), map[string]any{"group_id": demo.GroupSakura}), http.StatusConflict, "flow_step_invalid")

	// パスキーでログイン: no ID, no password.
	r = ts.postJSON("/api/v1/login/passkey", nil)
	wantStatus(t, r, http.StatusCreated)
	flow = r.String("flow_id")
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RPID      string `json:"rpId"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options(t, r), &o); err != nil || o.PublicKey.RPID != "localhost" {
		t.Fatalf("options %s: %v", r.Raw, err)
	}
	for _, c := range auth.Creds {
		c.SignCount++
		answer, err = auth.Sign(o.PublicKey.Challenge, o.PublicKey.RPID, c, c.SignCount)
		if err != nil {
			t.Fatal(err)
		}
	}
	r = ts.postJSON(flowPath(flow, "passkey"), map[string]any{"credential": json.RawMessage(answer)})
	wantStatus(t, r, http.StatusOK)
	r = ts.postJSON(flowPath(flow, "group"), map[string]any{"group_id": demo.GroupSakura})
	wantStatus(t, r, http.StatusOK)

	r = ts.request(http.MethodPut, "/api/v1/passkeys/"+id, map[string]any{"name": "仕事用"}, bearer(session)...)
	wantStatus(t, r, http.StatusNoContent)
	r = ts.request(http.MethodDelete, "/api/v1/passkeys/"+id, nil, bearer(session)...)
	wantStatus(t, r, http.StatusNoContent)
	wantError(t, ts.request(http.MethodDelete, "/api/v1/passkeys/"+id, nil, bearer(session)...), http.StatusNotFound, "not_found")
}

func TestPasskeysOff(t *testing.T) {
	ts := newTestServer(t)
	wantError(t, ts.postJSON("/api/v1/login/passkey", nil), http.StatusNotFound, "passkeys_unavailable")
}

// In a group that requires passkeys, a key sign-in reaches the passkey
// API only.
func TestPasskeyRequiredAPI(t *testing.T) {
	ts := newTestServer(t, withPasskeys())
	bearer := func(token string) []string { return []string{"Authorization", "Bearer " + token} }
	rep := ts.signIn(demo.MultiGroupID, "sms", demo.GroupSakura)
	wantStatus(t, ts.request(http.MethodPut, "/api/v1/passkey-policy", map[string]any{"required": true}, bearer(rep)...), http.StatusOK)
	wantError(t, ts.request(http.MethodGet, "/api/v1/contract", nil, bearer(rep)...), http.StatusForbidden, "passkey_required")
	wantStatus(t, ts.request(http.MethodGet, "/api/v1/passkeys", nil, bearer(rep)...), http.StatusOK)
	wantStatus(t, ts.request(http.MethodPost, "/api/v1/passkeys/options", nil, bearer(rep)...), http.StatusOK)
}
