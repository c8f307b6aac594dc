// Package anshin holds the product's domain: accounts, contract groups,
// administrators, login flows, one-time keys and deliveries, the error codes
// every layer speaks, and the store interface. It imports only the standard
// library so that every other package can depend on it.
package anshin

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. They are part of the product contract (SPEC §2, §5): API
// clients match on them, so never rename one.
const (
	ECodeInvalidRequest   = "invalid_request"
	ECodeInvalidField     = "invalid_field"
	ECodeBodyTooLarge     = "body_too_large"
	ECodeUnsupportedMedia = "unsupported_media_type"
	ECodeMethodNotAllowed = "method_not_allowed"
	ECodeNotFound         = "not_found"
	ECodeFlowNotFound     = "flow_not_found"
	ECodeFlowExpired      = "flow_expired"
	ECodeFlowStep         = "flow_step_invalid"
	ECodeUnauthorized     = "unauthorized"
	ECodeForbidden        = "forbidden"
	ECodeOperatorDisabled = "operator_api_disabled"
	ECodeConflict         = "conflict"
	ECodeInternal         = "internal"
	ECodeUnavailable      = "unavailable"

	ECodeInvalidCredentials       = "invalid_credentials"
	ECodeNotRegistered            = "not_registered"
	ECodeCarrierFree              = "carrier_free"
	ECodeEmailNotSet              = "email_not_set"
	ECodeMailNotificationDisabled = "mail_notification_disabled"
	ECodeRateLimited              = "rate_limited"
	ECodeGroupNotAllowed          = "group_not_allowed"
	ECodeKeyInvalid               = "key_invalid"
	ECodeKeyExpired               = "key_expired"
	ECodeKeyNotForGroup           = "key_not_for_group"
	ECodeNewLoginRequired         = "new_login_required"
	ECodeInitialPasswordInvalid   = "initial_password_invalid"
	ECodeInitialPasswordLocked    = "initial_password_locked"
	ECodeMethodInvalid            = "method_invalid"
	// ECodePasskeyRefused: a passkey ceremony failed (wrong origin or RP
	// ID, a challenge used or expired, no user verification, a sign count
	// that went back, another account's credential); the client learns no
	// more than that.
	ECodePasskeyRefused = "passkey_refused"
	// ECodePasskeysOff: the server runs without passkeys.
	ECodePasskeysOff = "passkeys_unavailable"
	// ECodePasskeyRequired: the group requires passkeys; a one-time key
	// only registers a first one.
	ECodePasskeyRequired = "passkey_required"
)

// Upstream OpenID Connect (SPEC §2): why a federated login failed, and the
// built-in password step switched off (ANSHIN_PASSWORD_LOGIN=off).
const (
	ECodeFederationUnavailable = "federation_unavailable" // provider down, slow or unreachable
	ECodeFederationDenied      = "federation_denied"      // the user refused consent (access_denied)
	ECodeFederationState       = "federation_state_invalid"
	ECodeFederationToken       = "federation_token_invalid" // expired, forged, wrong audience or nonce
	ECodeFederationError       = "federation_error"         // the provider answered with an error
	ECodePasswordLoginDisabled = "password_login_disabled"
)

// ECodeCrossOriginRefused: a browser sent the request from another site
// (Sec-Fetch-Site / Origin), which the server refuses.
const ECodeCrossOriginRefused = "cross_origin_refused"

// Error is the one error type the domain returns to its callers. The web
// layer maps Code to an HTTP status and to localized text; Message is an
// English detail for logs and CLI users.
type Error struct {
	Code    string
	Field   string    // the input field at fault, when there is one
	Message string    // English, for logs and the command line
	RetryAt time.Time // with rate_limited: when trying again may succeed
	Limit   string    // with rate_limited: which limit refused (metrics), e.g. sms_per_number
	// Missing, with invalid_field: the field was required and left empty,
	// which the page says differently from a wrong value.
	Missing bool
	// Others, with invalid_field: the further fields of the same input at
	// fault, so that a form can show every error at once.
	Others []*Error
	// Masked addresses: with mail_notification_disabled the skipped ones,
	// with key_not_for_group those whose key opens the chosen group.
	Masked []string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s (%s): %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FlowMoved is the error of a request for a step its login flow has
// left: a concurrent request moved the flow on first.
func FlowMoved() *Error {
	return Errorf(ECodeFlowStep, "the login flow moved on in another request")
}

// KeyUsed is the error of a one-time key used or invalidated by the time
// a request came to use it.
func KeyUsed() *Error {
	return &Error{Code: ECodeKeyInvalid, Field: "key", Message: "the key was already used"}
}

// FieldError returns an invalid_field error naming the field at fault.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: ECodeInvalidField, Field: field, Message: fmt.Sprintf(format, args...)}
}

// FieldErrors joins the checks of one input's fields: nil when all passed,
// else the first failure with the other field errors in Others. An error
// that is not a field error wins alone.
func FieldErrors(errs ...error) error {
	var first *Error
	for _, err := range errs {
		if err == nil {
			continue
		}
		e := AsError(err)
		if e == nil || e.Code != ECodeInvalidField {
			return err
		}
		if first == nil {
			first = e
		} else {
			first.Others = append(first.Others, e)
		}
	}
	if first == nil {
		return nil
	}
	return first
}

// ErrorCode returns the code of err, or internal for anything that is not an
// *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return ECodeInternal
}

// AsError returns err as *Error, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
