package main

import (
	"runtime/debug"

	"github.com/anshin/anshin/internal/config"
)

// applyMemoryLimit sets ANSHIN_MEMORY_LIMIT as the Go runtime's soft
// memory limit, unless GOMEMLIMIT is set: then Go has applied that one
// already. It says which limit holds, for the log.
func applyMemoryLimit(cfg *config.Config, getenv func(string) string) string {
	if v := getenv("GOMEMLIMIT"); v != "" {
		return "GOMEMLIMIT=" + v
	}
	if cfg.MemoryLimit <= 0 {
		return "off"
	}
	debug.SetMemoryLimit(cfg.MemoryLimit)
	return config.FormatSize(cfg.MemoryLimit)
}
