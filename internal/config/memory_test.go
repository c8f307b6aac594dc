package config

import (
	"runtime"
	"strings"
	"testing"

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
	if want := int64(24<<20) + int64(runtime.GOMAXPROCS(0))*19456<<10; c.MemoryLimit != want {
		t.Errorf("default %d, want %d", c.MemoryLimit, want)
	}
	if got := DefaultMemoryLimit(secret.DefaultArgon2, 2); got != 62<<20 {
		t.Errorf("2 cores, default argon2id: %s, want 62MiB", FormatSize(got))
	}
	c, _ = load("ANSHIN_ARGON2_MEMORY_KIB", "65536")
	if c.MemoryLimit != int64(24<<20)+int64(runtime.GOMAXPROCS(0))*64<<20 {
		t.Errorf("the default does not follow ANSHIN_ARGON2_MEMORY_KIB: %d", c.MemoryLimit)
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
