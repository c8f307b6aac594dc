// Command anshin-bench measures whole logins on the real anshin binary:
// it starts `anshin serve` (one instance on SQLite, or two on PostgreSQL
// with --pg), a real SMTP sink and an SMS gateway stand-in (the webhook
// driver's POSTs), drives API logins (ID → password → SMS key → verify)
// at several concurrency levels, and prints one Markdown table beside the
// bare argon2id ceiling measured in the same run (README: Performance).
// scripts/bench builds the binary and runs it. It prints figures; it
// asserts none.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/argon2"
	"github.com/anshin/anshin/internal/procs"
	"github.com/anshin/anshin/internal/secret"
	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver, to create the run's database
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	xargon2 "golang.org/x/crypto/argon2"
)

const (
	secretKey     = "fae1744c31ded4ee5bf0911747169a91ff1e1cccb2e72549359eba32400e94e9"
	operatorToken = "bench-operator-token-0123456789"
)

type options struct {
	bin      string
	pg       string
	duration time.Duration
	clients  []int
	argon2   secret.Argon2Params
	profiles string // a folder for CPU profiles of the last level, or ""
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "hash-loop" {
		hashLoop(os.Args[2:])
		return
	}
	// The load generator stands in for clients on other machines: on one
	// P its runtime wakes about 13 times a login instead of 28, each wake
	// taking a core from a server thread, most often mid-hash (the
	// servers' threads were preempted 19 times a login instead of 12).
	// It still drives 600 logins/s with a 1 MiB hash, where it drove 585.
	runtime.GOMAXPROCS(1)
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "anshin-bench:", err)
		os.Exit(1)
	}
}

func run(args []string, w io.Writer) error {
	var o options
	fs := flag.NewFlagSet("anshin-bench", flag.ContinueOnError)
	fs.StringVar(&o.bin, "bin", "", "the anshin binary (required)")
	fs.StringVar(&o.pg, "pg", "", "a PostgreSQL URL: two instances on a new database there instead of one on SQLite")
	fs.DurationVar(&o.duration, "duration", 15*time.Second, "how long each concurrency level runs")
	clients := fs.String("clients", "1,4,8", "concurrency levels: clients logging in without pause, each with accounts of its own")
	mem := fs.Uint("argon2-memory", uint(secret.DefaultArgon2.MemoryKiB), "argon2id memory in KiB (ANSHIN_ARGON2_MEMORY_KIB)")
	passes := fs.Uint("argon2-time", uint(secret.DefaultArgon2.Time), "argon2id passes (ANSHIN_ARGON2_TIME)")
	fs.StringVar(&o.profiles, "cpuprofile", "", "a folder: each instance's CPU profile of the last level goes there as cpu-N.pprof, its heap at the end as heap-N.pprof (ANSHIN_PPROF)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.bin == "" {
		return errors.New("--bin is required")
	}
	o.argon2 = secret.Argon2Params{MemoryKiB: uint32(*mem), Time: uint32(*passes), Threads: secret.DefaultArgon2.Threads}
	for _, s := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("--clients: %q is not a number of clients", s)
		}
		o.clients = append(o.clients, n)
	}
	work, err := os.MkdirTemp("", "anshin-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	box := procs.NewKeyBox()
	mail, err := procs.NewMailSink(box)
	if err != nil {
		return err
	}
	defer mail.Close()
	sms, err := procs.NewSMSSink(box)
	if err != nil {
		return err
	}
	defer sms.Close()

	store, dbURL, n := "SQLite, 1 instance", "sqlite:"+filepath.Join(work, "bench.db"), 1
	if o.pg != "" {
		if dbURL, err = newPostgresDB(o.pg); err != nil {
			return err
		}
		store, n = "PostgreSQL, 2 instances", 2
		postmaster = postmasterOf(dbURL)
	}
	env := serverEnv(o, dbURL, mail.Addr, sms.Env())
	var servers []*server
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	for i := range n {
		env := env
		if n > 1 {
			// The instances share the machine's cores as they would share
			// a host in containers of a core each: each hashes on its
			// share, not on every core at once.
			env = append(slices.Clip(env), fmt.Sprintf("GOMAXPROCS=%d", max(1, runtime.NumCPU()/n)))
		}
		// The metrics tell each level the hashes' own CPU; profiles are
		// served there too, when asked for.
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		env = append(slices.Clip(env), "ANSHIN_METRICS_ADDR="+addr)
		if o.profiles != "" {
			env = append(env, "ANSHIN_PPROF=on")
		}
		s, err := start(o.bin, work, env, i)
		if err != nil {
			return err
		}
		s.metrics = addr
		servers = append(servers, s)
	}
	// Warm-up: the first statements and hashes of a process are not what
	// it costs later. It also gives the rate the first level's accounts
	// are counted from.
	warm, err := provision(servers[0].URL, 0, slices.Max(o.clients)*2)
	if err != nil {
		return err
	}
	l, err := drive(servers, box, warm, make([]int, slices.Max(o.clients)), 2*time.Second)
	if err != nil {
		return err
	}
	rate, next := l.rate(), len(warm)

	before, err := bareHash(o.argon2, "x-crypto")
	if err != nil {
		return err
	}
	var rows []level
	for k, c := range o.clients {
		// Each level logs in with accounts of its own, each about as often
		// as the default limits let an account in an hour (10 keys), so
		// that its hourly counts cost what they cost in use; the limits
		// themselves are raised, in case a level runs faster than the
		// fastest so far, which sets how many accounts it gets.
		accts, err := provision(servers[0].URL, next, max(c, int(1.25*rate*o.duration.Seconds())/loginsPerAccount))
		if err != nil {
			return err
		}
		next += len(accts)
		var profiled chan error
		parts := max(1, int((o.duration+sliceLength-1)/sliceLength))
		if o.profiles != "" && k == len(o.clients)-1 {
			// After the accounts are made: their hashes are not logins'.
			// One slice, so that the profile is the level's.
			profiled, parts = profile(o, servers), 1
		}
		l, err := driveSliced(o, servers, box, accts, c, parts)
		if err != nil {
			return err
		}
		rate = max(rate, l.rate())
		if profiled != nil {
			if err := <-profiled; err != nil {
				return err
			}
		}
		rows = append(rows, l)
	}
	after, err := bareHash(o.argon2, "x-crypto")
	if err != nil {
		return err
	}
	printTable(w, o, store, rows, before, after)
	return nil
}

