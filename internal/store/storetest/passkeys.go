package storetest

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

func passkey(id, accountID string) *anshin.Passkey {
	return &anshin.Passkey{ID: []byte("cred-" + id + "\x00\xff"), AccountID: accountID, PublicKey: []byte{0xa5, 0x01, 0x02, 0x03},
		SignCount: 7, AAGUID: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, Flags: 0x18,
		Transports: []string{"internal", "hybrid"}, AttestationFormat: "none", Name: "ノート PC", Scope: []string{"g1", "g-2_x"}, CreatedAt: t0}
}

func testPasskeys(t *testing.T, s anshin.Store) {
	p1, p2, other := passkey("1", "a1"), passkey("2", "a1"), passkey("3", "a2")
	p2.CreatedAt, p2.AAGUID, p2.Transports, p2.Scope = t0.Add(time.Minute), nil, nil, []string{"g1"}
	update(t, s, func(tx anshin.Tx) error {
		for _, p := range []*anshin.Passkey{p1, p2, other} {
			if err := tx.CreatePasskey(p); err != nil {
				return err
			}
		}
		return nil
	})
	// A credential ID is one account's, whoever tries to register it again.
	dup := passkey("1", "a2")
	wantCode(t, s.Update(context.Background(), func(tx anshin.Tx) error { return tx.CreatePasskey(dup) }), anshin.ECodeConflict)
	view(t, s, func(tx anshin.Tx) error {
		got, err := tx.Passkey(p1.ID)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, p1) {
			t.Errorf("passkey %+v, want %+v", got, p1)
		}
		list, err := tx.PasskeysOfAccount("a1")
		if err != nil {
			return err
		}
		if len(list) != 2 || !reflect.DeepEqual(list[0], p1) || !reflect.DeepEqual(list[1], p2) {
			t.Errorf("passkeys of a1: %+v", list)
		}
		_, err = tx.Passkey([]byte("nope"))
		wantCode(t, err, anshin.ECodeNotFound)
		return nil
	})
	// Rename and delete touch the account's own passkey only.
	wantCode(t, s.Update(context.Background(), func(tx anshin.Tx) error { return tx.RenamePasskey("a2", p1.ID, "x") }), anshin.ECodeNotFound)
	wantCode(t, s.Update(context.Background(), func(tx anshin.Tx) error { return tx.DeletePasskey("a2", p1.ID) }), anshin.ECodeNotFound)
	update(t, s, func(tx anshin.Tx) error { return tx.RenamePasskey("a1", p1.ID, "仕事用") })
	update(t, s, func(tx anshin.Tx) error {
		ok, err := tx.UsePasskey(p1.ID, 7, 9, 0x1d, t0.Add(time.Hour))
		if err != nil || !ok {
			t.Errorf("use passkey: %v %v", ok, err)
		}
		// The same count again, or a stale one, changes nothing.
		if ok, err := tx.UsePasskey(p1.ID, 7, 10, 0x1d, t0.Add(2*time.Hour)); err != nil || ok {
			t.Errorf("use passkey from a stale count: %v %v", ok, err)
		}
		return nil
	})
	view(t, s, func(tx anshin.Tx) error {
		got, err := tx.Passkey(p1.ID)
		if err != nil {
			return err
		}
		if got.Name != "仕事用" || got.SignCount != 9 || got.Flags != 0x1d || !got.LastUsedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("passkey after rename and use: %+v", got)
		}
		return nil
	})
	update(t, s, func(tx anshin.Tx) error { return tx.DeletePasskey("a1", p1.ID) })
	view(t, s, func(tx anshin.Tx) error {
		list, err := tx.PasskeysOfAccount("a1")
		if err != nil {
			return err
		}
		if len(list) != 1 || list[0].Name != p2.Name {
			t.Errorf("passkeys of a1 after delete: %+v", list)
		}
		return nil
	})
}

