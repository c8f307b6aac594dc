package web_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/demo"
)

// Every console endpoint refuses a request without a live session.
func TestConsoleAPINeedsSession(t *testing.T) {
	ts := newTestServer(t, withLogin(noCooldown))
	for _, e := range consoleEndpoints(demo.RepresentativeID, demo.GroupAnshin) {
		for _, h := range [][]string{nil, bearer("not-a-session"), bearer(strings.Repeat("x", 500)), {"Authorization", "Basic Zm9vOmJhcg=="}} {
			r := ts.request(e.method, e.path, e.body, h...)
			wantError(t, r, http.StatusUnauthorized, "unauthorized")
		}
	}
}

// A browser's cookie session works for the JSON API as well as a bearer.
func TestConsoleAPICookieSession(t *testing.T) {
	ts := newTestServer(t, withLogin(noCooldown))
	token := ts.signIn(demo.RepresentativeID, "sms", demo.GroupAnshin)
	r := ts.request(http.MethodGet, "/api/v1/admins", nil, "Cookie", "anshin_session="+token)
	wantStatus(t, r, http.StatusOK)
	if adminOf(t, r, demo.PendingAdminID) == nil {
		t.Fatalf("the cookie session's list lacks demo-admin: %s", r.Raw)
	}
}

// An administrator of one group can neither see nor change another group
// through any endpoint: the group is the session's, and names of other
// groups' administrators are unknown.
func TestConsoleAPIOtherGroupIsInvisible(t *testing.T) {
	ts := newTestServer(t, withLogin(noCooldown))
	// demo-multi administers three groups, not anshin-shoji.
	token := ts.signIn(demo.MultiGroupID, "sms", demo.GroupSakura)
	for _, e := range consoleEndpoints(demo.RepresentativeID, demo.GroupAnshin) {
		if e.method == http.MethodDelete && e.path == "/api/v1/session" {
			continue // would only end the own session
		}
		r := ts.as(token, e.method, e.path, e.body)
		switch {
		case strings.Contains(e.path, "/admins/"):
			wantError(t, r, http.StatusNotFound, "not_found")
		case e.path == "/api/v1/session/group":
			wantError(t, r, http.StatusForbidden, "group_not_allowed")
		case e.method == http.MethodPost && e.path == "/api/v1/admins":
			// Adds to the own group, never to anshin-shoji.
		default:
			if r.Status >= 400 && r.Status != http.StatusNotFound {
				t.Fatalf("%s %s: %d %s", e.method, e.path, r.Status, r.Raw)
			}
		}
		for _, leak := range []string{"anshin-shoji", "N0000001", "山田 太郎", "佐藤 花子", "yamada.taro"} {
			if strings.Contains(string(r.Raw), leak) {
				t.Errorf("%s %s leaks %q of another group: %s", e.method, e.path, leak, r.Raw)
			}
		}
	}
	// Nothing of anshin-shoji changed; the additions went to sakura.
	ts.notifications()
	rep := ts.signIn(demo.RepresentativeID, "sms", demo.GroupAnshin)
	r := ts.as(rep, http.MethodGet, "/api/v1/admins", nil)
	wantStatus(t, r, http.StatusOK)
	if a := adminOf(t, r, demo.RepresentativeID); a == nil || a["name"] != "山田 太郎" || a["email"] != "yamada.taro@example.co.jp" {
		t.Errorf("anshin-shoji's representative changed: %v", a)
	}
	if adminOf(t, r, demo.NoGroupID) != nil {
		t.Error("demo-nogroup was added to anshin-shoji by an outsider")
	}
	wantError(t, ts.as(rep, http.MethodGet, "/api/v1/clomo", nil), http.StatusNotFound, "not_found")
}

