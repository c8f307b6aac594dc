// Package demo provisions the data of `anshin serve --demo`: one account
// for every case of the login flow (SPEC §2), so that each page and each
// error can be seen without the carrier's systems. It goes through the
// operator's provisioning service, like real data, and may run at every
// start: running it again resets the demo to the same state.
package demo

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/operator"
)

// Password is the password of every demo account.
const Password = "demo-pass-1234"

// InitialPassword is the initial authentication password of the demo's
// administrators; it is still pending only for demo-admin.
const InitialPassword = "Init2345x"

// Account is one row of the demo table shown at start.
type Account struct {
	LoginID         string
	Password        string
	InitialPassword string // empty when no initial authentication is pending
	Case            string
}

// Login IDs of the demo accounts, one per case.
const (
	RepresentativeID           = "demo-rep"
	PendingAdminID             = "demo-admin"
	CarrierFreeID              = "demo-carrierfree"
	NoGroupID                  = "demo-nogroup"
	NoEmailID                  = "demo-noemail"
	MailNotificationDisabledID = "demo-maildisabled"
	MultiGroupID               = "demo-multi"
)

// Contract groups of the demo.
const (
	GroupAnshin = "anshin-shoji"    // no CLOMO environment
	GroupSakura = "sakura-butsuryu" // CLOMO environment
	GroupMidori = "midori-seiyaku"  // no CLOMO environment, no admin e-mail of demo-multi
	GroupHikari = "hikari-kensetsu" // CLOMO environment
)

// MailNotificationDisabledAddress is the bounced address of demo-maildisabled.
const MailNotificationDisabledAddress = "ito.misaki@example.co.jp"

type group struct {
	id    string
	input operator.GroupInput
	clomo *anshin.CLOMOEnvironment
}

var groups = []group{
	{GroupAnshin, operator.GroupInput{ManagementNumber: "N0000001", RepresentativeNumber: "03-1234-5678",
		Contract: anshin.Contract{Plan: "あんしんマネージャー NEXT ベーシック", Licenses: 100, StartDate: "2024-04-01", Status: "active"}}, nil},
	{GroupSakura, operator.GroupInput{ManagementNumber: "N0000002", RepresentativeNumber: "06-6123-4567",
		Contract: anshin.Contract{Plan: "あんしんマネージャー NEXT スタンダード", Licenses: 250, StartDate: "2023-10-01", Status: "active"}},
		&anshin.CLOMOEnvironment{OrganizationName: "さくら物流株式会社", ContactName: "渡辺 健一", ContactEmail: "it-support@example.co.jp", TimeZone: "Asia/Tokyo"}},
	{GroupMidori, operator.GroupInput{ManagementNumber: "N0000003", RepresentativeNumber: "052-123-4567",
		Contract: anshin.Contract{Plan: "あんしんマネージャー NEXT ベーシック", Licenses: 30, StartDate: "2025-01-06", Status: "active"}}, nil},
	{GroupHikari, operator.GroupInput{ManagementNumber: "N0000004", RepresentativeNumber: "092-123-4567",
		Contract: anshin.Contract{Plan: "あんしんマネージャー NEXT プレミアム", Licenses: 1200, StartDate: "2022-07-01", Status: "active"}},
		&anshin.CLOMOEnvironment{OrganizationName: "ひかり建設株式会社", ContactName: "伊藤 美咲", TimeZone: "Asia/Tokyo"}},
}

type account struct {
	Account
	input operator.AccountInput
}

func acct(loginID, kind, line string, contacts []string, c string) account {
	return account{
		Account: Account{LoginID: loginID, Password: Password, Case: c},
		input:   operator.AccountInput{Kind: kind, Password: Password, DocomoLine: line, ContactEmails: contacts},
	}
}

var accounts = []account{
	acct(RepresentativeID, "business_d_account", "090-1234-5678", nil,
		"representative, SMS or e-mail; group without CLOMO environment (setup dialog)"),
	acct(PendingAdminID, "business_d_account", "080-2345-6789", nil,
		"admin, first login: asks the initial authentication password"),
	acct(CarrierFreeID, "d_account", "", []string{"suzuki.ichiro@example.jp"},
		"carrier-free: SMS refused (carrier_free), e-mail works"),
	acct(NoGroupID, "d_account", "090-3456-7890", []string{"tanaka.jiro@example.jp"},
		"administers no group: not_registered"),
	acct(NoEmailID, "business_d_account", "070-4567-8901", nil,
		"no e-mail set: email_not_set, SMS works"),
	acct(MailNotificationDisabledID, "business_d_account", "090-5678-9012", nil,
		"only address is メール通知不可: mail_notification_disabled, log in by SMS"),
	acct(MultiGroupID, "business_d_account", "080-6789-0123", []string{"watanabe.kenichi@example.jp", "k.watanabe@example.jp"},
		"three groups: organization name + number, or number alone"),
}

