package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// smsPumping: SMS key requests for random accounts, many accounts per
// number, with the real limits: what the gateway receives stays within
// every cap.
func smsPumping(e *env) *row {
	n, nAccts, nNumbers := e.scale(1000, 100), e.scale(200, 30), e.scale(12, 2)
	const perAccount, perNumber, global = 10, 10, 1000
	r := &row{What: "SMS pumping", Load: fmt.Sprintf("%d SMS key requests over %d random accounts sharing %d numbers, 2 instances (PostgreSQL), real limits", n, nAccts, nNumbers),
		Limit: fmt.Sprintf("sent ≤ each cap (%d per account·h, %d per number·h, %d in all·h)", perAccount, perNumber, global), OK: true}
	a, b, dbURL, box, stop := e.realLimitsPair("sms")
	defer stop()
	insts := []*instance{a, b}
	numbers := make([]string, nNumbers)
	for i := range numbers {
		numbers[i] = fmt.Sprintf("0803%07d", rand.IntN(10000000))
	}
	accts := a.provision("sms", nAccts, func(k int) string { return numbers[k%nNumbers] })
	var counts statusCounts
	var mu sync.Mutex
	okPerAccount := map[string]int{}
	par(n, 16, func(i int) {
		acct := accts[rand.IntN(nAccts)]
		inst := insts[i%2]
		flow, err := inst.toKeyStep(acct.LoginID, acct.Password)
		must(err, "login")
		ans := insts[(i+1)%2].issue(flow, "sms")
		counts.add(ans)
		if ans.Status == http.StatusOK {
			mu.Lock()
			okPerAccount[acct.LoginID]++
			mu.Unlock()
		}
	})
	ok := 0
	for _, c := range okPerAccount {
		ok += c
	}
	// Wait for the gateway to have them all.
	for deadline := time.Now().Add(60 * time.Second); len(box.Messages()) < ok && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
	perNum := map[string]int{}
	msgs := box.Messages()
	for _, m := range msgs {
		perNum[m.To]++
	}
	maxNum, maxAcct := 0, 0
	for _, c := range perNum {
		maxNum = max(maxNum, c)
	}
	for _, c := range okPerAccount {
		maxAcct = max(maxAcct, c)
	}
	db := openDB(dbURL)
	defer db.Close()
	stored := count(db, `SELECT COUNT(*) FROM deliveries WHERE channel = 'sms'`)
	r.Figure = fmt.Sprintf("%d sent; at most %d per account, %d per number", len(msgs), maxAcct, maxNum)
	if maxAcct > perAccount || maxNum > perNumber || len(msgs) > global {
		r.failf("above a cap (answers %s)", &counts)
	}
	if len(msgs) != ok || stored != ok {
		r.failf("%d answers 200, %d SMS stored, %d received", ok, stored, len(msgs))
	}
	if n := counts.serverErrors(); n > 0 {
		r.failf("%d answers 5xx or none (answers %s)", n, &counts)
	}
	e.logf("sms pumping: answers %s", &counts)
	return r
}

// memoryUnderLoad: whole logins from 8 clients with the default argon2id
// (19 MiB a hash) and the default memory limit; the peak RSS stays under
// 100 MiB.
func memoryUnderLoad(e *env) *row {
	d := time.Duration(e.scale(60, 10)) * time.Second
	const clients = 8
	const limitMiB = 100
	r := &row{What: "memory under load", Load: fmt.Sprintf("full logins at %d concurrent clients for %s, default argon2id and ANSHIN_MEMORY_LIMIT (SQLite)", clients, d),
		Limit: fmt.Sprintf("RSS ≤ %d MiB", limitMiB), OK: true, Reported: e.quick}
	box := newKeyBox()
	sink := newMailSink(box)
	defer sink.Close()
	env := with(baseEnv(e.sqliteDB("memory")), "ANSHIN_ARGON2_MEMORY_KIB", "", "ANSHIN_ARGON2_TIME", "", "ANSHIN_SMTP_URL", "smtp://"+sink.Addr,
		"ANSHIN_LOG_LEVEL", "info") // the listening line names the memory limit
	if v := os.Getenv("ANSHIN_TORTURE_GOMEMLIMIT"); v != "" { // to compare
		env["GOMEMLIMIT"] = v
	}
	inst := e.start(env)
	accts := inst.provision("mem", clients, nil)
	var logins atomic.Int64
	var counts statusCounts
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, acct := range accts {
		wg.Go(func() {
			loginLoop(inst, box, nil, acct, stop, func(a answer) {
				if a.Status != http.StatusOK && a.Status != http.StatusCreated {
					counts.add(a)
				}
			}, func() { logins.Add(1) })
		})
	}
	peakRSS := 0
	start := time.Now()
	for time.Since(start) < d {
		rss, _ := memoryKiB(inst.pid())
		peakRSS = max(peakRSS, rss)
		time.Sleep(100 * time.Millisecond)
	}
	_, hwm := memoryKiB(inst.pid())
	close(stop)
	wg.Wait()
	peak := max(peakRSS, hwm)
	limit := "?"
	if m := memoryLimitLogged.FindStringSubmatch(inst.logText()); m != nil {
		limit = m[1]
	}
	r.Figure = fmt.Sprintf("peak RSS %.1f MiB (VmHWM) under memory limit %s; %d logins, %.1f/s", float64(peak)/1024, limit, logins.Load(), float64(logins.Load())/d.Seconds())
	if peak > limitMiB*1024 {
		r.OK = false
		r.Notes = append(r.Notes, fmt.Sprintf("peak %d KiB", peak))
	}
	if logins.Load() == 0 || counts.serverErrors() > 0 {
		r.failf("logins %d, failed steps %s", logins.Load(), &counts)
		r.Reported = false
	}
	return r
}

var memoryLimitLogged = regexp.MustCompile(`"memory_limit":"([^"]+)"`)

// startToReady: `serve` on an existing database, from exec to /readyz
// answering 200.
func startToReady(e *env) *row {
	n := e.scale(20, 5)
	const limit = 300 * time.Millisecond
	r := &row{What: "start to ready", Load: fmt.Sprintf("`serve` on an existing database, %d starts (SQLite)", n), Limit: "< 300 ms", OK: true, Reported: e.quick}
	dbURL := e.sqliteDB("ready")
	env := with(baseEnv(dbURL), "ANSHIN_ARGON2_MEMORY_KIB", "", "ANSHIN_ARGON2_TIME", "")
	first := e.start(env, "--demo")
	first.stop()
	if _, err := os.Stat(dbURL[len("sqlite:"):]); err != nil {
		fatalf("no database after the first start: %v", err)
	}
	var took []time.Duration
	for range n {
		inst := e.start(env)
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(2 * time.Millisecond) {
			if a := call(httpClient, "GET", inst.URL+"/readyz", nil); a.Status == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				fatalf("not ready within 30 s")
			}
		}
		took = append(took, time.Since(inst.started))
		inst.stop()
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	med, worst := took[len(took)/2], took[len(took)-1]
	r.Figure = fmt.Sprintf("median %s, slowest %s", med.Round(time.Millisecond), worst.Round(time.Millisecond))
	if med >= limit {
		r.OK = false
	}
	return r
}