// A removed administrator loses access at once, on every endpoint.
func TestConsoleAPIRemovedAdministratorLosesAccess(t *testing.T) {
	ts := newTestServer(t, withLogin(noCooldown))
	rep := ts.signIn(demo.MultiGroupID, "sms", demo.GroupSakura)
	admin := ts.signIn(demo.CarrierFreeID, "email", demo.GroupSakura)
	wantStatus(t, ts.as(admin, http.MethodGet, "/api/v1/admins", nil), http.StatusOK)

	r := ts.as(rep, http.MethodDelete, "/api/v1/admins/"+demo.CarrierFreeID, nil)
	wantStatus(t, r, http.StatusNoContent)
	wantMail(t, ts.notifications(), "suzuki@example.co.jp")
	for _, e := range consoleEndpoints(demo.MultiGroupID, demo.GroupSakura) {
		wantError(t, ts.as(admin, e.method, e.path, e.body), http.StatusUnauthorized, "unauthorized")
	}
	r = ts.as(rep, http.MethodGet, "/api/v1/admins", nil)
	if adminOf(t, r, demo.CarrierFreeID) != nil {
		t.Fatalf("the deleted administrator is still listed: %s", r.Raw)
	}
	ev := ts.lastAudit(rep, "admin_deleted")
	if ev["login_id"] != demo.MultiGroupID || ev["detail"].(map[string]any)["login_id"] != demo.CarrierFreeID {
		t.Errorf("admin_deleted event %v, want by demo-multi about demo-carrierfree", ev)
	}
}

