package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/app"
	"github.com/anshin/anshin/internal/bounce"
	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/secret"
)

// Exit statuses of anshin bounce ingest, for an MTA that pipes bounces to
// it (README, Bounces).
const (
	exitBounceApplied   = 0  // a bounce of a known delivery, recorded (or a repeat of one)
	exitBounceNotBounce = 3  // not a bounce (auto-reply, feedback report, unrecognized) or about other recipients: nothing changed
	exitBounceForged    = 4  // no signed return path of this server, or no such delivery: nothing changed
	exitTempFail        = 75 // EX_TEMPFAIL: the store failed; the MTA should try again
)

// exitError ends the program with a chosen status.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

func bounceCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "ingest" {
		return usageError{"bounce: the only subcommand is ingest"}
	}
	fs := flag.NewFlagSet("bounce ingest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	rcpt := fs.String("rcpt", "", "envelope recipient (the VERP return path); default: from the message's headers")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return usageError{"bounce ingest: takes only --rcpt ADDRESS and the message on standard input"}
	}
	cfg, err := config.Load(getenv, false)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	if err := cfg.EnsureSecretKey(); err != nil {
		return err
	}
	keys, err := secret.NewKeyring(cfg.SecretKey)
	if err != nil {
		return fmt.Errorf("ANSHIN_SECRET_KEY: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(stdin, bounce.MaxMessageSize+1))
	if err != nil {
		return fmt.Errorf("reading the message: %w", err)
	}
	if len(raw) > bounce.MaxMessageSize {
		return exitError{exitBounceNotBounce, fmt.Sprintf("the message is larger than %d bytes", bounce.MaxMessageSize)}
	}
	db, err := openStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return exitError{exitTempFail, err.Error()}
	}
	defer db.Close()
	h := app.BounceHandler(cfg, db, keys, func() time.Time { return time.Now().UTC() }, newLogger(stderr, cfg))
	return ingest(ctx, h, *rcpt, raw, stdout)
}

// ingest applies one message, trying the envelope recipient given or
// else the addresses its headers name, and reports the outcome as JSON.
func ingest(ctx context.Context, h *bounce.Handler, rcpt string, raw []byte, stdout io.Writer) error {
	candidates := []string{rcpt}
	if rcpt == "" {
		candidates = headerRecipients(raw)
	}
	for _, c := range candidates {
		if _, err := h.Verify(c); err != nil {
			continue
		}
		out, err := h.Message(ctx, c, raw)
		switch {
		case errors.Is(err, bounce.ErrForged):
			return exitError{exitBounceForged, "bounce ingest: " + err.Error()}
		case err != nil:
			return exitError{exitTempFail, "bounce ingest: " + err.Error()}
		}
		json.NewEncoder(stdout).Encode(out)
		if !out.Recorded && !out.Duplicate {
			return exitError{exitBounceNotBounce, fmt.Sprintf("bounce ingest: not a bounce of the delivery's recipient (%s: %s)", out.Kind, out.Verdict.Reason)}
		}
		return nil
	}
	return exitError{exitBounceForged, "bounce ingest: no signed return path of this server among the message's recipients; nothing changed"}
}

// headerRecipients lists the addresses an MTA records the envelope
// recipient in, then the visible ones.
func headerRecipients(raw []byte) []string {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil
	}
	var out []string
	for _, k := range []string{"X-Original-To", "Delivered-To", "Envelope-To", "X-Envelope-To", "To", "Cc"} {
		for _, v := range m.Header[k] {
			if list, err := mail.ParseAddressList(v); err == nil {
				for _, a := range list {
					out = append(out, a.Address)
				}
			} else {
				out = append(out, strings.Trim(strings.TrimSpace(v), "<>"))
			}
		}
	}
	return out
}

// startBounceListener starts the bounce SMTP receiver when
// ANSHIN_BOUNCE_SMTP_ADDR is set; stop waits for its sessions to end.
func startBounceListener(cfg *config.Config, h *bounce.Handler, log *slog.Logger, stdout io.Writer) (stop func(), err error) {
	if cfg.BounceSMTPAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", cfg.BounceSMTPAddr)
	if err != nil {
		return nil, fmt.Errorf("ANSHIN_BOUNCE_SMTP_ADDR: %w", err)
	}
	l := &bounce.Listener{Handler: h, Log: log, Domain: cfg.BounceDomain, MaxBytes: int64(cfg.BounceMaxBytes),
		MaxConns: cfg.BounceMaxConns, MaxConnsPerClient: cfg.BounceMaxConnsClient, SessionTimeout: cfg.BounceSessionTimeout, Timeout: 60 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := l.Serve(ln); err != nil {
			log.Error("bounce smtp: stopped", "err", err)
		}
	}()
	fmt.Fprintf(stdout, "anshin bounce receiver listening on smtp://%s\n", ln.Addr())
	log.Info("bounce receiver listening", "addr", ln.Addr().String(), "domain", cfg.BounceDomain)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		l.Shutdown(ctx)
		<-done
	}, nil
}
