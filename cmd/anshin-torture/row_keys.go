package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// par runs fn(0…n-1) on at most workers goroutines.
func par(n, workers int, fn func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(n, workers) {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// statusCounts counts answers by status and code.
type statusCounts struct {
	mu sync.Mutex
	m  map[string]int
}

func (s *statusCounts) add(a answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]int{}
	}
	s.m[a.String()]++
}

func (s *statusCounts) serverErrors() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, v := range s.m {
		var st int
		fmt.Sscan(k, &st)
		if st >= 500 || st == 0 {
			n += v
		}
	}
	return n
}

func (s *statusCounts) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, s.m[k])
	}
	return strings.Join(parts, ", ")
}

// pair starts two instances on a new PostgreSQL database, e-mail to sink.
// realLimitsPair starts two instances on a fresh database with the real
// key and SMS limits (the variables unset), mail and SMS sinks feeding one
// key box; stop closes the sinks.
func (e *env) realLimitsPair(name string) (a, b *instance, dbURL string, box *keyBox, stop func()) {
	box = newKeyBox()
	sink := newMailSink(box)
	sms := newSMSSink(box)
	real := []string{"ANSHIN_KEY_COOLDOWN", "", "ANSHIN_KEYS_PER_ACCOUNT_HOUR", "", "ANSHIN_KEYS_PER_FLOW", "",
		"ANSHIN_SMS_PER_ACCOUNT_HOUR", "", "ANSHIN_SMS_PER_NUMBER_HOUR", "", "ANSHIN_SMS_GLOBAL_HOUR", ""}
	a, b, dbURL = e.pair(name, sink, append(real, sms.Env()...)...)
	return a, b, dbURL, box, func() { sink.Close(); sms.Close() }
}

func (e *env) pair(name string, sink *mailSink, extra ...string) (a, b *instance, dbURL string) {
	dbURL = e.postgresDB(name)
	env := with(baseEnv(dbURL), append([]string{"ANSHIN_SMTP_URL", "smtp://" + sink.Addr}, extra...)...)
	a = e.start(env)
	b = e.start(env)
	return a, b, dbURL
}

// keysAtStep puts each account at the key step on alternating instances,
// issues an e-mail key and waits for it at the sink.
func keysAtStep(insts []*instance, box *keyBox, accts []account) (flows, keys []string) {
	flows, keys = make([]string, len(accts)), make([]string, len(accts))
	par(len(accts), 16, func(i int) {
		inst := insts[i%len(insts)]
		flow, err := inst.toKeyStep(accts[i].LoginID, accts[i].Password)
		must(err, "login")
		if a := insts[(i+1)%len(insts)].issue(flow, "email"); a.Status != http.StatusOK {
			fatalf("issue: %s %v", a, a.Body)
		}
		k := box.Next(accts[i].Email, 60*time.Second)
		if k == "" {
			fatalf("no key arrived for %s", accts[i].Email)
		}
		flows[i], keys[i] = flow, k
	})
	return flows, keys
}

// doubleAccepts: many concurrent verifies of each key, over two
// instances; each key signs in exactly once.
func doubleAccepts(e *env) *row {
	nKeys, per := e.scale(100, 10), 100
	r := &row{What: "double accepts", Load: fmt.Sprintf("%d concurrent verifies of %d keys across 2 instances (PostgreSQL)", nKeys*per, nKeys), Limit: "0", OK: true}
	box := newKeyBox()
	sink := newMailSink(box)
	defer sink.Close()
	a, b, dbURL := e.pair("double", sink)
	insts := []*instance{a, b}
	accts := a.provision("dbl", nKeys, nil)
	flows, keys := keysAtStep(insts, box, accts)
	accepted := make([]int, nKeys)
	var mu sync.Mutex
	var counts statusCounts
	// Ten keys at a time, each key's verifies released together.
	for lo := 0; lo < nKeys; lo += 10 {
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for k := lo; k < min(lo+10, nKeys); k++ {
			for j := range per {
				inst := insts[(j+k)%2]
				wg.Go(func() {
					<-gate
					ans := inst.verify(flows[k], keys[k], accts[k].Group)
					counts.add(ans)
					if ans.Status == http.StatusOK && ans.str("session_token") != "" {
						mu.Lock()
						accepted[k]++
						mu.Unlock()
					}
				})
			}
		}
		close(gate)
		wg.Wait()
	}
	double, none := 0, 0
	for _, n := range accepted {
		if n > 1 {
			double += n - 1
		}
		if n == 0 {
			none++
		}
	}
	db := openDB(dbURL)
	defer db.Close()
	sessions := count(db, `SELECT COUNT(*) FROM sessions`)
	r.Figure = fmt.Sprint(double)
	if double > 0 {
		r.failf("%d extra sign-ins from used keys (answers %s)", double, &counts)
	}
	if none > 0 || sessions != nKeys {
		r.failf("%d keys signed in nowhere, %d sessions stored for %d keys (answers %s)", none, sessions, nKeys, &counts)
	}
	if n := counts.serverErrors(); n > 0 {
		r.failf("%d answers 5xx or none (answers %s)", n, &counts)
	}
	e.logf("double accepts: answers %s", &counts)
	return r
}

