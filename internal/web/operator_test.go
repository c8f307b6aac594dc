package web_test

import (
	"net/http"
	"testing"

	"github.com/anshin/anshin/internal/demo"
)

const operatorToken = "operator-token-0123456789"

// operatorPut sends a provisioning PUT with the operator's bearer token.
func (ts *testServer) operatorPut(path string, body any) apiResponse {
	ts.t.Helper()
	return ts.request(http.MethodPut, "/api/v1/operator"+path, body, "Authorization", "Bearer "+operatorToken)
}

func TestOperatorAPIIsOffWithoutToken(t *testing.T) {
	ts := newTestServer(t)
	for _, h := range [][]string{nil, {"Authorization", "Bearer "}, {"Authorization", "Bearer " + operatorToken}} {
		r := ts.request(http.MethodPut, "/api/v1/operator/accounts/demo-x", map[string]any{"kind": "d_account", "password": "Passw0rd-long"}, h...)
		wantError(t, r, http.StatusNotFound, "operator_api_disabled")
	}
}

func TestOperatorAPINeedsTheToken(t *testing.T) {
	ts := newTestServer(t, withOperatorToken(operatorToken))
	body := map[string]any{"kind": "d_account", "password": "Passw0rd-long"}
	for _, h := range [][]string{
		nil,
		{"Authorization", "Bearer "},
		{"Authorization", "Bearer " + operatorToken + "x"},
		{"Authorization", "Bearer " + operatorToken[:len(operatorToken)-1]},
		{"Authorization", "Basic " + operatorToken},
		{"Authorization", operatorToken},
	} {
		r := ts.request(http.MethodPut, "/api/v1/operator/accounts/demo-x", body, h...)
		wantError(t, r, http.StatusUnauthorized, "unauthorized")
		if r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("401 without WWW-Authenticate for %q", h)
		}
	}
	// Nothing was created: the account cannot log in.
	flow := ts.start("demo-x")
	wantError(t, ts.password(flow, "Passw0rd-long"), http.StatusUnauthorized, "invalid_credentials")
}

func TestOperatorProvisioning(t *testing.T) {
	ts := newTestServer(t, withOperatorToken(operatorToken))
	steps := []struct {
		path string
		body map[string]any
	}{
		{"/accounts/ops-admin", map[string]any{"kind": "business_d_account", "password": "Ops-pass-5678", "docomo_line": "090-8765-4321", "contact_emails": []string{"ops@example.jp"}}},
		{"/accounts/ops-rep", map[string]any{"kind": "d_account", "password": "Ops-pass-5678", "docomo_line": "", "contact_emails": []string{}}},
		{"/groups/ops-group", map[string]any{"management_number": "N0009999", "representative_number": "03-9876-5432",
			"contract": map[string]any{"plan": "ベーシック", "licenses": 5, "start_date": "2025-04-01", "status": "active"}}},
		{"/groups/ops-group/admins/ops-rep", map[string]any{"role": "representative", "name": "代表 太郎", "email": "rep@example.jp"}},
		{"/groups/ops-group/admins/ops-admin", map[string]any{"role": "admin", "name": "運用 花子", "email": "", "initial_password": "First1234x"}},
		{"/groups/ops-group/clomo", map[string]any{"organization_name": "運用テスト株式会社", "contact_name": "運用 花子", "contact_email": "ops@example.jp"}},
	}
	for _, s := range steps {
		r := ts.operatorPut(s.path, s.body)
		wantStatus(t, r, http.StatusCreated)
		if r.JSON["created"] != true {
			t.Errorf("PUT %s answered %s, want created true", s.path, r.Raw)
		}
	}
	// The same requests again replace with the same: 200, not created.
	for _, s := range steps {
		r := ts.operatorPut(s.path, s.body)
		wantStatus(t, r, http.StatusOK)
		if r.JSON["created"] != false {
			t.Errorf("second PUT %s answered %s, want created false", s.path, r.Raw)
		}
	}

	// The provisioned administrator logs in through the API, with the
	// initial authentication password.
	flow := ts.start("ops-admin")
	wantStatus(t, ts.password(flow, "Ops-pass-5678"), http.StatusOK)
	r, key, to := ts.issueKey(flow, "sms")
	if len(to) != 1 || to[0] != "+819087654321" {
		t.Errorf("SMS went to %q, want +819087654321", to)
	}
	groups := groupsOf(t, r)
	if groups["ops-group"] != (groupChoice{"+81398765432", "運用テスト株式会社", "090-****-4321"}) {
		t.Errorf("groups = %+v", groups)
	}
	r = ts.verify(flow, key, "ops-group")
	wantStatus(t, r, http.StatusOK)
	if r.String("next") != "initial_password" {
		t.Fatalf("verify answered %s, want the initial password step", r.Raw)
	}
	token := wantDone(t, ts.initialPassword(flow, "First1234x"))
	wantSession(t, ts, token, "ops-admin", "ops-group", "admin")

	// The carrier-free representative gets a key by its administrator e-mail.
	flow = ts.start("ops-rep")
	wantStatus(t, ts.password(flow, "Ops-pass-5678"), http.StatusOK)
	wantError(t, ts.issue(flow, "sms"), http.StatusUnprocessableEntity, "carrier_free")
	_, key, to = ts.issueKey(flow, "email")
	if len(to) != 1 || to[0] != "rep@example.jp" {
		t.Errorf("e-mail went to %q, want rep@example.jp", to)
	}
	wantSession(t, ts, wantDone(t, ts.verify(flow, key, "ops-group")), "ops-rep", "ops-group", "representative")
}

