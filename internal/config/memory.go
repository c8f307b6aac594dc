package config

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/anshin/anshin/internal/argon2"
	"github.com/anshin/anshin/internal/secret"
)

// Hashing runs on at most one goroutine per core, each in memory kept
// from one hash to the next (internal/argon2). On Linux that memory is
// mapped outside the Go heap; elsewhere it is on the heap, and the limit
// leaves room for it. Left alone, Go's collector lets the heap grow to
// twice what is live; a soft memory limit makes it collect in time instead.

// memoryLimitBase is what anshin needs besides the hashes' memory.
const memoryLimitBase = 32 << 20

// DefaultMemoryLimit is memoryLimitBase, plus one hash's memory per core
// that may hash at once where that memory is on the Go heap: 32 MiB on
// Linux, 70 MiB elsewhere on 2 cores with the default argon2id.
func DefaultMemoryLimit(a secret.Argon2Params, cores int) int64 {
	if argon2.MapsMemory {
		return memoryLimitBase
	}
	return memoryLimitBase + int64(cores)*int64(a.MemoryKiB)<<10
}

// memoryLimit reads ANSHIN_MEMORY_LIMIT: a size like 96MiB, 1GiB or
// 100000000 (bytes), or off; the default follows the argon2id memory.
func (p *parser) memoryLimit(a secret.Argon2Params) int64 {
	v := strings.TrimSpace(p.getenv("ANSHIN_MEMORY_LIMIT"))
	switch strings.ToLower(v) {
	case "":
		return DefaultMemoryLimit(a, runtime.GOMAXPROCS(0))
	case "off", "0":
		return 0
	}
	n, ok := parseSize(v)
	if !ok || n < 32<<20 {
		p.fail("ANSHIN_MEMORY_LIMIT", "must be a size of at least 32MiB, like 96MiB or 1GiB, or off")
		return 0
	}
	return n
}

// parseSize reads a byte count with an optional B, KiB, MiB, GiB (or KB,
// MB, GB, meaning the same powers of two, as GOMEMLIMIT does not).
func parseSize(s string) (int64, bool) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(num), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<50)/mult {
		return 0, false
	}
	return n * mult, true
}

// FormatSize writes a byte count the way ANSHIN_MEMORY_LIMIT takes it.
func FormatSize(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dB", n)
}
