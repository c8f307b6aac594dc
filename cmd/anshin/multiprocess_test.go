package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/demo"
	"github.com/anshin/anshin/internal/store/storetest"
	"github.com/anshin/anshin/internal/testenv"
)

// The multi-process tests run the real binary: two `anshin serve`
// processes on one PostgreSQL database, driven through the JSON API, with
// every delivery read back from each instance's development outbox.

// mpBuild builds the anshin binary into a folder of t's.
func mpBuild(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "anshin")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// mpInstance is one `anshin serve` process.
type mpInstance struct {
	URL    string
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
}

// mpStart starts `anshin serve args…` with env (and nothing else of the
// test's environment but PATH and HOME) and waits until it listens.
func mpStart(t testing.TB, bin string, env map[string]string, args ...string) *mpInstance {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Dir = t.TempDir()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	inst := &mpInstance{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = inst.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(inst.done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-inst.done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-inst.done
		}
		if t.Failed() {
			t.Logf("stderr of %s:\n%s", inst.URL, tail(inst.stderr.String(), 4000))
		}
	})
	found := anshintest.ListeningURL(stdout)
	select {
	case inst.URL = <-found:
		return inst
	case <-inst.done:
		t.Fatalf("anshin serve ended before listening:\n%s", inst.stderr.String())
	case <-time.After(60 * time.Second): // a failsafe, not a measurement
		t.Fatalf("anshin serve did not listen:\n%s", inst.stderr.String())
	}
	return nil
}

