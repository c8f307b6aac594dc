package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/anshin/anshin/internal/demo"
)

// The routes of internal/web/routes.go, with {…} for a parameter.
var fuzzRoutes = []string{
	"GET /", "GET /login", "POST /login", "GET /login/password", "POST /login/password", "GET /login/key",
	"POST /login/key/issue", "POST /login/key/verify", "GET /login/key/status", "GET /login/initial-password",
	"POST /login/initial-password", "GET /console", "GET /console/clomo", "POST /console/clomo", "GET /console/admins",
	"GET /console/admins/new", "POST /console/admins", "GET /console/admins/{login_id}", "POST /console/admins/{login_id}",
	"POST /console/admins/{login_id}/mail-state", "GET /console/admins/{login_id}/delete", "POST /console/admins/{login_id}/delete",
	"GET /console/admins/{login_id}/initial-password", "POST /console/admins/{login_id}/initial-password", "GET /console/audit",
	"GET /console/groups", "POST /console/groups", "POST /logout", "GET /static/key.js", "GET /healthz", "GET /readyz", "GET /metrics",
	"POST /api/v1/login", "POST /api/v1/login/{flow_id}/password", "POST /api/v1/login/{flow_id}/one-time-key",
	"GET /api/v1/login/{flow_id}/deliveries", "POST /api/v1/sms/twilio/status", "POST /api/v1/login/{flow_id}/verify",
	"POST /api/v1/login/{flow_id}/initial-password", "GET /api/v1/session", "DELETE /api/v1/session", "POST /api/v1/session/group",
	"GET /api/v1/groups", "GET /api/v1/contract", "GET /api/v1/clomo", "PUT /api/v1/clomo", "GET /api/v1/admins", "POST /api/v1/admins",
	"GET /api/v1/admins/{login_id}", "PUT /api/v1/admins/{login_id}", "DELETE /api/v1/admins/{login_id}",
	"DELETE /api/v1/admins/{login_id}/mail-state", "PUT /api/v1/admins/{login_id}/initial-password", "GET /api/v1/audit",
	"POST /api/v1/bounces", "POST /api/v1/bounces/ses", "POST /api/v1/bounces/sendgrid",
	"PUT /api/v1/operator/accounts/{login_id}", "PUT /api/v1/operator/groups/{group_id}",
	"PUT /api/v1/operator/groups/{group_id}/admins/{login_id}", "PUT /api/v1/operator/groups/{group_id}/clomo",
	"GET /dev/outbox", "GET /dev/outbox.json",
}

// fuzzState is what the generator reuses to get past the first checks:
// live flows at each step, a session, the tokens.
type fuzzState struct {
	mu       sync.Mutex
	flows    []string
	sessions []string
}

func (s *fuzzState) pick(xs []string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(xs) == 0 {
		return "none"
	}
	return xs[rand.IntN(len(xs))]
}

var fuzzStrings = []string{"", " ", "a", "demo-rep", demo.RepresentativeID, demo.Password, demo.GroupAnshin, "00000000", "１２３４５６７８",
	"../../etc/passwd", "%00", "\x00", "\r\n", "<script>", "'; DROP TABLE accounts; --", "null", "true", "-1", "1e309",
	"\xff\xfe", "\u202e", "日本語", "😀", strings.Repeat("A", 300), strings.Repeat("9", 5000), "user@example.jp", "+819012345678",
	"090-1234-5678", "sms", "email", "passkey", "representative", "admin", "Init2345x", "{}", "[]", "%", "%zz", "..", "."}

func fuzzValue(r *rand.Rand) any {
	switch r.IntN(12) {
	case 0:
		return r.IntN(1 << 20)
	case 1:
		return -r.Float64() * 1e300
	case 2:
		return nil
	case 3:
		return r.IntN(2) == 0
	case 4:
		return []any{fuzzStrings[r.IntN(len(fuzzStrings))], r.IntN(10)}
	case 5:
		return map[string]any{"x": fuzzStrings[r.IntN(len(fuzzStrings))]}
	case 6:
		return strings.Repeat(fuzzStrings[r.IntN(len(fuzzStrings))], r.IntN(2000))
	default:
		return fuzzStrings[r.IntN(len(fuzzStrings))]
	}
}

var fuzzFields = []string{"login_id", "password", "method", "key", "group_id", "initial_password", "kind", "docomo_line", "contact_emails",
	"management_number", "representative_number", "contract", "role", "name", "email", "organization_name", "contact_name",
	"contact_email", "time_zone", "plan", "licenses", "start_date", "status", "events", "Type", "Message", "recipients", "lang"}

