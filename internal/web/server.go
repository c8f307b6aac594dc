// Package web serves anshin over HTTP: the login flow and the console as
// server-rendered pages, the same as a JSON API under /api/v1, the operator
// provisioning API and, in development, the outbox.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/bounce"
	"github.com/anshin/anshin/internal/console"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/oidc"
	"github.com/anshin/anshin/internal/operator"
)

// Deps are what the server needs; NewServer takes nothing else.
type Deps struct {
	Login    *login.Service
	Console  *console.Service
	Operator *operator.Service
	// Passkeys and ConsolePasskeys are the passkey sign-in and page; nil
	// without ANSHIN_PASSKEYS.
	Passkeys        *login.Passkeys
	ConsolePasskeys *console.Passkeys
	Outbox          *delivery.DevOutbox // nil outside development mode
	// TwilioReceipts records SMS delivery receipts; nil unless the twilio
	// driver asks for status callbacks.
	TwilioReceipts *delivery.TwilioReceipts
	Log            *slog.Logger
	Now            anshin.Clock
	OperatorToken  string // empty: operator API off
	// Bounces applies provider bounce events; with BounceWebhookToken empty
	// the webhook is off.
	Bounces            *bounce.Handler
	BounceWebhookToken string
	MailFrom           string
	// SES checks Amazon SNS messages of SES notifications; nil: POST
	// /api/v1/bounces/ses is off. SendGrid checks SendGrid's signed Event
	// Webhook, Mailgun Mailgun's signed webhooks, Postmark the credentials
	// of Postmark's webhooks; nil: POST /api/v1/bounces/sendgrid, /mailgun
	// or /postmark is off. All apply through Bounces.
	SES      *bounce.SNS
	SendGrid *bounce.SendGrid
	Mailgun  *bounce.Mailgun
	Postmark *bounce.Postmark
	// Operations. Metrics is served at GET /metrics (nil: not on this
	// listener); ObserveRequest hears each request's route pattern, status
	// and duration; ReadyChecks are /readyz's checks by name.
	Metrics        http.Handler
	ObserveRequest func(route string, status int, elapsed time.Duration)
	ReadyChecks    map[string]func(context.Context) error
	// TrustedProxies are the reverse proxies whose forwarding headers name
	// the client (ANSHIN_TRUSTED_PROXIES); none: the socket's peer.
	TrustedProxies []netip.Prefix
	// OIDC is the upstream OpenID Provider (page_oidc.go); nil: none.
	// PasswordLoginOff removes the built-in password step.
	OIDC             *oidc.Client
	PasswordLoginOff bool
	// PublicURL is the public base URL; with https:// the cookies are
	// Secure with the __Host- prefix and HSTS is sent.
	PublicURL string
}

// Server is the HTTP side of anshin.
type Server struct {
	Deps
	log   *slog.Logger
	now   anshin.Clock
	i18n  *Catalog
	pages *pages
	https bool // PublicURL is https://
}

// NewServer builds the handler with every route of routes.go.
func NewServer(d Deps) (http.Handler, error) {
	cat, err := LoadCatalog()
	if err != nil {
		return nil, err
	}
	p, err := loadPages(cat)
	if err != nil {
		return nil, err
	}
	s := &Server{Deps: d, log: d.Log, now: d.Now, i18n: cat, pages: p,
		https: strings.HasPrefix(strings.ToLower(d.PublicURL), "https://")}
	mux := http.NewServeMux()
	s.routes(mux)
	var h http.Handler = s.measure(notePattern(mux))
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(s.crossOriginRefused())
	h = cop.Handler(h)
	h = s.prefs(h)
	h = s.secure(h)
	h = s.recover(h)
	h = s.requestLog(h)
	return h, nil
}

// recover turns a panic into a logged, generic 500 instead of a dropped
// connection.
func (s *Server) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.logOf(r).Error("panic", "route", r.Pattern, "value", v, "stack", string(debug.Stack()))
				s.writeError(w, r, anshin.Errorf(anshin.ECodeInternal, "panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// secure sets the security headers of every answer.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if s.https {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

type ctxKey int

const (
	ctxLang ctxKey = iota
	ctxSize
)

const (
	cookieLang    = "anshin_lang"
	cookieSize    = "anshin_size"
	cookieFlow    = "anshin_flow"
	cookieSession = "anshin_session"
	cookieGroup   = "anshin_group" // the group signed in to last, to preselect it
)

// prefs picks the language and text size and remembers a choice made with
// ?lang= or ?size= in a cookie.
func (s *Server) prefs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang, chosen := pickLang(r)
		if chosen {
			setPrefCookie(w, r, cookieLang, lang)
		}
		size := "normal"
		if c, err := readCookie(r, cookieSize); err == nil && c.Value == "large" {
			size = "large"
		}
		if q := r.URL.Query().Get("size"); q == "normal" || q == "large" {
			size = q
			setPrefCookie(w, r, cookieSize, size)
		}
		ctx := context.WithValue(r.Context(), ctxLang, lang)
		ctx = context.WithValue(ctx, ctxSize, size)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func langOf(r *http.Request) string {
	if l, ok := r.Context().Value(ctxLang).(string); ok {
		return l
	}
	return "ja"
}

func sizeOf(r *http.Request) string {
	if v, ok := r.Context().Value(ctxSize).(string); ok {
		return v
	}
	return "normal"
}

// cookieName is the name a cookie has on the wire: behind an https public
// URL, with the __Host- prefix, which the browser accepts only Secure, for
// this host alone and Path=/, so that no other site or plain-http answer
// can plant or shadow it.
func cookieName(r *http.Request, name string) string {
	if ri, ok := r.Context().Value(ctxLogKey{}).(*requestInfo); ok && ri.https {
		return "__Host-" + name
	}
	return name
}

// readCookie reads the cookie set under name by setPrefCookie or
// setSecretCookie.
func readCookie(r *http.Request, name string) (*http.Cookie, error) {
	return r.Cookie(cookieName(r, name))
}

func setPrefCookie(w http.ResponseWriter, r *http.Request, name, value string) {
	http.SetCookie(w, &http.Cookie{Name: cookieName(r, name), Value: value, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: isTLS(r), SameSite: http.SameSiteLaxMode})
}

// setSecretCookie sets a cookie that carries a bearer secret.
func setSecretCookie(w http.ResponseWriter, r *http.Request, name, value string, ttl time.Duration) {
	c := &http.Cookie{Name: cookieName(r, name), Value: value, Path: "/", HttpOnly: true, Secure: isTLS(r), SameSite: http.SameSiteLaxMode}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(ttl / time.Second)
	}
	http.SetCookie(w, c)
}

// isTLS tells whether the browser reached us over https: with an https
// public URL always; else over TLS to us, or as a trusted proxy says.
func isTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	ri, ok := r.Context().Value(ctxLogKey{}).(*requestInfo)
	if !ok {
		return false
	}
	if ri.https {
		return true
	}
	if !ri.peerTrusted {
		return false
	}
	proto := r.Header.Values("X-Forwarded-Proto")
	if len(proto) == 0 {
		return false
	}
	// The nearest proxy's word is the right-most.
	last := proto[len(proto)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.EqualFold(strings.TrimSpace(last), "https")
}

// clientIP is the client of r as clientOf decided it once for the request.
func clientIP(r *http.Request) string { return ClientIP(r.Context()) }