// kill ends the process at once, as a crash would.
func (i *mpInstance) kill(t testing.TB) {
	t.Helper()
	if err := i.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-i.done
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// mpCluster is a PostgreSQL database and the instances sharing it.
type mpCluster struct {
	bin   string
	dbURL string
	env   map[string]string
	db    *sql.DB
}

// mpNewCluster creates a database and the environment its instances share;
// extra pairs add to or replace it.
func mpNewCluster(t testing.TB, bin string, extra ...string) *mpCluster {
	t.Helper()
	url := storetest.PostgresDatabase(t, testenv.Require(t, testenv.PostgresURL))
	env := map[string]string{
		"ANSHIN_DATABASE_URL":          url,
		"ANSHIN_HTTP_ADDR":             "127.0.0.1:0",
		"ANSHIN_SECRET_KEY":            "fae1744c31ded4ee5bf0911747169a91ff1e1cccb2e72549359eba32400e94e9",
		"ANSHIN_DEV":                   "true",
		"ANSHIN_ARGON2_MEMORY_KIB":     "1024",
		"ANSHIN_ARGON2_TIME":           "1",
		"ANSHIN_KEY_COOLDOWN":          "0s",
		"ANSHIN_KEYS_PER_ACCOUNT_HOUR": "1000",
		"ANSHIN_FLOWS_PER_CLIENT":      "0", // every login comes from 127.0.0.1
		"ANSHIN_LOG_LEVEL":             "warn",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &mpCluster{bin: bin, dbURL: url, env: env, db: db}
}

// start starts one more instance; the first is started with --demo, which
// provisions the demo accounts into the shared database.
func (c *mpCluster) start(t testing.TB, first bool, extra ...string) *mpInstance {
	t.Helper()
	env := map[string]string{}
	for k, v := range c.env {
		env[k] = v
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	if first {
		return mpStart(t, c.bin, env, "--demo")
	}
	return mpStart(t, c.bin, env)
}

func (c *mpCluster) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := c.db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// mpCall posts (or gets, with a nil body) JSON and decodes the answer.
func mpCall(t testing.TB, method, url string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Error(err)
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	if tok, ok := out.(*mpBearer); ok {
		req.Header.Set("Authorization", "Bearer "+tok.token)
		out = &tok.answer
	}
	resp, err := mpClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Errorf("%s %s: %d %s: %v", method, url, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

type mpBearer struct {
	token  string
	answer map[string]any
}

var mpClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// mpToKeyStep starts a login of the demo representative on inst and
// passes the password step, returning the flow ID.
func mpToKeyStep(t testing.TB, inst *mpInstance) string {
	t.Helper()
	var start struct {
		FlowToken string `json:"flow_id"`
	}
	if st := mpCall(t, "POST", inst.URL+"/api/v1/login", map[string]string{"login_id": demo.RepresentativeID}, &start); st != http.StatusOK && st != http.StatusCreated {
		t.Fatalf("start login: %d", st)
	}
	var pw map[string]any
	if st := mpCall(t, "POST", inst.URL+"/api/v1/login/"+start.FlowToken+"/password", map[string]string{"password": demo.Password}, &pw); st != http.StatusOK {
		t.Fatalf("password: %d %v", st, pw)
	}
	return start.FlowToken
}

type mpMessage struct {
	ID   string `json:"id"`
	To   string `json:"to"`
	Body string `json:"body"`
}

func mpOutbox(t testing.TB, inst *mpInstance) []mpMessage {
	t.Helper()
	var out struct{ Messages []mpMessage }
	if st := mpCall(t, "GET", inst.URL+"/dev/outbox.json", nil, &out); st != http.StatusOK {
		t.Fatalf("GET /dev/outbox.json: %d", st)
	}
	return out.Messages
}

// mpDelivered waits until the instances' outboxes hold want messages
// between them, then returns how often each delivery ID appears.
func mpDelivered(t testing.TB, want int, insts ...*mpInstance) map[string]int {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second) // a failsafe, not a measurement
	for {
		seen := map[string]int{}
		total := 0
		for _, inst := range insts {
			for _, m := range mpOutbox(t, inst) {
				seen[m.ID]++
				total++
			}
		}
		if total >= want || time.Now().After(deadline) {
			return seen
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var mpKeyInBody = regexp.MustCompile(`(?:^|[^0-9])([0-9]{8})(?:[^0-9]|$)`)

func TestMultiProcessPostgres(t *testing.T) {
	testenv.Require(t, testenv.PostgresURL)
	bin := mpBuild(t)

	// (a) 200 concurrent verifies of one key, spread over two instances:
	// exactly one signs in. The session then works on both.
	t.Run("KeyAcceptedOnce", func(t *testing.T) {
		c := mpNewCluster(t, bin)
		a := c.start(t, true)
		b := c.start(t, false)
		flowID := mpToKeyStep(t, a)
		var issued map[string]any
		if st := mpCall(t, "POST", b.URL+"/api/v1/login/"+flowID+"/one-time-key", map[string]string{"method": "email"}, &issued); st != http.StatusOK {
			t.Fatalf("issue: %d %v", st, issued)
		}
		msgs := mpDelivered(t, 1, a, b)
		if len(msgs) != 1 {
			t.Fatalf("%d messages delivered, want 1", len(msgs))
		}
		var key string
		for _, inst := range []*mpInstance{a, b} {
			for _, m := range mpOutbox(t, inst) {
				if k := mpKeyInBody.FindStringSubmatch(m.Body); k != nil {
					key = k[1]
				}
			}
		}
		if key == "" {
			t.Fatal("no key in the delivered message")
		}
		var mu sync.Mutex
		statuses := map[int]int{}
		var tokens []string
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 200 {
			inst := []*mpInstance{a, b}[i%2]
			wg.Go(func() {
				<-start
				var out map[string]any
				st := mpCall(t, "POST", inst.URL+"/api/v1/login/"+flowID+"/verify", map[string]string{"key": key, "group_id": demo.GroupAnshin}, &out)
				mu.Lock()
				defer mu.Unlock()
				statuses[st]++
				if tok, ok := out["session_token"].(string); ok && st == http.StatusOK {
					tokens = append(tokens, tok)
				}
			})
		}
		close(start)
		wg.Wait()
		t.Logf("answers by status: %v", statuses)
		if len(tokens) != 1 || statuses[http.StatusOK] != 1 {
			t.Fatalf("%d sign-ins from one key (statuses %v), want exactly 1", len(tokens), statuses)
		}
		for st, n := range statuses {
			if st >= 500 || st == 0 {
				t.Errorf("%d answers with status %d", n, st)
			}
		}
		if n := c.count(t, `SELECT COUNT(*) FROM sessions`); n != 1 {
			t.Errorf("%d sessions stored, want 1", n)
		}
		for _, inst := range []*mpInstance{a, b} {
			if st := mpCall(t, "GET", inst.URL+"/api/v1/session", nil, &mpBearer{token: tokens[0]}); st != http.StatusOK {
				t.Errorf("the session is refused by %s: %d", inst.URL, st)
			}
		}
	})

	// (b) 100 e-mail keys issued through both instances to one SMTP sink:
	// each message arrives exactly once, from one instance or the other.
	t.Run("EachMessageSentOnce", func(t *testing.T) {
		sink := newMailSink(t, "")
		c := mpNewCluster(t, bin, "ANSHIN_SMTP_URL", "smtp://"+sink.Addr)
		a := c.start(t, true)
		b := c.start(t, false)
		insts := []*mpInstance{a, b}
		const n = 100
		flows := mpFlowsAtKeyStep(t, insts, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				var out map[string]any
				if st := mpCall(t, "POST", insts[(i+1)%2].URL+"/api/v1/login/"+flows[i]+"/one-time-key", map[string]string{"method": "email"}, &out); st != http.StatusOK {
					t.Errorf("issue %d: %d %v", i, st, out)
				}
			})
		}
		wg.Wait()
		sink.await(t, n)
		time.Sleep(time.Second) // room for a duplicate to show up
		got := sink.received()
		// The envelope sender is the delivery's own VERP address.
		perDelivery := map[string]int{}
		for _, m := range got {
			perDelivery[m.From]++
		}
		if len(got) != n || len(perDelivery) != n {
			t.Errorf("%d messages for %d deliveries arrived, want %d each", len(got), len(perDelivery), n)
		}
		for from, k := range perDelivery {
			if k != 1 {
				t.Errorf("delivery %s arrived %d times", from, k)
			}
		}
		if sent := c.count(t, `SELECT COUNT(*) FROM deliveries WHERE status = 'sent'`); sent != n {
			t.Errorf("%d deliveries recorded as sent, want %d", sent, n)
		}
	})

	// (c) An instance killed while it holds claimed messages: the other
	// sends them once their lease ends, each once.
	t.Run("CrashedInstanceMessagesDeliveredByTheOther", func(t *testing.T) {
		c := mpNewCluster(t, bin, "ANSHIN_OUTBOX_LEASE", "3s")
		// a's sends hang, so its workers keep what they claimed.
		a := c.start(t, true, "ANSHIN_DEV_SEND_DELAY", "1h")
		const n = 6
		for range n {
			flowID := mpToKeyStep(t, a)
			var out map[string]any
			if st := mpCall(t, "POST", a.URL+"/api/v1/login/"+flowID+"/one-time-key", map[string]string{"method": "email"}, &out); st != http.StatusOK {
				t.Fatalf("issue: %d %v", st, out)
			}
		}
		// Each of a's workers claims a batch and hangs on its first send.
		deadline := time.Now().Add(30 * time.Second) // a failsafe, not a measurement
		claimed := 0
		for claimed = c.count(t, `SELECT COUNT(*) FROM deliveries WHERE attempts = 1 AND lease_until > 0`); claimed == 0; {
			if time.Now().After(deadline) {
				t.Fatal("the first instance claimed no message")
			}
			time.Sleep(20 * time.Millisecond)
			claimed = c.count(t, `SELECT COUNT(*) FROM deliveries WHERE attempts = 1 AND lease_until > 0`)
		}
		a.kill(t)
		claimed = c.count(t, `SELECT COUNT(*) FROM deliveries WHERE attempts = 1 AND lease_until > 0`)
		t.Logf("the killed instance held %d of %d messages", claimed, n)
		if got := c.count(t, `SELECT COUNT(*) FROM deliveries WHERE status <> 'queued'`); got != 0 {
			t.Fatalf("%d messages left the queue before the crash", got)
		}
		b := c.start(t, false)
		seen := mpDelivered(t, n, b)
		if len(seen) != n {
			t.Fatalf("the second instance sent %d of the %d messages", len(seen), n)
		}
		for id, k := range seen {
			if k != 1 {
				t.Errorf("delivery %s sent %d times", id, k)
			}
		}
		// The ones the dead instance held were claimed twice: by it, then,
		// after their lease, by the living one.
		if got := c.count(t, `SELECT COUNT(*) FROM deliveries WHERE status = 'sent' AND attempts = 2`); got != claimed {
			t.Errorf("%d deliveries sent on a second claim, want the %d the killed instance held", got, claimed)
		}
		if got := c.count(t, `SELECT COUNT(*) FROM deliveries WHERE status = 'sent'`); got != n {
			t.Errorf("%d deliveries recorded as sent, want %d", got, n)
		}
	})

	// (d) Concurrent issues on one account through both instances never
	// exceed the per-account limit.
	t.Run("IssuanceLimitAcrossInstances", func(t *testing.T) {
		const limit = 5
		c := mpNewCluster(t, bin, "ANSHIN_KEYS_PER_ACCOUNT_HOUR", fmt.Sprint(limit))
		a := c.start(t, true)
		b := c.start(t, false)
		insts := []*mpInstance{a, b}
		const n = 30
		flows := mpFlowsAtKeyStep(t, insts, n)
		var wg sync.WaitGroup
		var mu sync.Mutex
		statuses := map[int]int{}
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				var out map[string]any
				st := mpCall(t, "POST", insts[(i+1)%2].URL+"/api/v1/login/"+flows[i]+"/one-time-key", map[string]string{"method": "email"}, &out)
				mu.Lock()
				statuses[st]++
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		t.Logf("answers by status: %v", statuses)
		if statuses[http.StatusOK] != limit || statuses[http.StatusTooManyRequests] != n-limit {
			t.Errorf("answers %v, want %d issued and %d rate_limited", statuses, limit, n-limit)
		}
		if got := c.count(t, `SELECT COUNT(*) FROM one_time_keys k JOIN accounts a ON a.id = k.account_id WHERE a.login_id = $1`, demo.RepresentativeID); got != limit {
			t.Errorf("%d keys stored for the account, want the limit %d", got, limit)
		}
	})
}

// A database that cannot be reached stops serve at once with a clear
// error naming the variable.
func TestServePostgresUnreachable(t *testing.T) {
	env := testEnv(t, "ANSHIN_DATABASE_URL", "postgres://anshin:pw-not-shown@127.0.0.1:1/anshin?sslmode=disable&connect_timeout=2",
		"ANSHIN_SECRET_KEY", testSecretKey)
	err := run(context.Background(), []string{"serve"}, getenvFrom(env), strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ANSHIN_DATABASE_URL: cannot connect to PostgreSQL") || strings.Contains(err.Error(), "pw-not-shown") {
		t.Fatalf("serve with an unreachable database: %v", err)
	}
}

// mpFlowsAtKeyStep starts n logins at once, alternating between the
// instances, and returns their flows at the key step.
func mpFlowsAtKeyStep(t *testing.T, insts []*mpInstance, n int) []string {
	t.Helper()
	flows := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { flows[i] = mpToKeyStep(t, insts[i%len(insts)]) })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return flows
}
