package web

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// RequestIDHeader carries a request's ID: taken from the client or a proxy
// when it is short and plain, else made here, and always answered.
const RequestIDHeader = "X-Request-ID"

type ctxLogKey struct{}

// requestInfo is filled in as a request goes down the handlers: the route
// is only known once the mux has matched it.
type requestInfo struct {
	log         *slog.Logger
	clientIP    string // as clientOf decided
	peerTrusted bool   // the socket's peer is a trusted proxy
	https       bool   // the public URL is https: __Host- cookies
	pattern     string
}

// Logger returns the logger of the request ctx belongs to (every line
// carries its request_id), or fallback outside a request.
func Logger(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if ri, ok := ctx.Value(ctxLogKey{}).(*requestInfo); ok {
		return ri.log
	}
	return fallback
}

// ClientIP returns the client address of the request ctx belongs to (see
// clientOf), or "".
func ClientIP(ctx context.Context) string {
	if ri, ok := ctx.Value(ctxLogKey{}).(*requestInfo); ok {
		return ri.clientIP
	}
	return ""
}

// logOf is the logger of r.
func (s *Server) logOf(r *http.Request) *slog.Logger { return Logger(r.Context(), s.log) }

// requestLog gives the request an ID, a logger that names it, and one
// line when it is done. The line names the route pattern, never the path:
// a path can hold a flow ID, which is a bearer secret.
func (s *Server) requestLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !plainRequestID(id) {
			id = rand.Text()
		}
		w.Header().Set(RequestIDHeader, id)
		ri := &requestInfo{log: s.log.With("request_id", id), https: s.https}
		ri.clientIP, ri.peerTrusted = clientOf(r, s.TrustedProxies)
		rec := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), ctxLogKey{}, ri)))
		level := slog.LevelInfo
		if quietRoute(ri.pattern) {
			level = slog.LevelDebug
		}
		ri.log.Log(r.Context(), level, "request", "method", r.Method, "route", ri.pattern, "status", rec.status(),
			"bytes", rec.bytes, "duration_ms", float64(time.Since(start).Microseconds())/1000, "client_ip", ri.clientIP)
	})
}

// notePattern records the route the mux matched, for requestLog's line.
func notePattern(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if ri, ok := r.Context().Value(ctxLogKey{}).(*requestInfo); ok {
			ri.pattern = r.Pattern // the mux sets it on the request it was given
		}
	})
}

// quietRoute is a route polled by machines or fetched with every page:
// logged at debug level only.
func quietRoute(pattern string) bool {
	return strings.HasPrefix(pattern, "GET /static/") || strings.HasSuffix(pattern, "/healthz") ||
		strings.HasSuffix(pattern, "/readyz") || strings.HasSuffix(pattern, "/metrics")
}

// plainRequestID accepts 1 to 64 letters, digits, '-', '_', '.' and ':' —
// nothing that could forge a log line or a header.
func plainRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':'
		if !ok {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status and size of an answer.
type statusRecorder struct {
	http.ResponseWriter
	code  int
	bytes int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusRecorder) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
