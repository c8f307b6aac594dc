package main

import (
	"io"
	"log/slog"

	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/web"
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

// fanOut hands each authentication event to every observer in turn (the
// login service takes one).
func fanOut(observers ...func(login.Event)) func(login.Event) {
	return func(ev login.Event) {
		for _, f := range observers {
			f(ev)
		}
	}
}

// authEventLog writes exactly one line per authentication event, on the
// logger of the request that caused it. An event carries no login ID, key,
// password, token or address, so neither does the line.
func authEventLog(log *slog.Logger) func(login.Event) {
	return func(ev login.Event) {
		ctx := ev.Context()
		level, attrs := slog.LevelWarn, []slog.Attr{slog.String("event", ev.Kind)}
		switch {
		case ev.Kind == login.EventLockout:
			attrs = append(attrs, slog.String("outcome", "locked"), slog.String("lock", ev.Code))
		case ev.Code != "":
			attrs = append(attrs, slog.String("outcome", "failure"), slog.String("code", ev.Code))
		default:
			level, attrs = slog.LevelInfo, append(attrs, slog.String("outcome", "success"))
		}
		if ev.AccountID != "" { // none yet when a login starts
			attrs = append(attrs, slog.String("account_id", ev.AccountID))
		}
		client := ev.ClientIP
		if client == "" { // sign-out does not pass it to the login service
			client = web.ClientIP(ctx)
		}
		attrs = append(attrs, slog.String("client_ip", client), slog.Time("at", ev.At.UTC()))
		if ev.GroupID != "" {
			attrs = append(attrs, slog.String("group_id", ev.GroupID))
		}
		if ev.Method != "" {
			attrs = append(attrs, slog.String("method", string(ev.Method)))
		}
		web.Logger(ctx, log).LogAttrs(ctx, level, "auth", attrs...)
	}
}