type admin struct {
	group, loginID string
	input          operator.AdminInput
	firstLoginDone bool
}

var admins = []admin{
	{GroupAnshin, RepresentativeID, operator.AdminInput{Role: "representative", Name: "山田 太郎", Email: "yamada.taro@example.co.jp"}, false},
	{GroupAnshin, PendingAdminID, operator.AdminInput{Role: "admin", Name: "佐藤 花子", Email: "sato.hanako@example.co.jp", InitialPassword: InitialPassword}, false},
	{GroupSakura, MultiGroupID, operator.AdminInput{Role: "representative", Name: "渡辺 健一", Email: "watanabe@example.co.jp"}, false},
	{GroupSakura, CarrierFreeID, operator.AdminInput{Role: "admin", Name: "鈴木 一郎", Email: "suzuki@example.co.jp", InitialPassword: InitialPassword}, true},
	{GroupMidori, NoEmailID, operator.AdminInput{Role: "representative", Name: "高橋 健太"}, false},
	{GroupMidori, MultiGroupID, operator.AdminInput{Role: "admin", Name: "渡辺 健一", InitialPassword: InitialPassword}, true},
	{GroupHikari, MailNotificationDisabledID, operator.AdminInput{Role: "representative", Name: "伊藤 美咲", Email: MailNotificationDisabledAddress}, false},
	{GroupHikari, MultiGroupID, operator.AdminInput{Role: "admin", Name: "渡辺 健一", Email: "k.watanabe@example.co.jp", InitialPassword: InitialPassword}, true},
}

// Load provisions the demo data and returns the table of demo accounts.
// store is needed only to mark some first logins as done, which no
// operator request can do.
func Load(ctx context.Context, p *operator.Service, store anshin.Store) ([]Account, error) {
	for _, g := range groups {
		if _, err := p.PutGroup(ctx, g.id, g.input); err != nil {
			return nil, fmt.Errorf("demo group %s: %w", g.id, err)
		}
		if g.clomo != nil {
			if _, err := p.PutCLOMO(ctx, g.id, *g.clomo); err != nil {
				return nil, fmt.Errorf("demo CLOMO environment of %s: %w", g.id, err)
			}
		}
	}
	for _, a := range accounts {
		if _, err := p.PutAccount(ctx, a.LoginID, a.input); err != nil {
			return nil, fmt.Errorf("demo account %s: %w", a.LoginID, err)
		}
	}
	for _, a := range admins {
		// Putting an initial password resets the first login, so a second
		// run leaves demo-admin pending again and the others done again.
		if _, err := p.PutAdministrator(ctx, a.group, a.loginID, a.input); err != nil {
			return nil, fmt.Errorf("demo administrator %s of %s: %w", a.loginID, a.group, err)
		}
		if a.firstLoginDone {
			if err := completeFirstLogin(ctx, store, a.group, a.loginID); err != nil {
				return nil, fmt.Errorf("demo administrator %s of %s: %w", a.loginID, a.group, err)
			}
		}
	}
	if err := p.PutMailNotificationDisabled(ctx, MailNotificationDisabledAddress, "550 5.1.1 user unknown (demo)"); err != nil {
		return nil, fmt.Errorf("demo mail notification disabled: %w", err)
	}
	out := make([]Account, len(accounts))
	for i, a := range accounts {
		out[i] = a.Account
		if a.LoginID == PendingAdminID {
			out[i].InitialPassword = InitialPassword
		}
	}
	return out, nil
}

func completeFirstLogin(ctx context.Context, store anshin.Store, groupID, loginID string) error {
	return store.Update(ctx, func(tx anshin.Tx) error {
		acct, err := tx.AccountByLoginID(loginID)
		if err != nil {
			return err
		}
		adm, err := tx.Administrator(groupID, acct.ID)
		if err != nil {
			return err
		}
		// The provisioning service's clock stamped UpdatedAt; reuse it so
		// the demo follows the injected clock.
		return tx.CompleteFirstLogin(groupID, acct.ID, adm.UpdatedAt)
	})
}

// Print writes where to open the demo and the table of its accounts.
func Print(w io.Writer, url string, accounts []Account) {
	fmt.Fprintf(w, "anshin demo: open %s\n\n", url)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LOGIN ID\tPASSWORD\tINITIAL PASSWORD\tCASE")
	for _, a := range accounts {
		initial := a.InitialPassword
		if initial == "" {
			initial = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.LoginID, a.Password, initial, a.Case)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nEvery demo account's password is %s. One-time keys land in the development outbox: %s/dev/outbox\n",
		Password, strings.TrimSuffix(url, "/"))
}
