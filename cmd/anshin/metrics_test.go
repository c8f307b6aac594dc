package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/demo"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads the exposition at url and parses it.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: the exposition does not parse: %v", url, err)
	}
	return fams
}

// sample returns the value of the series of name whose labels include
// want (counter, gauge or a histogram's count), 0 when there is none.
func sample(fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	total := 0.0
next:
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total
}

// apiCall posts body as JSON (nil: GET) and decodes the answer.
func apiCall(t *testing.T, method, url string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// awaitKey waits for the development outbox to hold a message to to and
// returns the key in it.
func awaitKey(t *testing.T, base, to string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // a failsafe, not a measurement
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/dev/outbox.json")
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Messages []outboxMessage }
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		for _, m := range out.Messages {
			if m.To == to {
				if k := mpKeyInBody.FindStringSubmatch(m.Body); k != nil {
					return k[1]
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no key was delivered to %s", to)
	return ""
}

func TestServeMetricsMoveAfterALogin(t *testing.T) {
	srv := startServe(t, testEnv(t, "ANSHIN_KEY_COOLDOWN", "60s"), "serve", "--demo")
	base := srv.URL
	before := scrape(t, base+"/metrics")
	for _, name := range []string{"anshin_outbox_queued", "anshin_outbox_oldest_age_seconds", "anshin_db_open_connections", "anshin_db_max_open_connections"} {
		if before[name] == nil {
			t.Errorf("%s is missing before any login", name)
		}
	}

	// A wrong password in one login …
	_, start := apiCall(t, "POST", base+"/api/v1/login", map[string]string{"login_id": demo.RepresentativeID})
	flow, _ := start["flow_id"].(string)
	if st, out := apiCall(t, "POST", base+"/api/v1/login/"+flow+"/password", map[string]string{"password": "wrong-password"}); st != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d %v", st, out)
	}
	// … a whole one by SMS, with a second key refused by the cooldown …
	_, start = apiCall(t, "POST", base+"/api/v1/login", map[string]string{"login_id": demo.RepresentativeID})
	flow, _ = start["flow_id"].(string)
	if st, out := apiCall(t, "POST", base+"/api/v1/login/"+flow+"/password", map[string]string{"password": demo.Password}); st != http.StatusOK {
		t.Fatalf("password: %d %v", st, out)
	}
	if st, out := apiCall(t, "POST", base+"/api/v1/login/"+flow+"/one-time-key", map[string]string{"method": "sms"}); st != http.StatusOK {
		t.Fatalf("issue: %d %v", st, out)
	}
	if st, out := apiCall(t, "POST", base+"/api/v1/login/"+flow+"/one-time-key", map[string]string{"method": "sms"}); st != http.StatusTooManyRequests {
		t.Fatalf("second issue: %d %v, want 429", st, out)
	}
	key := awaitKey(t, base, "+819012345678")
	if st, out := apiCall(t, "POST", base+"/api/v1/login/"+flow+"/verify", map[string]string{"key": key, "group_id": demo.GroupAnshin}); st != http.StatusOK {
		t.Fatalf("verify: %d %v", st, out)
	}
	// … and a wrong key in a third.
	_, start = apiCall(t, "POST", base+"/api/v1/login", map[string]string{"login_id": demo.NoEmailID})
	flow3, _ := start["flow_id"].(string)
	apiCall(t, "POST", base+"/api/v1/login/"+flow3+"/password", map[string]string{"password": demo.Password})
	if st, out := apiCall(t, "POST", base+"/api/v1/login/"+flow3+"/one-time-key", map[string]string{"method": "sms"}); st != http.StatusOK {
		t.Fatalf("issue: %d %v", st, out)
	}
	// The key arrives first: a wrong key invalidates it, and the outbox
	// never sends an invalidated key.
	key = awaitKey(t, base, "+817045678901")
	wrong := key[:len(key)-1] + string('0'+(key[len(key)-1]-'0'+1)%10)
	if st, out := apiCall(t, "POST", base+"/api/v1/login/"+flow3+"/verify", map[string]string{"key": wrong, "group_id": demo.GroupMidori}); st != http.StatusUnauthorized {
		t.Fatalf("wrong key: %d %v", st, out)
	}

	// The outbox records each send just after it: wait for both.
	after := scrape(t, base+"/metrics")
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); after = scrape(t, base+"/metrics") {
		if sample(after, "anshin_outbox_queued") == 0 && sample(after, "anshin_deliveries_total") >= 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	moved := func(name string, want float64, labels ...string) {
		t.Helper()
		if d := sample(after, name, labels...) - sample(before, name, labels...); d != want {
			t.Errorf("%s%v moved by %v, want %v", name, labels, d, want)
		}
	}
	moved("anshin_login_steps_total", 3, "step", "login_started", "outcome", "ok")
	moved("anshin_login_steps_total", 1, "step", "password", "outcome", "invalid_credentials")
	moved("anshin_login_steps_total", 2, "step", "password", "outcome", "ok")
	moved("anshin_login_steps_total", 1, "step", "key_issued", "outcome", "rate_limited")
	moved("anshin_keys_issued_total", 2, "method", "sms")
	moved("anshin_rate_limited_total", 1, "step", "key_issued", "limit", "key_cooldown")
	moved("anshin_key_verifications_total", 1, "outcome", "ok")
	moved("anshin_key_verifications_total", 1, "outcome", "key_invalid")
	moved("anshin_deliveries_total", 2, "driver", "outbox", "channel", "sms", "status", "sent")
	moved("anshin_http_request_duration_seconds", 2, "route", "POST /api/v1/login/{flow_id}/verify")
	moved("anshin_http_requests_total", 1, "route", "POST /api/v1/login/{flow_id}/one-time-key", "code", "429")
	// Three passwords entered, three hashes, and their CPU measured.
	moved("anshin_password_hashes_total", 3)
	if d := sample(after, "anshin_password_hash_cpu_seconds_total") - sample(before, "anshin_password_hash_cpu_seconds_total"); d <= 0 {
		t.Errorf("anshin_password_hash_cpu_seconds_total moved by %v after three hashes", d)
	}
	if q := sample(after, "anshin_outbox_queued"); q != 0 {
		t.Errorf("anshin_outbox_queued = %v after every message was sent", q)
	}

	// No label carries a login ID, a number, an address or a flow ID.
	secrets := []string{demo.RepresentativeID, demo.NoEmailID, "1234-5678", "12345678", "4567-8901", "45678901", "@", flow, flow3, key}
	for name, f := range after {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				for _, s := range secrets {
					if strings.Contains(l.GetValue(), s) {
						t.Errorf("%s has label %s=%q, which holds %q", name, l.GetName(), l.GetValue(), s)
					}
				}
			}
		}
	}
}

