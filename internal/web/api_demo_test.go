package web_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/demo"
)

// Each demo account of `anshin serve --demo` shows one case of SPEC §2;
// these tests walk each one through the JSON API of SPEC §5.

// wantIssued checks the answer of a successful issuance.
func wantIssued(t *testing.T, r apiResponse, sentTo, skipped []string) {
	t.Helper()
	if got := keysOf(r.JSON); !slices.Equal(got, []string{"expires_at", "groups", "method", "sent_to", "skipped"}) {
		t.Fatalf("issuance answer has members %v: %s", got, r.Raw)
	}
	if got := strs(r.JSON["sent_to"]); !slices.Equal(got, sentTo) {
		t.Errorf("sent_to = %q, want %q", got, sentTo)
	}
	if got := strs(r.JSON["skipped"]); !slices.Equal(got, skipped) {
		t.Errorf("skipped = %q, want %q", got, skipped)
	}
	exp, err := time.Parse(time.RFC3339, r.String("expires_at"))
	if err != nil || !exp.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("expires_at = %q, want the clock + 10 minutes (%s)", r.String("expires_at"), t0.Add(10*time.Minute).Format(time.RFC3339))
	}
}

type groupChoice struct {
	number string
	org    any    // string, or nil when the group has no CLOMO environment
	keys   string // the masked destinations whose key opens it, joined by ", "
}

// groupsOf returns the groups of an issuance answer by group ID.
func groupsOf(t *testing.T, r apiResponse) map[string]groupChoice {
	t.Helper()
	list, ok := r.JSON["groups"].([]any)
	if !ok {
		t.Fatalf("no groups list in %s", r.Raw)
	}
	out := map[string]groupChoice{}
	for _, x := range list {
		g := x.(map[string]any)
		if got := keysOf(g); !slices.Equal(got, []string{"group_id", "key_sent_to", "organization_name", "representative_number"}) {
			t.Fatalf("group has members %v, want group_id, key_sent_to, organization_name (even when null), representative_number", got)
		}
		out[g["group_id"].(string)] = groupChoice{number: g["representative_number"].(string), org: g["organization_name"],
			keys: strings.Join(strs(g["key_sent_to"]), ", ")}
	}
	return out
}

// wantDone checks a final answer and returns its session token.
func wantDone(t *testing.T, r apiResponse) string {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	if got := keysOf(r.JSON); !slices.Equal(got, []string{"next", "session_token"}) || r.String("next") != "done" || r.String("session_token") == "" {
		t.Fatalf("answer %s, want {next: done, session_token}", r.Raw)
	}
	return r.String("session_token")
}

// wantSession checks GET /api/v1/session for the token.
func wantSession(t *testing.T, ts *testServer, token, loginID, group, role string) {
	t.Helper()
	r := ts.session(token)
	wantStatus(t, r, http.StatusOK)
	g, _ := r.JSON["group"].(map[string]any)
	if r.String("login_id") != loginID || r.String("role") != role || g["group_id"] != group {
		t.Fatalf("session = %s, want %s as %s of %s", r.Raw, loginID, role, group)
	}
}

func TestDemoRepresentativeBySMS(t *testing.T) {
	ts := newTestServer(t)
	flow := ts.start(demo.RepresentativeID)
	r := ts.password(flow, demo.Password)
	wantStatus(t, r, http.StatusOK)
	if got := keysOf(r.JSON); !slices.Equal(got, []string{"methods", "next"}) {
		t.Fatalf("password answer has members %v: %s", got, r.Raw)
	}
	methods, _ := r.JSON["methods"].([]any)
	if len(methods) != 2 {
		t.Fatalf("methods = %s, want sms and email", r.Raw)
	}
	for _, m := range methods {
		if m.(map[string]any)["available"] != true {
			t.Errorf("method %v is not available for the representative", m)
		}
	}

	r, key, to := ts.issueKey(flow, "sms")
	wantIssued(t, r, []string{"090-****-5678"}, []string{})
	if !slices.Equal(to, []string{"+819012345678"}) {
		t.Errorf("SMS went to %q, want the docomo line only", to)
	}
	groups := groupsOf(t, r)
	if len(groups) != 1 || groups[demo.GroupAnshin] != (groupChoice{"+81312345678", nil, "090-****-5678"}) {
		t.Errorf("groups = %+v, want anshin-shoji by its number alone", groups)
	}

	token := wantDone(t, ts.verify(flow, key, demo.GroupAnshin))
	wantSession(t, ts, token, demo.RepresentativeID, demo.GroupAnshin, "representative")
	s := ts.session(token)
	g := s.JSON["group"].(map[string]any)
	if g["management_number"] != "N0000001" || g["representative_number"] != "+81312345678" || g["clomo"] != nil {
		t.Errorf("session group = %v, want N0000001, +81312345678 and no CLOMO environment", g)
	}
}

