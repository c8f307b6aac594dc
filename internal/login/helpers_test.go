package login_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/secret"
	"github.com/anshin/anshin/internal/store/sqlstore"
)

// t0 is where the injected clock starts. It is a whole second because the
// store keeps milliseconds and the tests compare times exactly.
var t0 = time.Date(2025, time.April, 1, 0, 0, 0, 0, time.UTC)

const clientIP = "192.0.2.10"

// testClock is the injected clock; only the test moves it.
type testClock = anshintest.Clock

// keyRecorder generates keys from the CSPRNG, as production does, and
// remembers them so a test knows the key it must enter.
type keyRecorder struct {
	mu   sync.Mutex
	keys []string
}

func (r *keyRecorder) generate(n int) string {
	k := secret.NewDigits(n)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = append(r.keys, k)
	return k
}

func (r *keyRecorder) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.keys) == 0 {
		return ""
	}
	return r.keys[len(r.keys)-1]
}

// fixture is a login service on a real SQLite file with an injected clock,
// known keys and an outbox worker that delivers into a DevOutbox.
type fixture struct {
	t      *testing.T
	ctx    context.Context
	path   string
	db     *sqlstore.DB
	hasher *secret.Hasher
	keys   *secret.Keyring
	clock  *testClock
	gen    *keyRecorder
	cfg    login.Config
	svc    *login.Service
	outbox *delivery.DevOutbox
	worker *delivery.Worker
}

