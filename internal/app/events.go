package app

import (
	"log/slog"

	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/web"
)

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
