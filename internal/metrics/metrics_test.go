package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/bounce"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/metrics"
	"github.com/anshin/anshin/internal/store/sqlstore"
)

func openStore(t testing.TB) *sqlstore.DB {
	t.Helper()
	return anshintest.MustOpenDB(t)
}

func exposition(t testing.TB, m *metrics.Metrics) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

func wantLines(t *testing.T, body string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(body, "\n"+l+"\n") {
			t.Errorf("missing %q in\n%s", l, body)
		}
	}
}

func TestOutboxDepthAndAge(t *testing.T) {
	db := openStore(t)
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	now := t0.Add(90 * time.Second)
	m := metrics.New(metrics.Sources{Store: db, DBStats: db.Stats, Now: func() time.Time { return now }})
	err := db.Update(context.Background(), func(tx anshin.Tx) error {
		for i, id := range []string{"a", "b"} {
			at := t0.Add(time.Duration(i) * time.Minute)
			if err := tx.EnqueueDelivery(&anshin.Delivery{ID: id, Kind: anshin.DeliveryKindNotification, Channel: anshin.MethodEmail, Recipient: id + "@example.jp",
				Lang: "ja", Payload: []byte("x"), NextAttemptAt: at, CreatedAt: at, UpdatedAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, body := exposition(t, m)
	wantLines(t, body, "anshin_outbox_queued 2", "anshin_outbox_oldest_age_seconds 90", "anshin_db_max_open_connections 8")

	// A store that fails leaves the outbox out, not the rest.
	db.Close()
	m.Observe(login.Event{Kind: login.EventLoginStarted})
	code, body := exposition(t, m)
	if code != http.StatusOK || strings.Contains(body, "anshin_outbox_queued ") {
		t.Errorf("with the store closed: %d\n%s", code, body)
	}
	wantLines(t, body, `anshin_login_steps_total{outcome="ok",step="login_started"} 1`)
}

func TestEventsDeliveriesBouncesRequests(t *testing.T) {
	m := metrics.New(metrics.Sources{})
	m.Observe(login.Event{Kind: login.EventKeyIssued, Method: anshin.MethodEmail})
	m.Observe(login.Event{Kind: login.EventKeyIssued, Method: anshin.MethodSMS, Code: anshin.ECodeRateLimited, Limit: "sms_per_number"})
	m.Observe(login.Event{Kind: login.EventPassword, Code: anshin.ECodeRateLimited})
	m.Observe(login.Event{Kind: login.EventKeyVerified, Code: anshin.ECodeKeyExpired})
	m.Observe(login.Event{Kind: login.EventLockout, Code: "key_entry"})
	m.Delivered("smtp", anshin.MethodEmail, "retry")
	m.Bounce(bounce.Outcome{Kind: bounce.KindBounce, Verdict: bounce.Verdict{Class: bounce.Permanent, Reason: bounce.ReasonNoSuchUser}, Recorded: true, Disabled: true}, nil)
	m.Bounce(bounce.Outcome{}, bounce.ErrForged)
	m.Request("GET /login", 200, 30*time.Millisecond)
	m.Request("", 405, time.Millisecond)
	_, body := exposition(t, m)
	wantLines(t, body,
		`anshin_keys_issued_total{method="email"} 1`,
		`anshin_rate_limited_total{limit="sms_per_number",step="key_issued"} 1`,
		`anshin_rate_limited_total{limit="other",step="password"} 1`,
		`anshin_key_verifications_total{outcome="key_expired"} 1`,
		`anshin_lockouts_total{lock="key_entry"} 1`,
		`anshin_deliveries_total{channel="email",driver="smtp",status="retry"} 1`,
		`anshin_bounces_total{class="permanent",kind="bounce",reason="no_such_user",result="disabled"} 1`,
		`anshin_bounces_total{class="",kind="",reason="",result="forged"} 1`,
		`anshin_http_requests_total{code="200",route="GET /login"} 1`,
		`anshin_http_requests_total{code="405",route="unmatched"} 1`,
		`anshin_http_request_duration_seconds_bucket{route="GET /login",le="0.05"} 1`,
	)
	if strings.Contains(body, `anshin_keys_issued_total{method="sms"} 1`) {
		t.Error("a refused issuance counted as a key issued")
	}
	if strings.Contains(body, "anshin_lockouts_total") && strings.Contains(body, `step="lockout"`) {
		t.Error("a lockout counted as a login step")
	}
}

func TestPurgedByKind(t *testing.T) {
	m := metrics.New(metrics.Sources{})
	m.Purged(anshin.PurgeSessions, 3)
	m.Purged(anshin.PurgeSessions, 2)
	_, body := exposition(t, m)
	for _, want := range []string{`anshin_purged_rows_total{kind="sessions"} 5`, `anshin_purged_rows_total{kind="audit_events"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("exposition lacks %s", want)
		}
	}
}

// The password hashes and their own CPU come from the hasher, as they are
// at the scrape.
func TestPasswordHashCPU(t *testing.T) {
	n, cpu := int64(0), time.Duration(0)
	m := metrics.New(metrics.Sources{Hashes: func() (int64, time.Duration) { return n, cpu }})
	n, cpu = 3, 1500*time.Millisecond
	_, body := exposition(t, m)
	wantLines(t, body, `anshin_password_hashes_total 3`, `anshin_password_hash_cpu_seconds_total 1.5`)
}
