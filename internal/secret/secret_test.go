package secret

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/anshin/anshin/internal/argon2"
	xargon2 "golang.org/x/crypto/argon2"
)

var cheap = Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

func TestHashVerifiesOnlyItsPassword(t *testing.T) {
	h := NewHasher(cheap)
	enc, err := h.Hash(context.Background(), "正しいパスワード1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(enc, "正しい") {
		t.Fatalf("encoded hash %q", enc)
	}
	if ok, _ := h.Verify(context.Background(), "正しいパスワード1", enc); !ok {
		t.Error("the right password is refused")
	}
	if ok, _ := h.Verify(context.Background(), "正しいパスワード2", enc); ok {
		t.Error("a wrong password is accepted")
	}
	again, _ := h.Hash(context.Background(), "正しいパスワード1")
	if again == enc {
		t.Error("two hashes of one password are equal: no salt")
	}
}

func TestVerifyKeepsTheHashParameters(t *testing.T) {
	old, _ := NewHasher(Argon2Params{MemoryKiB: 128, Time: 2, Threads: 1}).Hash(context.Background(), "pw")
	if ok, _ := NewHasher(cheap).Verify(context.Background(), "pw", old); !ok {
		t.Error("a hash made with other parameters no longer verifies")
	}
}

func TestMalformedHashesNeverVerify(t *testing.T) {
	h := NewHasher(cheap)
	for _, enc := range []string{"", "plain", "$argon2id$v=19$m=64,t=1,p=1$$", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"} {
		if ok, err := h.Verify(context.Background(), "pw", enc); ok || err != nil {
			t.Errorf("%q: ok=%v err=%v", enc, ok, err)
		}
	}
}

func TestHashingIsBoundedToTheCores(t *testing.T) {
	h := NewHasher(cheap)
	// Every slot taken: a further hash must wait, and give up with its context.
	free := busy(h)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "pw"); err == nil {
		t.Fatal("a hash ran although every core was busy")
	}
	free()
	// Hashes at once, in the slots' reused memory: each verifies its own
	// password and no other's.
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			pw := fmt.Sprintf("pw-%d", i)
			enc, err := h.Hash(context.Background(), pw)
			if err != nil {
				t.Error(err)
				return
			}
			if ok, err := h.Verify(context.Background(), pw, enc); !ok || err != nil {
				t.Errorf("%s does not verify its own hash: %v %v", pw, ok, err)
			}
			if ok, _ := h.Verify(context.Background(), pw+"x", enc); ok {
				t.Errorf("%s's hash verifies another password", pw)
			}
		})
	}
	wg.Wait()
	// 16 hashes and 32 verifications, and the CPU they took, measured
	// on their threads (Linux).
	if n, cpu := h.HashCPU(); n != 48 || (runtime.GOOS == "linux" && cpu <= 0) {
		t.Errorf("HashCPU = %d hashes, %v; want 48 and their CPU", n, cpu)
	}
}

// busy takes every slot of h, as hashes running on every core would, and
// returns what gives them back.
func busy(h *Hasher) (free func()) {
	for range cap(h.slots) {
		h.slots <- struct{}{}
	}
	return func() {
		for range cap(h.slots) {
			<-h.slots
		}
	}
}