func TestConsoleAPIRoleRules(t *testing.T) {
	ts := newTestServer(t, withLogin(noCooldown))
	rep := ts.signIn(demo.MultiGroupID, "sms", demo.GroupSakura)
	admin := ts.signIn(demo.CarrierFreeID, "email", demo.GroupSakura)

	t.Run("an admin may not add, delete, reset or edit others", func(t *testing.T) {
		wantError(t, ts.as(admin, http.MethodPost, "/api/v1/admins",
			map[string]string{"login_id": demo.NoGroupID, "name": "田中 次郎", "initial_password": "Abcd12345"}), http.StatusForbidden, "forbidden")
		wantError(t, ts.as(admin, http.MethodDelete, "/api/v1/admins/"+demo.MultiGroupID, nil), http.StatusForbidden, "forbidden")
		wantError(t, ts.as(admin, http.MethodPut, "/api/v1/admins/"+demo.CarrierFreeID+"/initial-password",
			map[string]string{"initial_password": "Abcd12345"}), http.StatusForbidden, "forbidden")
		wantError(t, ts.as(admin, http.MethodPut, "/api/v1/admins/"+demo.MultiGroupID,
			map[string]string{"name": "別人", "email": "watanabe@example.co.jp"}), http.StatusForbidden, "forbidden")
		wantMail(t, ts.notifications())
	})

	t.Run("an admin may change another administrator's e-mail (SPEC §3), told on every route and by SMS (SPEC §4)", func(t *testing.T) {
		r := ts.as(admin, http.MethodPut, "/api/v1/admins/"+demo.MultiGroupID,
			map[string]string{"name": "渡辺 健一", "email": "kenichi.watanabe@example.co.jp"})
		wantStatus(t, r, http.StatusOK)
		// The old and new address, the other groups' routes (ひかり's
		// administrator e-mail, みどり's contact e-mails) and the docomo line.
		wantMail(t, ts.notifications(), "watanabe@example.co.jp", "kenichi.watanabe@example.co.jp",
			"k.watanabe@example.co.jp", "watanabe.kenichi@example.jp", "k.watanabe@example.jp", "+818067890123")
		wantStatus(t, ts.as(admin, http.MethodPut, "/api/v1/admins/"+demo.MultiGroupID,
			map[string]string{"name": "渡辺 健一", "email": "watanabe@example.co.jp"}), http.StatusOK)
		ts.notifications()
	})

	t.Run("an admin edits their own name and e-mail", func(t *testing.T) {
		r := ts.as(admin, http.MethodPut, "/api/v1/admins/"+demo.CarrierFreeID,
			map[string]string{"name": "鈴木 一郎", "email": "ichiro.suzuki@example.co.jp"})
		wantStatus(t, r, http.StatusOK)
		if r.String("email") != "ichiro.suzuki@example.co.jp" {
			t.Fatalf("answer %s", r.Raw)
		}
		// Told at the old address and at the new one.
		wantMail(t, ts.notifications(), "suzuki@example.co.jp", "ichiro.suzuki@example.co.jp")
		ev := ts.lastAudit(rep, "admin_updated")
		if d := ev["detail"].(map[string]any); d["old_email"] != "suzuki@example.co.jp" || d["email"] != "ichiro.suzuki@example.co.jp" {
			t.Errorf("admin_updated detail %v", d)
		}
	})

	t.Run("nobody deletes themselves or the representative", func(t *testing.T) {
		wantError(t, ts.as(rep, http.MethodDelete, "/api/v1/admins/"+demo.MultiGroupID, nil), http.StatusForbidden, "forbidden")
		wantError(t, ts.as(rep, http.MethodPut, "/api/v1/admins/"+demo.MultiGroupID+"/initial-password",
			map[string]string{"initial_password": "Abcd12345"}), http.StatusForbidden, "forbidden")
		wantError(t, ts.as(rep, http.MethodDelete, "/api/v1/admins/nobody-here", nil), http.StatusNotFound, "not_found")
	})

	t.Run("the representative adds an administrator", func(t *testing.T) {
		add := func(body map[string]string) apiResponse {
			return ts.as(rep, http.MethodPost, "/api/v1/admins", body)
		}
		for _, c := range []struct {
			body  map[string]string
			field string
		}{
			{map[string]string{"login_id": demo.NoGroupID, "name": "田中 次郎"}, "initial_password"},
			{map[string]string{"login_id": demo.NoGroupID, "name": "田中 次郎", "initial_password": "abcdefgh"}, "initial_password"},
			{map[string]string{"login_id": demo.NoGroupID, "name": "田中 次郎", "initial_password": "12345678"}, "initial_password"},
			{map[string]string{"login_id": demo.NoGroupID, "name": "田中 次郎", "initial_password": "Ab1"}, "initial_password"},
			{map[string]string{"login_id": "no-such-account", "name": "田中 次郎", "initial_password": "Abcd12345"}, "login_id"},
			{map[string]string{"login_id": "", "name": "田中 次郎", "initial_password": "Abcd12345"}, "login_id"},
			{map[string]string{"login_id": demo.NoGroupID, "name": "", "initial_password": "Abcd12345"}, "name"},
			{map[string]string{"login_id": demo.NoGroupID, "name": strings.Repeat("長", 101), "initial_password": "Abcd12345"}, "name"},
			{map[string]string{"login_id": demo.NoGroupID, "name": "田中 次郎", "email": "not-an-address", "initial_password": "Abcd12345"}, "email"},
			{map[string]string{"login_id": demo.NoGroupID, "name": "田中 次郎", "role": "representative", "initial_password": "Abcd12345"}, "role"},
		} {
			r := add(c.body)
			wantError(t, r, http.StatusUnprocessableEntity, "invalid_field")
			if r.ErrorField("field") != c.field {
				t.Errorf("%v: field %v, want %s", c.body, r.ErrorField("field"), c.field)
			}
		}
		r := add(map[string]string{"login_id": demo.CarrierFreeID, "name": "鈴木", "initial_password": "Abcd12345"})
		wantError(t, r, http.StatusConflict, "conflict")
		wantMail(t, ts.notifications())

		r = add(map[string]string{"login_id": demo.NoGroupID, "name": "田中 次郎", "email": "tanaka@example.co.jp", "initial_password": "Tanaka2025"})
		wantStatus(t, r, http.StatusCreated)
		if r.String("role") != "admin" || r.JSON["first_login_done"] != false {
			t.Fatalf("added %s, want an admin with the first login pending", r.Raw)
		}
		msgs := ts.notifications()
		wantMail(t, msgs, "tanaka@example.co.jp", "+819034567890")
		if strings.Contains(msgs[0].Body+msgs[1].Body, "Tanaka2025") {
			t.Error("the notification carries the initial password")
		}
		// The password rests only as a hash.
		if raw := readDBFile(t, ts); strings.Contains(raw, "Tanaka2025") {
			t.Error("the initial password is in the database in clear")
		}
		if ev := ts.lastAudit(rep, "admin_added"); ev["detail"].(map[string]any)["login_id"] != demo.NoGroupID {
			t.Errorf("admin_added event %v", ev)
		}
		// The new administrator's first login asks for it.
		tok := ts.signInPending(demo.NoGroupID, demo.GroupSakura, "Tanaka2025")
		wantStatus(t, ts.as(tok, http.MethodGet, "/api/v1/contract", nil), http.StatusOK)
	})

	t.Run("the representative resets an initial password", func(t *testing.T) {
		r := ts.as(rep, http.MethodPut, "/api/v1/admins/"+demo.NoGroupID+"/initial-password", map[string]string{"initial_password": "short"})
		wantError(t, r, http.StatusUnprocessableEntity, "invalid_field")
		r = ts.as(rep, http.MethodPut, "/api/v1/admins/"+demo.NoGroupID+"/initial-password", map[string]string{"initial_password": "Again2026x"})
		wantStatus(t, r, http.StatusOK)
		if r.JSON["first_login_done"] != false {
			t.Fatalf("after a reset the first login is not pending: %s", r.Raw)
		}
		wantMail(t, ts.notifications(), "tanaka@example.co.jp")
		ts.lastAudit(rep, "initial_password_reset")
		ts.signInPending(demo.NoGroupID, demo.GroupSakura, "Again2026x")
	})
}

