package main

import (
	"io"
	"log/slog"

	"github.com/anshin/anshin/internal/config"
)

// newLogger writes cfg's format (json or text) at cfg's level, with every
// time in UTC. Both handlers keep a line a line: JSON escapes control
// characters, text quotes any value that holds one.
func newLogger(w io.Writer, cfg *config.Config) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel)) // validated by config
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: utcTimes}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func utcTimes(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindTime {
		a.Value = slog.TimeValue(a.Value.Time().UTC())
	}
	return a
}