// A stored hash made with more memory than the current parameters is
// verified in memory of its own, which the slot does not keep.
func TestLargerOldHashesDoNotGrowTheSlots(t *testing.T) {
	old := NewHasher(Argon2Params{MemoryKiB: 256, Time: 1, Threads: 1})
	enc, err := old.Hash(context.Background(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	h := NewHasher(cheap)
	if ok, err := h.Verify(context.Background(), "pw", enc); !ok || err != nil {
		t.Fatalf("old hash: %v %v", ok, err)
	}
	if len(h.free) != cap(h.slots) {
		t.Errorf("%d memories kept for %d slots", len(h.free), cap(h.slots))
	}
	for _, m := range h.free {
		if n := m.KiB(); n > argon2.Size(cheap.MemoryKiB, cheap.Threads) {
			t.Errorf("a slot kept %d KiB after verifying a larger old hash", n)
		}
	}
}

func TestSealOpensOnlyWithTheSameKey(t *testing.T) {
	k1, _ := NewKeyring(bytes.Repeat([]byte("a"), 32))
	k2, _ := NewKeyring(bytes.Repeat([]byte("b"), 32))
	sealed := k1.Seal([]byte(`{"key":"12345678"}`))
	if bytes.Contains(sealed, []byte("12345678")) {
		t.Fatal("the sealed payload holds the key in clear")
	}
	if got, err := k1.Open(sealed); err != nil || string(got) != `{"key":"12345678"}` {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := k2.Open(sealed); err == nil {
		t.Error("another secret key opened the payload")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := k1.Open(sealed); err == nil {
		t.Error("a tampered payload opened")
	}
	if _, err := k1.Open([]byte("x")); err == nil {
		t.Error("a short payload opened")
	}
}

func TestMACSeparatesPurposesAndParts(t *testing.T) {
	k, _ := NewKeyring(bytes.Repeat([]byte("a"), 32))
	a := k.MAC("one-time-key", "flow", "12345678")
	if a != k.MAC("one-time-key", "flow", "12345678") {
		t.Fatal("MAC is not deterministic")
	}
	for _, other := range []string{k.MAC("other", "flow", "12345678"), k.MAC("one-time-key", "flow1", "2345678"), k.MAC("one-time-key", "flow12345678")} {
		if Equal(a, other) {
			t.Error("two different inputs share a MAC")
		}
	}
	if _, err := NewKeyring([]byte("short")); err == nil {
		t.Error("a short secret key was accepted")
	}
}

func TestRandomValues(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		d := NewDigits(8)
		if len(d) != 8 || strings.Trim(d, "0123456789") != "" {
			t.Fatalf("NewDigits(8) = %q", d)
		}
		seen[d] = true
	}
	if len(seen) < 990 {
		t.Errorf("only %d distinct keys in 1000", len(seen))
	}
	if a, b := NewToken(), NewToken(); a == b || len(NewToken()) != 43 || TokenID("a") == TokenID("b") || len(NewID()) != 32 {
		t.Error("tokens or IDs are not random or not of their size")
	}
}

// The limits of what a stored hash may say are inclusive: 2 GiB of memory
// and 64 passes still read, one more does not; an 8-byte salt is enough.
func TestHashLimitsAreInclusive(t *testing.T) {
	for in, ok := range map[string]bool{
		"$argon2id$v=19$m=2097152,t=64,p=1": true,
		"$argon2id$v=19$m=2097153,t=64,p=1": false,
		"$argon2id$v=19$m=2097152,t=65,p=1": false,
		"$argon2id$v=19$m=0,t=1,p=1":        false,
		"$argon2id$v=19$m=64,t=0,p=1":       false,
		"$argon2id$v=19$m=64,t=1,p=0":       false,
		"$argon2id$v=18$m=64,t=1,p=1":       false,
		"$argon2i$v=19$m=64,t=1,p=1":        false,
	} {
		if _, got := ParamsOf(in); got != ok {
			t.Errorf("ParamsOf(%q) = %v, want %v", in, got, ok)
		}
	}
	salt := []byte("8-bytes!")
	enc := encode(cheap, salt, xargon2.IDKey([]byte("pw"), salt, cheap.Time, cheap.MemoryKiB, cheap.Threads, 32))
	if ok, err := NewHasher(cheap).Verify(context.Background(), "pw", enc); err != nil || !ok {
		t.Errorf("a hash with an 8-byte salt: %v %v", ok, err)
	}
}

// Verifying against the dummy (an unknown login ID) gives up with the
// request, as a real hash does, instead of answering "wrong password".
func TestDummyVerifyStopsWithTheRequest(t *testing.T) {
	h := NewHasher(cheap)
	defer busy(h)() // every core busy hashing
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, enc := range []string{"", "not a hash"} {
		if _, err := h.Verify(ctx, "pw", enc); err != context.Canceled {
			t.Errorf("Verify(%q) with a cancelled request: %v, want context.Canceled", enc, err)
		}
	}
}