func TestOperatorValidation(t *testing.T) {
	ts := newTestServer(t, withOperatorToken(operatorToken))
	account := func(over map[string]any) map[string]any {
		m := map[string]any{"kind": "d_account", "password": "Ops-pass-5678", "docomo_line": "090-1111-2222", "contact_emails": []string{"x@example.jp"}}
		for k, v := range over {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name, path string
		body       map[string]any
		field      string
	}{
		{"bad docomo_line", "/accounts/ops-x", account(map[string]any{"docomo_line": "12345"}), "docomo_line"},
		{"landline as docomo_line", "/accounts/ops-x", account(map[string]any{"docomo_line": "03-1234-5678"}), "docomo_line"},
		{"letters in docomo_line", "/accounts/ops-x", account(map[string]any{"docomo_line": "090-ABCD-5678"}), "docomo_line"},
		{"bad contact e-mail", "/accounts/ops-x", account(map[string]any{"contact_emails": []string{"not an address"}}), "contact_emails[0]"},
		{"unknown kind", "/accounts/ops-x", account(map[string]any{"kind": "x_account"}), "kind"},
		{"short password", "/accounts/ops-x", account(map[string]any{"password": "short"}), "password"},
		{"no password for a new account", "/accounts/ops-x", account(map[string]any{"password": ""}), "password"},
		{"bad login ID", "/accounts/a%20b", account(nil), "login_id"},
		{"bad group ID", "/groups/-g", map[string]any{"management_number": "N1", "representative_number": "03-1234-5678", "contract": map[string]any{"plan": "p"}}, "group_id"},
		{"bad representative number", "/groups/g1", map[string]any{"management_number": "N1", "representative_number": "0000", "contract": map[string]any{"plan": "p"}}, "representative_number"},
		{"bad start date", "/groups/g1", map[string]any{"management_number": "N1", "representative_number": "03-1234-5678", "contract": map[string]any{"plan": "p", "start_date": "2025-13-45"}}, "contract.start_date"},
		{"unknown role", "/groups/" + demo.GroupAnshin + "/admins/" + demo.NoGroupID, map[string]any{"role": "owner", "name": "名前"}, "role"},
		{"bad admin e-mail", "/groups/" + demo.GroupAnshin + "/admins/" + demo.NoGroupID, map[string]any{"role": "admin", "name": "名前", "email": "a@", "initial_password": "First1234x"}, "email"},
		{"weak initial password", "/groups/" + demo.GroupAnshin + "/admins/" + demo.NoGroupID, map[string]any{"role": "admin", "name": "名前", "initial_password": "aaaaaaaaaa"}, "initial_password"},
		{"new admin without initial password", "/groups/" + demo.GroupAnshin + "/admins/" + demo.NoGroupID, map[string]any{"role": "admin", "name": "名前"}, "initial_password"},
		{"bad time zone", "/groups/" + demo.GroupAnshin + "/clomo", map[string]any{"organization_name": "組織", "time_zone": "Mars/Olympus"}, "time_zone"},
		{"no organization name", "/groups/" + demo.GroupAnshin + "/clomo", map[string]any{"organization_name": " "}, "organization_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.operatorPut(tt.path, tt.body)
			wantError(t, r, http.StatusUnprocessableEntity, "invalid_field")
			if got := r.ErrorField("field"); got != tt.field {
				t.Errorf("field = %v, want %q; body %s", got, tt.field, r.Raw)
			}
		})
	}

	// Missing things are named too.
	r := ts.operatorPut("/groups/no-such-group/admins/"+demo.NoGroupID, map[string]any{"role": "admin", "name": "名前", "initial_password": "First1234x"})
	wantError(t, r, http.StatusNotFound, "not_found")
	if r.ErrorField("field") != "group_id" {
		t.Errorf("field = %v, want group_id", r.ErrorField("field"))
	}
	r = ts.operatorPut("/groups/"+demo.GroupAnshin+"/admins/nobody-here", map[string]any{"role": "admin", "name": "名前", "initial_password": "First1234x"})
	wantError(t, r, http.StatusNotFound, "not_found")
	if r.ErrorField("field") != "login_id" {
		t.Errorf("field = %v, want login_id", r.ErrorField("field"))
	}
}

func TestOperatorOneRepresentativePerGroup(t *testing.T) {
	ts := newTestServer(t, withOperatorToken(operatorToken))
	// anshin-shoji's representative is demo-rep; demo-nogroup may not be a second.
	r := ts.operatorPut("/groups/"+demo.GroupAnshin+"/admins/"+demo.NoGroupID, map[string]any{"role": "representative", "name": "田中 次郎"})
	wantError(t, r, http.StatusConflict, "conflict")
	if r.ErrorField("field") != "role" {
		t.Errorf("field = %v, want role", r.ErrorField("field"))
	}
	// Demoting the old one first makes room.
	wantStatus(t, ts.operatorPut("/groups/"+demo.GroupAnshin+"/admins/"+demo.RepresentativeID, map[string]any{"role": "admin", "name": "山田 太郎", "email": "yamada.taro@example.co.jp", "initial_password": "Demoted123x"}), http.StatusOK)
	wantStatus(t, ts.operatorPut("/groups/"+demo.GroupAnshin+"/admins/"+demo.NoGroupID, map[string]any{"role": "representative", "name": "田中 次郎"}), http.StatusCreated)

	// A second group may not take the management number of another.
	r = ts.operatorPut("/groups/ops-copy", map[string]any{"management_number": "N0000001", "representative_number": "03-1234-5678", "contract": map[string]any{"plan": "p"}})
	wantError(t, r, http.StatusConflict, "conflict")
}
