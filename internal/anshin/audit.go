package anshin

import "time"

// AuditEvent is an append-only record of something that happened in a group
// or to an account.
type AuditEvent struct {
	ID        int64
	GroupID   string
	AccountID string
	Kind      string // one of the Audit* kinds
	Detail    string // JSON
	ClientIP  string
	At        time.Time
}

// Audit event kinds. They are stored and shown in the console's log (and
// filtered on), so never rename one.
const (
	AuditSignIn                = "sign_in"
	AuditPasswordFailed        = "password_failed"
	AuditKeyIssued             = "key_issued"
	AuditKeyFailed             = "key_failed"
	AuditInitialPasswordFailed = "initial_password_failed"
	AuditGroupSwitched         = "group_switched"
	AuditPasskeyAdded          = "passkey_added"
	AuditPasskeyDeleted        = "passkey_deleted"
	AuditPasskeyRefused        = "passkey_refused"
	AuditPasskeyPolicy         = "passkey_policy_changed"

	AuditAdminAdded                      = "admin_added"
	AuditAdminUpdated                    = "admin_updated"
	AuditAdminDeleted                    = "admin_deleted"
	AuditInitialPasswordReset            = "initial_password_reset"
	AuditMailNotificationDisabledCleared = "mail_state_cleared"
	AuditCLOMOCreated                    = "clomo_created"
	AuditCLOMOUpdated                    = "clomo_updated"

	AuditMailBounced                      = "mail_bounced"
	AuditMailNotificationDisabled         = "mail_disabled"
	AuditOperatorPutAccount               = "operator_put_account"
	AuditOperatorPutGroup                 = "operator_put_group"
	AuditOperatorPutAdmin                 = "operator_put_admin"
	AuditOperatorPutCLOMO                 = "operator_put_clomo"
	AuditOperatorMailNotificationDisabled = "operator_mail_disabled"
)

// AuditKinds are the kinds a group's log can be filtered by: those written
// with a group (the operator's account and address events have none).
var AuditKinds = []string{
	AuditSignIn, AuditPasswordFailed, AuditKeyIssued, AuditKeyFailed, AuditInitialPasswordFailed, AuditGroupSwitched,
	AuditPasskeyAdded, AuditPasskeyDeleted, AuditPasskeyRefused, AuditPasskeyPolicy,
	AuditAdminAdded, AuditAdminUpdated, AuditAdminDeleted, AuditInitialPasswordReset,
	AuditMailNotificationDisabledCleared, AuditMailBounced, AuditMailNotificationDisabled, AuditCLOMOCreated, AuditCLOMOUpdated,
	AuditOperatorPutGroup, AuditOperatorPutAdmin, AuditOperatorPutCLOMO,
}