// newFixture opens and migrates a fresh database; tweaks adjust the SPEC's
// default limits.
func newFixture(t *testing.T, tweaks ...func(*login.Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "anshin.db")
	db := anshintest.MustOpenDBAt(t, path)
	keys, err := secret.NewKeyring(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	cfg := login.Defaults()
	for _, tweak := range tweaks {
		tweak(&cfg)
	}
	f := &fixture{
		t:      t,
		ctx:    ctx,
		path:   path,
		db:     db,
		hasher: anshintest.CheapHasher(),
		keys:   keys,
		clock:  anshintest.NewClock(t0),
		gen:    &keyRecorder{},
		cfg:    cfg,
		outbox: delivery.NewDevOutbox(1000),
	}
	f.svc = login.New(db, f.hasher, keys, f.clock.Now, cfg, nil)
	f.svc.SetKeyGenerator(f.gen.generate)
	senders := map[anshin.Method]delivery.Sender{anshin.MethodSMS: f.outbox, anshin.MethodEmail: f.outbox}
	f.worker = delivery.NewWorker(db, keys, f.clock.Now, senders, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return f
}

// Provisioning, straight through the store.

func (f *fixture) update(fn func(tx anshin.Tx) error) {
	f.t.Helper()
	if err := f.db.Update(f.ctx, fn); err != nil {
		f.t.Fatalf("provision: %v", err)
	}
}

func (f *fixture) view(fn func(tx anshin.Tx) error) {
	f.t.Helper()
	if err := f.db.View(f.ctx, fn); err != nil {
		f.t.Fatalf("read store: %v", err)
	}
}

func (f *fixture) hash(password string) string {
	f.t.Helper()
	h, err := f.hasher.Hash(f.ctx, password)
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

// addAccount adds an account; line "" makes it carrier-free.
func (f *fixture) addAccount(loginID, password, line string, contacts ...string) *anshin.Account {
	f.t.Helper()
	a := &anshin.Account{ID: "acct-" + loginID, LoginID: loginID, Kind: anshin.KindBusinessDAccount,
		PasswordHash: f.hash(password), DocomoLine: line, ContactEmails: contacts, CreatedAt: t0, UpdatedAt: t0}
	f.update(func(tx anshin.Tx) error { return tx.PutAccount(a) })
	return a
}

func (f *fixture) addGroup(id, representativeNumber string) {
	f.t.Helper()
	g := &anshin.ContractGroup{ID: id, ManagementNumber: "MN-" + id, RepresentativeNumber: representativeNumber,
		Contract: anshin.Contract{Plan: "standard", Licenses: 10, StartDate: "2025-01-01", Status: "active"}, CreatedAt: t0, UpdatedAt: t0}
	f.update(func(tx anshin.Tx) error { return tx.PutGroup(g) })
}

func (f *fixture) setCLOMO(groupID, organization string) {
	f.t.Helper()
	f.update(func(tx anshin.Tx) error {
		return tx.PutCLOMO(groupID, &anshin.CLOMOEnvironment{OrganizationName: organization, TimeZone: "Asia/Tokyo"}, t0)
	})
}

// addAdmin registers a in the group with its first login already done.
func (f *fixture) addAdmin(groupID string, a *anshin.Account, role anshin.Role, email string) {
	f.t.Helper()
	ad := &anshin.Administrator{GroupID: groupID, AccountID: a.ID, Role: role, Name: a.LoginID, Email: email,
		FirstLoginDone: true, CreatedAt: t0, UpdatedAt: t0}
	f.update(func(tx anshin.Tx) error { return tx.PutAdministrator(ad) })
}

// addNewAdmin registers a in the group as an admin who has not logged in
// yet and must present initialPassword.
func (f *fixture) addNewAdmin(groupID string, a *anshin.Account, role anshin.Role, email, initialPassword string) {
	f.t.Helper()
	ad := &anshin.Administrator{GroupID: groupID, AccountID: a.ID, Role: role, Name: a.LoginID, Email: email,
		InitialPasswordHash: f.hash(initialPassword), CreatedAt: t0, UpdatedAt: t0}
	f.update(func(tx anshin.Tx) error { return tx.PutAdministrator(ad) })
}

func (f *fixture) disableMail(addresses ...string) {
	f.t.Helper()
	f.update(func(tx anshin.Tx) error {
		for _, a := range addresses {
			if err := tx.PutMailNotificationDisabled(&anshin.MailNotificationDisabled{Address: a, Reason: "5.1.1 no such user", At: t0}); err != nil {
				return err
			}
		}
		return nil
	})
}

// The usual cast: taro is the representative of g1, with a docomo line, a
// contact e-mail and an administrator e-mail.
const (
	taroID       = "taro-yamada"
	taroPassword = "Tar0-Yamada!pass"
	taroLine     = "+819012345678"
	taroContact  = "taro.contact@example.jp"
	taroAdminTo  = "taro.admin@example.jp"
)

func (f *fixture) taro() *anshin.Account {
	f.t.Helper()
	a := f.addAccount(taroID, taroPassword, taroLine, taroContact)
	f.addGroup("g1", "+81312345678")
	f.addAdmin("g1", a, anshin.RoleRepresentative, taroAdminTo)
	return a
}

// Flow steps that must succeed.

func (f *fixture) start(loginID string) string {
	f.t.Helper()
	token, err := f.svc.Start(f.ctx, loginID, clientIP)
	if err != nil {
		f.t.Fatalf("Start(%q): %v", loginID, err)
	}
	return token
}

// toKeyStep starts a flow and passes the password step.
func (f *fixture) toKeyStep(loginID, password string) string {
	f.t.Helper()
	token := f.start(loginID)
	if _, err := f.svc.Password(f.ctx, token, password, clientIP); err != nil {
		f.t.Fatalf("Password for %q: %v", loginID, err)
	}
	return token
}

// issue issues a key and returns it with the key the user receives.
func (f *fixture) issue(token string, m anshin.Method) (*login.Issued, string) {
	f.t.Helper()
	iss, err := f.svc.IssueKey(f.ctx, token, m, "ja", clientIP)
	if err != nil {
		f.t.Fatalf("IssueKey(%s) at %s: %v", m, f.clock.Now().Sub(t0), err)
	}
	return iss, f.gen.last()
}

func (f *fixture) verify(token, key, groupID string) (*login.Result, error) {
	return f.svc.Verify(f.ctx, token, key, groupID, clientIP)
}

// mustSignIn runs a whole login by SMS into groupID, without the initial
// password step, and returns the session token. The caller keeps the clock
// clear of the key cooldown.
func (f *fixture) mustSignIn(loginID, password, groupID string) string {
	f.t.Helper()
	token := f.toKeyStep(loginID, password)
	_, key := f.issue(token, anshin.MethodSMS)
	res, err := f.verify(token, key, groupID)
	if err != nil {
		f.t.Fatalf("Verify: %v", err)
	}
	if res.Next != anshin.StepDone || res.SessionToken == "" {
		f.t.Fatalf("Verify = %+v, want next done with a session token", res)
	}
	return res.SessionToken
}

// Reading state back.

func (f *fixture) account(id string) *anshin.Account {
	f.t.Helper()
	var a *anshin.Account
	f.view(func(tx anshin.Tx) (err error) { a, err = tx.AccountByID(id); return err })
	return a
}

func (f *fixture) administrator(groupID, accountID string) *anshin.Administrator {
	f.t.Helper()
	var a *anshin.Administrator
	f.view(func(tx anshin.Tx) (err error) { a, err = tx.Administrator(groupID, accountID); return err })
	return a
}

// deliveries returns the flow's outbox rows, oldest first.
func (f *fixture) deliveries(token string) []*anshin.Delivery {
	f.t.Helper()
	var ds []*anshin.Delivery
	f.view(func(tx anshin.Tx) (err error) { ds, err = tx.FlowDeliveries(secret.TokenID(token)); return err })
	return ds
}

func (f *fixture) key(id string) *anshin.OneTimeKey {
	f.t.Helper()
	var k *anshin.OneTimeKey
	f.view(func(tx anshin.Tx) (err error) { k, err = tx.Key(id); return err })
	return k
}

// deliver runs the outbox worker until nothing is due and returns the
// messages it sent, oldest first.
func (f *fixture) deliver() []delivery.Message {
	f.t.Helper()
	return anshintest.Deliver(f.t, f.worker, f.outbox)
}

func keyIn(t *testing.T, body string) string { t.Helper(); return anshintest.KeyIn(t, body) }

// wantCode fails unless err is an *anshin.Error with code, and returns it.
func wantCode(t *testing.T, err error, code string) *anshin.Error {
	t.Helper()
	if got := anshin.ErrorCode(err); got != code {
		t.Fatalf("got error %v (code %q), want code %q", err, got, code)
	}
	return anshin.AsError(err)
}

// wrongKey returns a key that differs from k in its last digit.
func wrongKey(k string) string {
	last := k[len(k)-1]
	return k[:len(k)-1] + string('0'+(last-'0'+1)%10)
}

// fullWidth writes the ASCII digits of s as full-width digits.
func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '０' + (r - '0')
		}
		return r
	}, s)
}

