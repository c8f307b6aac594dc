package main

import (
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anshin/anshin/internal/secret"
)

// loginLoop runs whole logins (ID, password, e-mail key, verify) for acct
// on inst until stop closes, reporting each step's answer.
// With db, the key is matched to the flow by its delivery's ID.
func loginLoop(inst *instance, box *keyBox, db *sql.DB, acct account, stop <-chan struct{}, step func(answer), done func()) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		failed := func(a answer) bool {
			step(a)
			if a.Status != http.StatusOK && a.Status != http.StatusCreated {
				time.Sleep(50 * time.Millisecond)
				return true
			}
			return false
		}
		flow, a := inst.startLogin(acct.LoginID)
		if failed(a) {
			continue
		}
		if failed(inst.password(flow, acct.Password)) {
			continue
		}
		box.Drain(acct.Email)
		if failed(inst.issue(flow, "email")) {
			continue
		}
		var key string
		if db == nil {
			key = box.Next(acct.Email, 60*time.Second)
		} else {
			// A copy of an earlier login's key can arrive late (sent again
			// after a lease): take the key of this flow's own delivery.
			key = box.KeyOf(flowDelivery(db, flow), 60*time.Second)
		}
		if key == "" {
			step(answer{Err: fmt.Errorf("the key of an issued login never arrived")})
			continue
		}
		if failed(inst.verify(flow, key, acct.Group)) {
			continue
		}
		done()
	}
}

// flowDelivery reads the ID of the e-mail key delivery of a flow (the
// store keeps the flow under its token's ID), waiting out an outage.
func flowDelivery(db *sql.DB, flow string) string {
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var id string
		err := db.QueryRow(`SELECT id FROM deliveries WHERE flow_id = $1 AND kind = 'one_time_key' ORDER BY created_at DESC LIMIT 1`, secret.TokenID(flow)).Scan(&id)
		if err == nil {
			return id
		}
	}
	return "none"
}

// postgresRestart: the database stops for a while during full logins on
// two instances. Meanwhile every answer is 503 with a code, in time;
// logins succeed again soon after the database returns; every key
// issued arrives.
func postgresRestart(e *env) *row {
	down := time.Duration(e.scale(10, 5)) * time.Second
	const answerWithin = 5 * time.Second
	r := &row{What: "PostgreSQL restart under load", Load: fmt.Sprintf("the database stopped for %s during full logins (8 clients, 2 instances)", down),
		Limit: fmt.Sprintf("503 with a code (no 500, none slower than %s), recovery ≤ 5 s, 0 lost", answerWithin), OK: true}
	if e.pgCtl == "" {
		fatalf("no control over the PostgreSQL server (ANSHIN_TORTURE_PG_CTL)")
	}
	box := newKeyBox()
	sink := newMailSink(box)
	defer sink.Close()
	a, b, dbURL := e.pair("restart", sink, "ANSHIN_OUTBOX_LEASE", "5s")
	insts := []*instance{a, b}
	accts := a.provision("pgr", 8, nil)
	db := openDB(dbURL)
	defer db.Close()
	var (
		mu                 sync.Mutex
		phase              = "before"
		byPhase            = map[string]*statusCounts{"before": {}, "down": {}, "after": {}}
		slowest            time.Duration
		badDown            []string
		logins             atomic.Int64
		backAt, firstLogin time.Time
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, acct := range accts {
		wg.Go(func() {
			loginLoop(insts[i%2], box, db, acct, stop, func(ans answer) {
				mu.Lock()
				defer mu.Unlock()
				byPhase[phase].add(ans)
				if phase == "down" {
					slowest = max(slowest, ans.Took)
					if ans.Status != http.StatusOK && ans.Status != http.StatusCreated && (ans.Status != http.StatusServiceUnavailable || ans.Code() == "") {
						if len(badDown) < 5 {
							badDown = append(badDown, fmt.Sprintf("%s %v", ans, ans.Body))
						}
					}
				}
			}, func() {
				logins.Add(1)
				mu.Lock()
				if phase == "after" && firstLogin.IsZero() {
					firstLogin = time.Now()
				}
				mu.Unlock()
			})
		})
	}
	time.Sleep(3 * time.Second)
	before := logins.Load()
	must(e.pgControl("stop"), "stopping PostgreSQL")
	mu.Lock()
	phase = "down"
	mu.Unlock()
	time.Sleep(down)
	must(e.pgControl("start"), "starting PostgreSQL")
	mu.Lock()
	phase, backAt = "after", time.Now()
	mu.Unlock()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		ok := !firstLogin.IsZero()
		mu.Unlock()
		if ok {
			break
		}
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	recovery := "never"
	if !firstLogin.IsZero() {
		recovery = firstLogin.Sub(backAt).Round(10 * time.Millisecond).String()
	}
	// Every key message the database holds was sent and arrived.
	deadline := time.Now().Add(60 * time.Second)
	for count(db, `SELECT COUNT(*) FROM deliveries WHERE status = 'queued'`) > 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	arrived := map[string]bool{}
	for _, m := range box.Messages() {
		id, _, _ := strings.Cut(strings.Trim(m.MessageID, "<>"), ".")
		arrived[id] = true
	}
	// Lost: a key message that never reached the SMTP server. One that
	// reached it while the database was gone may be recorded later as
	// failed (key_used: its key was entered before the retry).
	rows, err := db.Query(`SELECT id, status, last_error FROM deliveries WHERE kind = 'one_time_key'`)
	must(err, "deliveries")
	stored, lost := 0, 0
	for rows.Next() {
		var id, st, why string
		must(rows.Scan(&id, &st, &why), "scan")
		stored++
		if !arrived[id] {
			lost++
			r.Notes = append(r.Notes, fmt.Sprintf("delivery %s never arrived: %s %s", id, st, why))
		} else if st != "sent" {
			e.logf("postgres restart: delivery %s arrived, recorded %s %s", id, st, why)
		}
	}
	rows.Close()
	r.Figure = fmt.Sprintf("while down: %s, slowest %s; recovery %s; %d lost of %d", byPhase["down"], slowest.Round(time.Millisecond), recovery, lost, stored)
	e.logf("postgres restart: before %s (%d logins); down %s; after %s (%d logins in all)", byPhase["before"], before, byPhase["down"], byPhase["after"], logins.Load())
	if len(badDown) > 0 {
		r.failf("answers while the database was down that are not 503 with a code: %v", badDown)
	}
	if slowest > answerWithin {
		r.failf("an answer while the database was down took %s", slowest)
	}
	if firstLogin.IsZero() || firstLogin.Sub(backAt) > 5*time.Second {
		r.failf("recovery: %s after the database returned", recovery)
	}
	if lost > 0 {
		r.OK = false
	}
	for _, i := range insts {
		if n := i.panics(); n > 0 || !i.alive() {
			r.failf("instance: %d panics, alive %v", n, i.alive())
		}
	}
	return r
}
