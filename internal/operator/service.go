// Package operator is the operator side of anshin (SPEC §5): how accounts,
// contract groups, their administrators and CLOMO environments arrive from
// the carrier's systems. Every Put is an idempotent replace: the same body
// twice leaves the same state, and each Put is one transaction.
package operator

import (
	"context"
	"encoding/json"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/secret"
)

// AccountInput is the body of PUT /api/v1/operator/accounts/{login_id}.
// Password may be omitted when the account exists (its hash is kept), or
// when the password login is off (Service.NoPassword).
type AccountInput struct {
	Kind          string   `json:"kind"`
	Password      string   `json:"password"`
	DocomoLine    string   `json:"docomo_line"`
	ContactEmails []string `json:"contact_emails"`
}

// GroupInput is the body of PUT /api/v1/operator/groups/{group_id}.
type GroupInput struct {
	ManagementNumber     string          `json:"management_number"`
	RepresentativeNumber string          `json:"representative_number"`
	Contract             anshin.Contract `json:"contract"`
}

// AdminInput is the body of PUT /api/v1/operator/groups/{group_id}/admins/{login_id}.
// InitialPassword is required for a new non-representative, forbidden for a
// representative, and resets the first login when given again.
type AdminInput struct {
	Role            string `json:"role"`
	Name            string `json:"name"`
	Email           string `json:"email"`
	InitialPassword string `json:"initial_password"`
}

// Service provisions accounts and contract groups into a store.
type Service struct {
	store  anshin.Store
	hasher *secret.Hasher
	now    anshin.Clock
	newID  func() string
	// NoPassword: with ANSHIN_PASSWORD_LOGIN=off an account is created
	// without a password, since the upstream provider does steps 1 and 2.
	NoPassword bool
}

// New returns a provisioning service.
func New(store anshin.Store, hasher *secret.Hasher, now anshin.Clock) *Service {
	return &Service{store: store, hasher: hasher, now: now, newID: secret.NewID}
}

// PutAccount creates or replaces the account with loginID and reports
// whether it was created.
func (s *Service) PutAccount(ctx context.Context, loginID string, in AccountInput) (created bool, err error) {
	if loginID, err = login.CheckLoginID(loginID); err != nil {
		return false, err
	}
	if in, err = in.validate(); err != nil {
		return false, err
	}
	hash, err := s.hashIfSet(ctx, in.Password)
	if err != nil {
		return false, err
	}
	err = s.update(ctx, func(tx anshin.Tx) error {
		now := s.now()
		a, err := tx.AccountByLoginID(loginID)
		created = anshin.ErrorCode(err) == anshin.ECodeNotFound
		switch {
		case created && hash == "" && !s.NoPassword:
			return anshin.FieldError("password", "a password is required to create an account")
		case created:
			a = &anshin.Account{ID: s.newID(), LoginID: loginID, CreatedAt: now}
		case err != nil:
			return err
		}
		a.Kind = anshin.AccountKind(in.Kind)
		if hash != "" {
			a.PasswordHash = hash
		}
		a.DocomoLine = in.DocomoLine
		a.ContactEmails = in.ContactEmails
		a.UpdatedAt = now
		if err := tx.PutAccount(a); err != nil {
			return err
		}
		return tx.AppendAudit(&anshin.AuditEvent{AccountID: a.ID, Kind: anshin.AuditOperatorPutAccount, At: now,
			Detail: detail(map[string]any{"login_id": loginID, "created": created, "password_set": hash != ""})})
	})
	return created && err == nil, err
}