func masked(addrs ...string) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = anshin.MaskEmail(a)
	}
	return out
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// gatedStore lets a test hold one request between its read (View) and its
// write (Update): the window in which concurrent requests overlap, made
// deterministic.
type gatedStore struct{ anshin.Store }

type gateKey struct{}

type gate struct {
	readOnce sync.Once
	read     chan struct{} // closed once the request has read
	write    chan struct{} // closed by the test to let it write
}

func (s gatedStore) View(ctx context.Context, fn func(tx anshin.Tx) error) error {
	err := s.Store.View(ctx, fn)
	if g, ok := ctx.Value(gateKey{}).(*gate); ok {
		g.readOnce.Do(func() { close(g.read) })
	}
	return err
}

func (s gatedStore) Update(ctx context.Context, fn func(tx anshin.Tx) error) error {
	if g, ok := ctx.Value(gateKey{}).(*gate); ok {
		<-g.write
	}
	return s.Store.Update(ctx, fn)
}

// hold starts call on a service over the same database and returns once
// the call has done its reads; release lets it write and returns its error.
func (f *fixture) hold(call func(ctx context.Context, svc *login.Service) error) (release func() error) {
	f.t.Helper()
	g := &gate{read: make(chan struct{}), write: make(chan struct{})}
	svc := login.New(gatedStore{f.db}, f.hasher, f.keys, f.clock.Now, f.cfg, nil)
	done := make(chan error, 1)
	go func() { done <- call(context.WithValue(f.ctx, gateKey{}, g), svc) }()
	select {
	case <-g.read:
	case err := <-done:
		f.t.Fatalf("the held call ended before reading: %v", err)
	}
	return func() error {
		close(g.write)
		return <-done
	}
}