func TestConsoleAPIMailState(t *testing.T) {
	ts := newTestServer(t, withLogin(noCooldown))
	// hikari-kensetsu: demo-maildisabled (representative, address bounced)
	// and demo-multi (admin).
	admin := ts.signIn(demo.MultiGroupID, "sms", demo.GroupHikari)
	rep := ts.signIn(demo.MailNotificationDisabledID, "sms", demo.GroupHikari)

	r := ts.as(admin, http.MethodGet, "/api/v1/admins", nil)
	if a := adminOf(t, r, demo.MailNotificationDisabledID); a == nil || a["mail_notification_disabled"] != true {
		t.Fatalf("the bounced address is not shown disabled: %s", r.Raw)
	}
	// A change to an administrator whose address is disabled sends nothing.
	wantStatus(t, ts.as(rep, http.MethodPut, "/api/v1/admins/"+demo.MailNotificationDisabledID,
		map[string]string{"name": "伊藤 美咲（情報システム）", "email": demo.MailNotificationDisabledAddress}), http.StatusOK)
	wantMail(t, ts.notifications())

	// Any administrator of the group may clear it (SPEC §3).
	r = ts.as(admin, http.MethodDelete, "/api/v1/admins/"+demo.MailNotificationDisabledID+"/mail-state", nil)
	wantStatus(t, r, http.StatusOK)
	if r.JSON["mail_notification_disabled"] != false {
		t.Fatalf("still disabled: %s", r.Raw)
	}
	wantMail(t, ts.notifications(), demo.MailNotificationDisabledAddress)
	ev := ts.lastAudit(rep, "mail_state_cleared")
	if ev["login_id"] != demo.MultiGroupID || ev["detail"].(map[string]any)["address"] != demo.MailNotificationDisabledAddress || ev["at"] == "" {
		t.Errorf("mail_state_cleared event %v, want who, when and which address", ev)
	}
	wantError(t, ts.as(admin, http.MethodDelete, "/api/v1/admins/"+demo.MailNotificationDisabledID+"/mail-state", nil), http.StatusConflict, "conflict")
	// Key e-mails reach the address again.
	flow := ts.toKeyStep(demo.MailNotificationDisabledID)
	wantStatus(t, ts.issue(flow, "email"), http.StatusOK)
}

