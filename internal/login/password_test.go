package login_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
)

func TestStartRejectsMissingOrBadLoginID(t *testing.T) {
	f := newFixture(t)
	for name, id := range map[string]string{
		"empty":              "",
		"spaces":             "   ",
		"ideographic space":  "\u3000",
		"257 characters":     strings.Repeat("a", 257),
		"line break inside":  "taro\nyamada",
		"NUL inside":         "taro\x00yamada",
		"carriage return in": "taro\ryamada",
	} {
		t.Run(name, func(t *testing.T) {
			token, err := f.svc.Start(f.ctx, id, clientIP)
			e := wantCode(t, err, anshin.ECodeInvalidField)
			if e.Field != "login_id" {
				t.Errorf("field = %q, want login_id", e.Field)
			}
			if token != "" {
				t.Errorf("a refused login ID still got a flow token")
			}
		})
	}
	if _, err := f.svc.Start(f.ctx, strings.Repeat("a", 256), clientIP); err != nil {
		t.Errorf("a login ID of 256 characters is allowed, got %v", err)
	}
}

func TestStartGivesAnyLoginIDAFlow(t *testing.T) {
	f := newFixture(t)
	f.taro()
	seen := map[string]bool{}
	for _, id := range []string{taroID, "nobody-at-all", "  ｔａｒｏ-yamada\u3000"} {
		token := f.start(id)
		if seen[token] {
			t.Fatalf("flow token %q handed out twice", token)
		}
		seen[token] = true
		fl, err := f.svc.Flow(f.ctx, token)
		if err != nil {
			t.Fatalf("Flow for %q: %v", id, err)
		}
		if fl.Step != anshin.StepPassword || fl.AccountID != "" {
			t.Errorf("flow for %q: step %q account %q, want step password and no account yet", id, fl.Step, fl.AccountID)
		}
	}
	// The ID typed with full-width letters and spaces is the same login ID.
	token := f.start("  ｔａｒｏ-yamada\u3000")
	if _, err := f.svc.Password(f.ctx, token, taroPassword, clientIP); err != nil {
		t.Errorf("password after a full-width login ID: %v", err)
	}
}

func TestPasswordUnknownIDAndWrongPasswordAnswerAlike(t *testing.T) {
	f := newFixture(t)
	f.taro()

	_, errUnknown := f.svc.Password(f.ctx, f.start("nobody-at-all"), taroPassword, clientIP)
	eUnknown := wantCode(t, errUnknown, anshin.ECodeInvalidCredentials)
	_, errWrong := f.svc.Password(f.ctx, f.start(taroID), "not-the-password", clientIP)
	eWrong := wantCode(t, errWrong, anshin.ECodeInvalidCredentials)
	if eUnknown.Error() != eWrong.Error() {
		t.Errorf("unknown ID answers %q but wrong password answers %q: the answer tells them apart", eUnknown, eWrong)
	}

	_, err := f.svc.Password(f.ctx, f.start(taroID), "", clientIP)
	if e := wantCode(t, err, anshin.ECodeInvalidField); e.Field != "password" {
		t.Errorf("field = %q, want password", e.Field)
	}

	opts, err := f.svc.Password(f.ctx, f.start(taroID), taroPassword, clientIP)
	if err != nil {
		t.Fatalf("right password: %v", err)
	}
	if len(opts) != 2 || !opts[0].Available || !opts[1].Available {
		t.Errorf("methods = %+v, want sms and email both available", opts)
	}
}

func TestPasswordThrottlePerAccount(t *testing.T) {
	f := newFixture(t)
	f.taro()
	hanako := f.addAccount("hanako", "hanako-pass", "+819087654321")
	f.addAdmin("g1", hanako, anshin.RoleAdmin, "")
	limit := f.cfg.PasswordFailuresPerAccount

	for i := 1; i <= limit; i++ {
		_, err := f.svc.Password(f.ctx, f.start(taroID), "wrong", clientIP)
		wantCode(t, err, anshin.ECodeInvalidCredentials) // not yet rate_limited
	}
	token := f.start(taroID)
	_, err := f.svc.Password(f.ctx, token, taroPassword, clientIP)
	e := wantCode(t, err, anshin.ECodeRateLimited)
	if !e.RetryAt.After(f.clock.Now()) {
		t.Fatalf("RetryAt %v is not after now %v", e.RetryAt, f.clock.Now())
	}
	if e.Limit != "password_per_account" {
		t.Errorf("limit %q, want password_per_account", e.Limit)
	}

	// Another account, from the same client, is not throttled by taro's failures.
	if _, err := f.svc.Password(f.ctx, f.start("hanako"), "hanako-pass", clientIP); err != nil {
		t.Errorf("another account's login: %v", err)
	}

	f.clock.Set(e.RetryAt.Add(-time.Millisecond))
	_, err = f.svc.Password(f.ctx, token, taroPassword, clientIP)
	wantCode(t, err, anshin.ECodeRateLimited)
	f.clock.Set(e.RetryAt)
	if _, err := f.svc.Password(f.ctx, token, taroPassword, clientIP); err != nil {
		t.Errorf("right password once the wait passed: %v", err)
	}
}

