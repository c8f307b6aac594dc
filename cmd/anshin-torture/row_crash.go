package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// messagesLost: kill -9 of the sending instance, again and again, while
// the SMTP sink holds the messages it was given; each kill is followed
// by a restart. Every message arrives; a duplicate is only a message the
// sink had taken when its sender died (the one window README: Delivery
// names), sent again after the lease.
func messagesLost(e *env) *row {
	kills := e.scale(100, 10)
	const lease = 2 * time.Second
	r := &row{What: "messages lost", Load: fmt.Sprintf("%d kill -9 of a sending instance (SMTP sink holding), each followed by a restart (SQLite, lease %s)", kills, lease),
		Limit: "0 lost; duplicates only within the lease window", OK: true}
	box := newKeyBox()
	sink := newMailSink(box)
	defer sink.Close()
	sink.SetHold(400 * time.Millisecond)
	dbURL := e.sqliteDB("crash")
	env := with(baseEnv(dbURL), "ANSHIN_SMTP_URL", "smtp://"+sink.Addr, "ANSHIN_OUTBOX_LEASE", lease.String())
	inst := e.start(env)
	accts := inst.provision("crash", 20, nil)
	var killedAt []time.Time
	issued := 0
	for k := range kills {
		// Two keys per cycle, then death at a random moment: often while
		// the sink holds a message, sometimes before any send began.
		before := len(box.Messages())
		for j := range 2 {
			acct := accts[(2*k+j)%len(accts)]
			flow, err := inst.toKeyStep(acct.LoginID, acct.Password)
			must(err, "login")
			if a := inst.issue(flow, "email"); a.Status != http.StatusOK {
				fatalf("issue: %s", a)
			}
			issued++
		}
		if rand.IntN(3) > 0 {
			deadline := time.Now().Add(3 * lease)
			for len(box.Messages()) == before && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
		} else {
			time.Sleep(time.Duration(rand.IntN(50)) * time.Millisecond)
		}
		inst.kill()
		killedAt = append(killedAt, time.Now())
		inst = e.start(env)
	}
	// The last instance sends what is left.
	db := openDB(dbURL)
	defer db.Close()
	deadline := time.Now().Add(2*time.Minute + 10*lease)
	for count(db, `SELECT COUNT(*) FROM deliveries WHERE status = 'queued'`) > 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(lease) // room for a late duplicate
	rows, err := db.Query(`SELECT id, status FROM deliveries WHERE kind = 'one_time_key'`)
	must(err, "deliveries")
	status := map[string]string{}
	for rows.Next() {
		var id, st string
		must(rows.Scan(&id, &st), "scan")
		status[id] = st
	}
	rows.Close()
	copies := map[string][]time.Time{}
	for _, m := range box.Messages() {
		id := strings.Trim(m.MessageID, "<>")
		id, _, _ = strings.Cut(id, ".")
		copies[id] = append(copies[id], m.At)
	}
	lost, dups, outside := 0, 0, 0
	for id, st := range status {
		c := copies[id]
		if len(c) == 0 || st != "sent" {
			lost++
			r.Notes = append(r.Notes, fmt.Sprintf("delivery %s: status %s, %d copies", id, st, len(c)))
			continue
		}
		for _, at := range c[:len(c)-1] {
			dups++
			// An earlier copy is legitimate only when its sender died
			// holding it: a kill within the lease after it arrived.
			if !killedWithin(killedAt, at, lease) {
				outside++
			}
		}
	}
	if len(status) != issued {
		r.failf("%d key deliveries stored for %d keys issued", len(status), issued)
	}
	r.Figure = fmt.Sprintf("%d lost of %d; %d duplicates (%d outside the lease window)", lost, issued, dups, outside)
	if lost > 0 || outside > 0 {
		r.OK = false
	}
	return r
}

func killedWithin(kills []time.Time, at time.Time, lease time.Duration) bool {
	for _, k := range kills {
		if !k.Before(at) && k.Sub(at) <= lease {
			return true
		}
	}
	return false
}
