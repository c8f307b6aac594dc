package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"unicode/utf8"

	"github.com/anshin/anshin/internal/anshin"
)

// maxBody is the largest JSON body anshin reads.
const maxBody = 64 << 10

// decode reads a JSON object into v strictly: a size limit, UTF-8 only,
// no unknown fields, no trailing data, and every problem a 4xx code.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return anshin.Errorf(anshin.ECodeUnsupportedMedia, "send application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return anshin.Errorf(anshin.ECodeBodyTooLarge, "the body is larger than %d bytes", maxBody)
	}
	if err != nil {
		return anshin.Errorf(anshin.ECodeInvalidRequest, "the body could not be read")
	}
	if !utf8.Valid(body) {
		return anshin.Errorf(anshin.ECodeInvalidRequest, "the body is not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	// More would let a stray '}' or ']' through; only white space may follow.
	if _, err := dec.Token(); err != io.EOF {
		return anshin.Errorf(anshin.ECodeInvalidRequest, "the body holds more than one JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return &anshin.Error{Code: anshin.ECodeInvalidRequest, Field: typeErr.Field, Message: fmt.Sprintf("%s must be a %s", typeErr.Field, typeErr.Type)}
	case errors.As(err, &syntaxErr):
		return anshin.Errorf(anshin.ECodeInvalidRequest, "the body is not valid JSON (offset %d)", syntaxErr.Offset)
	case errors.Is(err, io.EOF):
		return anshin.Errorf(anshin.ECodeInvalidRequest, "the body is empty")
	}
	return anshin.Errorf(anshin.ECodeInvalidRequest, "the body is not valid: %v", err)
}

// readRaw reads a body that is verified as it came (a provider's signed
// post), up to limit bytes, as UTF-8.
func readRaw(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, anshin.Errorf(anshin.ECodeBodyTooLarge, "the body is larger than %d bytes", limit)
	}
	if err != nil {
		return nil, anshin.Errorf(anshin.ECodeInvalidRequest, "the body could not be read")
	}
	if !utf8.Valid(body) {
		return nil, anshin.Errorf(anshin.ECodeInvalidRequest, "the body is not UTF-8")
	}
	return body, nil
}
