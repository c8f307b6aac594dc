package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

var clientSeq atomic.Int64

// clientHeader names a fresh client through the trusted proxy, so that
// the per-client throttles never decide a sample.
func clientHeader() []string {
	n := clientSeq.Add(1)
	return []string{"X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", (n>>16)&255, (n>>8)&255, n&255)}
}

// passwordSample times the password step alone (the step that answers
// invalid_credentials), after a login ID step that is not timed.
func passwordSample(inst *instance, loginID, pw string) answer {
	h := clientHeader()
	flow, a := inst.startLogin(loginID, h...)
	if flow == "" {
		fatalf("start login: %s", a)
	}
	return inst.password(flow, pw, h...)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// enumerationTiming: the password step's answer time for an unknown ID,
// a wrong password, a mail-disabled account's wrong password (all
// invalid_credentials), and a throttled account beside a throttled
// unknown ID (both rate_limited), default argon2id. The medians of the
// answers that look alike must differ by less than 5 ms.
func enumerationTiming(e *env) *row {
	n := e.scale(1000, 100)
	r := &row{What: "enumeration timing", Load: fmt.Sprintf("%d samples each: unknown ID, wrong password, throttled account, mail-disabled account (SQLite, default argon2id)", n),
		Limit: "median difference < 5 ms", OK: true, Reported: e.quick}
	box := newKeyBox()
	sink := newMailSink(box)
	defer sink.Close()
	env := with(baseEnv(e.sqliteDB("timing")), "ANSHIN_ARGON2_MEMORY_KIB", "", "ANSHIN_ARGON2_TIME", "",
		"ANSHIN_TRUSTED_PROXIES", "127.0.0.1", "ANSHIN_SMTP_URL", "smtp://"+sink.Addr, "ANSHIN_BOUNCE_WEBHOOK_TOKEN", "torture-bounce-token-0123456")
	inst := e.start(env)
	// Accounts to guess at: a failure counts toward the account's
	// throttle (5 free), so each takes 4 and a right password clears it.
	const perAccount = 4
	k := max(1, min(20, n/perAccount))
	plain := inst.provision("tim", k, nil)
	disabled := inst.provision("timdis", k, nil)
	for _, a := range disabled {
		disableMail(inst, box, a)
	}
	throttled := inst.provision("timthr", 1, nil)[0]
	unknownThrottled := fmt.Sprintf("nobody-throttled-%d", time.Now().UnixNano())
	// Throttle both for long enough: past the free failures each further
	// one doubles the wait (1 s, 2 s, 4 s, …).
	wait := time.Duration(e.scale(16, 4)) * time.Second
	throttle := func(loginID string) {
		for {
			a := passwordSample(inst, loginID, "wrong-password-1")
			if a.Code() == "rate_limited" {
				if ra, ok := a.Body["error"].(map[string]any)["retry_after"].(float64); ok && time.Duration(ra)*time.Second >= wait {
					return
				}
				time.Sleep(300 * time.Millisecond)
			}
		}
	}
	throttleDone := make(chan struct{})
	go func() {
		defer close(throttleDone)
		throttle(throttled.LoginID)
		throttle(unknownThrottled)
	}()
	samples := map[string][]time.Duration{}
	codes := map[string]map[string]int{}
	record := func(kind string, a answer) {
		if codes[kind] == nil {
			codes[kind] = map[string]int{}
		}
		codes[kind][a.String()]++
		samples[kind] = append(samples[kind], a.Took)
	}
	used := map[string]int{}
	guess := func(acct account) answer {
		if used[acct.LoginID] == perAccount {
			if a := passwordSample(inst, acct.LoginID, acct.Password); a.Status != http.StatusOK {
				fatalf("right password: %s", a)
			}
			used[acct.LoginID] = 0
		}
		used[acct.LoginID]++
		return passwordSample(inst, acct.LoginID, "wrong-password-1")
	}
	// Interleaved, so that the machine's load falls on every kind alike.
	for i := range n {
		record("unknown ID", passwordSample(inst, fmt.Sprintf("nobody-%d-%d", time.Now().UnixNano(), i), "wrong-password-1"))
		record("wrong password", guess(plain[i%k]))
		record("mail-disabled account", guess(disabled[i%k]))
	}
	<-throttleDone
	// Sampling the others took a while: throttle again where the wait
	// has run short (each further failure doubles it).
	throttle(throttled.LoginID)
	throttle(unknownThrottled)
	for range n {
		record("throttled account", passwordSample(inst, throttled.LoginID, "wrong-password-1"))
		record("throttled unknown ID", passwordSample(inst, unknownThrottled, "wrong-password-1"))
	}
	base := median(samples["unknown ID"])
	worst := time.Duration(0)
	figure := fmt.Sprintf("unknown ID %s", base.Round(100*time.Microsecond))
	for _, kind := range []string{"wrong password", "mail-disabled account"} {
		d := median(samples[kind]) - base
		worst = max(worst, d.Abs())
		figure += fmt.Sprintf(", %s %+.1f ms", kind, float64(d)/1e6)
	}
	tb := median(samples["throttled unknown ID"])
	d := median(samples["throttled account"]) - tb
	worst = max(worst, d.Abs())
	figure += fmt.Sprintf("; throttled account %+.1f ms beside a throttled unknown ID (%s)", float64(d)/1e6, tb.Round(100*time.Microsecond))
	r.Figure = fmt.Sprintf("largest %.1f ms (%s)", float64(worst)/1e6, figure)
	for kind, c := range codes {
		want := "401 invalid_credentials"
		if kind == "throttled account" || kind == "throttled unknown ID" {
			want = "429 rate_limited"
		}
		if c[want] != n {
			r.failf("%s answered %v, want %s each time", kind, c, want)
			r.Reported = false // a different answer is not a timing matter
		}
	}
	if worst >= 5*time.Millisecond {
		r.OK = false
		r.Notes = append(r.Notes, "median difference "+worst.String())
	}
	return r
}

// disableMail puts acct's only address into the mail notification
// disabled state the way production does: a key mail to it, then a hard
// bounce of that delivery through the bounce webhook (README: Bounces).
func disableMail(inst *instance, box *keyBox, acct account) {
	flow, err := inst.toKeyStep(acct.LoginID, acct.Password)
	must(err, "login")
	if a := inst.issue(flow, "email"); a.Status != http.StatusOK {
		fatalf("issue: %s", a)
	}
	if box.Next(acct.Email, 30*time.Second) == "" {
		fatalf("no key mail for %s", acct.Email)
	}
	id := ""
	for _, m := range box.Messages() {
		if m.To == acct.Email {
			id, _, _ = strings.Cut(strings.Trim(m.MessageID, "<>"), ".")
		}
	}
	a := call(httpClient, "POST", inst.URL+"/api/v1/bounces", map[string]any{"events": []map[string]any{{"delivery_id": id, "recipient": acct.Email,
		"type": "bounce", "bounce_class": "permanent", "status": "5.1.1", "diagnostic": "550 5.1.1 user unknown"}}},
		"Authorization", "Bearer torture-bounce-token-0123456")
	if a.Status >= 300 || !strings.Contains(fmt.Sprint(a.Body), "disabled") {
		fatalf("bounce webhook: %s %v", a, a.Body)
	}
	flow, err = inst.toKeyStep(acct.LoginID, acct.Password)
	must(err, "login")
	if a := inst.issue(flow, "email"); a.Code() != "mail_notification_disabled" {
		fatalf("after the bounce, an e-mail key answered %s", a)
	}
}
