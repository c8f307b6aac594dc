package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/demo"
)

// logLine is one line of the JSON log.
type logLine map[string]any

func (l logLine) str(k string) string { s, _ := l[k].(string); return s }

func parseJSONLog(t *testing.T, text string) []logLine {
	t.Helper()
	var lines []logLine
	for _, raw := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		var l logLine
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("a log line is not JSON (%v): %q", err, raw)
		}
		lines = append(lines, l)
	}
	return lines
}

// Times come out in UTC even where the server's zone is not (checked on
// the handler rather than by changing time.Local, which other goroutines
// of the process read).
func TestLogTimesAreUTC(t *testing.T) {
	var buf bytes.Buffer
	cfg := &config.Config{LogLevel: "info", LogFormat: "json"}
	jst := time.Date(2026, 11, 25, 9, 0, 0, 0, time.FixedZone("JST", 9*3600))
	newLogger(&buf, cfg).Info("x", "at", jst)
	if !strings.Contains(buf.String(), `"at":"2026-11-25T00:00:00Z"`) {
		t.Fatalf("a JST time is not written in UTC: %s", buf.String())
	}
}

// A whole login in the JSON log: one "auth" line per step, each on the
// request's logger (its request_id is the X-Request-ID answered), every
// time in UTC, and nothing secret or identifying in clear.
func TestLogOneLinePerAuthenticationEvent(t *testing.T) {
	env := testEnv(t, "ANSHIN_LOG_FORMAT", "json")
	srv := startServe(t, env, "serve", "--demo")
	b := newBrowser(t, srv.URL)
	type want struct{ event, outcome, code, route string }
	var steps []want
	var ids []string
	var secrets []string
	do := func(method, path string, form url.Values, w want) page {
		t.Helper()
		p := b.Do(method, path, form)
		id := p.Header.Get("X-Request-ID")
		if id == "" {
			t.Fatalf("%s %s answered no X-Request-ID", method, path)
		}
		steps, ids = append(steps, w), append(ids, id)
		return p
	}
	do("POST", "/login", url.Values{"login_id": {demo.RepresentativeID}}, want{"login_started", "success", "", "POST /login"}).WantRedirect(t, "/login/password")
	secrets = append(secrets, b.Cookie("anshin_flow"))
	do("POST", "/login/password", url.Values{"password": {demo.Password}}, want{"password", "success", "", "POST /login/password"}).WantRedirect(t, "/login/key")
	seen := messageIDs(b.outbox())
	do("POST", "/login/key/issue", url.Values{"method": {"sms"}}, want{"key_issued", "success", "", "POST /login/key/issue"})
	key := b.awaitKey("+819012345678", seen)
	do("POST", "/login/key/verify", url.Values{"key": {wrongKey(key)}, "group_id": {"anshin-shoji"}}, want{"key_verified", "failure", "key_invalid", "POST /login/key/verify"})
	seen = messageIDs(b.outbox())
	do("POST", "/login/key/issue", url.Values{"method": {"sms"}}, want{"key_issued", "success", "", "POST /login/key/issue"})
	key2 := b.awaitKey("+819012345678", seen)
	do("POST", "/login/key/verify", url.Values{"key": {key2}, "group_id": {"anshin-shoji"}}, want{"key_verified", "success", "", "POST /login/key/verify"}).WantRedirect(t, "/console?welcome=1")
	secrets = append(secrets, b.Cookie("anshin_session"), key, key2)
	do("POST", "/logout", url.Values{}, want{"sign_out", "success", "", "POST /logout"}).WantRedirect(t, "/?signed_out=1")
	if err := srv.Stop(t); err != nil {
		t.Fatal(err)
	}

	text := srv.Stderr.String()
	lines := parseJSONLog(t, text)
	byID := map[string][]logLine{}
	auth := 0
	for _, l := range lines {
		if id := l.str("request_id"); id != "" {
			byID[id] = append(byID[id], l)
		}
		if l.str("msg") == "auth" {
			auth++
			if l.str("request_id") == "" {
				t.Errorf("an auth line without a request_id: %v", l)
			}
		}
		if ts := l.str("time"); !strings.HasSuffix(ts, "Z") {
			t.Errorf("time %q is not in UTC: %v", ts, l)
		}
	}
	if auth != len(steps) {
		t.Errorf("%d auth lines, want %d, one per step", auth, len(steps))
	}
	for i, w := range steps {
		var events, requests []logLine
		for _, l := range byID[ids[i]] {
			switch l.str("msg") {
			case "auth":
				events = append(events, l)
			case "request":
				requests = append(requests, l)
			}
		}
		if len(events) != 1 {
			t.Errorf("step %d (%s): %d auth lines with request_id %s, want 1", i, w.event, len(events), ids[i])
			continue
		}
		e := events[0]
		if e.str("event") != w.event || e.str("outcome") != w.outcome || e.str("code") != w.code ||
			(e.str("account_id") == "") != (w.event == "login_started") || e.str("client_ip") != "127.0.0.1" || !strings.HasSuffix(e.str("at"), "Z") {
			t.Errorf("step %d: auth line %v, want event %s outcome %s code %q with account (but at the start), client and UTC time", i, e, w.event, w.outcome, w.code)
		}
		if len(requests) != 1 || requests[0].str("route") != w.route {
			t.Errorf("step %d: request lines %v, want one for %s", i, requests, w.route)
		}
	}

	secrets = append(secrets, demo.Password, demo.RepresentativeID, "+819012345678", "09012345678", "090-1234-5678",
		"yamada.taro@", "example.co.jp\"")
	for _, s := range secrets {
		if s == "" {
			t.Fatal("a secret to look for is empty")
		}
		if strings.Contains(text, s) {
			t.Errorf("the log holds %q", s)
		}
	}
	if !strings.Contains(text, `"to":"090-****-5678"`) {
		t.Errorf("the delivery lines do not name the masked number:\n%s", text)
	}
}