func TestConsoleAPICLOMO(t *testing.T) {
	ts := newTestServer(t, withLogin(noCooldown))
	rep := ts.signIn(demo.RepresentativeID, "sms", demo.GroupAnshin)
	wantError(t, ts.as(rep, http.MethodGet, "/api/v1/clomo", nil), http.StatusNotFound, "not_found")
	for field, body := range map[string]map[string]string{
		"organization_name": {"organization_name": "  "},
		"contact_name":      {"organization_name": "あんしん商事", "contact_name": strings.Repeat("名", 101)},
		"contact_email":     {"organization_name": "あんしん商事", "contact_email": "it@"},
		"time_zone":         {"organization_name": "あんしん商事", "time_zone": "Mars/Olympus"},
	} {
		r := ts.as(rep, http.MethodPut, "/api/v1/clomo", body)
		wantError(t, r, http.StatusUnprocessableEntity, "invalid_field")
		if r.ErrorField("field") != field {
			t.Errorf("%v: field %v, want %s", body, r.ErrorField("field"), field)
		}
	}
	wantError(t, ts.as(rep, http.MethodPut, "/api/v1/clomo", `{"organization_name": "x", "extra": 1}`), http.StatusBadRequest, "invalid_request")

	r := ts.as(rep, http.MethodPut, "/api/v1/clomo", map[string]string{"organization_name": "あんしん商事株式会社", "contact_name": "山田 太郎", "contact_email": "it@example.co.jp"})
	wantStatus(t, r, http.StatusCreated)
	if r.String("time_zone") != "Asia/Tokyo" {
		t.Errorf("default time zone %q", r.String("time_zone"))
	}
	wantMail(t, ts.notifications(), "yamada.taro@example.co.jp")
	ts.lastAudit(rep, "clomo_created")

	// Any administrator edits it.
	admin := ts.signInPending(demo.PendingAdminID, demo.GroupAnshin, demo.InitialPassword)
	r = ts.as(admin, http.MethodPut, "/api/v1/clomo", map[string]string{"organization_name": "あんしん商事株式会社", "time_zone": "Asia/Tokyo"})
	wantStatus(t, r, http.StatusOK)
	wantMail(t, ts.notifications(), "yamada.taro@example.co.jp")
	if ev := ts.lastAudit(rep, "clomo_updated"); ev["login_id"] != demo.PendingAdminID {
		t.Errorf("clomo_updated by %v", ev["login_id"])
	}
	r = ts.as(rep, http.MethodGet, "/api/v1/contract", nil)
	if c, _ := r.JSON["clomo"].(map[string]any); c["organization_name"] != "あんしん商事株式会社" {
		t.Errorf("contract answer %s", r.Raw)
	}
	// The login's group choice now shows the organization name.
	flow := ts.toKeyStep(demo.RepresentativeID)
	r, _, _ = ts.issueKey(flow, "sms")
	groups, _ := r.JSON["groups"].([]any)
	if len(groups) != 1 || groups[0].(map[string]any)["organization_name"] != "あんしん商事株式会社" {
		t.Errorf("the group choice after creation: %s", r.Raw)
	}
}

