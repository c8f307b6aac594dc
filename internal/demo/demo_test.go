package demo_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/demo"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/operator"
	"github.com/anshin/anshin/internal/secret"
	"github.com/anshin/anshin/internal/store/sqlstore"
)

var cheap = anshintest.CheapHasher()

// MustOpenDB opens a migrated SQLite file in a temporary folder.
func MustOpenDB(t *testing.T) *sqlstore.DB { t.Helper(); return anshintest.MustOpenDB(t) }

// clock advances by a few minutes at each reading, so the login service's
// cooldown between two keys never gets in the way.
type clock struct{ t time.Time }

func (c *clock) now() time.Time {
	c.t = c.t.Add(3 * time.Minute)
	return c.t
}

func loadTwice(t *testing.T) (*sqlstore.DB, *clock, []demo.Account) {
	t.Helper()
	db := MustOpenDB(t)
	c := &clock{t: time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)}
	p := operator.New(db, cheap, c.now)
	var accounts []demo.Account
	for i := range 2 {
		var err error
		if accounts, err = demo.Load(context.Background(), p, db); err != nil {
			t.Fatalf("load %d: %v", i+1, err)
		}
	}
	return db, c, accounts
}

func TestLoad(t *testing.T) {
	db, c, accounts := loadTwice(t)
	ctx := context.Background()
	if len(accounts) != 7 {
		t.Fatalf("%d demo accounts, want 7", len(accounts))
	}
	keys, err := secret.NewKeyring(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	svc := login.New(db, cheap, keys, c.now, login.Defaults(), nil)

	// methods logs in with the table's password and returns why each key
	// method is refused ("" when it is available).
	methods := func(t *testing.T, loginID string) (token, sms, email string) {
		t.Helper()
		var a demo.Account
		for _, x := range accounts {
			if x.LoginID == loginID {
				a = x
			}
		}
		token, err := svc.Start(ctx, a.LoginID, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		opts, err := svc.Password(ctx, token, a.Password, "192.0.2.1")
		if err != nil {
			t.Fatalf("password of %s: %v", loginID, err)
		}
		for _, o := range opts {
			switch o.Method {
			case anshin.MethodSMS:
				sms = o.Reason
			case anshin.MethodEmail:
				email = o.Reason
			}
		}
		return token, sms, email
	}
	admins := func(t *testing.T, loginID string) []*anshin.Administrator {
		t.Helper()
		var list []*anshin.Administrator
		if err := db.View(ctx, func(tx anshin.Tx) error {
			a, err := tx.AccountByLoginID(loginID)
			if err != nil {
				return err
			}
			list, err = tx.AdministratorsOfAccount(a.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return list
	}

	cases := []struct{ loginID, sms, email string }{
		{demo.RepresentativeID, "", ""},
		{demo.PendingAdminID, "", ""},
		{demo.CarrierFreeID, anshin.ECodeCarrierFree, ""},
		{demo.NoGroupID, anshin.ECodeNotRegistered, anshin.ECodeNotRegistered},
		{demo.NoEmailID, "", anshin.ECodeEmailNotSet},
		{demo.MailNotificationDisabledID, "", anshin.ECodeMailNotificationDisabled},
		{demo.MultiGroupID, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.loginID, func(t *testing.T) {
			_, sms, email := methods(t, tc.loginID)
			if sms != tc.sms || email != tc.email {
				t.Errorf("sms %q, e-mail %q; want %q, %q", sms, email, tc.sms, tc.email)
			}
		})
	}

	t.Run("representative's group has no CLOMO environment", func(t *testing.T) {
		token, _, _ := methods(t, demo.RepresentativeID)
		issued, err := svc.IssueKey(ctx, token, anshin.MethodSMS, "ja", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if len(issued.Groups) != 1 || issued.Groups[0].OrganizationName != nil {
			t.Errorf("groups %+v", issued.Groups)
		}
	})

	t.Run("initial password pending", func(t *testing.T) {
		list := admins(t, demo.PendingAdminID)
		if len(list) != 1 || !list[0].NeedsInitialPassword() {
			t.Fatalf("administrators %+v", list)
		}
		if ok, _ := cheap.Verify(ctx, demo.InitialPassword, list[0].InitialPasswordHash); !ok {
			t.Error("the table's initial password does not verify")
		}
	})

	t.Run("no group", func(t *testing.T) {
		if list := admins(t, demo.NoGroupID); len(list) != 0 {
			t.Errorf("administrators %+v", list)
		}
	})

	t.Run("disabled address is suppressed", func(t *testing.T) {
		var got map[string]bool
		db.View(ctx, func(tx anshin.Tx) error {
			var err error
			got, err = tx.MailNotificationDisabled([]string{demo.MailNotificationDisabledAddress})
			return err
		})
		if !got[demo.MailNotificationDisabledAddress] {
			t.Error("not suppressed")
		}
	})

	t.Run("three groups", func(t *testing.T) {
		list := admins(t, demo.MultiGroupID)
		if len(list) != 3 {
			t.Fatalf("%d groups, want 3", len(list))
		}
		roles := map[anshin.Role]int{}
		for _, a := range list {
			roles[a.Role]++
			if a.NeedsInitialPassword() {
				t.Errorf("group %s still asks the initial password", a.GroupID)
			}
		}
		if roles[anshin.RoleRepresentative] != 1 || roles[anshin.RoleAdmin] != 2 {
			t.Errorf("roles %v", roles)
		}
		token, _, _ := methods(t, demo.MultiGroupID)
		issued, err := svc.IssueKey(ctx, token, anshin.MethodEmail, "ja", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		named := 0
		for _, g := range issued.Groups {
			if g.OrganizationName != nil {
				named++
			}
		}
		if len(issued.Groups) != 3 || named != 2 {
			t.Errorf("groups %+v", issued.Groups)
		}
		// Two groups' administrator e-mails, and the third group's two
		// contact e-mails: a key each.
		if len(issued.SentTo) != 4 {
			t.Errorf("sent to %v", issued.SentTo)
		}
	})
}

func TestPrint(t *testing.T) {
	_, _, accounts := loadTwice(t)
	var b strings.Builder
	demo.Print(&b, "http://127.0.0.1:8080/", accounts)
	out := b.String()
	for _, want := range []string{"http://127.0.0.1:8080/", "http://127.0.0.1:8080/dev/outbox", "LOGIN ID", demo.MultiGroupID, demo.InitialPassword, demo.Password} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	t.Log("\n" + out)
}
