package operator_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/operator"
	"github.com/anshin/anshin/internal/store/sqlstore"
)

var cheap = anshintest.CheapHasher()

// MustOpenDB opens a migrated SQLite file in a temporary folder.
func MustOpenDB(t *testing.T) *sqlstore.DB { t.Helper(); return anshintest.MustOpenDB(t) }

func newService(t *testing.T) (*operator.Service, *sqlstore.DB) {
	db := MustOpenDB(t)
	now := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	return operator.New(db, cheap, func() time.Time { return now }), db
}

var (
	goodAccount = operator.AccountInput{Kind: "d_account", Password: "correct-horse-1", DocomoLine: "090-1234-5678", ContactEmails: []string{"taro@example.jp"}}
	goodGroup   = operator.GroupInput{ManagementNumber: "N0000001", RepresentativeNumber: "03-1234-5678",
		Contract: anshin.Contract{Plan: "あんしんマネージャー NEXT", Licenses: 50, StartDate: "2024-04-01"}}
	goodAdmin = operator.AdminInput{Role: "admin", Name: "山田 太郎", Email: "yamada@example.co.jp", InitialPassword: "Init2345x"}
	goodCLOMO = anshin.CLOMOEnvironment{OrganizationName: "株式会社あんしん商事"}
)

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	e := anshin.AsError(err)
	if e == nil || e.Code != anshin.ECodeInvalidField || e.Field != field {
		t.Fatalf("got %v, want invalid_field on %q", err, field)
	}
	if e.Message == "" {
		t.Fatalf("invalid_field on %q without a message", field)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := anshin.ErrorCode(err); got != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}

