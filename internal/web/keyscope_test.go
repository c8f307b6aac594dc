package web_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/anshin/anshin/internal/demo"
)

// The attack of issue 12, end to end through the API: the representative
// of another company's group X registers account V (carrier-free, one
// contact e-mail, representative of its own group Y) in X with an address
// of X's choosing, then signs in as V with V's stolen password.
func TestAnotherCompanyCannotRedirectTheKey(t *testing.T) {
	ts := newTestServer(t, withOperatorToken(operatorToken), withLogin(noCooldown))
	for _, p := range []struct {
		path string
		body map[string]any
	}{
		{"/accounts/victim", map[string]any{"kind": "d_account", "password": demo.Password, "contact_emails": []string{"v.owner@victim.example"}}},
		{"/accounts/attacker", map[string]any{"kind": "business_d_account", "password": demo.Password, "docomo_line": "090-1111-2222"}},
		{"/groups/group-y", map[string]any{"management_number": "N0100001", "representative_number": "03-1111-0001",
			"contract": map[string]any{"plan": "ベーシック", "licenses": 5, "start_date": "2025-04-01", "status": "active"}}},
		{"/groups/group-x", map[string]any{"management_number": "N0200002", "representative_number": "06-2222-0002",
			"contract": map[string]any{"plan": "ベーシック", "licenses": 5, "start_date": "2025-04-01", "status": "active"}}},
		{"/groups/group-y/admins/victim", map[string]any{"role": "representative", "name": "被害 者"}},
		{"/groups/group-x/admins/attacker", map[string]any{"role": "representative", "name": "攻撃 者", "email": "x@attacker.example"}},
	} {
		if r := ts.operatorPut(p.path, p.body); r.Status != http.StatusCreated {
			t.Fatalf("PUT %s: %d %s", p.path, r.Status, r.Raw)
		}
	}

	x := ts.signIn("attacker", "sms", "group-x")
	wantStatus(t, ts.as(x, http.MethodPost, "/api/v1/admins", map[string]string{
		"login_id": "victim", "name": "被害 者", "email": "trap@attacker.example", "initial_password": "Trap12345x"}), http.StatusCreated)
	// The "you were added" notice reaches the victim's own address too.
	wantMail(t, ts.notifications(), "v.owner@victim.example", "trap@attacker.example")

	flow := ts.toKeyStep("victim")
	r, keys, to := ts.issueKeys(flow, "email")
	slices.Sort(to)
	if !slices.Equal(to, []string{"trap@attacker.example", "v.owner@victim.example"}) {
		t.Fatalf("keys went to %q, want the victim's contact e-mail and X's address, a key each", to)
	}
	groups := groupsOf(t, r)
	if groups["group-y"].keys != "v.*****@victim.example" || groups["group-x"].keys != "tr***@attacker.example" {
		t.Errorf("key_sent_to: %+v", groups)
	}

	// X's key never opens Y: refused with the address whose key does.
	r = ts.verify(flow, keys["trap@attacker.example"], "group-y")
	wantError(t, r, http.StatusForbidden, "key_not_for_group")
	if got := strs(r.ErrorField("key_sent_to")); !slices.Equal(got, []string{"v.*****@victim.example"}) {
		t.Errorf("key_sent_to = %q", got)
	}
	// X's key opens X (with the initial password X set) ...
	r = ts.verify(flow, keys["trap@attacker.example"], "group-x")
	wantStatus(t, r, http.StatusOK)
	stolen := wantDone(t, ts.initialPassword(flow, "Trap12345x"))
	// ... and a session entered with it cannot switch to Y.
	wantError(t, ts.as(stolen, http.MethodPost, "/api/v1/session/group", map[string]string{"group_id": "group-y"}),
		http.StatusForbidden, "new_login_required")
	list := ts.as(stolen, http.MethodGet, "/api/v1/groups", nil)
	for _, g := range list.JSON["groups"].([]any) {
		g := g.(map[string]any)
		if want := g["group_id"] == "group-y"; g["new_login_required"] != want {
			t.Errorf("groups list: %v, want new_login_required only for group-y", g)
		}
	}

	// V's own key opens Y.
	flow = ts.toKeyStep("victim")
	_, keys, _ = ts.issueKeys(flow, "email")
	own := wantDone(t, ts.verify(flow, keys["v.owner@victim.example"], "group-y"))
	wantSession(t, ts, own, "victim", "group-y", "representative")
}

// Any admin of a group may fix another administrator's e-mail there (SPEC
// §3), but the address set cannot receive keys for the victim's other
// groups.
func TestPeerAdminEmailChangeOpensOnlyThatGroup(t *testing.T) {
	ts := newTestServer(t, withLogin(noCooldown))
	peer := ts.signIn(demo.CarrierFreeID, "email", demo.GroupSakura)
	wantStatus(t, ts.as(peer, http.MethodPut, "/api/v1/admins/"+demo.MultiGroupID,
		map[string]string{"name": "渡辺 健一", "email": "evil@attacker.example"}), http.StatusOK)
	ts.notifications()

	flow := ts.toKeyStep(demo.MultiGroupID)
	_, keys, _ := ts.issueKeys(flow, "email")
	evil := keys["evil@attacker.example"]
	if evil == "" {
		t.Fatalf("no key went to the new address: %v", keys)
	}
	for _, g := range []string{demo.GroupHikari, demo.GroupMidori} {
		wantError(t, ts.verify(flow, evil, g), http.StatusForbidden, "key_not_for_group")
	}
	s := wantDone(t, ts.verify(flow, evil, demo.GroupSakura))
	wantError(t, ts.as(s, http.MethodPost, "/api/v1/session/group", map[string]string{"group_id": demo.GroupHikari}),
		http.StatusForbidden, "new_login_required")
}
