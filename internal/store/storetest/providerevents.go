package storetest

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/anshin/anshin/internal/anshin"
)

// testProviderEvents: a sending service's event is noted once per provider
// and event ID; the same ID of another provider is another event; a
// transaction that fails notes nothing.
func testProviderEvents(t *testing.T, s anshin.Store) {
	record := func(provider, id string) bool {
		t.Helper()
		var fresh bool
		update(t, s, func(tx anshin.Tx) error {
			var err error
			fresh, err = tx.RecordProviderEvent(provider, id, "d1", t0)
			return err
		})
		return fresh
	}
	if !record("ses", "7a5d7d3e-0000-5b6a-8c1f-000000000001") {
		t.Error("a new event was not noted")
	}
	if record("ses", "7a5d7d3e-0000-5b6a-8c1f-000000000001") {
		t.Error("a repeat was noted as new")
	}
	if !record("sendgrid", "7a5d7d3e-0000-5b6a-8c1f-000000000001") {
		t.Error("another provider's event of the same ID was taken for a repeat")
	}
	err := s.Update(context.Background(), func(tx anshin.Tx) error {
		if _, err := tx.RecordProviderEvent("ses", "rolled-back", "d1", t0); err != nil {
			return err
		}
		return anshin.Errorf(anshin.ECodeInvalidRequest, "fail")
	})
	wantCode(t, err, anshin.ECodeInvalidRequest)
	if !record("ses", "rolled-back") {
		t.Error("an event of a failed transaction stayed noted")
	}
}

// testProviderEventConcurrent: copies of one event arriving together (a
// provider's retry reaching another instance) are noted new once.
func testProviderEventConcurrent(t *testing.T, s anshin.Store) {
	var fresh atomic.Int32
	concurrently(t, 20, func(i int) error {
		var ok bool
		err := s.Update(context.Background(), func(tx anshin.Tx) error {
			var err error
			ok, err = tx.RecordProviderEvent("sendgrid", "sg-event-1", "d1", t0)
			return err
		})
		if ok && err == nil {
			fresh.Add(1)
		}
		return err
	})
	if n := fresh.Load(); n != 1 {
		t.Fatalf("the event was noted new %d times, want once", n)
	}
}
