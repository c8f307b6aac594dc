package config

import (
	"runtime"
	"strings"
	"testing"

	"github.com/anshin/anshin/internal/argon2"
	"github.com/anshin/anshin/internal/secret"
)

func TestMemoryLimit(t *testing.T) {
	load := func(pairs ...string) (*Config, error) {
		env := map[string]string{}
		for i := 0; i+1 < len(pairs); i += 2 {
			env[pairs[i]] = pairs[i+1]
		}
		return Load(func(k string) string { return env[k] }, true)
	}
	c, err := load()
	if err != nil {
		t.Fatal(err)
	}
	heap := func(kib int64) int64 { // the hashes' memory the limit allows for
		if argon2.MapsMemory {
			return 0
		}
		return int64(runtime.GOMAXPROCS(0)) * kib << 10
	}
	if want := 32<<20 + heap(19456); c.MemoryLimit != want {
		t.Errorf("default %d, want %d", c.MemoryLimit, want)
	}
	if got, want := DefaultMemoryLimit(secret.DefaultArgon2, 2), map[bool]int64{true: 32 << 20, false: 70 << 20}[argon2.MapsMemory]; got != want {
		t.Errorf("2 cores, default argon2id: %s, want %s", FormatSize(got), FormatSize(want))
	}
	c, _ = load("ANSHIN_ARGON2_MEMORY_KIB", "65536")
	if c.MemoryLimit != 32<<20+heap(65536) {
		t.Errorf("the default does not follow ANSHIN_ARGON2_MEMORY_KIB where the hashes' memory is on the heap: %d", c.MemoryLimit)
	}
	for v, want := range map[string]int64{"off": 0, "0": 0, "96MiB": 96 << 20, "1GiB": 1 << 30, "100000000": 100000000, " 64 MiB ": 64 << 20, "64MB": 64 << 20} {
		c, err := load("ANSHIN_MEMORY_LIMIT", v)
		if err != nil || c.MemoryLimit != want {
			t.Errorf("ANSHIN_MEMORY_LIMIT=%q: %v, %v; want %d", v, c, err, want)
		}
	}
	for _, v := range []string{"lots", "-1MiB", "16MiB", "1.5GiB", "12XB"} {
		if _, err := load("ANSHIN_MEMORY_LIMIT", v); err == nil || !strings.Contains(err.Error(), "ANSHIN_MEMORY_LIMIT: must be a size") {
			t.Errorf("ANSHIN_MEMORY_LIMIT=%q: %v", v, err)
		}
	}
}