func TestConsoleAPIGroupSwitch(t *testing.T) {
	ts := newTestServer(t, withLogin(noCooldown))
	tok := ts.signIn(demo.MultiGroupID, "sms", demo.GroupSakura)

	r := ts.as(tok, http.MethodGet, "/api/v1/groups", nil)
	wantStatus(t, r, http.StatusOK)
	var ids []string
	for _, g := range r.JSON["groups"].([]any) {
		ids = append(ids, g.(map[string]any)["group_id"].(string))
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{demo.GroupHikari, demo.GroupMidori, demo.GroupSakura}) {
		t.Fatalf("groups %v", ids)
	}
	wantError(t, ts.as(tok, http.MethodPost, "/api/v1/session/group", map[string]string{"group_id": demo.GroupSakura}), http.StatusConflict, "conflict")
	wantError(t, ts.as(tok, http.MethodPost, "/api/v1/session/group", map[string]string{"group_id": demo.GroupAnshin}), http.StatusForbidden, "group_not_allowed")
	wantError(t, ts.as(tok, http.MethodPost, "/api/v1/session/group", map[string]string{"group_id": ""}), http.StatusUnprocessableEntity, "invalid_field")

	r = ts.as(tok, http.MethodPost, "/api/v1/session/group", map[string]string{"group_id": demo.GroupMidori})
	wantStatus(t, r, http.StatusOK)
	next := r.String("session_token")
	if r.String("next") != "done" || next == "" || next == tok {
		t.Fatalf("switch answered %s, want a new session token", r.Raw)
	}
	wantError(t, ts.session(tok), http.StatusUnauthorized, "unauthorized")
	r = ts.session(next)
	wantStatus(t, r, http.StatusOK)
	if r.JSON["group"].(map[string]any)["group_id"] != demo.GroupMidori {
		t.Fatalf("session after the switch: %s", r.Raw)
	}
	ev := ts.lastAudit(next, "group_switched")
	if d := ev["detail"].(map[string]any); d["from"] != demo.GroupSakura || d["to"] != demo.GroupMidori || ev["client_ip"] == "" {
		t.Errorf("group_switched event %v", ev)
	}

	// The initial password step still applies: midori's representative
	// resets demo-multi's initial password, and the switch asks for it.
	midoriRep := ts.signIn(demo.NoEmailID, "sms", demo.GroupMidori)
	wantStatus(t, ts.as(midoriRep, http.MethodPut, "/api/v1/admins/"+demo.MultiGroupID+"/initial-password",
		map[string]string{"initial_password": "Switch2026"}), http.StatusOK)
	// demo-multi has no administrator e-mail in midori: its contact
	// e-mails are told instead.
	wantMail(t, ts.notifications(), "watanabe.kenichi@example.jp", "k.watanabe@example.jp")
	r = ts.as(next, http.MethodPost, "/api/v1/session/group", map[string]string{"group_id": demo.GroupHikari})
	wantStatus(t, r, http.StatusOK)
	hikari := r.String("session_token")
	r = ts.as(hikari, http.MethodPost, "/api/v1/session/group", map[string]string{"group_id": demo.GroupMidori})
	wantStatus(t, r, http.StatusOK)
	flow := r.String("flow_id")
	if r.String("next") != "initial_password" || flow == "" || r.String("session_token") != "" {
		t.Fatalf("switch to a pending group answered %s", r.Raw)
	}
	wantError(t, ts.session(hikari), http.StatusUnauthorized, "unauthorized")
	wantError(t, ts.initialPassword(flow, "Wrong2026x"), http.StatusUnauthorized, "initial_password_invalid")
	r = ts.initialPassword(flow, "Switch2026")
	wantStatus(t, r, http.StatusOK)
	r = ts.session(r.String("session_token"))
	if r.JSON["group"].(map[string]any)["group_id"] != demo.GroupMidori {
		t.Fatalf("session after the initial password: %s", r.Raw)
	}
}