func TestPasswordSuccessClearsAccountFailures(t *testing.T) {
	f := newFixture(t)
	f.taro()
	limit := f.cfg.PasswordFailuresPerAccount
	for round := 0; round < 2; round++ {
		for i := 1; i < limit; i++ {
			_, err := f.svc.Password(f.ctx, f.start(taroID), "wrong", clientIP)
			wantCode(t, err, anshin.ECodeInvalidCredentials)
		}
		// limit-1 failures, twice: only a reset keeps the right password open.
		if _, err := f.svc.Password(f.ctx, f.start(taroID), taroPassword, clientIP); err != nil {
			t.Fatalf("round %d: right password after %d failures: %v", round, limit-1, err)
		}
	}
}

func TestPasswordThrottlePerClient(t *testing.T) {
	f := newFixture(t, func(c *login.Config) { c.PasswordFailuresPerClient = 3 })
	f.taro()
	const attacker, neighbour = "198.51.100.7", "203.0.113.9"
	for _, id := range []string{"guess-1", "guess-2", "guess-3"} {
		token, err := f.svc.Start(f.ctx, id, attacker)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Password(f.ctx, token, "guess", attacker)
		wantCode(t, err, anshin.ECodeInvalidCredentials)
	}
	token, _ := f.svc.Start(f.ctx, taroID, attacker)
	_, err := f.svc.Password(f.ctx, token, taroPassword, attacker)
	if e := wantCode(t, err, anshin.ECodeRateLimited); !e.RetryAt.After(f.clock.Now()) {
		t.Errorf("RetryAt %v is not after now", e.RetryAt)
	}
	token, _ = f.svc.Start(f.ctx, taroID, neighbour)
	if _, err := f.svc.Password(f.ctx, token, taroPassword, neighbour); err != nil {
		t.Errorf("another client is not throttled by the first one's failures: %v", err)
	}
}

// Guesses sent all at once are held to the same limit as guesses sent one
// after the other: once the account's free failures are used up, the rest
// wait, whatever order the hashes finish in.
func TestPasswordThrottleHoldsUnderConcurrentGuesses(t *testing.T) {
	f := newFixture(t, func(c *login.Config) { c.PasswordFailuresPerClient, c.FlowsPerClient = 1000, 0 })
	f.taro()
	const n = 40
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = f.start(taroID)
	}
	codes := make(chan string, n)
	var wg sync.WaitGroup
	begin := make(chan struct{})
	for _, token := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-begin
			_, err := f.svc.Password(f.ctx, token, "wrong", clientIP)
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
	if count[anshin.ECodeInvalidCredentials] != f.cfg.PasswordFailuresPerAccount || count[anshin.ECodeRateLimited] != n-f.cfg.PasswordFailuresPerAccount {
		t.Errorf("answers %v: want %d invalid_credentials and the rest rate_limited", count, f.cfg.PasswordFailuresPerAccount)
	}
}

// A guess that was read before the account's limit was reached, and is
// written after, is still held to the limit, right or wrong: otherwise
// sending guesses together would bypass the throttle, and answering only the
// right one differently would tell it apart.
func TestPasswordLimitAppliesToGuessesInFlight(t *testing.T) {
	f := newFixture(t)
	f.taro()
	guess := func(password string) func() error {
		token := f.start(taroID)
		return f.hold(func(ctx context.Context, svc *login.Service) error {
			_, err := svc.Password(ctx, token, password, clientIP)
			return err
		})
	}
	right, wrong := guess(taroPassword), guess("wrong")
	for i := 0; i < f.cfg.PasswordFailuresPerAccount; i++ {
		_, err := f.svc.Password(f.ctx, f.start(taroID), "wrong", clientIP)
		wantCode(t, err, anshin.ECodeInvalidCredentials)
	}
	wantCode(t, wrong(), anshin.ECodeRateLimited)
	wantCode(t, right(), anshin.ECodeRateLimited)
}

// An unknown ID is throttled exactly like a known one: were its failures
// not counted, a real ID would answer rate_limited after the limit and an
// unknown one never, which tells them apart.
func TestPasswordThrottleSameForUnknownID(t *testing.T) {
	f := newFixture(t)
	f.taro()
	limit := f.cfg.PasswordFailuresPerAccount
	answers := func(id string) []string {
		var out []string
		for range limit + 2 {
			_, err := f.svc.Password(f.ctx, f.start(id), "wrong", clientIP)
			out = append(out, anshin.ErrorCode(err))
		}
		return out
	}
	known, unknown := answers(taroID), answers("nobody-at-all")
	if !slices.Equal(known, unknown) {
		t.Errorf("known ID answered %q, unknown ID %q: the throttle tells them apart", known, unknown)
	}
	if known[limit] != anshin.ECodeRateLimited {
		t.Errorf("after %d failures the known ID answered %q, want rate_limited", limit, known[limit])
	}
}
