package delivery

import (
	"context"
	"sync"
)

// DevOutbox is the development sender: it keeps the latest messages in
// memory for /dev/outbox instead of sending them anywhere.
type DevOutbox struct {
	mu   sync.Mutex
	msgs []Message
	max  int
}

var _ Sender = (*DevOutbox)(nil)

// NewDevOutbox keeps up to max messages.
func NewDevOutbox(max int) *DevOutbox { return &DevOutbox{max: max} }

// Send records m.
func (o *DevOutbox) Send(_ context.Context, m *Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, *m)
	if len(o.msgs) > o.max {
		o.msgs = o.msgs[len(o.msgs)-o.max:]
	}
	return nil
}

// Messages returns the kept messages, newest first.
func (o *DevOutbox) Messages() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Message, len(o.msgs))
	for i, m := range o.msgs {
		out[len(o.msgs)-1-i] = m
	}
	return out
}
