package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/demo"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/operator"
	"github.com/anshin/anshin/internal/secret"
	"github.com/anshin/anshin/internal/web"
)

// benchServer is the real handler on a real SQLite file with the given
// argon2id parameters, limits lifted so one account can log in endlessly.
func benchServer(b *testing.B, argon secret.Argon2Params) http.Handler {
	b.Helper()
	ctx := context.Background()
	db := anshintest.MustOpenDB(b)
	keys, _ := secret.NewKeyring(bytes.Repeat([]byte("k"), 32))
	hasher := secret.NewHasher(argon)
	now := func() time.Time { return time.Now().UTC() }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	outbox := delivery.NewDevOutbox(16)
	worker := delivery.NewWorker(db, keys, now, map[anshin.Method]delivery.Sender{anshin.MethodSMS: outbox, anshin.MethodEmail: outbox}, log)
	cfg := login.Defaults()
	// One account logs in thousands of times: its per-account limits (and
	// the SMS limits, off in login.Defaults) would refuse it. With the
	// production caps each SMS check reads at most 10 + 10 + 1000 index
	// entries, the key check at most 10.
	cfg.KeysPerAccountHour, cfg.KeyCooldown, cfg.KeysPerFlow = 1<<30, 0, 1<<30
	cfg.FlowsPerClient = 0 // every login comes from this one client
	svc := login.New(db, hasher, keys, now, cfg, worker.Notify)
	svc.SetKeyGenerator(func(int) string { return "20261125" })
	ops := operator.New(db, hasher, now)
	if _, err := demo.Load(ctx, ops, db); err != nil {
		b.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	b.Cleanup(cancel)
	go worker.Run(wctx)
	h, err := web.NewServer(web.Deps{Login: svc, Operator: ops, Log: log, Now: now, MailFrom: "anshin@localhost"})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

func benchPost(b *testing.B, h http.Handler, path, body string, out any) {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK && rec.Code != http.StatusCreated {
		b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
	}
	if out != nil {
		json.Unmarshal(rec.Body.Bytes(), out)
	}
}

// benchLoginUntilKey runs steps 1–3 (ID, password, SMS key) and returns the flow.
func benchLoginUntilKey(b *testing.B, h http.Handler) string {
	var start struct {
		FlowToken string `json:"flow_id"`
	}
	benchPost(b, h, "/api/v1/login", `{"login_id":"demo-rep"}`, &start)
	benchPost(b, h, "/api/v1/login/"+start.FlowToken+"/password", `{"password":"demo-pass-1234"}`, nil)
	benchPost(b, h, "/api/v1/login/"+start.FlowToken+"/one-time-key", `{"method":"sms"}`, nil)
	return start.FlowToken
}

func benchVerify(b *testing.B, h http.Handler, flow string) {
	benchPost(b, h, "/api/v1/login/"+flow+"/verify", `{"key":"20261125","group_id":"anshin-shoji"}`, nil)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// hashCPU is the CPU time of one argon2id hash with the SPEC's parameters,
// measured as the ceiling is reached: one hashing goroutine per core.
func hashCPU() time.Duration {
	h := secret.NewHasher(secret.DefaultArgon2)
	const perCore = 10
	cores := runtime.GOMAXPROCS(0)
	round := func(n int) {
		var wg sync.WaitGroup
		for range cores {
			wg.Go(func() {
				for range n {
					h.Hash(context.Background(), "measure")
				}
			})
		}
		wg.Wait()
	}
	// The first hashes fault their memory in from the OS; a login server
	// in steady state reuses it, so the ceiling is measured warm.
	round(1)
	c0 := cpuTime()
	round(perCore)
	return (cpuTime() - c0) / time.Duration(cores*perCore)
}

// BenchmarkFullLogin is the whole API login (ID → password → SMS key →
// verify) from as many clients as cores. It reports logins/s, CPU per
// login, CPU per login besides the hash, and logins/s as a share of the
// argon2id ceiling (cores ÷ CPU time of one hash).
func BenchmarkFullLogin(b *testing.B) {
	h := benchServer(b, secret.DefaultArgon2)
	before := hashCPU()
	b.ResetTimer()
	c0, t0 := cpuTime(), time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			benchVerify(b, h, benchLoginUntilKey(b, h))
		}
	})
	cpu, wall := cpuTime()-c0, time.Since(t0)
	b.StopTimer()
	// The machine may be shared: the hash is measured on both sides of
	// the run and averaged, so both figures see the same conditions.
	perHash := (before + hashCPU()) / 2
	perLogin := cpu / time.Duration(b.N)
	rate := float64(b.N) / wall.Seconds()
	ceiling := float64(runtime.GOMAXPROCS(0)) / perHash.Seconds()
	b.ReportMetric(rate, "logins/s")
	b.ReportMetric(ceiling, "ceiling-logins/s")
	b.ReportMetric(rate/ceiling*100, "%-of-ceiling")
	b.ReportMetric(float64(perLogin.Microseconds())/1000, "cpu-ms/login")
	b.ReportMetric(float64((perLogin-perHash).Microseconds())/1000, "cpu-ms/login-besides-hash")
	b.ReportMetric(float64(perHash.Microseconds())/1000, "cpu-ms/hash")
}

// BenchmarkKeyVerify is the key-entry step alone, with p50/p99 latency.
func BenchmarkKeyVerify(b *testing.B) {
	// The password hash is not part of this step: a cheap one keeps the
	// setup of b.N flows short.
	h := benchServer(b, anshintest.CheapArgon2)
	flows := make([]string, b.N)
	for i := range flows {
		flows[i] = benchLoginUntilKey(b, h)
	}
	lat := make([]time.Duration, b.N)
	b.ResetTimer()
	c0 := cpuTime()
	for i, f := range flows {
		t := time.Now()
		benchVerify(b, h, f)
		lat[i] = time.Since(t)
	}
	cpu := cpuTime() - c0
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64((cpu/time.Duration(b.N)).Microseconds())/1000, "cpu-ms/verify")
}

// BenchmarkLoginBesidesHash is the full login with a trivial argon2id
// (8 KiB, one pass): its CPU per login is what a login costs besides the
// hash — HTTP, JSON, every database statement and the outbox delivery —
// measured directly rather than as the difference of two noisy figures.
func BenchmarkLoginBesidesHash(b *testing.B) {
	h := benchServer(b, secret.Argon2Params{MemoryKiB: 8, Time: 1, Threads: 1})
	b.ResetTimer()
	c0 := cpuTime()
	for range b.N {
		benchVerify(b, h, benchLoginUntilKey(b, h))
	}
	b.ReportMetric(float64(((cpuTime()-c0)/time.Duration(b.N)).Microseconds())/1000, "cpu-ms/login")
}
