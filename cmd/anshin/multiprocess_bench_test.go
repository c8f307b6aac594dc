package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/store/storetest"
	"github.com/anshin/anshin/internal/testenv"
)

// The store benchmarks run the real binary as a user would deploy it: one
// instance on SQLite, one or two on PostgreSQL, all on this machine, and
// drive whole API logins (ID → password → e-mail key → verify) over HTTP,
// each client an account of its own whose key is read back from the
// instances' development outboxes. Run them with a fixed count, e.g.
//
//	go test ./cmd/anshin -run '^$' -bench MultiProcess -benchtime 200x
//
// (ANSHIN_TEST_POSTGRES_URL comes from ./scripts/test's cluster.)

const mpBenchToken = "bench-operator-token-0123456789"

// mpBenchSetup is a running deployment: its instances and clients'
// accounts.
type mpBenchSetup struct {
	insts []*mpInstance
	seen  []map[string]bool // per client: outbox messages already used
}

// mpBenchDeploy starts n instances on store ("sqlite" or "postgres") with
// extra environment and provisions clients accounts, each the
// representative of a group of its own. Cleanups belong to b, so a
// sub-benchmark run more than once reuses the deployment.
func mpBenchDeploy(b *testing.B, bin, store string, n, clients int, extra ...string) *mpBenchSetup {
	b.Helper()
	url := "sqlite:" + filepath.Join(b.TempDir(), "anshin.db")
	if store == "postgres" {
		url = storetest.PostgresDatabase(b, testenv.Require(b, testenv.PostgresURL))
	}
	env := map[string]string{
		"ANSHIN_DATABASE_URL":          url,
		"ANSHIN_HTTP_ADDR":             "127.0.0.1:0",
		"ANSHIN_SECRET_KEY":            "e05e91b6ef542ab7b3fd80ab23b80e69cfff9a9b9399bb4738eb622321d7dbff",
		"ANSHIN_DEV":                   "true",
		"ANSHIN_OPERATOR_TOKEN":        mpBenchToken,
		"ANSHIN_KEY_COOLDOWN":          "0s",
		"ANSHIN_FLOWS_PER_CLIENT":      "0",
		"ANSHIN_KEYS_PER_ACCOUNT_HOUR": "1000",
		"ANSHIN_KEYS_PER_FLOW":         "100",
		"ANSHIN_LOG_LEVEL":             "error",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	s := &mpBenchSetup{}
	for range n {
		s.insts = append(s.insts, mpStart(b, bin, env))
	}
	op := s.insts[0].URL + "/api/v1/operator"
	for c := range clients {
		put := func(path string, body any) {
			if st := mpCall(b, "PUT", op+path, body, &mpBearer{token: mpBenchToken}); st != http.StatusOK && st != http.StatusCreated {
				b.Fatalf("PUT %s: %d", path, st)
			}
		}
		g := fmt.Sprintf("bench-g%d", c)
		put("/groups/"+g, map[string]any{"management_number": fmt.Sprintf("B%07d", c), "representative_number": "03-1234-5678",
			"contract": map[string]any{"plan": "bench", "licenses": 1, "start_date": "2026-01-01", "status": "active"}})
		put(fmt.Sprintf("/accounts/bench-%d", c), map[string]any{"kind": "business_d_account", "password": "bench-pass-1234", "docomo_line": "090-1234-5678"})
		put(fmt.Sprintf("/groups/%s/admins/bench-%d", g, c), map[string]any{"role": "representative", "name": "Bench", "email": fmt.Sprintf("bench-%d@example.jp", c)})
		s.seen = append(s.seen, map[string]bool{})
	}
	return s
}

// toKey runs client c's login on inst up to an issued key and returns the
// flow and the key, read from whichever instance sent it.
func (s *mpBenchSetup) toKey(b *testing.B, c int, inst *mpInstance) (flow, key string) {
	var start struct {
		FlowToken string `json:"flow_id"`
	}
	mpCall(b, "POST", inst.URL+"/api/v1/login", map[string]string{"login_id": fmt.Sprintf("bench-%d", c)}, &start)
	if st := mpCall(b, "POST", inst.URL+"/api/v1/login/"+start.FlowToken+"/password", map[string]string{"password": "bench-pass-1234"}, nil); st != http.StatusOK {
		b.Fatalf("password: %d", st)
	}
	if st := mpCall(b, "POST", inst.URL+"/api/v1/login/"+start.FlowToken+"/one-time-key", map[string]string{"method": "email"}, nil); st != http.StatusOK {
		b.Fatalf("issue: %d", st)
	}
	to := fmt.Sprintf("bench-%d@example.jp", c)
	deadline := time.Now().Add(60 * time.Second) // a failsafe
	for wait := time.Millisecond; ; wait = min(2*wait, 20*time.Millisecond) {
		time.Sleep(wait)
		for _, in := range s.insts {
			for _, m := range mpOutbox(b, in) {
				if m.To == to && !s.seen[c][m.ID] {
					s.seen[c][m.ID] = true
					if k := mpKeyInBody.FindStringSubmatch(m.Body); k != nil {
						return start.FlowToken, k[1]
					}
				}
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("no key for %s", to)
		}
	}
}

func (s *mpBenchSetup) verify(b *testing.B, c int, inst *mpInstance, flow, key string) {
	var out map[string]any
	if st := mpCall(b, "POST", inst.URL+"/api/v1/login/"+flow+"/verify", map[string]string{"key": key, "group_id": fmt.Sprintf("bench-g%d", c)}, &out); st != http.StatusOK {
		b.Fatalf("verify: %d %v", st, out)
	}
}

var mpBenchStores = []struct {
	name  string
	store string
	n     int
}{{"sqlite-1", "sqlite", 1}, {"postgres-1", "postgres", 1}, {"postgres-2", "postgres", 2}}

// BenchmarkMultiProcessLogins: whole API logins per second from 4 clients
// per core, spread evenly over the instances, with the SPEC's argon2id and
// with a cheap one (which shows what the store and HTTP allow).
func BenchmarkMultiProcessLogins(b *testing.B) {
	bin := mpBuild(b)
	clients := 4 * runtime.GOMAXPROCS(0)
	for _, argon := range []struct{ name, mem, passes string }{{"argon2-spec", "19456", "2"}, {"argon2-1MiB", "1024", "1"}} {
		for _, st := range mpBenchStores {
			var s *mpBenchSetup
			b.Run(argon.name+"/"+st.name, func(sb *testing.B) {
				if s == nil {
					s = mpBenchDeploy(b, bin, st.store, st.n, clients, "ANSHIN_ARGON2_MEMORY_KIB", argon.mem, "ANSHIN_ARGON2_TIME", argon.passes)
				}
				var next atomic.Int64
				var wg sync.WaitGroup
				sb.ResetTimer()
				t0 := time.Now()
				for c := range clients {
					wg.Go(func() {
						for i := c; next.Add(1) <= int64(sb.N); i++ {
							inst := s.insts[i%len(s.insts)]
							flow, key := s.toKey(sb, c, inst)
							s.verify(sb, c, inst, flow, key)
						}
					})
				}
				wg.Wait()
				sb.ReportMetric(float64(sb.N)/time.Since(t0).Seconds(), "logins/s")
			})
		}
	}
}

// BenchmarkMultiProcessKeyVerify: the key-entry request alone, one at a
// time, p50 and p99 over HTTP on each store.
func BenchmarkMultiProcessKeyVerify(b *testing.B) {
	bin := mpBuild(b)
	const clients = 8
	for _, st := range mpBenchStores[:2] {
		var s *mpBenchSetup
		b.Run(st.name, func(sb *testing.B) {
			if s == nil {
				s = mpBenchDeploy(b, bin, st.store, st.n, clients, "ANSHIN_ARGON2_MEMORY_KIB", "1024", "ANSHIN_ARGON2_TIME", "1")
			}
			type ready struct {
				c         int
				flow, key string
			}
			flows := make([]ready, sb.N)
			var wg sync.WaitGroup
			var next atomic.Int64
			for c := range clients {
				wg.Go(func() {
					for i := next.Add(1) - 1; i < int64(sb.N); i = next.Add(1) - 1 {
						f, k := s.toKey(sb, c, s.insts[0])
						flows[i] = ready{c, f, k}
					}
				})
			}
			wg.Wait()
			lat := make([]time.Duration, sb.N)
			sb.ResetTimer()
			for i, r := range flows {
				t0 := time.Now()
				s.verify(sb, r.c, s.insts[0], r.flow, r.key)
				lat[i] = time.Since(t0)
			}
			sb.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			sb.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			sb.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