// PutGroup creates or replaces the contract group's number and contract;
// its CLOMO environment and administrators are left as they are.
func (s *Service) PutGroup(ctx context.Context, groupID string, in GroupInput) (created bool, err error) {
	if err := CheckGroupID(groupID); err != nil {
		return false, err
	}
	if in, err = in.validate(); err != nil {
		return false, err
	}
	err = s.update(ctx, func(tx anshin.Tx) error {
		now := s.now()
		g, err := tx.Group(groupID)
		created = anshin.ErrorCode(err) == anshin.ECodeNotFound
		switch {
		case created:
			g = &anshin.ContractGroup{ID: groupID, CreatedAt: now}
		case err != nil:
			return err
		}
		g.ManagementNumber = in.ManagementNumber
		g.RepresentativeNumber = in.RepresentativeNumber
		g.Contract = in.Contract
		g.UpdatedAt = now
		if err := tx.PutGroup(g); err != nil {
			return err
		}
		return tx.AppendAudit(&anshin.AuditEvent{GroupID: groupID, Kind: anshin.AuditOperatorPutGroup, At: now,
			Detail: detail(map[string]any{"management_number": in.ManagementNumber, "created": created})})
	})
	// The row was read first, so the only unique key left to collide on is
	// the management number.
	if anshin.ErrorCode(err) == anshin.ECodeConflict {
		err = &anshin.Error{Code: anshin.ECodeConflict, Field: "management_number",
			Message: "management number " + in.ManagementNumber + " is already used by another contract group"}
	}
	return created && err == nil, err
}

// PutAdministrator registers the account loginID as an administrator of the
// group, or replaces its role, name and e-mail. A group has at most one
// representative: naming a second one is a conflict, so the operator
// demotes the old one first.
func (s *Service) PutAdministrator(ctx context.Context, groupID, loginID string, in AdminInput) (created bool, err error) {
	if err := CheckGroupID(groupID); err != nil {
		return false, err
	}
	if loginID, err = login.CheckLoginID(loginID); err != nil {
		return false, err
	}
	if in, err = in.validate(); err != nil {
		return false, err
	}
	hash, err := s.hashIfSet(ctx, in.InitialPassword)
	if err != nil {
		return false, err
	}
	role := anshin.Role(in.Role)
	err = s.update(ctx, func(tx anshin.Tx) error {
		now := s.now()
		if _, err := tx.Group(groupID); err != nil {
			return notFound(err, "group_id", "contract group "+groupID+" does not exist")
		}
		acct, err := tx.AccountByLoginID(loginID)
		if err != nil {
			return notFound(err, "login_id", "account "+loginID+" does not exist; put the account first")
		}
		a, err := tx.Administrator(groupID, acct.ID)
		created = anshin.ErrorCode(err) == anshin.ECodeNotFound
		switch {
		case created:
			a = &anshin.Administrator{GroupID: groupID, AccountID: acct.ID, CreatedAt: now}
		case err != nil:
			return err
		}
		if role == anshin.RoleRepresentative {
			if err := s.checkOneRepresentative(tx, groupID, acct.ID); err != nil {
				return err
			}
		}
		a.Role, a.Name, a.Email, a.UpdatedAt = role, in.Name, in.Email, now
		reset := false
		switch {
		case role == anshin.RoleRepresentative:
			// A representative never presents an initial password.
			a.InitialPasswordHash, a.InitialPasswordFails, a.InitialPasswordLocked = "", 0, time.Time{}
		case hash != "":
			// The operator resets the first login: a new password, a clean
			// failure count, no lock.
			a.ResetInitialPassword(hash, now)
			reset = true
		case !a.FirstLoginDone && a.InitialPasswordHash == "":
			return anshin.FieldError("initial_password", "an initial authentication password is required for an administrator who has not logged in yet")
		}
		if err := tx.PutAdministrator(a); err != nil {
			return err
		}
		return tx.AppendAudit(&anshin.AuditEvent{GroupID: groupID, AccountID: acct.ID, Kind: anshin.AuditOperatorPutAdmin, At: now,
			Detail: detail(map[string]any{"login_id": loginID, "role": role, "created": created, "initial_password_reset": reset})})
	})
	// A concurrent Put may have won the partial unique index.
	if e := anshin.AsError(err); e != nil && e.Code == anshin.ECodeConflict && e.Field == "" {
		err = &anshin.Error{Code: anshin.ECodeConflict, Field: "role", Message: "contract group " + groupID + " already has a representative administrator"}
	}
	return created && err == nil, err
}

