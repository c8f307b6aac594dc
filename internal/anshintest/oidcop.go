package anshintest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The upstream OpenID Provider of the federation tests is zitadel's, as its
// example server runs it (exampleop, with its login page), on a storage
// that lets a test choose the signing key (rotation, forgery) and spoil
// what the ID token says (audience, nonce).

const (
	OPClientID     = "anshin"
	OPClientSecret = "anshin-client-secret"
	OPPassword     = "verysecure"
)

// opUsers are the provider's users; a user's ID is its sub.
type opUsers map[string]*storage.User

func (u opUsers) GetUserByID(id string) *storage.User { return u[id] }
func (u opUsers) GetUserByUsername(name string) *storage.User {
	for _, x := range u {
		if x.Username == name {
			return x
		}
	}
	return nil
}
func (u opUsers) ExampleClientID() string { return storage.ServiceUserID }

type RSAKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k *RSAKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *RSAKey) Key() any                                    { return k.key }
func (k *RSAKey) ID() string                                  { return k.id }

type rsaPublic struct{ *RSAKey }

func (k rsaPublic) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k rsaPublic) Use() string                        { return "sig" }
func (k rsaPublic) Key() any                           { return &k.key.PublicKey }

func NewRSAKey(t *testing.T, id string) *RSAKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &RSAKey{id: id, key: k}
}

// opStorage is the example storage with the test's keys and spoilers.
type OPStorage struct {
	*storage.Storage
	mu        sync.Mutex
	Signer    *RSAKey
	Published []*RSAKey
	// otherClient: the code is redeemed as otherClientID, whose ID token
	// anshin then receives (aud another client).
	OtherClient bool
	Nonce       string // non-empty: the ID token's nonce
}

const otherClientID, otherClientSecret = "another-client", "another-client-secret"

func (s *OPStorage) SigningKey(context.Context) (op.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Signer, nil
}

func (s *OPStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *OPStorage) KeySet(context.Context) ([]op.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []op.Key
	for _, k := range s.Published {
		keys = append(keys, rsaPublic{k})
	}
	return keys, nil
}

func (s *OPStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	ar, err := s.Storage.AuthRequestByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return spoiled{AuthRequest: ar, otherClient: s.OtherClient, nonce: s.Nonce}, nil
}

// rotate signs with a new key from now on and publishes only that one.
func (s *OPStorage) Rotate(k *RSAKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Signer, s.Published = k, []*RSAKey{k}
}

func (s *OPStorage) Spoil(f func(*OPStorage)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

type spoiled struct {
	op.AuthRequest
	otherClient bool
	nonce       string
}

func (a spoiled) GetClientID() string {
	if a.otherClient {
		return otherClientID
	}
	return a.AuthRequest.GetClientID()
}

func (a spoiled) GetAudience() []string {
	if a.otherClient {
		return []string{otherClientID}
	}
	return a.AuthRequest.GetAudience()
}

func (a spoiled) GetNonce() string {
	if a.nonce != "" {
		return a.nonce
	}
	return a.AuthRequest.GetNonce()
}

// testOP is a running provider.
type OP struct {
	URL     string
	Storage *OPStorage
	srv     *httptest.Server
	// Hold, when set, makes the token endpoint wait until it is closed.
	Hold chan struct{}
}

// NewOP starts a provider whose users are the given login IDs (each
// its sub, with the password OPPassword) and whose client anshin is,
// with redirectURI.
func NewOP(t *testing.T, redirectURI string, subs ...string) *OP {
	t.Helper()
	return NewOPAt(t, "127.0.0.1:0", redirectURI, subs...)
}

// NewOPAt is NewOP listening on addr: a test that started anshin before
// its provider chose the address first.
func NewOPAt(t *testing.T, addr, redirectURI string, subs ...string) *OP {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	users := opUsers{}
	for _, sub := range subs {
		users[sub] = &storage.User{ID: sub, Username: sub + "@op", Password: OPPassword}
	}
	clients := map[string]*storage.Client{OPClientID: storage.WebClient(OPClientID, OPClientSecret, redirectURI),
		otherClientID: storage.WebClient(otherClientID, otherClientSecret, redirectURI)}
	k := NewRSAKey(t, "key-1")
	st := &OPStorage{Storage: storage.NewStorageWithClients(users, clients), Signer: k, Published: []*RSAKey{k}}
	o := &OP{URL: issuer, Storage: st}
	// Its request log would fill the test's output; the example sets it
	// as the default logger.
	router := exampleop.SetupServer(issuer, st, slog.New(slog.DiscardHandler), false)
	o.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st.mu.Lock()
		other := st.OtherClient
		st.mu.Unlock()
		if other && strings.HasSuffix(r.URL.Path, "/token") {
			r.SetBasicAuth(otherClientID, otherClientSecret)
		}
		if o.Hold != nil && strings.HasSuffix(r.URL.Path, "/token") {
			select {
			case <-o.Hold:
			case <-r.Context().Done():
			}
		}
		router.ServeHTTP(w, r)
	}))
	o.srv.Listener.Close()
	o.srv.Listener = ln
	o.srv.Start()
	t.Cleanup(o.srv.Close)
	return o
}

// Close stops the provider: it is down.
func (o *OP) Close() { o.srv.Close() }