func testChallenges(t *testing.T, s anshin.Store) {
	c := &anshin.WebAuthnChallenge{ID: "ch1", Purpose: anshin.CeremonyLogin, AccountID: "a1", FlowID: "f1",
		Data: []byte(`{"challenge":"abc"}`), CreatedAt: t0, ExpiresAt: t0.Add(5 * time.Minute)}
	expired := &anshin.WebAuthnChallenge{ID: "ch2", Purpose: anshin.CeremonyRegister, SessionID: "s1", AccountID: "a1",
		Data: []byte(`{}`), CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}
	update(t, s, func(tx anshin.Tx) error {
		if err := tx.CreateChallenge(c); err != nil {
			return err
		}
		return tx.CreateChallenge(expired)
	})
	var got *anshin.WebAuthnChallenge
	update(t, s, func(tx anshin.Tx) (err error) {
		got, err = tx.TakeChallenge("ch1", t0.Add(time.Minute))
		return err
	})
	if !reflect.DeepEqual(got, c) {
		t.Errorf("challenge %+v, want %+v", got, c)
	}
	for _, id := range []string{"ch1", "ch2", "nope"} {
		err := s.Update(context.Background(), func(tx anshin.Tx) error {
			_, err := tx.TakeChallenge(id, t0.Add(2*time.Minute))
			return err
		})
		wantCode(t, err, anshin.ECodeNotFound)
	}
}

// testChallengeReplaced: a flow's (or session's) new ceremony replaces
// its last one.
func testChallengeReplaced(t *testing.T, s anshin.Store) {
	for _, c := range []*anshin.WebAuthnChallenge{
		{ID: "f-1", Purpose: anshin.CeremonyLogin, FlowID: "f1"},
		{ID: "f-2", Purpose: anshin.CeremonyLogin, FlowID: "f1"},
		{ID: "s-1", Purpose: anshin.CeremonyRegister, SessionID: "s1"},
		{ID: "s-2", Purpose: anshin.CeremonyRegister, SessionID: "s1"},
		{ID: "other", Purpose: anshin.CeremonyLogin, FlowID: "f2"},
	} {
		c.Data, c.CreatedAt, c.ExpiresAt = []byte("{}"), t0, t0.Add(5*time.Minute)
		update(t, s, func(tx anshin.Tx) error { return tx.CreateChallenge(c) })
	}
	for id, live := range map[string]bool{"f-1": false, "f-2": true, "s-1": false, "s-2": true, "other": true} {
		err := s.Update(context.Background(), func(tx anshin.Tx) error {
			_, err := tx.TakeChallenge(id, t0)
			return err
		})
		if (err == nil) != live {
			t.Errorf("challenge %s: %v, want live %v", id, err, live)
		}
	}
}

// testChallengeOnceConcurrent: instances racing to finish one ceremony,
// one wins.
func testChallengeOnceConcurrent(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error {
		return tx.CreateChallenge(&anshin.WebAuthnChallenge{ID: "race", Purpose: anshin.CeremonyDiscoverable, FlowID: "f1",
			Data: []byte(`{}`), CreatedAt: t0, ExpiresAt: t0.Add(5 * time.Minute)})
	})
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Update(context.Background(), func(tx anshin.Tx) error {
				_, err := tx.TakeChallenge("race", t0)
				return err
			})
			if err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			} else if anshin.ErrorCode(err) != anshin.ECodeNotFound {
				t.Errorf("take: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d takers won one challenge", won)
	}
}

// testPasskeyPolicy: the group's policy is set on its own and PutGroup
// keeps it; a flow remembers its second factor.
func testPasskeyPolicy(t *testing.T, s anshin.Store) {
	g := group("g1")
	update(t, s, func(tx anshin.Tx) error { return tx.PutGroup(g) })
	update(t, s, func(tx anshin.Tx) error { return tx.SetPasskeyRequired("g1", true, t0.Add(time.Minute)) })
	update(t, s, func(tx anshin.Tx) error { return tx.PutGroup(g) }) // the operator's update
	view(t, s, func(tx anshin.Tx) error {
		got, err := tx.Group("g1")
		if err != nil {
			return err
		}
		if !got.PasskeyRequired {
			t.Errorf("the policy did not survive PutGroup: %+v", got)
		}
		return nil
	})
	wantCode(t, s.Update(context.Background(), func(tx anshin.Tx) error { return tx.SetPasskeyRequired("nope", true, t0) }), anshin.ECodeNotFound)
	f := flow("f1", "a1")
	f.Factor = anshin.MethodPasskey
	update(t, s, func(tx anshin.Tx) error { return tx.CreateFlow(f) })
	f.Factor = anshin.MethodSMS
	update(t, s, func(tx anshin.Tx) error { return tx.UpdateFlow(f, anshin.StepOneTimeKey) })
	view(t, s, func(tx anshin.Tx) error {
		got, err := tx.Flow("f1")
		if err == nil && got.Factor != anshin.MethodSMS {
			t.Errorf("flow factor %q", got.Factor)
		}
		return err
	})
}