// serverEnv is each instance's environment: the run's hash, real SMTP and
// SMS sinks, and the per-account and per-client limits out of the way (a
// benchmark's clients log in far more often than people do).
func serverEnv(o options, dbURL, smtpAddr string, sms []string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"ANSHIN_DATABASE_URL=" + dbURL,
		"ANSHIN_HTTP_ADDR=127.0.0.1:0",
		"ANSHIN_SECRET_KEY=" + secretKey,
		"ANSHIN_OPERATOR_TOKEN=" + operatorToken,
		"ANSHIN_SMTP_URL=smtp://" + smtpAddr,
		"ANSHIN_ARGON2_MEMORY_KIB=" + strconv.Itoa(int(o.argon2.MemoryKiB)),
		"ANSHIN_ARGON2_TIME=" + strconv.Itoa(int(o.argon2.Time)),
		"ANSHIN_KEY_COOLDOWN=0s",
		"ANSHIN_KEYS_PER_ACCOUNT_HOUR=1000",
		"ANSHIN_KEYS_PER_FLOW=100",
		"ANSHIN_FLOWS_PER_CLIENT=0", // every client is 127.0.0.1
		"ANSHIN_SMS_PER_ACCOUNT_HOUR=1000",
		"ANSHIN_SMS_PER_NUMBER_HOUR=1000",
		"ANSHIN_SMS_GLOBAL_HOUR=1000000",
		"ANSHIN_LOG_LEVEL=warn",
	}
	// The runtime's settings pass through, to compare them.
	for _, name := range []string{"ANSHIN_MEMORY_LIMIT", "GOGC", "GOMEMLIMIT", "GODEBUG"} {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	for i := 0; i+1 < len(sms); i += 2 {
		env = append(env, sms[i]+"="+sms[i+1])
	}
	return env
}

// freeAddr is a loopback address with a port free now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// profile takes a CPU profile of each instance over the level
// about to run (its duration less a second at each end) into o.profiles.
func profile(o options, servers []*server) chan error {
	done := make(chan error, 1)
	secs := max(1, int((o.duration-2*time.Second)/time.Second))
	go func() {
		time.Sleep(time.Second)
		errs := make([]error, len(servers))
		var wg sync.WaitGroup
		for i, s := range servers {
			wg.Go(func() {
				u := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", s.metrics, secs)
				errs[i] = fetchTo(u, filepath.Join(o.profiles, fmt.Sprintf("cpu-%d.pprof", i)))
				if errs[i] == nil {
					// What is live then, under load.
					u = fmt.Sprintf("http://%s/debug/pprof/heap", s.metrics)
					errs[i] = fetchTo(u, filepath.Join(o.profiles, fmt.Sprintf("heap-%d.pprof", i)))
				}
			})
		}
		wg.Wait()
		done <- errors.Join(errs...)
	}()
	return done
}

