// Package secret holds anshin's cryptography: argon2id password hashing
// bounded to the core count, keyed hashes and sealing with the server's
// secret key, and random tokens and one-time keys.
package secret

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anshin/anshin/internal/argon2"
)

// Argon2Params are the argon2id cost parameters (SPEC §2: 19 MiB, 2 passes,
// 1 lane by default).
type Argon2Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultArgon2 is the SPEC's default.
var DefaultArgon2 = Argon2Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

// Hasher hashes and verifies passwords with argon2id. At most one hash per
// core runs at a time, each in the argon2 memory of its slot, kept from
// one hash to the next: memory stays flat under load, a burst of logins
// queues instead of thrashing, and no hash allocates its 19 MiB anew.
type Hasher struct {
	p     Argon2Params
	slots chan struct{} // one per core: the hashes that run at once
	mu    sync.Mutex
	// free holds the memories of the slots not hashing, the one returned
	// last on top: the next hash takes it, part of its 19 MiB likely still
	// in the processor's cache (taking them in turn cost 11 % per hash).
	free  []*argon2.Memory
	dummy atomic.Pointer[string] // verified against when the login ID is unknown
	// Derived, if set, is told the parameters of every hash computed, so
	// tests can count the work without timing it.
	Derived func(Argon2Params)
	// hashes and cpu count the hashes computed and the processor time
	// measured on their threads (HashCPU).
	hashes, cpu atomic.Int64
}

// HashCPU is how many hashes h computed and the processor time they took
// where they ran, measured on their threads (0 where argon2.Memory.CPU
// measures nothing): what the hashes cost in this process, beside its
// other work, as opposed to alone.
func (h *Hasher) HashCPU() (hashes int64, cpu time.Duration) {
	return h.hashes.Load(), time.Duration(h.cpu.Load())
}

// NewHasher returns a Hasher with the given parameters; its dummy hash
// has them too until SetDummyParams says otherwise.
func NewHasher(p Argon2Params) *Hasher {
	h := &Hasher{p: p, slots: make(chan struct{}, runtime.GOMAXPROCS(0))}
	for range cap(h.slots) {
		h.free = append(h.free, new(argon2.Memory)) // its blocks are made by its first hash
	}
	h.SetDummyParams(p)
	return h
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Argon2Params { return h.p }

// SetDummyParams makes the dummy hash, which an unknown login ID is
// verified against, with p: an unknown ID should cost what a known one
// does, and a known one costs the parameters its stored hash was made
// with, which may be older than the current ones (see NeedsRehash).
func (h *Hasher) SetDummyParams(p Argon2Params) {
	salt := make([]byte, 16)
	rand.Read(salt)
	d := encode(p, salt, make([]byte, 32)) // never matches: nothing derives all zeros
	h.dummy.Store(&d)
}

// DummyParams returns the parameters unknown login IDs are verified with.
func (h *Hasher) DummyParams() Argon2Params {
	p, _, _, _ := parsePHC(*h.dummy.Load())
	return p
}

// ParamsOf returns the parameters of an argon2id hash this package can
// verify, from the whole hash or only its parameter part
// ("$argon2id$v=19$m=19456,t=2,p=1").
func ParamsOf(encoded string) (Argon2Params, bool) {
	parts := strings.SplitN(encoded, "$", 5)
	if len(parts) < 4 {
		return Argon2Params{}, false
	}
	p, err := parseParams(parts)
	return p, err == nil
}

// NeedsRehash reports whether encoded, a hash that was just verified,
// was made with other parameters than the current ones.
func (h *Hasher) NeedsRehash(encoded string) bool {
	p, ok := ParamsOf(encoded)
	return ok && p != h.p
}

func encode(p Argon2Params, salt, sum []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(sum))
}

// Hash returns the PHC-formatted argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, 16)
	rand.Read(salt)
	sum, err := h.derive(ctx, password, salt, h.p)
	if err != nil {
		return "", err
	}
	return encode(h.p, salt, sum), nil
}

// Verify reports whether password matches encoded. An empty or malformed
// encoded hash is verified against a dummy so the caller spends the same
// time whether or not the account exists.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	p, salt, want, err := parsePHC(encoded)
	if err != nil {
		p, salt, _, _ = parsePHC(*h.dummy.Load())
		if _, err := h.derive(ctx, password, salt, p); err != nil {
			return false, err
		}
		return false, nil
	}
	got, err := h.derive(ctx, password, salt, p)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func (h *Hasher) derive(ctx context.Context, password string, salt []byte, p Argon2Params) ([]byte, error) {
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-h.slots }()
	h.mu.Lock()
	m := h.free[len(h.free)-1]
	h.free = h.free[:len(h.free)-1]
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.free = append(h.free, m)
		h.mu.Unlock()
	}()
	if h.Derived != nil {
		h.Derived(p)
	}
	mem := m
	if argon2.Size(p.MemoryKiB, p.Threads) > argon2.Size(h.p.MemoryKiB, h.p.Threads) {
		// A hash made with more memory than the current parameters (an
		// old one, rehashed at this login): its memory is not kept.
		mem = new(argon2.Memory)
	}
	key := mem.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, 32)
	h.cpu.Add(int64(mem.CPU()))
	h.hashes.Add(1)
	return key, nil
}

func parsePHC(s string) (Argon2Params, []byte, []byte, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 {
		return Argon2Params{}, nil, nil, errors.New("not an argon2id hash")
	}
	p, err := parseParams(parts)
	if err != nil {
		return p, nil, nil, err
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	sum, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(sum) < 16 {
		return p, nil, nil, errors.New("bad argon2 salt or hash")
	}
	return p, salt, sum, nil
}

// parseParams reads the fields of a PHC string before its salt.
func parseParams(parts []string) (Argon2Params, error) {
	var p Argon2Params
	if parts[1] != "argon2id" {
		return p, errors.New("not an argon2id hash")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, errors.New("unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return p, errors.New("bad argon2 parameters")
	}
	if p.MemoryKiB == 0 || p.MemoryKiB > 1<<21 || p.Time == 0 || p.Time > 64 || p.Threads == 0 {
		return p, errors.New("argon2 parameters out of range")
	}
	return p, nil
}
