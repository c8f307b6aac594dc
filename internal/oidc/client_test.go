package oidc

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	jose "github.com/go-jose/go-jose/v4"
)

// A provider that signs its ID token with the client secret (HS256): the
// real provider of the web tests cannot be made to, so this one is small
// and by hand. anshin must refuse the token whatever else is right in it.
func TestExchangeRefusesAlgorithmsOutsideTheList(t *testing.T) {
	const clientID, secret = "anshin", "client-secret-0123456789abcdef-0123456789"
	var issuer string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": issuer, "authorization_endpoint": issuer + "/auth",
			"token_endpoint": issuer + "/token", "jwks_uri": issuer + "/keys", "id_token_signing_alg_values_supported": []string{"HS256"}})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"keys":[]}`)) })
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(secret)}, nil)
		if err != nil {
			t.Error(err)
			return
		}
		now := time.Now()
		claims, _ := json.Marshal(map[string]any{"iss": issuer, "aud": clientID, "sub": "someone", "nonce": "the-nonce",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
		jws, err := signer.Sign(claims)
		if err != nil {
			t.Error(err)
			return
		}
		tok, _ := jws.CompactSerialize()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": tok})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	issuer = srv.URL
	c := New(Config{Issuer: issuer, ClientID: clientID, ClientSecret: secret, RedirectURL: "http://127.0.0.1/login/oidc/callback"})
	_, err := c.Exchange(context.Background(), "a-code", Request{State: "s", Nonce: "the-nonce", Verifier: strings.Repeat("v", 43)})
	if anshin.ErrorCode(err) != anshin.ECodeFederationToken || !strings.Contains(err.Error(), "HS256") {
		t.Fatalf("Exchange = %v, want federation_token_invalid naming HS256", err)
	}
}
