package login_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/anshin/anshin/internal/anshin"
)

func TestEmailScopes(t *testing.T) {
	admin := func(group, email string) *anshin.Administrator {
		return &anshin.Administrator{GroupID: group, Email: email}
	}
	tests := []struct {
		name     string
		contacts []string
		admins   []*anshin.Administrator
		want     string // address:groups, space-separated
	}{
		{"no group: no route", []string{"c1@example.jp"}, nil, ""},
		{"no admin e-mail: every contact opens every group", []string{"c1@example.jp", "c2@example.jp"},
			[]*anshin.Administrator{admin("g1", ""), admin("g2", "")}, "c1@example.jp:g1,g2 c2@example.jp:g1,g2"},
		{"an admin e-mail replaces the contacts in its group only", []string{"c1@example.jp"},
			[]*anshin.Administrator{admin("g1", "a1@example.jp"), admin("g2", ""), admin("g3", "a2@example.jp")},
			"a1@example.jp:g1 c1@example.jp:g2 a2@example.jp:g3"},
		{"an admin e-mail that is also a contact", []string{"c1@example.jp", "c2@example.jp"},
			[]*anshin.Administrator{admin("g1", ""), admin("g2", "C1@example.jp")}, "c1@example.jp:g1,g2 c2@example.jp:g1"},
		{"duplicates ignoring case, first spelling kept", nil,
			[]*anshin.Administrator{admin("g1", "Admin@Example.jp"), admin("g2", "admin@example.jp"), admin("g3", "ADMIN@EXAMPLE.JP"), admin("g4", "other@example.jp")},
			"Admin@Example.jp:g1,g2,g3 other@example.jp:g4"},
		{"contact duplicates and blanks", []string{"c1@example.jp", "", "C1@example.jp", "c2@example.jp"},
			[]*anshin.Administrator{admin("g1", "")}, "c1@example.jp:g1 c2@example.jp:g1"},
		{"nothing set", nil, []*anshin.Administrator{admin("g1", "")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range anshin.EmailScopes(&anshin.Account{ContactEmails: tt.contacts}, tt.admins) {
				got = append(got, s.Address+":"+strings.Join(s.Groups, ","))
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("EmailScopes = %q, want %q", g, tt.want)
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
			name:        "every group's route: administrator e-mails deduplicated, contacts for the group without one",
			contacts:    []string{"contact@example.jp"},
			adminEmails: map[string]string{"g1": "Admin@Example.jp", "g2": "admin@example.jp", "g3": "other.admin@example.jp", "g4": ""},
			wantTo:      []string{"Admin@Example.jp", "other.admin@example.jp", "contact@example.jp"},
		},
		{
			name:        "every contact e-mail when no group has an administrator e-mail",
			contacts:    []string{"first@example.jp", "second@example.jp", "FIRST@example.jp"},
			adminEmails: map[string]string{"g1": "", "g2": ""},
			wantTo:      []string{"first@example.jp", "second@example.jp"},
		},
		{
			name:        "a disabled administrator e-mail is skipped, the others still get their key",
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
			f.disableMail(tt.suppressed...)

			token := f.toKeyStep("user", "pw")
			iss, key := f.issue(token, anshin.MethodEmail)
			if !slices.Equal(iss.SentTo, masked(tt.wantTo...)) {
				t.Errorf("SentTo = %q, want %q", iss.SentTo, masked(tt.wantTo...))
			}
			if !slices.Equal(iss.Skipped, masked(tt.wantSkipped...)) {
				t.Errorf("Skipped = %q, want %q", iss.Skipped, masked(tt.wantSkipped...))
			}

			var got []string
			seen := map[string]bool{}
			for _, m := range f.deliver() {
				if m.Channel != string(anshin.MethodEmail) {
					t.Errorf("message to %s went by %s", m.To, m.Channel)
				}
				k := keyIn(t, m.Body)
				if seen[k] {
					t.Errorf("message to %s carries a key another address got too", m.To)
				}
				seen[k] = true
				got = append(got, m.To)
			}
			if !seen[key] {
				t.Errorf("the last key made, %s, was mailed to nobody", key)
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