// A request ID from the client is kept when it is short and plain, and
// replaced otherwise.
func TestRequestIDHeader(t *testing.T) {
	srv := startServe(t, testEnv(t, "ANSHIN_LOG_FORMAT", "json"), "serve", "--demo")
	get := func(id string) string {
		req, _ := http.NewRequest("GET", srv.URL+"/login", nil)
		if id != "" {
			req.Header.Set("X-Request-ID", id)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("X-Request-ID")
	}
	a, b := get(""), get("")
	if a == "" || a == b {
		t.Errorf("generated IDs %q and %q", a, b)
	}
	if got := get("lb-7f3a.42_x"); got != "lb-7f3a.42_x" {
		t.Errorf("a plain incoming ID became %q", got)
	}
	for _, bad := range []string{strings.Repeat("a", 65), `x" level=ERROR msg=forged`, "a b", "ü"} {
		if got := get(bad); got == bad || got == "" {
			t.Errorf("incoming ID %q answered as %q", bad, got)
		}
	}
	srv.Stop(t)
	if strings.Contains(srv.Stderr.String(), "forged") {
		t.Error("a refused request ID reached the log")
	}
}

// A login ID with a line break cannot forge a log line, in either format.
func TestLogInjection(t *testing.T) {
	const evil = "x\n{\"level\":\"ERROR\",\"msg\":\"forged\"}\nlevel=ERROR msg=forged"
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			srv := startServe(t, testEnv(t, "ANSHIN_LOG_FORMAT", format), "serve", "--demo")
			b := newBrowser(t, srv.URL)
			b.Post("/login", url.Values{"login_id": {evil}})
			resp, err := http.Post(srv.URL+"/api/v1/login", "application/json", strings.NewReader(`{"login_id":"x\n{\"msg\":\"forged\"}"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			srv.Stop(t)
			text := srv.Stderr.String()
			start := regexp.MustCompile(`^(time=|\{"time":)`)
			for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
				if !start.MatchString(line) || strings.Contains(line, "forged") {
					t.Errorf("a forged or broken line: %q", line)
				}
			}
			if format == "json" {
				parseJSONLog(t, text)
			}
			if strings.Count(text, `"event":"login_started"`)+strings.Count(text, "event=login_started") != 2 {
				t.Errorf("want two login_started lines:\n%s", text)
			}
		})
	}
}

// Production logs JSON, development text, unless ANSHIN_LOG_FORMAT says.
func TestLogFormatDefaults(t *testing.T) {
	for _, c := range []struct {
		env    []string
		args   []string
		prefix string
	}{
		{[]string{"ANSHIN_SECRET_KEY", testSecretKey}, []string{"serve"}, `{"time":"`},
		{nil, []string{"serve", "--demo"}, "time="},
		{[]string{"ANSHIN_LOG_FORMAT", "json"}, []string{"serve", "--demo"}, `{"time":"`},
		{[]string{"ANSHIN_SECRET_KEY", testSecretKey, "ANSHIN_LOG_FORMAT", "text"}, []string{"serve"}, "time="},
	} {
		srv := startServe(t, testEnv(t, c.env...), c.args...)
		srv.Stop(t)
		for _, line := range strings.Split(strings.TrimRight(srv.Stderr.String(), "\n"), "\n") {
			if !strings.HasPrefix(line, c.prefix) {
				t.Errorf("%v %v: line %q, want it to start with %s", c.env, c.args, line, c.prefix)
			}
		}
	}
}

// Whatever a value holds, a log line stays one line in either format.
func TestLoggerKeepsUserInputOnItsLine(t *testing.T) {
	const evil = "x\nlevel=ERROR msg=forged\r\n{\"msg\":\"forged\"}\x1b[2J"
	for _, format := range []string{"json", "text"} {
		var buf syncBuffer
		log := newLogger(&buf, &config.Config{LogLevel: "info", LogFormat: format})
		log.Info("bounce smtp: recipient refused", "rcpt", evil)
		out := buf.String()
		if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") || strings.ContainsAny(strings.TrimSuffix(out, "\n"), "\r\x1b") {
			t.Errorf("%s: the value broke the line: %q", format, out)
		}
	}
}