// fuzzBody makes a body: JSON objects with the routes' fields and wrong
// types, forms, broken JSON, deep nesting, random bytes, large ones.
func fuzzBody(r *rand.Rand) (ctype string, body []byte) {
	switch r.IntN(10) {
	case 0, 1, 2, 3:
		obj := map[string]any{}
		for range r.IntN(6) {
			obj[fuzzFields[r.IntN(len(fuzzFields))]] = fuzzValue(r)
		}
		b, _ := jsonMarshal(obj)
		return "application/json", b
	case 4:
		v := fmt.Sprintf("login_id=%s&password=%s&key=%s&group_id=%s&method=%s",
			fuzzStrings[r.IntN(len(fuzzStrings))], fuzzStrings[r.IntN(len(fuzzStrings))], fuzzStrings[r.IntN(len(fuzzStrings))],
			fuzzStrings[r.IntN(len(fuzzStrings))], fuzzStrings[r.IntN(len(fuzzStrings))])
		return "application/x-www-form-urlencoded", []byte(v)
	case 5:
		return "application/json", []byte(strings.Repeat("[", r.IntN(100000)) + strings.Repeat("]", r.IntN(10)))
	case 6:
		b := make([]byte, r.IntN(4096))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return []string{"application/json", "text/plain", "", "multipart/form-data; boundary=x", "application/json; charset=shift_jis"}[r.IntN(5)], b
	case 7:
		return "application/json", []byte(`{"login_id":"` + strings.Repeat("x", r.IntN(3<<20)) + `"}`)
	case 8:
		return "application/json", []byte(`{"login_id": "a", "login_id": "b", "password": "\ud800", "key": 1e400}`)
	default:
		return "application/json", []byte(`{"login_id":`)
	}
}

func jsonMarshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := jsonEncoder(&buf)
	err := enc.Encode(v)
	return buf.Bytes(), err
}

// fuzzRequest builds one request on a route, its path parameters filled
// with live values or junk, and random headers.
func fuzzRequest(r *rand.Rand, base string, st *fuzzState) (*http.Request, error) {
	route := fuzzRoutes[r.IntN(len(fuzzRoutes))]
	method, path, _ := strings.Cut(route, " ")
	if r.IntN(8) == 0 {
		method = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND", "get"}[r.IntN(10)]
	}
	param := func() string {
		switch r.IntN(6) {
		case 0, 1:
			return st.pick(st.flows)
		case 2:
			return demo.PendingAdminID
		case 3:
			return demo.GroupAnshin
		default:
			return urlJunk(r)
		}
	}
	for _, p := range []string{"{flow_id}", "{login_id}", "{group_id}"} {
		for strings.Contains(path, p) {
			path = strings.Replace(path, p, param(), 1)
		}
	}
	if r.IntN(10) == 0 {
		path += []string{"/", "//", "/..", "?x=" + urlJunk(r), "?lang=en", "?flow=" + st.pick(st.flows), "%2f", "#frag"}[r.IntN(8)]
	}
	ctype, body := "", []byte(nil)
	if method != "GET" && method != "HEAD" || r.IntN(10) == 0 {
		ctype, body = fuzzBody(r)
	}
	var rd io.Reader
	if body != nil {
		if r.IntN(15) == 0 { // gzip, declared or not
			var gz bytes.Buffer
			w := gzip.NewWriter(&gz)
			w.Write(body)
			w.Close()
			body = gz.Bytes()
		}
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if r.IntN(15) == 0 {
		req.Header.Set("Content-Encoding", []string{"gzip", "br", "identity", "deflate, gzip"}[r.IntN(4)])
	}
	if r.IntN(3) == 0 {
		req.Header.Set("Authorization", []string{"Bearer " + st.pick(st.sessions), "Bearer " + operatorToken, "Bearer " + urlJunk(r), "Basic Zm9vOmJhcg==", "Bearer", ""}[r.IntN(6)])
	}
	if r.IntN(3) == 0 {
		req.Header.Set("Cookie", []string{"anshin_flow=" + st.pick(st.flows), "anshin_session=" + st.pick(st.sessions), "anshin_lang=" + urlJunk(r), "anshin_size=9999", "=;=;"}[r.IntN(5)])
	}
	if r.IntN(8) == 0 {
		req.Header.Set("Origin", []string{"https://evil.example", "null", base}[r.IntN(3)])
		req.Header.Set("Sec-Fetch-Site", []string{"cross-site", "same-origin", "none"}[r.IntN(3)])
	}
	if r.IntN(8) == 0 {
		req.Header.Set("X-Forwarded-For", []string{"1.2.3.4", "garbage", "::1, 10.0.0.1", strings.Repeat("1.1.1.1,", 500)}[r.IntN(4)])
		req.Header.Set("Forwarded", []string{"for=unknown", `for="[2001:db8::1]:4711"`, "for=;;;"}[r.IntN(3)])
	}
	if r.IntN(8) == 0 {
		req.Header.Set("Accept-Language", []string{"en", "ja", "*", "xx-YY;q=abc", strings.Repeat("en,", 1000)}[r.IntN(5)])
	}
	if r.IntN(10) == 0 {
		req.Header.Set("X-Request-ID", urlJunk(r))
	}
	if r.IntN(10) == 0 {
		req.Header.Set("Accept", []string{"application/json", "text/html", "*/*", ""}[r.IntN(4)])
	}
	return req, nil
}

func urlJunk(r *rand.Rand) string {
	const chars = "abcXYZ019-_.~%!$&'()*+,;=:@ 日"
	var b strings.Builder
	for range r.IntN(80) {
		if r.IntN(20) == 0 {
			fmt.Fprintf(&b, "%%%02X", r.IntN(256))
			continue
		}
		c := []rune(chars)
		b.WriteRune(c[r.IntN(len(c))])
	}
	s := b.String()
	if r.IntN(30) == 0 {
		s = strings.Repeat("x", 9000)
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, " ", "%20"), "%%", "%25")
}