func (s *Service) checkOneRepresentative(tx anshin.Tx, groupID, accountID string) error {
	admins, err := tx.GroupAdministrators(groupID)
	if err != nil {
		return err
	}
	for _, other := range admins {
		if other.Role == anshin.RoleRepresentative && other.AccountID != accountID {
			return &anshin.Error{Code: anshin.ECodeConflict, Field: "role",
				Message: "contract group " + groupID + " already has a representative administrator (" + other.LoginID + "); put that administrator with role admin first"}
		}
	}
	return nil
}

// PutCLOMO creates or replaces the group's CLOMO environment and reports
// whether it was created.
func (s *Service) PutCLOMO(ctx context.Context, groupID string, in anshin.CLOMOEnvironment) (created bool, err error) {
	if err := CheckGroupID(groupID); err != nil {
		return false, err
	}
	if in, err = in.Normalize(); err != nil {
		return false, err
	}
	err = s.update(ctx, func(tx anshin.Tx) error {
		now := s.now()
		g, err := tx.Group(groupID)
		if err != nil {
			return notFound(err, "group_id", "contract group "+groupID+" does not exist")
		}
		created = g.CLOMO == nil
		if err := tx.PutCLOMO(groupID, &in, now); err != nil {
			return err
		}
		return tx.AppendAudit(&anshin.AuditEvent{GroupID: groupID, Kind: anshin.AuditOperatorPutCLOMO, At: now,
			Detail: detail(map[string]any{"organization_name": in.OrganizationName, "created": created})})
	})
	return created && err == nil, err
}

// PutMailNotificationDisabled puts address into the mail notification disabled state
// (メール通知不可), as a bounce would.
func (s *Service) PutMailNotificationDisabled(ctx context.Context, address, reason string) error {
	address, err := anshin.CheckEmail("address", address)
	if err != nil {
		return err
	}
	if reason, err = anshin.CheckText("reason", "reason", reason, false); err != nil {
		return err
	}
	if reason == "" {
		reason = "set by the operator"
	}
	return s.store.Update(ctx, func(tx anshin.Tx) error {
		now := s.now()
		if err := tx.PutMailNotificationDisabled(&anshin.MailNotificationDisabled{Address: address, Reason: reason, At: now}); err != nil {
			return err
		}
		return tx.AppendAudit(&anshin.AuditEvent{Kind: anshin.AuditOperatorMailNotificationDisabled, At: now,
			Detail: detail(map[string]any{"address": address, "reason": reason})})
	})
}

// hashIfSet hashes a password given in a body, "" when none is. argon2 is
// slow on purpose: Puts hash before the transaction so writers never wait
// on it.
func (s *Service) hashIfSet(ctx context.Context, password string) (string, error) {
	if password == "" {
		return "", nil
	}
	return s.hasher.Hash(ctx, password)
}

// update runs fn once more when it lost a race to create the same row: the
// second run reads the winner's row and replaces it, which is what an
// idempotent PUT promises.
func (s *Service) update(ctx context.Context, fn func(tx anshin.Tx) error) error {
	err := s.store.Update(ctx, fn)
	if e := anshin.AsError(err); e != nil && e.Code == anshin.ECodeConflict && e.Field == "" {
		err = s.store.Update(ctx, fn)
	}
	return err
}

// notFound names what is missing when err is not_found.
func notFound(err error, field, msg string) error {
	if anshin.ErrorCode(err) == anshin.ECodeNotFound {
		return &anshin.Error{Code: anshin.ECodeNotFound, Field: field, Message: msg}
	}
	return err
}

func detail(m map[string]any) string {
	b, _ := json.Marshal(m)
	return string(b)
}
