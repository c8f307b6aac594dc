package login_test

import (
	"slices"
	"testing"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
)

func TestEmailRecipients(t *testing.T) {
	admin := func(email string) *anshin.Administrator { return &anshin.Administrator{Email: email} }
	tests := []struct {
		name     string
		contacts []string
		admins   []*anshin.Administrator
		want     []string
	}{
		{"no group, contacts", []string{"c1@example.jp"}, nil, []string{"c1@example.jp"}},
		{"no admin e-mail: every contact", []string{"c1@example.jp", "c2@example.jp"},
			[]*anshin.Administrator{admin(""), admin("")}, []string{"c1@example.jp", "c2@example.jp"}},
		{"admin e-mails replace contacts", []string{"c1@example.jp"},
			[]*anshin.Administrator{admin("a1@example.jp"), admin(""), admin("a2@example.jp")}, []string{"a1@example.jp", "a2@example.jp"}},
		{"one admin e-mail is enough to drop contacts", []string{"c1@example.jp", "c2@example.jp"},
			[]*anshin.Administrator{admin(""), admin("a1@example.jp")}, []string{"a1@example.jp"}},
		{"admin duplicates ignoring case, first spelling kept", nil,
			[]*anshin.Administrator{admin("Admin@Example.jp"), admin("admin@example.jp"), admin("ADMIN@EXAMPLE.JP"), admin("other@example.jp")},
			[]string{"Admin@Example.jp", "other@example.jp"}},
		{"contact duplicates and blanks", []string{"c1@example.jp", "", "C1@example.jp", "c2@example.jp"},
			[]*anshin.Administrator{admin("")}, []string{"c1@example.jp", "c2@example.jp"}},
		{"nothing set", nil, []*anshin.Administrator{admin("")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := login.EmailRecipients(&anshin.Account{ContactEmails: tt.contacts}, tt.admins)
			if !slices.Equal(got, tt.want) {
				t.Errorf("EmailRecipients = %q, want %q", got, tt.want)
			}
		})
	}
}

// The rule of SPEC §2 step 4 through the service: what Issued reports, and
// who actually receives the key.
func TestIssueKeyEmailRecipients(t *testing.T) {
	tests := []struct {
		name        string
		contacts    []string
		adminEmails map[string]string // group → the account's administrator e-mail there
		suppressed  []string
		wantTo      []string // in group order
		wantSkipped []string
	}{
		{
			name:        "administrator e-mails of all groups, deduplicated, contacts unused",
			contacts:    []string{"contact@example.jp"},
			adminEmails: map[string]string{"g1": "Admin@Example.jp", "g2": "admin@example.jp", "g3": "other.admin@example.jp", "g4": ""},
			wantTo:      []string{"Admin@Example.jp", "other.admin@example.jp"},
		},
		{
			name:        "every contact e-mail when no group has an administrator e-mail",
			contacts:    []string{"first@example.jp", "second@example.jp", "FIRST@example.jp"},
			adminEmails: map[string]string{"g1": "", "g2": ""},
			wantTo:      []string{"first@example.jp", "second@example.jp"},
		},
		{
			name:        "a disabled administrator e-mail is skipped, the others still get the key",
			contacts:    []string{"contact@example.jp"},
			adminEmails: map[string]string{"g1": "bounced@example.jp", "g2": "fine@example.jp"},
			suppressed:  []string{"BOUNCED@example.jp"},
			wantTo:      []string{"fine@example.jp"},
			wantSkipped: []string{"bounced@example.jp"},
		},
		{
			name:        "a disabled contact e-mail is skipped",
			contacts:    []string{"bounced@example.jp", "fine@example.jp"},
			adminEmails: map[string]string{"g1": ""},
			suppressed:  []string{"bounced@example.jp"},
			wantTo:      []string{"fine@example.jp"},
			wantSkipped: []string{"bounced@example.jp"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			a := f.addAccount("user", "pw", "+819011112222", tt.contacts...)
			for _, g := range sorted(keys(tt.adminEmails)) {
				f.addGroup(g, "+8131111"+g)
				f.addAdmin(g, a, anshin.RoleAdmin, tt.adminEmails[g])
			}
			f.suppress(tt.suppressed...)

			token := f.toKeyStep("user", "pw")
			iss, key := f.issue(token, anshin.MethodEmail)
			if !slices.Equal(iss.SentTo, masked(tt.wantTo...)) {
				t.Errorf("SentTo = %q, want %q", iss.SentTo, masked(tt.wantTo...))
			}
			if !slices.Equal(iss.Skipped, masked(tt.wantSkipped...)) {
				t.Errorf("Skipped = %q, want %q", iss.Skipped, masked(tt.wantSkipped...))
			}

			var got []string
			for _, m := range f.deliver() {
				if m.Channel != string(anshin.MethodEmail) {
					t.Errorf("message to %s went by %s", m.To, m.Channel)
				}
				if k := keyIn(t, m.Body); k != key {
					t.Errorf("message to %s carries key %s, want %s", m.To, k, key)
				}
				got = append(got, m.To)
			}
			if !slices.Equal(sorted(got), sorted(tt.wantTo)) {
				t.Errorf("key mailed to %q, want exactly %q", got, tt.wantTo)
			}
		})
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