// rawRequests are malformed at the HTTP level; Go's server answers them.
var rawRequests = []string{
	"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
	"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n",
	"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 11\r\n\r\n{}",
	"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET / HTTP/9.9\r\n\r\n",
	"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
	"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"login_id\":",
	"GET /api/v1/session HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\n\r\n",
}

// fuzzedRequests: generated requests over every route; none answers 5xx,
// nothing panics.
func fuzzedRequests(e *env) *row {
	n := e.scale(100000, 10000)
	r := &row{What: "fuzzed requests", Load: fmt.Sprintf("%d generated requests over every route (%d patterns): methods, paths, headers, bodies, encodings, sizes (SQLite, --demo)", n, len(fuzzRoutes)),
		Limit: "0 answers 5xx, 0 panics", OK: true}
	box := newKeyBox()
	sink := newMailSink(box)
	defer sink.Close()
	env := with(baseEnv(e.sqliteDB("fuzz")), "ANSHIN_SMTP_URL", "smtp://"+sink.Addr, "ANSHIN_BOUNCE_WEBHOOK_TOKEN", "torture-bounce-token-0123456",
		"ANSHIN_TRUSTED_PROXIES", "127.0.0.1")
	inst := e.start(env, "--demo")
	st := &fuzzState{}
	// Live flows at the password and key steps, and a session.
	for range 20 {
		flow, _ := inst.startLogin(demo.RepresentativeID)
		st.flows = append(st.flows, flow)
		flow2, _ := inst.startLogin(demo.MultiGroupID)
		inst.password(flow2, demo.Password)
		st.flows = append(st.flows, flow2)
	}
	flow, err := inst.toKeyStep(demo.RepresentativeID, demo.Password)
	must(err, "login")
	if a := inst.issue(flow, "email"); a.Status == http.StatusOK {
		if k := box.Next("yamada.taro@example.co.jp", 30*time.Second); k != "" {
			if a := inst.verify(flow, k, demo.GroupAnshin); a.str("session_token") != "" {
				st.sessions = append(st.sessions, a.str("session_token"))
			}
		}
	}
	if len(st.sessions) == 0 {
		fatalf("no session for the fuzzer")
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var mu sync.Mutex
	var bad []string
	statuses := map[int]int{}
	noAnswer := 0
	par(n, 8, func(i int) {
		rnd := rand.New(rand.NewPCG(uint64(i), 17))
		if i%500 == 0 {
			raw := rawRequests[(i/500)%len(rawRequests)]
			if s := rawStatus(inst.URL, raw); s >= 500 {
				mu.Lock()
				bad = append(bad, fmt.Sprintf("raw %q: %d", raw, s))
				mu.Unlock()
			}
			return
		}
		req, err := fuzzRequest(rnd, inst.URL, st)
		if err != nil {
			return // not expressible in net/http
		}
		resp, err := client.Do(req)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			noAnswer++
			if len(bad) < 10 {
				bad = append(bad, fmt.Sprintf("%s %.80s: no answer: %v", req.Method, req.URL.Path, err))
			}
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		statuses[resp.StatusCode]++
		if resp.StatusCode >= 500 && len(bad) < 10 {
			bad = append(bad, fmt.Sprintf("%s %.80s: %d", req.Method, req.URL.Path, resp.StatusCode))
		}
	})
	fives := 0
	for s, k := range statuses {
		if s >= 500 {
			fives += k
		}
	}
	panics := inst.panics()
	if !inst.alive() {
		panics++
	}
	r.Figure = fmt.Sprintf("%d answers 5xx, %d panics, %d without answer", fives, panics, noAnswer)
	e.logf("fuzz: statuses %v", statuses)
	if fives > 0 || panics > 0 || noAnswer > 0 {
		r.failf("%v", bad)
	}
	if panics > 0 {
		r.failf("log: %s", inst.logTail(3000))
	}
	return r
}

// rawStatus writes raw bytes and reads the status line's code (0: none).
func rawStatus(base, raw string) int {
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 5*time.Second)
	if err != nil {
		return 0
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	conn.Write([]byte(raw))
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	b, _ := io.ReadAll(io.LimitReader(conn, 64))
	var code int
	fmt.Sscanf(string(b), "HTTP/1.1 %d", &code)
	return code
}