func fetchTo(u, path string) error {
	resp, err := (&http.Client{Timeout: 5 * time.Minute}).Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", u, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// server is one `anshin serve` process.
type server struct {
	URL     string
	metrics string // its metrics listener's address
	cmd     *exec.Cmd
	log     string
	done    chan struct{}
}

func start(bin, work string, env []string, i int) (*server, error) {
	s := &server{cmd: exec.Command(bin, "serve"), log: filepath.Join(work, fmt.Sprintf("serve-%d.log", i)), done: make(chan struct{})}
	s.cmd.Env, s.cmd.Dir = env, work
	logf, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	s.cmd.Stderr = logf
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.cmd.Wait(); logf.Close(); close(s.done) }()
	select {
	case s.URL = <-anshintest.ListeningURL(stdout):
		return s, nil
	case <-s.done:
	case <-time.After(90 * time.Second):
		s.stop()
	}
	b, _ := os.ReadFile(s.log)
	return nil, fmt.Errorf("anshin serve did not start:\n%s", b)
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// postmaster is the PID of the PostgreSQL server's postmaster when it runs
// on this machine, whose CPU (its own and its children's: one process per
// connection) is reported beside the servers'; 0 otherwise.
var postmaster int

// postmasterOf finds the postmaster as the parent of the process serving
// a connection, if that process is PostgreSQL's on this machine.
func postmasterOf(dbURL string) int {
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return 0
	}
	defer db.Close()
	var backend int
	if err := db.QueryRow("SELECT pg_backend_pid()").Scan(&backend); err != nil {
		return 0
	}
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", backend))
	ppid, err := procs.Parent(backend)
	if strings.TrimSpace(string(comm)) != "postgres" || err != nil {
		return 0 // another machine's, or a PID of this one's that is not it
	}
	return ppid
}

