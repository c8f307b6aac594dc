package console

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/anshin/anshin/internal/anshin"
)

const defaultTimeZone = "Asia/Tokyo"

// CLOMOInput is what CLOMO 情報設定 sets.
type CLOMOInput struct {
	OrganizationName string `json:"organization_name"`
	ContactName      string `json:"contact_name"`
	ContactEmail     string `json:"contact_email"`
	TimeZone         string `json:"time_zone"` // IANA name, Asia/Tokyo when empty
}

func checkText(field, what, s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		return "", anshin.FieldError(field, "the %s is required", what)
	case !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "", anshin.FieldError(field, "the %s must not contain control characters", what)
	case utf8.RuneCountInString(s) > maxName:
		return "", anshin.FieldError(field, "the %s must be at most %d characters", what, maxName)
	}
	return s, nil
}

// Validate checks the input and returns it normalized.
func (in CLOMOInput) Validate() (anshin.CLOMOEnvironment, error) {
	var out anshin.CLOMOEnvironment
	var err error
	if out.OrganizationName, err = checkText("organization_name", "organization name", in.OrganizationName, true); err != nil {
		return out, err
	}
	if out.ContactName, err = checkText("contact_name", "contact name", in.ContactName, false); err != nil {
		return out, err
	}
	if out.ContactEmail, err = checkOptionalEmail("contact_email", in.ContactEmail); err != nil {
		return out, err
	}
	out.TimeZone = strings.TrimSpace(in.TimeZone)
	if out.TimeZone == "" {
		out.TimeZone = defaultTimeZone
	}
	// "Local" would be the server's zone and "UTC"-less names are typos:
	// only a real IANA name is a tenant's time zone.
	if _, err := time.LoadLocation(out.TimeZone); err != nil || out.TimeZone == "Local" || len(out.TimeZone) > maxName {
		return out, anshin.FieldError("time_zone", "%q is not a known time zone (use an IANA name like Asia/Tokyo)", out.TimeZone)
	}
	return out, nil
}

// PutCLOMO creates or edits the CLOMO environment of the actor's group and
// reports whether it created it. Any administrator of the group may; the
// representative is told by e-mail.
func (s *Service) PutCLOMO(ctx context.Context, a Actor, in CLOMOInput) (created bool, err error) {
	env, err := in.Validate()
	if err != nil {
		return false, err
	}
	queued := 0
	err = s.store.Update(ctx, func(tx anshin.Tx) error {
		m, err := me(tx, a)
		if err != nil {
			return err
		}
		g, err := tx.Group(a.GroupID)
		if err != nil {
			return err
		}
		created = g.CLOMO == nil
		if !created && *g.CLOMO == env {
			return nil
		}
		if err := tx.PutCLOMO(a.GroupID, &env, s.now()); err != nil {
			return err
		}
		admins, err := tx.GroupAdministrators(a.GroupID)
		if err != nil {
			return err
		}
		for _, adm := range admins {
			if adm.Role == anshin.RoleRepresentative {
				acct, err := tx.AccountByID(adm.AccountID)
				if err != nil {
					return err
				}
				if queued, err = s.send(tx, a.Lang, newNotices(a.Lang, "clomo_changed", reach(adm, acct), g.ManagementNumber, env.OrganizationName, m.Name)...); err != nil {
					return err
				}
			}
		}
		kind := "clomo_updated"
		if created {
			kind = "clomo_created"
		}
		return s.audit(tx, a, kind, map[string]any{"organization_name": env.OrganizationName, "contact_name": env.ContactName,
			"contact_email": env.ContactEmail, "time_zone": env.TimeZone})
	})
	s.wake(err, queued)
	return created && err == nil, err
}
