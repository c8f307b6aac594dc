package web_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/anshin/anshin/internal/demo"
)

// SPEC §7: every malformed request gets a clear 4xx error with a code,
// never a 500 or a panic.
func TestMalformedRequests(t *testing.T) {
	ts := newTestServer(t)
	// A flow at the password step, to aim well-formed paths at.
	flow := ts.start(demo.RepresentativeID)
	login := "/api/v1/login"
	password := flowPath(flow, "password")
	json := []string{"Content-Type", "application/json"}

	tests := []struct {
		name         string
		method, path string
		body         string
		header       []string // replaces the JSON Content-Type when set
		status       int
		code         string
	}{
		{"bad JSON", "POST", login, `{"login_id":`, nil, 400, "invalid_request"},
		{"not JSON at all", "POST", login, `login_id=demo-rep`, nil, 400, "invalid_request"},
		{"wrong type", "POST", login, `{"login_id":5}`, nil, 400, "invalid_request"},
		{"wrong type, array", "POST", login, `["demo-rep"]`, nil, 400, "invalid_request"},
		{"unknown field", "POST", login, `{"login_id":"demo-rep","admin":true}`, nil, 400, "invalid_request"},
		{"empty body", "POST", login, ``, nil, 400, "invalid_request"},
		{"two JSON values", "POST", login, `{"login_id":"a"}{"login_id":"b"}`, nil, 400, "invalid_request"},
		{"trailing garbage", "POST", login, `{"login_id":"a"} x`, nil, 400, "invalid_request"},
		{"trailing brace", "POST", login, `{"login_id":"a"}}`, nil, 400, "invalid_request"},
		{"trailing bracket", "POST", login, `{"login_id":"a"}]`, nil, 400, "invalid_request"},
		{"body over 64 KiB", "POST", login, `{"login_id":"` + strings.Repeat("a", 65<<10) + `"}`, nil, 413, "body_too_large"},
		{"non-UTF-8 bytes", "POST", login, "{\"login_id\":\"\xff\xfe\"}", nil, 400, "invalid_request"},
		{"wrong Content-Type", "POST", login, `{"login_id":"demo-rep"}`, []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type"},
		{"form Content-Type", "POST", login, `login_id=demo-rep`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
		{"broken Content-Type", "POST", login, `{"login_id":"demo-rep"}`, []string{"Content-Type", "application/json; ==="}, 415, "unsupported_media_type"},
		{"empty login ID", "POST", login, `{"login_id":"  "}`, nil, 422, "invalid_field"},
		{"control characters in login ID", "POST", login, `{"login_id":"a\u0000b"}`, nil, 422, "invalid_field"},
		{"unknown flow id", "POST", flowPath("no-such-flow", "password"), `{"password":"demo-pass-1234"}`, nil, 404, "flow_not_found"},
		{"very long flow id", "POST", flowPath(strings.Repeat("f", 10000), "password"), `{"password":"demo-pass-1234"}`, nil, 404, "flow_not_found"},
		{"unknown flow, deliveries", "GET", flowPath("no-such-flow", "deliveries"), ``, nil, 404, "flow_not_found"},
		{"unknown flow, verify", "POST", flowPath("no-such-flow", "verify"), `{"key":"12345678","group_id":"anshin-shoji"}`, nil, 404, "flow_not_found"},
		{"GET on a POST route", "GET", login, ``, nil, 405, "method_not_allowed"},
		{"PUT on a POST route", "PUT", password, `{}`, nil, 405, "method_not_allowed"},
		{"unknown API path", "GET", "/api/v1/nothing-here", ``, nil, 404, "not_found"},
		{"unknown API version", "POST", "/api/v2/login", `{"login_id":"demo-rep"}`, nil, 404, "not_found"},
		{"method fax", "POST", "/api/v1/login/" + ts.toKeyStep(demo.RepresentativeID) + "/one-time-key", `{"method":"fax"}`, nil, 422, "method_invalid"},
		{"method missing", "POST", "/api/v1/login/" + ts.toKeyStep(demo.NoEmailID) + "/one-time-key", `{}`, nil, 422, "method_invalid"},
		{"key before password", "POST", flowPath(flow, "one-time-key"), `{"method":"sms"}`, nil, 409, "flow_step_invalid"},
		{"verify before password", "POST", flowPath(flow, "verify"), `{"key":"12345678","group_id":"anshin-shoji"}`, nil, 409, "flow_step_invalid"},
		{"initial password before password", "POST", flowPath(flow, "initial-password"), `{"initial_password":"Init2345x"}`, nil, 409, "flow_step_invalid"},
		{"password at the key step", "POST", flowPath(ts.toKeyStep(demo.MultiGroupID), "password"), `{"password":"demo-pass-1234"}`, nil, 409, "flow_step_invalid"},
		{"empty password", "POST", password, `{"password":""}`, nil, 422, "invalid_field"},
		{"null body", "POST", password, `null`, nil, 422, "invalid_field"},
		{"operator API off", "PUT", "/api/v1/operator/accounts/x", `{}`, nil, 404, "operator_api_disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := json
			if tt.header != nil {
				header = tt.header
			}
			var body any
			if tt.body != "" || tt.method != "GET" {
				body = []byte(tt.body)
			}
			r := ts.request(tt.method, tt.path, body, header...)
			if r.Status >= 500 {
				t.Fatalf("status %d: %s", r.Status, r.Raw)
			}
			wantError(t, r, tt.status, tt.code)
			if tt.status == http.StatusMethodNotAllowed && r.Header.Get("Allow") == "" {
				t.Errorf("405 without an Allow header")
			}
		})
	}
	if strings.Contains(ts.Log.String(), "panic") {
		t.Errorf("the server panicked:\n%s", ts.Log.String())
	}

	// The flow these requests aimed at is unharmed.
	wantStatus(t, ts.password(flow, demo.Password), http.StatusOK)
}

func TestMethodNotAllowedNamesTheMethods(t *testing.T) {
	ts := newTestServer(t)
	r := ts.request(http.MethodGet, "/api/v1/login", nil)
	wantError(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
	if got := r.Header.Get("Allow"); got != "POST" {
		t.Errorf("Allow = %q, want POST", got)
	}
	r = ts.request(http.MethodPost, "/api/v1/session", []byte(`{}`))
	wantError(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
	if got := r.Header.Get("Allow"); got != "GET, DELETE" {
		t.Errorf("Allow = %q, want GET, DELETE", got)
	}
}

// Large and odd bodies on every JSON route give a 4xx, never a 500.
func TestEveryJSONRouteRefusesGarbage(t *testing.T) {
	ts := newTestServer(t, withOperatorToken("operator-token-0123456789"))
	flow := ts.toKeyStep(demo.RepresentativeID)
	paths := []struct{ method, path string }{
		{"POST", "/api/v1/login"},
		{"POST", flowPath(flow, "password")},
		{"POST", flowPath(flow, "one-time-key")},
		{"POST", flowPath(flow, "verify")},
		{"POST", flowPath(flow, "initial-password")},
		{"PUT", "/api/v1/operator/accounts/demo-x"},
		{"PUT", "/api/v1/operator/groups/g-x"},
		{"PUT", "/api/v1/operator/groups/g-x/admins/demo-x"},
		{"PUT", "/api/v1/operator/groups/g-x/clomo"},
	}
	bodies := [][]byte{
		[]byte(`{`),
		[]byte(`[]`),
		[]byte(`"a string"`),
		[]byte(`{"x":1}`),
		[]byte("\x00\x01\x02"),
		bytes.Repeat([]byte(" "), 70<<10),
		[]byte(`{"login_id":{"nested":[1,2,3]},"password":null}`),
		[]byte(`{"contract":"nope","role":7,"contact_emails":"a@b.jp"}`),
	}
	for _, p := range paths {
		for _, b := range bodies {
			r := ts.request(p.method, p.path, b, "Authorization", "Bearer operator-token-0123456789", "Content-Type", "application/json")
			if r.Status < 400 || r.Status >= 500 || r.Code() == "" {
				t.Errorf("%s %s with %.40q: status %d body %s", p.method, p.path, b, r.Status, r.Raw)
			}
		}
	}
}