func newPostgresDB(base string) (string, error) {
	db, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer db.Close()
	name := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		return "", fmt.Errorf("--pg: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

var client = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// provision makes accounts first, first+1, … first+n-1, each in a group
// of its own, four at a time.
func provision(base string, first, n int) ([]procs.Account, error) {
	accts := make([]procs.Account, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range next {
				k := first + i
				accts[i] = procs.Account{LoginID: fmt.Sprintf("bench-%d", k), Password: fmt.Sprintf("pw-%d-bench-x9", k),
					Line: fmt.Sprintf("0903%07d", k), Email: fmt.Sprintf("bench-%d@example.jp", k), Group: fmt.Sprintf("g-bench-%d", k)}
				errs[i] = procs.PutAccount(client, base, operatorToken, accts[i])
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return accts, errors.Join(errs...)
}

// The steps of a login, as the table names them.
var steps = []string{"ID", "password", "SMS key", "verify"}

// level is what one concurrency level measured.
type level struct {
	clients int
	logins  int
	errors  int
	elapsed time.Duration
	took    [][]time.Duration // per step
	cpu     time.Duration     // of every server process
	hashes  hashCPU           // the servers' password hashes, by their metrics
	dbCPU   time.Duration     // of the PostgreSQL server, when on this machine
	hwm     int               // KiB, the largest instance's peak so far
	// alone is the server's hash alone before each slice of the level and
	// after the last; aloneLogins sums each slice's logins times the mean
	// of the two measurements around it.
	alone       []time.Duration
	aloneLogins time.Duration
	// preempted counts the times the servers' threads were taken off a
	// core while they could still run: another process's turn, which
	// leaves a hash cold caches.
	preempted int64
}

// sliceLength is the longest a level runs between two measurements of
// the server's hash alone, the share's numerator: the VM's speed moves a
// few per cent within minutes (from 19.1 to 18.0 ms a hash between the
// two ends of one 15 s level), so each slice's logins are weighed with the
// hash measured right before and right after them.
const sliceLength = 5 * time.Second

// driveSliced runs a level of c clients for o.duration in n slices, the
// clients going on with their accounts where they stopped, and measures
// the hash alone before each slice and after the last.
func driveSliced(o options, servers []*server, box *procs.KeyBox, accts []procs.Account, c, n int) (level, error) {
	l := level{clients: c, took: make([][]time.Duration, len(steps))}
	before, err := bareHash(o.argon2, "server")
	if err != nil {
		return l, err
	}
	l.alone = append(l.alone, before)
	turns := make([]int, c)
	for range n {
		s, err := drive(servers, box, accts, turns, o.duration/time.Duration(n))
		if err != nil {
			return l, err
		}
		after, err := bareHash(o.argon2, "server")
		if err != nil {
			return l, err
		}
		l.alone = append(l.alone, after)
		l.add(s, (before+after)/2)
		before = after
	}
	return l, nil
}

// add counts slice s into l, its logins' hash alone taken to be alone.
func (l *level) add(s level, alone time.Duration) {
	l.logins += s.logins
	l.errors += s.errors
	l.elapsed += s.elapsed
	for i := range l.took {
		l.took[i] = append(l.took[i], s.took[i]...)
	}
	l.cpu += s.cpu
	l.hashes.n += s.hashes.n
	l.hashes.cpu += s.hashes.cpu
	l.dbCPU += s.dbCPU
	l.hwm = max(l.hwm, s.hwm)
	l.preempted += s.preempted
	l.aloneLogins += alone * time.Duration(s.logins)
}

// ownHash is the server's hash alone during l: its slices' measurements
// weighed by their logins.
func (l level) ownHash() time.Duration {
	if l.logins == 0 {
		return 0
	}
	return l.aloneLogins / time.Duration(l.logins)
}

// loginsPerAccount is about how many times each account logs in during a
// level: the default ANSHIN_KEYS_PER_ACCOUNT_HOUR.
const loginsPerAccount = 10

func (l level) rate() float64 { return float64(l.logins) / l.elapsed.Seconds() }

// drive runs len(turns) clients, client k logging in on server k mod n
// as accts[k], accts[k+c], … in turn, each without pause, for d; turns[k]
// counts client k's logins, and the next call goes on from there.
func drive(servers []*server, box *procs.KeyBox, accts []procs.Account, turns []int, d time.Duration) (level, error) {
	c := len(turns)
	l := level{clients: c, took: make([][]time.Duration, len(steps))}
	// The scrapes stay outside the servers' CPU window.
	h0, err := serversHashCPU(servers)
	if err != nil {
		return l, err
	}
	cpu0, err := sumOver(servers, procs.CPU)
	if err != nil {
		return l, err
	}
	db0 := databaseCPU()
	pre0, err := sumOver(servers, procs.Preempted)
	if err != nil {
		return l, err
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	startAt := time.Now()
	deadline := startAt.Add(d)
	for k := range c {
		wg.Go(func() {
			for j := turns[k]; time.Now().Before(deadline); j++ {
				turns[k] = j + 1
				took, err := login(servers[k%len(servers)].URL, box, accts[(k+j*c)%len(accts)])
				mu.Lock()
				if err != nil {
					l.errors++
					if l.errors <= 3 {
						fmt.Fprintln(os.Stderr, "anshin-bench: login:", err)
					}
				} else {
					l.logins++
					for i, t := range took {
						l.took[i] = append(l.took[i], t)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	l.elapsed = time.Since(startAt)
	cpu1, err := sumOver(servers, procs.CPU)
	if err != nil {
		return l, err
	}
	l.cpu = cpu1 - cpu0
	l.dbCPU = databaseCPU() - db0
	pre1, err := sumOver(servers, procs.Preempted)
	if err != nil {
		return l, err
	}
	l.preempted = pre1 - pre0
	h1, err := serversHashCPU(servers)
	if err != nil {
		return l, err
	}
	l.hashes = hashCPU{n: h1.n - h0.n, cpu: h1.cpu - h0.cpu}
	for _, s := range servers {
		_, hwm := procs.MemoryKiB(s.cmd.Process.Pid)
		l.hwm = max(l.hwm, hwm)
	}
	return l, nil
}

// hashCPU is a count of password hashes and the CPU time they took on
// their threads in the server (anshin_password_hash_cpu_seconds_total):
// the hash where it runs, beside the server's other work and the other
// processes on the same cores.
type hashCPU struct {
	n   int64
	cpu time.Duration
}

func serversHashCPU(servers []*server) (hashCPU, error) {
	var sum hashCPU
	for _, s := range servers {
		resp, err := client.Get("http://" + s.metrics + "/metrics")
		if err != nil {
			return sum, err
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := parser.TextToMetricFamilies(resp.Body)
		resp.Body.Close()
		if err != nil {
			return sum, fmt.Errorf("%s/metrics: %w", s.metrics, err)
		}
		counter := func(name string) float64 {
			if f := fams[name]; f != nil && len(f.Metric) == 1 {
				return f.Metric[0].GetCounter().GetValue()
			}
			return 0
		}
		sum.n += int64(counter("anshin_password_hashes_total"))
		sum.cpu += time.Duration(counter("anshin_password_hash_cpu_seconds_total") * float64(time.Second))
	}
	return sum, nil
}

// databaseCPU is the PostgreSQL server's CPU so far, 0 when it is not on
// this machine (or the database is SQLite, inside the servers).
func databaseCPU() time.Duration {
	if postmaster == 0 {
		return 0
	}
	cpu, _ := procs.TreeCPU(postmaster)
	return cpu
}

// sumOver adds up read over the servers' processes: procs.CPU or
// procs.Preempted.
func sumOver[T int64 | time.Duration](servers []*server, read func(pid int) (T, error)) (T, error) {
	var sum T
	for _, s := range servers {
		v, err := read(s.cmd.Process.Pid)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}

// login is one whole login; took is each step's time. The SMS key step
// runs from the request until the key is at the gateway.
func login(base string, box *procs.KeyBox, a procs.Account) (took []time.Duration, err error) {
	t := time.Now()
	lap := func() {
		took = append(took, time.Since(t))
		t = time.Now()
	}
	var started struct {
		FlowID string `json:"flow_id"`
	}
	if err := post(base+"/api/v1/login", map[string]string{"login_id": a.LoginID}, &started); err != nil {
		return nil, fmt.Errorf("ID: %w", err)
	}
	lap()
	flow := base + "/api/v1/login/" + started.FlowID
	if err := post(flow+"/password", map[string]string{"password": a.Password}, nil); err != nil {
		return nil, fmt.Errorf("password: %w", err)
	}
	lap()
	box.Drain(a.SMSTo())
	if err := post(flow+"/one-time-key", map[string]string{"method": "sms"}, nil); err != nil {
		return nil, fmt.Errorf("SMS key: %w", err)
	}
	key := box.Next(a.SMSTo(), 60*time.Second)
	if key == "" {
		return nil, errors.New("SMS key: none at the gateway within 60 s")
	}
	lap()
	if err := post(flow+"/verify", map[string]string{"key": key, "group_id": a.Group}, nil); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	lap()
	return took, nil
}

func post(u string, body, into any) error {
	b, _ := json.Marshal(body)
	resp, err := client.Post(u, "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%d %s", resp.StatusCode, got)
	}
	if into != nil {
		return json.Unmarshal(got, into)
	}
	return nil
}

// bareHash runs argon2id alone in a child process (this binary's
// hash-loop), one loop per core, and returns the CPU time of one hash:
// impl "x-crypto" is x/crypto's argon2.IDKey, the reference the ceiling
// is taken from, "server" the server's own, which keeps its memory
// between hashes (internal/argon2).
func bareHash(p secret.Argon2Params, impl string) (time.Duration, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	out, err := exec.Command(self, "hash-loop", strconv.Itoa(int(p.MemoryKiB)), strconv.Itoa(int(p.Time)), strconv.Itoa(int(p.Threads)), impl).Output()
	if err != nil {
		return 0, fmt.Errorf("hash-loop: %w", err)
	}
	var hashes int
	var cpu time.Duration
	if _, err := fmt.Sscan(string(out), &hashes, &cpu); err != nil || hashes == 0 {
		return 0, fmt.Errorf("hash-loop: %q", out)
	}
	return cpu / time.Duration(hashes), nil
}

// hashLoop hashes on every core for about three seconds, after one
// warm-up hash each, and prints the hashes and the CPU time they took
// (utime + stime of this process, as for the servers). Its last argument
// names the implementation: x/crypto's, or the server's with one memory
// per core kept between hashes.
func hashLoop(args []string) {
	var m, t, th int
	if len(args) != 4 {
		os.Exit(2)
	}
	m, _ = strconv.Atoi(args[0])
	t, _ = strconv.Atoi(args[1])
	th, _ = strconv.Atoi(args[2])
	hasher := func() func() {
		if args[3] == "server" {
			var mem argon2.Memory
			return func() {
				mem.IDKey([]byte("bench-password"), []byte("0123456789abcdef"), uint32(t), uint32(m), uint8(th), 32)
			}
		}
		return func() {
			xargon2.IDKey([]byte("bench-password"), []byte("0123456789abcdef"), uint32(t), uint32(m), uint8(th), 32)
		}
	}
	cores := runtime.NumCPU()
	hashes := make([]func(), cores)
	var wg sync.WaitGroup
	for i := range cores {
		hashes[i] = hasher()
		wg.Go(hashes[i])
	}
	wg.Wait()
	cpu0, err := procs.CPU(os.Getpid())
	if err != nil {
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var mu sync.Mutex
	n := 0
	for i := range cores {
		wg.Go(func() {
			for ctx.Err() == nil {
				hashes[i]()
				mu.Lock()
				n++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	cpu1, _ := procs.CPU(os.Getpid())
	fmt.Println(n, int64(cpu1-cpu0))
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) }

// cpuMs is a CPU time per login: to 0.01 ms, for a change of a few
// percent to show with a cheap hash (about 2 ms a login).
func cpuMs(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) }

func printTable(w io.Writer, o options, store string, rows []level, before, after time.Duration) {
	cores := runtime.NumCPU()
	ref := (before + after) / 2
	ceiling := float64(cores) / ref.Seconds()
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(w, "anshin-bench %s: %s, argon2id %d KiB × %d passes, %s per level, %d cores, load %s\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), store, o.argon2.MemoryKiB, o.argon2.Time, o.duration, cores, strings.Join(strings.Fields(string(load))[:3], " "))
	fmt.Fprintf(w, "bare argon2id, its own process, one loop per core: x/crypto %s ms CPU per hash (%s before the levels, %s after) → ceiling %.0f logins/s; "+
		"the server's, its memory kept, measured the same way before, between and after each level's slices of at most %s, weighed by the slices' logins: its hash alone, the hash share's numerator (in brackets its lowest and highest measurement)\n\n",
		ms(ref), ms(before), ms(after), ceiling, sliceLength)
	fmt.Fprint(w, "| clients | logins/s | ÷ ceiling |")
	for _, s := range steps {
		fmt.Fprintf(w, " %s p50 / p99 ms |", s)
	}
	fmt.Fprint(w, " server CPU per login | its hash alone | hash share | its hash in the server | besides the hash | preempted per login | PostgreSQL CPU per login | peak RSS | errors |\n|---|---|---|")
	fmt.Fprint(w, strings.Repeat("---|", len(steps)+9), "\n")
	for _, r := range rows {
		rate := r.rate()
		perLogin := time.Duration(0)
		if r.logins > 0 {
			perLogin = r.cpu / time.Duration(r.logins)
		}
		own := r.ownHash()
		share := 0.0
		if perLogin > 0 {
			share = 100 * float64(own) / float64(perLogin)
		}
		fmt.Fprintf(w, "| %d | %.1f | %.0f %% |", r.clients, rate, 100*rate/ceiling)
		for i := range steps {
			fmt.Fprintf(w, " %s / %s |", ms(pct(r.took[i], 0.5)), ms(pct(r.took[i], 0.99)))
		}
		db := "–"
		if postmaster != 0 && r.logins > 0 {
			db = cpuMs(r.dbCPU/time.Duration(r.logins)) + " ms"
		}
		hash, besides, preempted := "–", "–", "–"
		if r.logins > 0 {
			preempted = strconv.FormatFloat(float64(r.preempted)/float64(r.logins), 'f', 1, 64)
		}
		if r.hashes.n > 0 && r.hashes.cpu > 0 && r.logins > 0 {
			hash = cpuMs(r.hashes.cpu/time.Duration(r.hashes.n)) + " ms"
			besides = cpuMs((r.cpu-r.hashes.cpu)/time.Duration(r.logins)) + " ms"
		}
		fmt.Fprintf(w, " %s ms | %s ms (%s–%s) | %.0f %% | %s | %s | %s | %s | %.0f MiB | %d |\n", cpuMs(perLogin), cpuMs(own), ms(slices.Min(r.alone)), ms(slices.Max(r.alone)),
			share, hash, besides, preempted, db, float64(r.hwm)/1024, r.errors)
	}
}
