package web

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[string]int{
	anshin.ECodeInvalidRequest:           http.StatusBadRequest,
	anshin.ECodeInvalidField:             http.StatusUnprocessableEntity,
	anshin.ECodeBodyTooLarge:             http.StatusRequestEntityTooLarge,
	anshin.ECodeUnsupportedMedia:         http.StatusUnsupportedMediaType,
	anshin.ECodeNotFound:                 http.StatusNotFound,
	anshin.ECodeMethodNotAllowed:         http.StatusMethodNotAllowed,
	anshin.ECodeFlowNotFound:             http.StatusNotFound,
	anshin.ECodeFlowExpired:              http.StatusGone,
	anshin.ECodeFlowStep:                 http.StatusConflict,
	anshin.ECodeFederationUnavailable:    http.StatusServiceUnavailable,
	anshin.ECodeFederationDenied:         http.StatusForbidden,
	anshin.ECodeFederationState:          http.StatusBadRequest,
	anshin.ECodeFederationToken:          http.StatusUnauthorized,
	anshin.ECodeFederationError:          http.StatusBadGateway,
	anshin.ECodePasswordLoginDisabled:    http.StatusForbidden,
	anshin.ECodeUnauthorized:             http.StatusUnauthorized,
	anshin.ECodeForbidden:                http.StatusForbidden,
	anshin.ECodeCrossOriginRefused:       http.StatusForbidden,
	anshin.ECodeOperatorDisabled:         http.StatusNotFound,
	anshin.ECodeConflict:                 http.StatusConflict,
	anshin.ECodeInternal:                 http.StatusInternalServerError,
	anshin.ECodeUnavailable:              http.StatusServiceUnavailable,
	anshin.ECodeInvalidCredentials:       http.StatusUnauthorized,
	anshin.ECodeNotRegistered:            http.StatusForbidden,
	anshin.ECodeCarrierFree:              http.StatusUnprocessableEntity,
	anshin.ECodeEmailNotSet:              http.StatusUnprocessableEntity,
	anshin.ECodeMailNotificationDisabled: http.StatusUnprocessableEntity,
	anshin.ECodeMethodInvalid:            http.StatusUnprocessableEntity,
	anshin.ECodeRateLimited:              http.StatusTooManyRequests,
	anshin.ECodeGroupNotAllowed:          http.StatusForbidden,
	anshin.ECodeKeyInvalid:               http.StatusUnauthorized,
	anshin.ECodeKeyExpired:               http.StatusUnauthorized,
	anshin.ECodeKeyNotForGroup:           http.StatusForbidden,
	anshin.ECodeNewLoginRequired:         http.StatusForbidden,
	anshin.ECodeInitialPasswordInvalid:   http.StatusUnauthorized,
	anshin.ECodeInitialPasswordLocked:    http.StatusLocked,
	anshin.ECodePasskeyRefused:           http.StatusUnauthorized,
	anshin.ECodePasskeysOff:              http.StatusNotFound,
	anshin.ECodePasskeyRequired:          http.StatusForbidden,
}

// apiError is the JSON body of every error (SPEC §5).
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	Field      string     `json:"field,omitempty"`
	RetryAt    *time.Time `json:"retry_at,omitempty"`
	RetryAfter int        `json:"retry_after,omitempty"` // seconds
	Skipped    []string   `json:"skipped,omitempty"`
	// KeySentTo, with key_not_for_group: the masked destinations whose key
	// opens the chosen group.
	KeySentTo []string `json:"key_sent_to,omitempty"`
	// Fields, with invalid_field: every field at fault in the input (the
	// first is also Field and Message), so a client shows all at once.
	Fields []apiFieldError `json:"fields,omitempty"`
}

type apiFieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// domainError turns any error into an *anshin.Error fit to show: an
// unexpected one is logged with its details and becomes a bare internal.
func (s *Server) domainError(r *http.Request, err error) *anshin.Error {
	e := anshin.AsError(err)
	if e == nil || statusOf[e.Code] == 0 || e.Code == anshin.ECodeInternal {
		s.logOf(r).Error("request failed", "method", r.Method, "route", r.Pattern, "err", err)
		return &anshin.Error{Code: anshin.ECodeInternal}
	}
	return e
}

// errorText is the localized text of e for the request (Catalog.Error),
// in the console's words on the console's pages and API.
func (s *Server) errorText(r *http.Request, e *anshin.Error) string {
	return s.i18n.Error(langOf(r), e, inConsole(r), s.now())
}

// writeError is the one JSON error answer: err's status from statusOf and
// its localized text.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.domainError(r, err)
	body := apiErrorBody{Code: e.Code, Message: s.errorText(r, e), Field: e.Field}
	if e.Code == anshin.ECodeKeyNotForGroup {
		body.KeySentTo = e.Masked
	} else {
		body.Skipped = e.Masked
	}
	if len(e.Others) > 0 {
		for _, f := range append([]*anshin.Error{e}, e.Others...) {
			body.Fields = append(body.Fields, apiFieldError{Field: f.Field, Message: s.errorText(r, f)})
		}
	}
	if !e.RetryAt.IsZero() {
		at := e.RetryAt.UTC()
		body.RetryAt = &at
		body.RetryAfter = max(1, int(e.RetryAt.Sub(s.now()).Round(time.Second)/time.Second))
		w.Header().Set("Retry-After", strconv.Itoa(body.RetryAfter))
	}
	writeJSON(w, statusOf[e.Code], apiError{Error: body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Debug("writing a response failed", "err", err)
	}
}

// crossOriginRefused answers a request the browser sent from another site
// (http.CrossOriginProtection): the JSON error on the API, a page elsewhere.
func (s *Server) crossOriginRefused() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := anshin.Errorf(anshin.ECodeCrossOriginRefused, "cross-origin request refused")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			s.writeError(w, r, err)
			return
		}
		s.render(w, r, 0, "error", pageData{Title: "page.error", Path: "/"}, err)
	})
}
