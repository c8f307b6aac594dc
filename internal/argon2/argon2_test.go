package argon2

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	xargon2 "golang.org/x/crypto/argon2"
)

// The package must give exactly what x/crypto gives, whatever the memory
// held before: one Memory is reused across parameters, larger then smaller.
func TestSameAsXCrypto(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var m Memory
	for i := range 200 {
		password := make([]byte, r.IntN(40))
		salt := make([]byte, 8+r.IntN(24))
		for _, b := range [][]byte{password, salt} {
			for j := range b {
				b[j] = byte(r.Uint32())
			}
		}
		time := 1 + uint32(r.IntN(3))
		threads := uint8(1 + r.IntN(4))
		memory := uint32(r.IntN(2048))
		keyLen := uint32(4 + r.IntN(60))
		if i%50 == 0 {
			memory = 19 * 1024 // the default's size, then smaller ones in the same memory
		}
		want := xargon2.IDKey(password, salt, time, memory, threads, keyLen)
		if got := m.IDKey(password, salt, time, memory, threads, keyLen); !bytes.Equal(got, want) {
			t.Fatalf("#%d m=%d t=%d p=%d len=%d: %x, x/crypto %x", i, memory, time, threads, keyLen, got, want)
		}
		if fresh := new(Memory).IDKey(password, salt, time, memory, threads, keyLen); !bytes.Equal(fresh, want) {
			t.Fatalf("#%d in new memory: %x, x/crypto %x", i, fresh, want)
		}
	}
}

// On Linux the blocks are mapped outside the Go heap and unmapped when
// their Memory is collected (memory_linux.go): collections in the middle of
// hashes in memories nobody keeps must not take the blocks away.
func TestCollectedWhileHashing(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	want := xargon2.IDKey([]byte("password"), []byte("somesalt"), 1, 2048, 1, 32)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				if got := new(Memory).IDKey([]byte("password"), []byte("somesalt"), 1, 2048, 1, 32); !bytes.Equal(got, want) {
					t.Errorf("%x, x/crypto %x", got, want)
				}
			}
		})
	}
	wg.Wait()
}

// The reference implementation's vectors for Argon2id (from the PHC
// winner's command line, as x/crypto tests them), each computed in memory
// a previous, larger computation left full.
func TestVectors(t *testing.T) {
	var m Memory
	m.IDKey([]byte("warm"), []byte("the memory up"), 1, 256, 1, 32)
	for _, v := range []struct {
		time, memory uint32
		threads      uint8
		hash         string
	}{
		{1, 64, 1, "655ad15eac652dc59f7170a7332bf49b8469be1fdb9c28bb"},
		{2, 64, 1, "068d62b26455936aa6ebe60060b0a65870dbfa3ddf8d41f7"},
		{2, 64, 2, "350ac37222f436ccb5c0972f1ebd3bf6b958bf2071841362"},
	} {
		want, _ := hex.DecodeString(v.hash)
		if got := m.IDKey([]byte("password"), []byte("somesalt"), v.time, v.memory, v.threads, uint32(len(want))); !bytes.Equal(got, want) {
			t.Errorf("t=%d m=%d p=%d: %x, want %s", v.time, v.memory, v.threads, got, v.hash)
		}
	}
}

func TestSize(t *testing.T) {
	for _, c := range []struct {
		memory  uint32
		threads uint8
		want    uint32
	}{{19 * 1024, 1, 19 * 1024}, {1023, 1, 1020}, {3, 1, 8}, {100, 4, 96}, {0, 2, 16}} {
		if got := Size(c.memory, c.threads); got != c.want {
			t.Errorf("Size(%d, %d) = %d, want %d", c.memory, c.threads, got, c.want)
		}
	}
}

func BenchmarkIDKey(b *testing.B) {
	for _, kib := range []uint32{1024, 19 * 1024} {
		b.Run(fmt.Sprintf("reused/%dKiB", kib), func(b *testing.B) {
			var m Memory
			for b.Loop() {
				m.IDKey([]byte("password"), []byte("somesalt12345678"), 2, kib, 1, 32)
			}
		})
		b.Run(fmt.Sprintf("x-crypto/%dKiB", kib), func(b *testing.B) {
			for b.Loop() {
				xargon2.IDKey([]byte("password"), []byte("somesalt12345678"), 2, kib, 1, 32)
			}
		})
	}
}
