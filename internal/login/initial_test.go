package login_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
)

// jiro is a new admin of g1 (first login pending) and an admin of g2 whose
// first login is done.
const (
	jiroID       = "jiro-suzuki"
	jiroPassword = "Jir0-Suzuki!pass"
	jiroInitial  = "Init-9f3kQ2"
)

func (f *fixture) jiro() *anshin.Account {
	f.t.Helper()
	f.taro() // representative of g1
	a := f.addAccount(jiroID, jiroPassword, "+819055556666", "jiro@example.jp")
	f.addNewAdmin("g1", a, anshin.RoleAdmin, "", jiroInitial)
	f.addGroup("g2", "+81355556666")
	f.addAdmin("g2", a, anshin.RoleRepresentative, "")
	return a
}

// toInitialStep logs jiro in up to the initial password of g1.
func (f *fixture) toInitialStep() string {
	f.t.Helper()
	token := f.toKeyStep(jiroID, jiroPassword)
	_, key := f.issue(token, anshin.MethodSMS)
	res, err := f.verify(token, key, "g1")
	if err != nil {
		f.t.Fatalf("Verify: %v", err)
	}
	if res.Next != anshin.StepInitialPassword || res.SessionToken != "" {
		f.t.Fatalf("Verify = %+v, want next initial_password and no session yet", res)
	}
	return token
}

func (f *fixture) initial(token, password string) (*login.Result, error) {
	return f.svc.InitialPassword(f.ctx, token, password, clientIP)
}

func TestInitialPasswordCompletesTheFirstLogin(t *testing.T) {
	f := newFixture(t)
	jiro := f.jiro()
	token := f.toInitialStep()
	if fl, err := f.svc.Flow(f.ctx, token); err != nil || fl.Step != anshin.StepInitialPassword || fl.GroupID != "g1" {
		t.Fatalf("flow = %+v, %v; want step initial_password for g1", fl, err)
	}

	_, err := f.initial(token, "")
	wantCode(t, err, anshin.ECodeInvalidField)
	_, err = f.initial(token, "not-it")
	if e := wantCode(t, err, anshin.ECodeInitialPasswordInvalid); e.Field != "initial_password" {
		t.Errorf("field = %q, want initial_password", e.Field)
	}
	res, err := f.initial(token, jiroInitial)
	if err != nil || res.Next != anshin.StepDone || res.SessionToken == "" {
		t.Fatalf("right initial password: %+v, %v; want a session", res, err)
	}
	signed, err := f.svc.Session(f.ctx, res.SessionToken)
	if err != nil || signed.Group.ID != "g1" || signed.Account.ID != jiro.ID {
		t.Fatalf("session = %+v, %v; want jiro in g1", signed, err)
	}
	if a := f.administrator("g1", jiro.ID); !a.FirstLoginDone || a.InitialPasswordHash != "" || a.InitialPasswordFails != 0 {
		t.Errorf("administrator after the first login = %+v, want done, hash cleared, failures reset", a)
	}

	// The next login to g1 goes straight in.
	f.clock.Advance(f.cfg.KeyCooldown)
	f.mustSignIn(jiroID, jiroPassword, "g1")
}

func TestInitialPasswordOnlyForThatGroupsFirstLogin(t *testing.T) {
	f := newFixture(t)
	f.jiro()
	// g2's first login is done: no step there, though g1's is pending.
	f.mustSignIn(jiroID, jiroPassword, "g2")
}

func TestRepresentativeNeverGetsTheInitialPasswordStep(t *testing.T) {
	f := newFixture(t)
	a := f.addAccount("rep", "rep-pass", "+819077778888")
	f.addGroup("g1", "+81377778888")
	f.addNewAdmin("g1", a, anshin.RoleRepresentative, "", "rep-initial")
	f.mustSignIn("rep", "rep-pass", "g1")
}