func TestConsoleAPIAudit(t *testing.T) {
	ts := newTestServer(t, withLogin(noCooldown))
	rep := ts.signIn(demo.RepresentativeID, "sms", demo.GroupAnshin)
	flow := ts.toKeyStep(demo.RepresentativeID)
	_, key, _ := ts.issueKey(flow, "sms")
	wantError(t, ts.verify(flow, wrongKey(key), demo.GroupAnshin), http.StatusUnauthorized, "key_invalid")
	wantError(t, ts.password(ts.start(demo.RepresentativeID), "wrong-password"), http.StatusUnauthorized, "invalid_credentials")

	kinds := ts.auditKinds(rep, "")
	for _, k := range []string{"sign_in", "key_issued", "key_failed", "password_failed"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("the log lacks %s: %v", k, kinds)
		}
	}
	ev := ts.lastAudit(rep, "key_issued")
	d := ev["detail"].(map[string]any)
	if d["method"] != "sms" || strs(d["sent_to"])[0] != "090-****-5678" || ev["client_ip"] == "" {
		t.Errorf("key_issued event %v, want method, masked destination and client", ev)
	}
	ds, _ := d["deliveries"].([]any)
	if len(ds) != 1 || ds[0].(map[string]any)["status"] != "sent" || ds[0].(map[string]any)["to"] != "090-****-5678" {
		t.Errorf("key_issued deliveries %v, want the one SMS, sent", d["deliveries"])
	}
	if _, ok := d["key_id"]; ok {
		t.Error("the audit answer carries the key's internal ID")
	}
	if got := ts.auditKinds(rep, "?kind=sign_in"); len(got) != 1 || got[0] != "sign_in" {
		t.Errorf("kind=sign_in gives %v", got)
	}
	if ev := ts.lastAudit(rep, "password_failed"); ev["login_id"] != demo.RepresentativeID || ev["client_ip"] == "" {
		t.Errorf("password_failed event %v, want who and the client address", ev)
	}
	// t0 is 2025-04-01 18:00 JST.
	if got := ts.auditKinds(rep, "?from=2025-04-01&to=2025-04-01"); len(got) != len(kinds) {
		t.Errorf("the day of the events gives %v, want %v", got, kinds)
	}
	if got := ts.auditKinds(rep, "?from=2025-04-02"); len(got) != 0 {
		t.Errorf("a later day gives %v", got)
	}
	if got := ts.auditKinds(rep, "?to=2025-03-31"); len(got) != 0 {
		t.Errorf("an earlier day gives %v", got)
	}
	// Paging: one event at a time visits every event once, newest first.
	var paged []string
	before := ""
	for range 100 {
		r := ts.as(rep, http.MethodGet, "/api/v1/audit?limit=1"+before, nil)
		wantStatus(t, r, http.StatusOK)
		for _, e := range r.JSON["events"].([]any) {
			paged = append(paged, e.(map[string]any)["kind"].(string))
		}
		n, ok := r.JSON["next_before"].(float64)
		if !ok {
			break
		}
		before = "&before=" + jsonNumber(n)
	}
	if !slices.Equal(paged, kinds) {
		t.Errorf("paging gives %v, want %v", paged, kinds)
	}
	for _, q := range []string{"?kind=DROP%20TABLE", "?from=yesterday", "?to=2025-13-01", "?from=2025-04-02&to=2025-04-01", "?limit=0x", "?limit=500", "?limit=-1", "?before=x", "?before=-5"} {
		r := ts.as(rep, http.MethodGet, "/api/v1/audit"+q, nil)
		wantError(t, r, http.StatusUnprocessableEntity, "invalid_field")
	}
	// Another group's log shows none of these.
	other := ts.signIn(demo.MultiGroupID, "sms", demo.GroupSakura)
	for _, k := range ts.auditKinds(other, "?kind=key_failed") {
		t.Errorf("sakura's log shows anshin-shoji's %s", k)
	}
}

// The session's idle and absolute timeouts hold on every console endpoint.
func TestConsoleAPISessionTimeouts(t *testing.T) {
	ts := newTestServer(t, withLogin(noCooldown))
	idle := ts.signIn(demo.RepresentativeID, "sms", demo.GroupAnshin)
	ts.Clock.Advance(29 * time.Minute)
	wantStatus(t, ts.as(idle, http.MethodGet, "/api/v1/admins", nil), http.StatusOK)
	ts.Clock.Advance(31 * time.Minute)
	for _, e := range consoleEndpoints(demo.PendingAdminID, demo.GroupAnshin) {
		wantError(t, ts.as(idle, e.method, e.path, e.body), http.StatusUnauthorized, "unauthorized")
	}

	// Kept busy, a session still ends at its absolute limit, and a group
	// switch does not extend it.
	busy := ts.signIn(demo.MultiGroupID, "sms", demo.GroupSakura)
	for range 28 { // 11 h 40 min
		ts.Clock.Advance(25 * time.Minute)
		wantStatus(t, ts.as(busy, http.MethodGet, "/api/v1/contract", nil), http.StatusOK)
	}
	r := ts.as(busy, http.MethodPost, "/api/v1/session/group", map[string]string{"group_id": demo.GroupHikari})
	wantStatus(t, r, http.StatusOK)
	busy = r.String("session_token")
	ts.Clock.Advance(19 * time.Minute)
	wantStatus(t, ts.as(busy, http.MethodGet, "/api/v1/contract", nil), http.StatusOK)
	ts.Clock.Advance(2 * time.Minute)
	wantError(t, ts.as(busy, http.MethodGet, "/api/v1/contract", nil), http.StatusUnauthorized, "unauthorized")
}