func TestDemoRepresentativeByEmail(t *testing.T) {
	ts := newTestServer(t)
	flow := ts.toKeyStep(demo.RepresentativeID)
	r, key, to := ts.issueKey(flow, "email")
	// The administrator e-mail wins over contact e-mails (SPEC §2 step 4).
	wantIssued(t, r, []string{"ya*********@example.co.jp"}, []string{})
	if !slices.Equal(to, []string{"yamada.taro@example.co.jp"}) {
		t.Errorf("e-mail went to %q", to)
	}
	token := wantDone(t, ts.verify(flow, key, demo.GroupAnshin))
	wantSession(t, ts, token, demo.RepresentativeID, demo.GroupAnshin, "representative")
}

func TestDemoPendingAdminAsksInitialPassword(t *testing.T) {
	ts := newTestServer(t)
	flow := ts.toKeyStep(demo.PendingAdminID)
	_, key, _ := ts.issueKey(flow, "sms")

	r := ts.verify(flow, key, demo.GroupAnshin)
	wantStatus(t, r, http.StatusOK)
	if string(r.Raw) != `{"next":"initial_password"}`+"\n" {
		t.Fatalf("verify answered %s, want exactly {\"next\":\"initial_password\"}", r.Raw)
	}
	// The flow is past the key: the key cannot be used again.
	wantError(t, ts.verify(flow, key, demo.GroupAnshin), http.StatusConflict, "flow_step_invalid")

	wantError(t, ts.initialPassword(flow, "Wrong2345x"), http.StatusUnauthorized, "initial_password_invalid")
	token := wantDone(t, ts.initialPassword(flow, demo.InitialPassword))
	wantSession(t, ts, token, demo.PendingAdminID, demo.GroupAnshin, "admin")

	// The first login is complete for good: the next login needs no initial
	// password.
	ts.Clock.Advance(2 * time.Minute) // past the key cooldown
	flow = ts.toKeyStep(demo.PendingAdminID)
	_, key, _ = ts.issueKey(flow, "sms")
	wantDone(t, ts.verify(flow, key, demo.GroupAnshin))
}

func TestDemoCarrierFree(t *testing.T) {
	ts := newTestServer(t)
	flow := ts.toKeyStep(demo.CarrierFreeID)
	wantError(t, ts.issue(flow, "sms"), http.StatusUnprocessableEntity, "carrier_free")
	if msgs := ts.deliver(); len(msgs) != 0 {
		t.Fatalf("a refused SMS issuance still sent %d messages", len(msgs))
	}

	r, key, _ := ts.issueKey(flow, "email")
	wantIssued(t, r, []string{"su****@example.co.jp"}, []string{})
	token := wantDone(t, ts.verify(flow, key, demo.GroupSakura))
	wantSession(t, ts, token, demo.CarrierFreeID, demo.GroupSakura, "admin")
}

func TestDemoNoGroup(t *testing.T) {
	ts := newTestServer(t)
	flow := ts.start(demo.NoGroupID)
	r := ts.password(flow, demo.Password)
	wantStatus(t, r, http.StatusOK)
	for _, m := range r.JSON["methods"].([]any) {
		opt := m.(map[string]any)
		if opt["available"] != false || opt["reason"] != "not_registered" {
			t.Errorf("method option %v, want unavailable for not_registered", opt)
		}
	}
	wantError(t, ts.issue(flow, "sms"), http.StatusForbidden, "not_registered")
	wantError(t, ts.issue(flow, "email"), http.StatusForbidden, "not_registered")
	if msgs := ts.deliver(); len(msgs) != 0 {
		t.Fatalf("refused issuances sent %d messages", len(msgs))
	}
}

