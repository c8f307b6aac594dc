package login_test

import (
	"testing"

	"github.com/anshin/anshin/internal/anshin"
)

func TestKeyMessageReachesTheDocomoLine(t *testing.T) {
	f := newFixture(t)
	f.taro()
	token := f.toKeyStep(taroID, taroPassword)
	_, key := f.issue(token, anshin.MethodSMS)
	msgs := f.deliver()
	if len(msgs) != 1 {
		t.Fatalf("sent %d messages, want 1", len(msgs))
	}
	if m := msgs[0]; m.Channel != "sms" || m.To != taroLine || keyIn(t, m.Body) != key {
		t.Errorf("message %+v, want the key %s by SMS to %s", m, key, taroLine)
	}
	d := f.deliveries(token)[0]
	if d.Status != anshin.DeliverySent || len(d.Payload) != 0 {
		t.Errorf("delivery status %q with %d payload bytes, want sent and the sealed payload erased", d.Status, len(d.Payload))
	}
	if _, err := f.verify(token, key, "g1"); err != nil {
		t.Errorf("the delivered key: %v", err)
	}
}

func TestWorkerDropsTheMessageOfAGoneKey(t *testing.T) {
	tests := []struct {
		name   string
		before func(f *fixture, token, key string) // between issue and the worker
		reason string
	}{
		{"expired", func(f *fixture, _, _ string) { f.clock.Advance(f.cfg.KeyTTL) }, "key_expired"},
		{"used", func(f *fixture, token, key string) {
			if _, err := f.verify(token, key, "g1"); err != nil {
				f.t.Fatal(err)
			}
		}, "key_used"},
		{"invalidated by a wrong key", func(f *fixture, token, key string) {
			_, err := f.verify(token, wrongKey(key), "g1")
			wantCode(f.t, err, anshin.ECodeKeyInvalid)
		}, "key_replaced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.taro()
			token := f.toKeyStep(taroID, taroPassword)
			_, key := f.issue(token, anshin.MethodEmail)
			tt.before(f, token, key)
			if msgs := f.deliver(); len(msgs) != 0 {
				t.Errorf("sent %+v for a key that is gone", msgs)
			}
			for _, d := range f.deliveries(token) {
				if d.Status != anshin.DeliveryFailed || d.LastError != tt.reason {
					t.Errorf("delivery to %s: status %q (%q), want failed (%s)", d.Recipient, d.Status, d.LastError, tt.reason)
				}
			}
		})
	}
}