// Malformed bodies and paths get a clear 4xx with a code, never a 500,
// and change nothing.
func TestConsoleAPIMalformed(t *testing.T) {
	ts := newTestServer(t, withLogin(noCooldown))
	rep := ts.signIn(demo.MultiGroupID, "sms", demo.GroupSakura)
	bodies := []string{"", "{", "[]", `{"unknown": 1}`, `{"name": 5}`, "{}{}", "\xff\xfe", `{"name": "` + strings.Repeat("x", 70<<10) + `"}`}
	for _, e := range consoleEndpoints(demo.CarrierFreeID, demo.GroupHikari) {
		if e.body == nil {
			continue
		}
		for _, b := range bodies {
			r := ts.as(rep, e.method, e.path, b)
			if r.Status < 400 || r.Status >= 500 || r.Code() == "" {
				t.Errorf("%s %s with %.20q: %d %s", e.method, e.path, b, r.Status, r.Raw)
			}
		}
	}
	for _, path := range []string{"/api/v1/admins/%00", "/api/v1/admins/" + strings.Repeat("a", 300), "/api/v1/admins/%E3%81"} {
		r := ts.as(rep, http.MethodGet, path, nil)
		if r.Status != http.StatusNotFound && r.Status != http.StatusBadRequest {
			t.Errorf("GET %s: %d %s", path, r.Status, r.Raw)
		}
	}
	r := ts.as(rep, http.MethodGet, "/api/v1/admins", nil)
	if a := adminOf(t, r, demo.CarrierFreeID); a == nil || a["name"] != "鈴木 一郎" {
		t.Errorf("a malformed request changed an administrator: %v", a)
	}
	wantStatus(t, ts.session(rep), http.StatusOK)
}

// An input with several bad fields answers all of them at once: the first
// as field and message, every one in fields.
func TestConsoleAPIAnswersEveryFieldError(t *testing.T) {
	ts := newTestServer(t)
	rep := ts.signIn(demo.MultiGroupID, "sms", demo.GroupSakura)
	r := ts.as(rep, http.MethodPost, "/api/v1/admins?lang=en", map[string]string{"login_id": demo.NoGroupID, "name": "", "email": "not-an-address"})
	wantError(t, r, http.StatusUnprocessableEntity, "invalid_field")
	list, _ := r.ErrorField("fields").([]any)
	var got []string
	for _, f := range list {
		m := f.(map[string]any)
		if msg, _ := m["message"].(string); msg == "" {
			t.Errorf("field %v has no message", m["field"])
		}
		got = append(got, m["field"].(string))
	}
	if strings.Join(got, " ") != "name email initial_password" || r.ErrorField("field") != "name" {
		t.Errorf("fields %q (first %v), want name, email, initial_password", got, r.ErrorField("field"))
	}
	// One bad field: no list, as before.
	r = ts.as(rep, http.MethodPost, "/api/v1/admins", map[string]string{"login_id": demo.NoGroupID, "name": "田中 次郎", "initial_password": "Abcd12345", "email": "x"})
	if wantError(t, r, http.StatusUnprocessableEntity, "invalid_field"); r.ErrorField("fields") != nil {
		t.Errorf("a single field error came with a list: %s", r.Raw)
	}
}