// failureCounter: parallel wrong keys for one account, each on a flow
// with a live key, over two instances: exactly the limit counted, key
// entry locked at the limit.
func failureCounter(e *env) *row {
	n, limit := e.scale(300, 30), e.scale(100, 10)
	r := &row{What: "failure counter", Load: fmt.Sprintf("%d parallel wrong keys for one account, 2 instances (PostgreSQL), limit %d", n, limit),
		Limit: "exact; locks at the limit, not one later", OK: true}
	box := newKeyBox()
	sink := newMailSink(box)
	defer sink.Close()
	a, b, dbURL := e.pair("failures", sink, "ANSHIN_KEY_FAILURE_LIMIT", fmt.Sprint(limit))
	insts := []*instance{a, b}
	acct := a.provision("fail", 1, nil)[0]
	flows := make([]string, n)
	par(n, 16, func(i int) {
		flow, err := insts[i%2].toKeyStep(acct.LoginID, acct.Password)
		must(err, "login")
		if ans := insts[i%2].issue(flow, "email"); ans.Status != http.StatusOK {
			fatalf("issue: %s", ans)
		}
		flows[i] = flow
	})
	// A wrong key (a live key is this one in 10^8).
	var counts statusCounts
	invalid, locked := 0, 0
	var mu sync.Mutex
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-gate
			ans := insts[i%2].verify(flows[i], "00000000", acct.Group)
			counts.add(ans)
			mu.Lock()
			defer mu.Unlock()
			switch ans.Code() {
			case "key_invalid":
				invalid++
			case "rate_limited":
				locked++
			}
		})
	}
	close(gate)
	wg.Wait()
	db := openDB(dbURL)
	defer db.Close()
	stored := count(db, `SELECT key_failures FROM accounts WHERE login_id = $1`, acct.LoginID)
	lockedTill := count(db, `SELECT CASE WHEN key_locked_till > 0 THEN 1 ELSE 0 END FROM accounts WHERE login_id = $1`, acct.LoginID)
	r.Figure = fmt.Sprintf("%d counted, %d key_invalid, %d rate_limited", stored, invalid, locked)
	if stored != limit || invalid != limit || locked != n-limit || lockedTill != 1 {
		r.failf("want %d counted, %d key_invalid, %d rate_limited and a lock; answers %s, locked %d", limit, limit, n-limit, &counts, lockedTill)
	}
	// Locked now: even the right key is refused.
	flow, err := a.toKeyStep(acct.LoginID, acct.Password)
	must(err, "login after the lock")
	box.Drain(acct.Email)
	if ans := b.issue(flow, "email"); ans.Status != http.StatusOK {
		r.failf("issuing after the lock: %s", ans)
	} else if k := box.Next(acct.Email, 30*time.Second); k == "" {
		r.failf("no key arrived after the lock")
	} else if ans := a.verify(flow, k, acct.Group); ans.Code() != "rate_limited" {
		r.failf("the right key during the lock answered %s, want rate_limited", ans)
	}
	if n := counts.serverErrors(); n > 0 {
		r.failf("%d answers 5xx or none", n)
	}
	return r
}

// issuanceLimits: parallel issues for one account over many flows and
// both instances, with the real limits (cooldown, per flow, per account,
// SMS caps): never above any.
func issuanceLimits(e *env) *row {
	n := e.scale(1000, 100)
	perFlow := 5
	nFlows := n / perFlow
	r := &row{What: "issuance limits", Load: fmt.Sprintf("%d parallel issues (SMS and e-mail) for one account over %d flows, 2 instances (PostgreSQL), real limits", n, nFlows),
		Limit: "never above any limit", OK: true}
	a, b, dbURL, _, stop := e.realLimitsPair("issuance")
	defer stop()
	insts := []*instance{a, b}
	acct := a.provision("iss", 1, nil)[0]
	flows := make([]string, nFlows)
	par(nFlows, 16, func(i int) {
		flow, err := insts[i%2].toKeyStep(acct.LoginID, acct.Password)
		must(err, "login")
		flows[i] = flow
	})
	var counts statusCounts
	var wg sync.WaitGroup
	gate := make(chan struct{})
	var mu sync.Mutex
	ok := 0
	for i := range n {
		method := []string{"sms", "email"}[rand.IntN(2)]
		wg.Go(func() {
			<-gate
			ans := insts[i%2].issue(flows[i%nFlows], method)
			counts.add(ans)
			if ans.Status == http.StatusOK {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	close(gate)
	wg.Wait()
	db := openDB(dbURL)
	defer db.Close()
	// An e-mail issuance stores a key per address; count issuances.
	issuances := count(db, `SELECT COUNT(DISTINCT k.flow_id || '/' || CAST(k.created_at AS TEXT)) FROM one_time_keys k JOIN accounts a ON a.id = k.account_id WHERE a.login_id = $1`, acct.LoginID)
	maxPerFlow := count(db, `SELECT COALESCE(MAX(c), 0) FROM (SELECT COUNT(DISTINCT k.created_at) AS c FROM one_time_keys k JOIN accounts a ON a.id = k.account_id WHERE a.login_id = $1 GROUP BY k.flow_id) x`, acct.LoginID)
	// The cooldown (60 s) is the tightest of the limits within one run.
	r.Figure = fmt.Sprintf("%d issued (answers 200: %d); at most %d per flow", issuances, ok, maxPerFlow)
	r.Limit = "≤ 1 per cooldown (60 s), ≤ 5 per flow, ≤ 10 per account·h, SMS caps"
	if issuances > 1 || ok > 1 || maxPerFlow > perFlow {
		r.failf("above a limit: %d issuances, %d answers 200 (answers %s)", issuances, ok, &counts)
	}
	if issuances != ok {
		r.failf("%d issuances stored but %d answered 200", issuances, ok)
	}
	if n := counts.serverErrors(); n > 0 {
		r.failf("%d answers 5xx or none (answers %s)", n, &counts)
	}
	e.logf("issuance limits: answers %s", &counts)
	return r
}
