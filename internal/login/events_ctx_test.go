package login_test

import (
	"context"
	"testing"

	"github.com/anshin/anshin/internal/login"
)

type requestKey struct{}

// An event carries the context of the call that caused it, so that its
// log line can name the request; a lockout carries it too.
func TestEventCarriesTheCallersContext(t *testing.T) {
	f := newFixture(t, func(c *login.Config) { c.KeyFailureLimit = 1; c.KeyCooldown = 0 })
	f.taro()
	var got []string
	f.svc.Observe(func(e login.Event) {
		id, _ := e.Context().Value(requestKey{}).(string)
		got = append(got, e.Kind+"="+id)
	})
	token := f.toKeyStep(taroID, taroPassword)
	_, key := f.issue(token, "sms")
	ctx := context.WithValue(context.Background(), requestKey{}, "r-42")
	f.svc.Verify(ctx, token, key[:7]+string('0'+(key[7]-'0'+1)%10), "g1", clientIP)
	if n := len(got); n < 2 || got[n-2] != "key_verified=r-42" || got[n-1] != "lockout=r-42" {
		t.Errorf("events %v, want key_verified and lockout with the caller's context", got)
	}
	if (login.Event{}).Context() == nil {
		t.Error("an event without a call has a nil context")
	}
}