func account(t *testing.T, db anshin.Store, loginID string) *anshin.Account {
	t.Helper()
	var a *anshin.Account
	if err := db.View(context.Background(), func(tx anshin.Tx) error {
		var err error
		a, err = tx.AccountByLoginID(loginID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return a
}

func administrator(t *testing.T, db anshin.Store, groupID, loginID string) *anshin.Administrator {
	t.Helper()
	a := account(t, db, loginID)
	var adm *anshin.Administrator
	if err := db.View(context.Background(), func(tx anshin.Tx) error {
		var err error
		adm, err = tx.Administrator(groupID, a.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return adm
}

func TestAccountValidation(t *testing.T) {
	p, _ := newService(t)
	ctx := context.Background()
	tests := []struct {
		name, loginID, field string
		edit                 func(*operator.AccountInput)
	}{
		{"empty login ID", "  ", "login_id", nil},
		{"login ID with a space", "taro yamada", "login_id", nil},
		{"login ID with a control character", "taro\x01", "login_id", nil},
		{"login ID too long", strings.Repeat("a", 129), "login_id", nil},
		{"kind missing", "taro", "kind", func(in *operator.AccountInput) { in.Kind = "" }},
		{"kind unknown", "taro", "kind", func(in *operator.AccountInput) { in.Kind = "au_id" }},
		{"password missing on create", "taro", "password", func(in *operator.AccountInput) { in.Password = "" }},
		{"password too short", "taro", "password", func(in *operator.AccountInput) { in.Password = "short1" }},
		{"password too long", "taro", "password", func(in *operator.AccountInput) { in.Password = strings.Repeat("x", 1025) }},
		{"docomo line a landline", "taro", "docomo_line", func(in *operator.AccountInput) { in.DocomoLine = "03-1234-5678" }},
		{"docomo line too short", "taro", "docomo_line", func(in *operator.AccountInput) { in.DocomoLine = "090-1234-567" }},
		{"docomo line foreign", "taro", "docomo_line", func(in *operator.AccountInput) { in.DocomoLine = "+14155552671" }},
		{"docomo line with letters", "taro", "docomo_line", func(in *operator.AccountInput) { in.DocomoLine = "090-ABCD-5678" }},
		{"contact e-mail with a name", "taro", "contact_emails[1]", func(in *operator.AccountInput) {
			in.ContactEmails = []string{"a@example.jp", "Taro <taro@example.jp>"}
		}},
		{"contact e-mail without a dotted domain", "taro", "contact_emails[0]", func(in *operator.AccountInput) { in.ContactEmails = []string{"taro@localhost"} }},
		{"contact e-mail without @", "taro", "contact_emails[0]", func(in *operator.AccountInput) { in.ContactEmails = []string{"taro.example.jp"} }},
		{"contact e-mail empty", "taro", "contact_emails[0]", func(in *operator.AccountInput) { in.ContactEmails = []string{""} }},
		{"contact e-mail too long", "taro", "contact_emails[0]", func(in *operator.AccountInput) {
			in.ContactEmails = []string{strings.Repeat("a", 250) + "@example.jp"}
		}},
		{"too many contact e-mails", "taro", "contact_emails", func(in *operator.AccountInput) {
			in.ContactEmails = nil
			for i := range 11 {
				in.ContactEmails = append(in.ContactEmails, string(rune('a'+i))+"@example.jp")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodAccount
			in.ContactEmails = append([]string(nil), goodAccount.ContactEmails...)
			if tt.edit != nil {
				tt.edit(&in)
			}
			_, err := p.PutAccount(ctx, tt.loginID, in)
			wantField(t, err, tt.field)
		})
	}
}

func TestPutAccount(t *testing.T) {
	p, db := newService(t)
	ctx := context.Background()
	in := operator.AccountInput{Kind: "business_d_account", Password: "correct-horse-1", DocomoLine: "０９０－１２３４－５６７８",
		ContactEmails: []string{" Taro@Example.jp ", "taro@example.jp", "hanako@example.co.jp"}}
	created, err := p.PutAccount(ctx, "ｔａｒｏ", in)
	if err != nil || !created {
		t.Fatalf("first put: created=%v err=%v", created, err)
	}
	a := account(t, db, "taro")
	if a.DocomoLine != "+819012345678" {
		t.Errorf("docomo line %q, want +819012345678", a.DocomoLine)
	}
	if got := strings.Join(a.ContactEmails, ","); got != "Taro@Example.jp,hanako@example.co.jp" {
		t.Errorf("contact e-mails %q", got)
	}
	if ok, _ := cheap.Verify(ctx, "correct-horse-1", a.PasswordHash); !ok {
		t.Error("password does not verify")
	}

	// Again, without a password: the same account, the same hash.
	in.Password = ""
	created, err = p.PutAccount(ctx, "taro", in)
	if err != nil || created {
		t.Fatalf("second put: created=%v err=%v", created, err)
	}
	b := account(t, db, "taro")
	if b.ID != a.ID || b.PasswordHash != a.PasswordHash || b.DocomoLine != a.DocomoLine || len(b.ContactEmails) != 2 {
		t.Errorf("re-put changed the account: %+v → %+v", a, b)
	}

	// A new password is rehashed; dropping the line makes it carrier-free.
	in.Password, in.DocomoLine, in.ContactEmails = "another-pass-2", "", nil
	if _, err := p.PutAccount(ctx, "taro", in); err != nil {
		t.Fatal(err)
	}
	c := account(t, db, "taro")
	if ok, _ := cheap.Verify(ctx, "another-pass-2", c.PasswordHash); !ok {
		t.Error("new password does not verify")
	}
	if !c.CarrierFree() || len(c.ContactEmails) != 0 {
		t.Errorf("got line %q, e-mails %v", c.DocomoLine, c.ContactEmails)
	}
}

func TestPhoneNormalization(t *testing.T) {
	for _, s := range []string{"090-1234-5678", "09012345678", "+819012345678", "０９０－１２３４－５６７８", "090 1234 5678", "(090)1234-5678"} {
		got, err := operator.NormalizeDocomoLine("docomo_line", s)
		if err != nil || got != "+819012345678" {
			t.Errorf("%q: got %q, %v", s, got, err)
		}
	}
	for s, want := range map[string]string{"03-1234-5678": "+81312345678", "+81312345678": "+81312345678", "06-6123-4567": "+81661234567", "0120-123-456": "+81120123456"} {
		got, err := operator.NormalizePhoneNumber("representative_number", s)
		if err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", s, got, err, want)
		}
	}
}

func TestGroupValidation(t *testing.T) {
	p, _ := newService(t)
	ctx := context.Background()
	tests := []struct {
		name, groupID, field string
		edit                 func(*operator.GroupInput)
	}{
		{"group ID empty", "", "group_id", nil},
		{"group ID starting with a dash", "-g1", "group_id", nil},
		{"group ID with a slash", "g/1", "group_id", nil},
		{"group ID too long", strings.Repeat("g", 65), "group_id", nil},
		{"management number missing", "g1", "management_number", func(in *operator.GroupInput) { in.ManagementNumber = "" }},
		{"management number with a space", "g1", "management_number", func(in *operator.GroupInput) { in.ManagementNumber = "N 1" }},
		{"management number too long", "g1", "management_number", func(in *operator.GroupInput) { in.ManagementNumber = strings.Repeat("N", 33) }},
		{"representative number missing", "g1", "representative_number", func(in *operator.GroupInput) { in.RepresentativeNumber = "" }},
		{"representative number invalid", "g1", "representative_number", func(in *operator.GroupInput) { in.RepresentativeNumber = "03-1234" }},
		{"plan missing", "g1", "contract.plan", func(in *operator.GroupInput) { in.Contract.Plan = " " }},
		{"plan too long", "g1", "contract.plan", func(in *operator.GroupInput) { in.Contract.Plan = strings.Repeat("プ", 101) }},
		{"licenses negative", "g1", "contract.licenses", func(in *operator.GroupInput) { in.Contract.Licenses = -1 }},
		{"licenses too many", "g1", "contract.licenses", func(in *operator.GroupInput) { in.Contract.Licenses = 1_000_001 }},
		{"start date not a date", "g1", "contract.start_date", func(in *operator.GroupInput) { in.Contract.StartDate = "2024-02-30" }},
		{"start date in another format", "g1", "contract.start_date", func(in *operator.GroupInput) { in.Contract.StartDate = "2024/04/01" }},
		{"status unknown", "g1", "contract.status", func(in *operator.GroupInput) { in.Contract.Status = "paused" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodGroup
			if tt.edit != nil {
				tt.edit(&in)
			}
			_, err := p.PutGroup(ctx, tt.groupID, in)
			wantField(t, err, tt.field)
		})
	}
}

func TestPutGroup(t *testing.T) {
	p, db := newService(t)
	ctx := context.Background()
	for i, wantCreated := range []bool{true, false} {
		created, err := p.PutGroup(ctx, "g1", goodGroup)
		if err != nil || created != wantCreated {
			t.Fatalf("put %d: created=%v err=%v", i, created, err)
		}
	}
	if _, err := p.PutCLOMO(ctx, "g1", goodCLOMO); err != nil {
		t.Fatal(err)
	}
	// Re-putting the group keeps its CLOMO environment.
	if _, err := p.PutGroup(ctx, "g1", goodGroup); err != nil {
		t.Fatal(err)
	}
	var g *anshin.ContractGroup
	db.View(ctx, func(tx anshin.Tx) error {
		var err error
		g, err = tx.Group("g1")
		return err
	})
	if g.RepresentativeNumber != "+81312345678" || g.Contract.Status != "active" || g.Contract.Licenses != 50 {
		t.Errorf("group %+v", g)
	}
	if g.CLOMO == nil || g.CLOMO.OrganizationName != "株式会社あんしん商事" || g.CLOMO.TimeZone != "Asia/Tokyo" {
		t.Errorf("CLOMO %+v", g.CLOMO)
	}

	// Another group may not take the same management number.
	_, err := p.PutGroup(ctx, "g2", goodGroup)
	wantCode(t, err, anshin.ECodeConflict)
	if e := anshin.AsError(err); e.Field != "management_number" {
		t.Errorf("conflict names %q", e.Field)
	}
}

func TestAdminValidation(t *testing.T) {
	p, _ := newService(t)
	ctx := context.Background()
	tests := []struct {
		name, field string
		edit        func(*operator.AdminInput)
	}{
		{"role missing", "role", func(in *operator.AdminInput) { in.Role = "" }},
		{"role unknown", "role", func(in *operator.AdminInput) { in.Role = "owner" }},
		{"name missing", "name", func(in *operator.AdminInput) { in.Name = "  " }},
		{"name too long", "name", func(in *operator.AdminInput) { in.Name = strings.Repeat("山", 101) }},
		{"e-mail invalid", "email", func(in *operator.AdminInput) { in.Email = "yamada@" }},
		{"initial password too short", "initial_password", func(in *operator.AdminInput) { in.InitialPassword = "Ab1" }},
		{"initial password too long", "initial_password", func(in *operator.AdminInput) { in.InitialPassword = strings.Repeat("a1", 65) }},
		{"initial password without a digit", "initial_password", func(in *operator.AdminInput) { in.InitialPassword = "abcdefghij" }},
		{"initial password without a letter", "initial_password", func(in *operator.AdminInput) { in.InitialPassword = "1234567890" }},
		{"initial password for a representative", "initial_password", func(in *operator.AdminInput) { in.Role = "representative" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodAdmin
			tt.edit(&in)
			_, err := p.PutAdministrator(ctx, "g1", "taro", in)
			wantField(t, err, tt.field)
		})
	}
	_, err := p.PutAdministrator(ctx, "g 1", "taro", goodAdmin)
	wantField(t, err, "group_id")
	_, err = p.PutAdministrator(ctx, "g1", "ta ro", goodAdmin)
	wantField(t, err, "login_id")
}

func TestPutAdministrator(t *testing.T) {
	p, db := newService(t)
	ctx := context.Background()

	_, err := p.PutAdministrator(ctx, "g1", "taro", goodAdmin)
	wantCode(t, err, anshin.ECodeNotFound)
	if e := anshin.AsError(err); e.Field != "group_id" || !strings.Contains(e.Message, "g1") {
		t.Errorf("missing group: %v", err)
	}
	if _, err := p.PutGroup(ctx, "g1", goodGroup); err != nil {
		t.Fatal(err)
	}
	_, err = p.PutAdministrator(ctx, "g1", "taro", goodAdmin)
	wantCode(t, err, anshin.ECodeNotFound)
	if e := anshin.AsError(err); e.Field != "login_id" || !strings.Contains(e.Message, "taro") {
		t.Errorf("missing account: %v", err)
	}
	if _, err := p.PutAccount(ctx, "taro", goodAccount); err != nil {
		t.Fatal(err)
	}

	// A new admin needs an initial password.
	noInitial := goodAdmin
	noInitial.InitialPassword = ""
	_, err = p.PutAdministrator(ctx, "g1", "taro", noInitial)
	wantField(t, err, "initial_password")

	for i, wantCreated := range []bool{true, false} {
		created, err := p.PutAdministrator(ctx, "g1", "taro", goodAdmin)
		if err != nil || created != wantCreated {
			t.Fatalf("put %d: created=%v err=%v", i, created, err)
		}
	}
	a := administrator(t, db, "g1", "taro")
	if a.Role != anshin.RoleAdmin || a.Name != "山田 太郎" || a.Email != "yamada@example.co.jp" || !a.NeedsInitialPassword() {
		t.Errorf("administrator %+v", a)
	}
	if ok, _ := cheap.Verify(ctx, "Init2345x", a.InitialPasswordHash); !ok {
		t.Error("initial password does not verify")
	}

	// After the first login, a re-put without an initial password keeps it
	// done; one with an initial password resets it.
	acct := account(t, db, "taro")
	if err := db.Update(ctx, func(tx anshin.Tx) error {
		if _, err := tx.RecordInitialPasswordFailure("g1", acct.ID); err != nil {
			return err
		}
		return tx.CompleteFirstLogin("g1", acct.ID, time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	noInitial.Name = "山田 太郎（情報システム部）"
	if _, err := p.PutAdministrator(ctx, "g1", "taro", noInitial); err != nil {
		t.Fatal(err)
	}
	if a := administrator(t, db, "g1", "taro"); !a.FirstLoginDone || a.Name != noInitial.Name {
		t.Errorf("re-put without initial password: %+v", a)
	}
	db.Update(ctx, func(tx anshin.Tx) error {
		_, err := tx.RecordInitialPasswordFailure("g1", acct.ID)
		return err
	})
	if _, err := p.PutAdministrator(ctx, "g1", "taro", goodAdmin); err != nil {
		t.Fatal(err)
	}
	a = administrator(t, db, "g1", "taro")
	if a.FirstLoginDone || a.InitialPasswordFails != 0 || !a.NeedsInitialPassword() {
		t.Errorf("reset: %+v", a)
	}
	if ok, _ := cheap.Verify(ctx, "Init2345x", a.InitialPasswordHash); !ok {
		t.Error("reset initial password does not verify")
	}
}

func TestOneRepresentativePerGroup(t *testing.T) {
	p, db := newService(t)
	ctx := context.Background()
	if _, err := p.PutGroup(ctx, "g1", goodGroup); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"taro", "hanako"} {
		if _, err := p.PutAccount(ctx, id, goodAccount); err != nil {
			t.Fatal(err)
		}
	}
	rep := operator.AdminInput{Role: "representative", Name: "山田 太郎"}
	for range 2 {
		if _, err := p.PutAdministrator(ctx, "g1", "taro", rep); err != nil {
			t.Fatalf("representative put twice: %v", err)
		}
	}
	if a := administrator(t, db, "g1", "taro"); a.Role != anshin.RoleRepresentative || a.NeedsInitialPassword() {
		t.Errorf("representative %+v", a)
	}

	second := operator.AdminInput{Role: "representative", Name: "佐藤 花子"}
	_, err := p.PutAdministrator(ctx, "g1", "hanako", second)
	wantCode(t, err, anshin.ECodeConflict)
	if e := anshin.AsError(err); !strings.Contains(e.Message, "taro") {
		t.Errorf("conflict message does not name the representative: %q", e.Message)
	}

	// Hand over: demote the old one (who must then get an initial
	// password, having never completed a first login), promote the new one.
	demote := operator.AdminInput{Role: "admin", Name: "山田 太郎"}
	_, err = p.PutAdministrator(ctx, "g1", "taro", demote)
	wantField(t, err, "initial_password")
	demote.InitialPassword = "Init2345x"
	if _, err := p.PutAdministrator(ctx, "g1", "taro", demote); err != nil {
		t.Fatal(err)
	}
	if _, err := p.PutAdministrator(ctx, "g1", "hanako", second); err != nil {
		t.Fatal(err)
	}
	var admins []*anshin.Administrator
	db.View(ctx, func(tx anshin.Tx) error {
		var err error
		admins, err = tx.GroupAdministrators("g1")
		return err
	})
	reps := 0
	for _, a := range admins {
		if a.Role == anshin.RoleRepresentative {
			reps++
			if a.LoginID != "hanako" {
				t.Errorf("representative is %s", a.LoginID)
			}
		}
	}
	if reps != 1 {
		t.Errorf("%d representatives", reps)
	}
}

func TestCLOMO(t *testing.T) {
	p, _ := newService(t)
	ctx := context.Background()
	_, err := p.PutCLOMO(ctx, "g1", goodCLOMO)
	wantCode(t, err, anshin.ECodeNotFound)
	if _, err := p.PutGroup(ctx, "g1", goodGroup); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, field string
		edit        func(*anshin.CLOMOEnvironment)
	}{
		{"organization name missing", "organization_name", func(in *anshin.CLOMOEnvironment) { in.OrganizationName = "" }},
		{"organization name too long", "organization_name", func(in *anshin.CLOMOEnvironment) { in.OrganizationName = strings.Repeat("社", 101) }},
		{"contact name too long", "contact_name", func(in *anshin.CLOMOEnvironment) { in.ContactName = strings.Repeat("名", 101) }},
		{"contact e-mail invalid", "contact_email", func(in *anshin.CLOMOEnvironment) { in.ContactEmail = "a b@example.jp" }},
		{"time zone unknown", "time_zone", func(in *anshin.CLOMOEnvironment) { in.TimeZone = "Asia/Edo" }},
		{"time zone Local", "time_zone", func(in *anshin.CLOMOEnvironment) { in.TimeZone = "Local" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodCLOMO
			tt.edit(&in)
			_, err := p.PutCLOMO(ctx, "g1", in)
			wantField(t, err, tt.field)
		})
	}
	for i, wantCreated := range []bool{true, false} {
		created, err := p.PutCLOMO(ctx, "g1", goodCLOMO)
		if err != nil || created != wantCreated {
			t.Fatalf("put %d: created=%v err=%v", i, created, err)
		}
	}
}

func TestSetMailDisabled(t *testing.T) {
	p, db := newService(t)
	ctx := context.Background()
	wantField(t, p.PutMailNotificationDisabled(ctx, "not an address", ""), "address")
	for range 2 {
		if err := p.PutMailNotificationDisabled(ctx, "Taro@Example.jp", "user unknown"); err != nil {
			t.Fatal(err)
		}
	}
	var got map[string]bool
	db.View(ctx, func(tx anshin.Tx) error {
		var err error
		got, err = tx.MailNotificationDisabled([]string{"taro@example.jp"})
		return err
	})
	if !got["taro@example.jp"] {
		t.Error("address not suppressed")
	}
}

func TestAudit(t *testing.T) {
	p, db := newService(t)
	ctx := context.Background()
	p.PutGroup(ctx, "g1", goodGroup)
	p.PutAccount(ctx, "taro", goodAccount)
	p.PutAdministrator(ctx, "g1", "taro", goodAdmin)
	p.PutCLOMO(ctx, "g1", goodCLOMO)
	var events []*anshin.AuditEvent
	db.View(ctx, func(tx anshin.Tx) error {
		var err error
		events, err = tx.Audit("g1", 10)
		return err
	})
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind)
		if strings.Contains(e.Detail, "Init2345x") {
			t.Errorf("audit detail holds the initial password: %s", e.Detail)
		}
	}
	if got := strings.Join(kinds, ","); got != "operator_put_clomo,operator_put_admin,operator_put_group" {
		t.Errorf("audit kinds %s", got)
	}
}