func TestInitialPasswordThrottle(t *testing.T) {
	f := newFixture(t, func(c *login.Config) { c.InitialPasswordThrottle, c.InitialPasswordLock = 3, 10 })
	f.jiro()
	token := f.toInitialStep()
	for i := 1; i <= f.cfg.InitialPasswordThrottle; i++ {
		_, err := f.initial(token, "not-it")
		wantCode(t, err, anshin.ECodeInitialPasswordInvalid)
	}
	_, err := f.initial(token, jiroInitial)
	e := wantCode(t, err, anshin.ECodeRateLimited)
	if !e.RetryAt.After(f.clock.Now()) {
		t.Fatalf("RetryAt %v is not in the future", e.RetryAt)
	}
	f.clock.Set(e.RetryAt.Add(-time.Millisecond))
	_, err = f.initial(token, jiroInitial)
	wantCode(t, err, anshin.ECodeRateLimited)
	f.clock.Set(e.RetryAt)
	if res, err := f.initial(token, jiroInitial); err != nil || res.SessionToken == "" {
		t.Fatalf("right initial password after the wait: %+v, %v", res, err)
	}
}

func TestInitialPasswordLock(t *testing.T) {
	f := newFixture(t, func(c *login.Config) { c.InitialPasswordThrottle, c.InitialPasswordLock = 2, 4 })
	f.jiro()
	token := f.toInitialStep()
	for i := 1; i <= f.cfg.InitialPasswordLock; i++ {
		_, err := f.initial(token, "not-it")
		want := anshin.ECodeInitialPasswordInvalid
		if i == f.cfg.InitialPasswordLock {
			want = anshin.ECodeInitialPasswordLocked
		}
		wantCode(t, err, want)
		f.clock.Advance(time.Minute) // past every throttle wait
	}
	_, err := f.initial(token, jiroInitial)
	wantCode(t, err, anshin.ECodeInitialPasswordLocked)

	// Locked for good, not for the flow: a new login meets the same lock.
	f.clock.Advance(f.cfg.KeyCooldown)
	token = f.toInitialStep()
	_, err = f.initial(token, jiroInitial)
	wantCode(t, err, anshin.ECodeInitialPasswordLocked)
}

// Guesses sent all at once are held to the throttle as if they came one by
// one: past the free failures the rest wait.
func TestInitialPasswordThrottleHoldsUnderConcurrentGuesses(t *testing.T) {
	f := newFixture(t, func(c *login.Config) { c.InitialPasswordThrottle, c.InitialPasswordLock = 3, 10 })
	jiro := f.jiro()
	token := f.toInitialStep()
	const n = 30
	codes := make(chan string, n)
	begin := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-begin
			_, err := f.initial(token, "not-it")
			codes <- anshin.ErrorCode(err)
		}()
	}
	close(begin)
	wg.Wait()
	close(codes)
	count := map[string]int{}
	for c := range codes {
		count[c]++
	}
	limit := f.cfg.InitialPasswordThrottle
	if count[anshin.ECodeInitialPasswordInvalid] != limit || count[anshin.ECodeRateLimited] != n-limit {
		t.Errorf("answers %v: want %d initial_password_invalid and the rest rate_limited", count, limit)
	}
	if a := f.administrator("g1", jiro.ID); a.InitialPasswordFails != limit {
		t.Errorf("%d failures recorded, want %d", a.InitialPasswordFails, limit)
	}
}

// As with the account password: guesses read before the throttle began
// and written after it are held to it, right or wrong alike.
func TestInitialPasswordThrottleAppliesToGuessesInFlight(t *testing.T) {
	f := newFixture(t, func(c *login.Config) { c.InitialPasswordThrottle, c.InitialPasswordLock = 3, 10 })
	f.jiro()
	token := f.toInitialStep()
	guess := func(password string) func() error {
		return f.hold(func(ctx context.Context, svc *login.Service) error {
			_, err := svc.InitialPassword(ctx, token, password, clientIP)
			return err
		})
	}
	right, wrong := guess(jiroInitial), guess("not-it")
	for i := 0; i < f.cfg.InitialPasswordThrottle; i++ {
		_, err := f.initial(token, "not-it")
		wantCode(t, err, anshin.ECodeInitialPasswordInvalid)
	}
	wantCode(t, wrong(), anshin.ECodeRateLimited)
	wantCode(t, right(), anshin.ECodeRateLimited)
}