func TestDemoNoEmail(t *testing.T) {
	ts := newTestServer(t)
	flow := ts.toKeyStep(demo.NoEmailID)
	wantError(t, ts.issue(flow, "email"), http.StatusUnprocessableEntity, "email_not_set")
	r, key, _ := ts.issueKey(flow, "sms")
	wantIssued(t, r, []string{"070-****-8901"}, []string{})
	token := wantDone(t, ts.verify(flow, key, demo.GroupMidori))
	wantSession(t, ts, token, demo.NoEmailID, demo.GroupMidori, "representative")
}

func TestDemoMailNotificationDisabled(t *testing.T) {
	ts := newTestServer(t)
	flow := ts.toKeyStep(demo.MailNotificationDisabledID)
	r := ts.issue(flow, "email")
	wantError(t, r, http.StatusUnprocessableEntity, "mail_notification_disabled")
	if got := strs(r.ErrorField("skipped")); !slices.Equal(got, []string{"it********@example.co.jp"}) {
		t.Errorf("skipped = %q, want the masked bounced address", got)
	}
	if strings.Contains(string(r.Raw), demo.MailNotificationDisabledAddress) {
		t.Errorf("the error shows the address in clear: %s", r.Raw)
	}

	r, key, _ := ts.issueKey(flow, "sms")
	wantIssued(t, r, []string{"090-****-9012"}, []string{})
	token := wantDone(t, ts.verify(flow, key, demo.GroupHikari))
	wantSession(t, ts, token, demo.MailNotificationDisabledID, demo.GroupHikari, "representative")
}

func TestDemoMultiGroup(t *testing.T) {
	ts := newTestServer(t)
	flow := ts.toKeyStep(demo.MultiGroupID)
	r, keys, to := ts.issueKeys(flow, "email")
	// Each group's route: さくら and ひかり have an administrator e-mail,
	// みどり has none and uses both contact e-mails. Each address gets a key
	// of its own.
	slices.Sort(to)
	if !slices.Equal(to, []string{"k.watanabe@example.co.jp", "k.watanabe@example.jp", "watanabe.kenichi@example.jp", "watanabe@example.co.jp"}) {
		t.Errorf("keys went to %q, want the two administrator e-mails and the two contact e-mails", to)
	}
	sent := strs(r.JSON["sent_to"])
	slices.Sort(sent)
	if !slices.Equal(sent, []string{"k.********@example.co.jp", "k.********@example.jp", "wa**************@example.jp", "wa******@example.co.jp"}) {
		t.Errorf("sent_to = %q, want the four addresses masked", sent)
	}
	want := map[string]groupChoice{
		demo.GroupSakura: {"+81661234567", "さくら物流株式会社", "wa******@example.co.jp"},
		demo.GroupMidori: {"+81521234567", nil, "k.********@example.jp, wa**************@example.jp"},
		demo.GroupHikari: {"+81921234567", "ひかり建設株式会社", "k.********@example.co.jp"},
	}
	got := groupsOf(t, r)
	if len(got) != len(want) {
		t.Fatalf("groups = %+v, want %+v", got, want)
	}
	for id, g := range want {
		if got[id] != g {
			t.Errorf("group %s = %+v, want %+v", id, got[id], g)
		}
	}

	// A group the account does not administer is refused, and the key
	// survives the refusal.
	key := keys["k.watanabe@example.co.jp"]
	wantError(t, ts.verify(flow, key, demo.GroupAnshin), http.StatusForbidden, "group_not_allowed")
	wantError(t, ts.verify(flow, key, "no-such-group"), http.StatusForbidden, "group_not_allowed")
	// A right key for a group outside its scope names the address whose
	// key opens the group, and is neither used nor counted.
	r = ts.verify(flow, keys["watanabe@example.co.jp"], demo.GroupHikari)
	wantError(t, r, http.StatusForbidden, "key_not_for_group")
	if got := strs(r.ErrorField("key_sent_to")); !slices.Equal(got, []string{"k.********@example.co.jp"}) {
		t.Errorf("key_sent_to = %q, want ひかり's administrator e-mail masked", got)
	}
	if msg := r.ErrorField("message").(string); !strings.Contains(msg, "k.********@example.co.jp") {
		t.Errorf("message %q does not name the address", msg)
	}
	token := wantDone(t, ts.verify(flow, key, demo.GroupHikari))
	wantSession(t, ts, token, demo.MultiGroupID, demo.GroupHikari, "admin")
}