var metricsURL = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/metrics`)

// With ANSHIN_METRICS_ADDR, /metrics is there and only there.
func TestServeMetricsOnTheirOwnListener(t *testing.T) {
	srv := startServe(t, testEnv(t, "ANSHIN_METRICS_ADDR", "127.0.0.1:0"), "serve", "--demo")
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the main listener: %d, want 404", resp.StatusCode)
	}
	deadline := time.Now().Add(10 * time.Second) // the log line may follow "listening"
	for !metricsURL.MatchString(srv.Stderr.String()) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	url := metricsURL.FindString(srv.Stderr.String())
	if url == "" {
		t.Fatalf("the log names no metrics listener:\n%s", srv.Stderr)
	}
	apiCall(t, "POST", srv.URL+"/api/v1/login", map[string]string{"login_id": demo.RepresentativeID})
	if n := sample(scrape(t, url), "anshin_login_steps_total", "step", "login_started"); n != 1 {
		t.Errorf("login_started on the metrics listener: %v, want 1", n)
	}
}

// ANSHIN_PPROF=on serves /debug/pprof/ on the metrics listener and never
// on the main one; off, neither serves it.
func TestServePprofOnlyOnTheMetricsListener(t *testing.T) {
	for _, on := range []string{"on", "off"} {
		t.Run(on, func(t *testing.T) {
			srv := startServe(t, testEnv(t, "ANSHIN_METRICS_ADDR", "127.0.0.1:0", "ANSHIN_PPROF", on), "serve", "--demo")
			deadline := time.Now().Add(10 * time.Second)
			for !metricsURL.MatchString(srv.Stderr.String()) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			metrics := metricsURL.FindString(srv.Stderr.String())
			if metrics == "" {
				t.Fatalf("the log names no metrics listener:\n%s", srv.Stderr)
			}
			want := map[string]int{srv.URL: http.StatusNotFound, strings.TrimSuffix(metrics, "/metrics"): http.StatusNotFound}
			if on == "on" {
				want[strings.TrimSuffix(metrics, "/metrics")] = http.StatusOK
			}
			for base, code := range want {
				resp, err := http.Get(base + "/debug/pprof/")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != code {
					t.Errorf("GET %s/debug/pprof/: %d, want %d", base, resp.StatusCode, code)
				}
			}
		})
	}
}

// ANSHIN_PPROF=on without ANSHIN_METRICS_ADDR does not start.
func TestServePprofRefusedWithoutMetricsAddr(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"serve", "--demo"}, getenvFrom(testEnv(t, "ANSHIN_PPROF", "on")), strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "ANSHIN_PPROF") {
		t.Fatalf("serve with ANSHIN_PPROF=on alone: %v, want an error naming ANSHIN_PPROF", err)
	}
}
