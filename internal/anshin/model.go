package anshin

import (
	"slices"
	"strings"
	"time"
)

// AccountKind tells a d アカウント from a ビジネス d アカウント.
type AccountKind string

const (
	KindDAccount         AccountKind = "d_account"
	KindBusinessDAccount AccountKind = "business_d_account"
)

// Account is a login identity held by the built-in directory.
type Account struct {
	ID            string
	LoginID       string
	Kind          AccountKind
	PasswordHash  string
	DocomoLine    string   // E.164, empty when carrier-free
	ContactEmails []string // 連絡先メールアドレス
	KeyFailures   int      // consecutive wrong keys, not reset by a new key
	KeyLockedTill time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// CarrierFree reports whether the account has no docomo line.
func (a *Account) CarrierFree() bool { return a.DocomoLine == "" }

// Contract holds the details of a contract group shown on ご契約情報.
type Contract struct {
	Plan      string `json:"plan"`
	Licenses  int    `json:"licenses"`
	StartDate string `json:"start_date"` // YYYY-MM-DD
	Status    string `json:"status"`     // active, suspended, terminated
}

// ContractGroup is one contract of the service.
type ContractGroup struct {
	ID                   string
	ManagementNumber     string
	RepresentativeNumber string // E.164
	Contract             Contract
	CLOMO                *CLOMOEnvironment // nil while not set
	// PasskeyRequired: only a passkey sign-in enters the group; a one-time
	// key only registers a first passkey (SPEC §2, Passkeys).
	PasskeyRequired bool
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// GroupChoice is how a group is offered to choose (SPEC §2 step 5) or to
// switch to: its representative number, and its organization name when the
// group's CLOMO environment exists (nil when not).
type GroupChoice struct {
	GroupID              string  `json:"group_id"`
	RepresentativeNumber string  `json:"representative_number"`
	OrganizationName     *string `json:"organization_name"`
}

// Choice is the group as it is offered to choose.
func (g *ContractGroup) Choice() GroupChoice {
	c := GroupChoice{GroupID: g.ID, RepresentativeNumber: g.RepresentativeNumber}
	if g.CLOMO != nil {
		name := g.CLOMO.OrganizationName
		c.OrganizationName = &name
	}
	return c
}

// CLOMOEnvironment is the MDM tenant behind a group.
type CLOMOEnvironment struct {
	OrganizationName string `json:"organization_name"`
	ContactName      string `json:"contact_name"`
	ContactEmail     string `json:"contact_email"`
	TimeZone         string `json:"time_zone"`
}

// Role of an administrator within a group.
type Role string

const (
	RoleRepresentative Role = "representative" // 代表管理者
	RoleAdmin          Role = "admin"
)

// Administrator is an account's registration in one contract group.
type Administrator struct {
	GroupID               string
	AccountID             string
	LoginID               string // filled by reads, for display
	Role                  Role
	Name                  string
	Email                 string // 管理者に設定したメールアドレス, may be empty
	InitialPasswordHash   string // empty once the first login completed
	FirstLoginDone        bool
	InitialPasswordFails  int
	InitialPasswordLocked time.Time // zero when not throttled
	CreatedAt             time.Time
	UpdatedAt             time.Time
}

// Route is where the group's e-mail reaches the administrator (SPEC §2
// step 4): the administrator e-mail when one is set, else every contact
// e-mail of the account.
func (a *Administrator) Route(acct *Account) []string {
	if a.Email != "" {
		return []string{a.Email}
	}
	if acct == nil {
		return nil
	}
	return acct.ContactEmails
}

// AddressScope is one address on an account's routes and the groups whose
// route holds it: the groups its e-mail key opens.
type AddressScope struct {
	Address string
	Groups  []string
}

// EmailScopes lists every address on the routes of the account's groups,
// once each (ignoring case), in the order the groups come, with the groups
// each one reaches. An address set in one group's settings thereby never
// reaches another group, and one group's administrator e-mail never takes
// a contact e-mail off another group's route.
func EmailScopes(acct *Account, admins []*Administrator) []AddressScope {
	var out []AddressScope
	at := map[string]int{}
	for _, adm := range admins {
		for _, addr := range adm.Route(acct) {
			k := strings.ToLower(addr)
			if addr == "" {
				continue
			}
			i, ok := at[k]
			if !ok {
				i = len(out)
				at[k] = i
				out = append(out, AddressScope{Address: addr})
			}
			if g := out[i].Groups; len(g) == 0 || g[len(g)-1] != adm.GroupID {
				out[i].Groups = append(out[i].Groups, adm.GroupID)
			}
		}
	}
	return out
}

// NeedsInitialPassword reports whether the next login to the group must
// present the initial authentication password (SPEC §2 step 7).
func (a *Administrator) NeedsInitialPassword() bool {
	return a.Role != RoleRepresentative && !a.FirstLoginDone
}

// ResetInitialPassword makes the next login to the group ask the initial
// authentication password of hash again, with a clean failure count and no
// lock: how a representative or the operator resets a first login.
func (a *Administrator) ResetInitialPassword(hash string, at time.Time) {
	a.InitialPasswordHash, a.FirstLoginDone = hash, false
	a.InitialPasswordFails, a.InitialPasswordLocked = 0, time.Time{}
	a.UpdatedAt = at
}

// Flow steps.
type Step string

const (
	StepPassword        Step = "password"
	StepOneTimeKey      Step = "one_time_key"
	StepInitialPassword Step = "initial_password"
	// StepPasskey is a flow begun by パスキーでログイン: no ID, no password
	// yet; the passkey stands for both and for the key.
	StepPasskey Step = "passkey"
	// StepGroup follows a passkey: the group choice among the groups the
	// passkey opens (the flow's Scope).
	StepGroup Step = "group"
	StepDone  Step = "done"
)

// Flow is a login in progress. Its ID is a secret held by the client
// (cookie or flow_id); the store keeps only its hash.
type Flow struct {
	ID string // hash of the client's flow token
	// SealedLoginID is the login ID as entered (normalized), sealed with
	// the server's keyring: people type passwords into ID fields, so what
	// was typed never rests in clear. A federated flow keeps its sealed
	// request to the provider here instead (login.FederationRequest).
	SealedLoginID []byte
	AccountID     string // set once the password was right
	Step          Step
	GroupID       string // chosen group, set by a right key when step 7 follows
	// Scope is the groups the flow's second factor opened, set by a right
	// key when step 7 follows; the session inherits it.
	Scope []string
	// Factor is the second factor that opened Scope (sms, email, passkey).
	Factor    Method
	ClientIP  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Method of delivering a one-time key.
type Method string

const (
	MethodSMS   Method = "sms"
	MethodEmail Method = "email"
	// MethodPasskey is a passkey standing for the one-time key.
	MethodPasskey Method = "passkey"
)

// OneTimeKey is an issued key; only its keyed hash is stored. One issuance
// makes one key per destination (SPEC §2 step 4), all with the same IssueID;
// each opens only the groups of its Scope.
type OneTimeKey struct {
	ID            string
	IssueID       string
	FlowID        string
	AccountID     string
	Method        Method
	Hash          string
	SentTo        string   // the masked destination, to name it later
	Scope         []string // the group IDs it opens
	CreatedAt     time.Time
	ExpiresAt     time.Time
	UsedAt        time.Time
	InvalidatedAt time.Time
}

// Opens reports whether the key opens the group.
func (k *OneTimeKey) Opens(groupID string) bool { return slices.Contains(k.Scope, groupID) }

// Usable reports whether the key can still be presented at now.
func (k *OneTimeKey) Usable(now time.Time) bool {
	return k.UsedAt.IsZero() && k.InvalidatedAt.IsZero() && now.Before(k.ExpiresAt)
}

// Delivery statuses (SPEC §3).
const (
	DeliveryQueued    = "queued"
	DeliverySent      = "sent"
	DeliveryFailed    = "failed"
	DeliveryBounced   = "bounced"
	DeliveryDelivered = "delivered"
)

// Delivery is one message to one recipient, written to the outbox in the
// same transaction as the state that caused it. Payload is sealed with the
// server's secret so a key never rests in the database in clear, and is
// erased once the message is sent or abandoned.
type Delivery struct {
	ID            string
	Kind          string // DeliveryKindKey or DeliveryKindNotification
	Channel       Method // sms or email
	Recipient     string // E.164 number or e-mail address
	FlowID        string
	KeyID         string
	Lang          string
	Payload       []byte // sealed
	Status        string
	Attempts      int
	LastError     string
	NextAttemptAt time.Time
	LeaseUntil    time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// BounceReason and BounceStatus say why a bounced message did not
	// arrive (the bounce's reason, e.g. filtered, and status, 5.7.1).
	BounceReason string
	BounceStatus string
}

// Delivery kinds: what a delivery's sealed payload holds.
const (
	DeliveryKindKey          = "one_time_key" // a KeyPayload
	DeliveryKindNotification = "notification" // a NotificationPayload
)

// KeyPayload is the sealed payload of a one-time key's delivery. Groups
// names the groups an e-mail key opens (management number and
// organization name), so its recipient knows what it is for.
type KeyPayload struct {
	Key       string    `json:"key"`
	ExpiresAt time.Time `json:"expires_at"`
	Groups    []string  `json:"groups,omitempty"`
}

// NotificationPayload is the sealed payload of a notification: its text,
// ready to send (an SMS has no subject). The fields have no JSON names on
// purpose: payloads already queued were written with these.
type NotificationPayload struct {
	Subject string
	Body    string
}

// Session is a signed-in administrator in one group.
type Session struct {
	ID        string // hash of the client's token
	AccountID string
	GroupID   string
	// Scope is the groups the sign-in's second factor opened: the session
	// may switch to those without a new login (SPEC §4).
	Scope      []string
	Factor     Method // the second factor of the sign-in (sms, email, passkey)
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end
}

// Opens reports whether the session's second factor opened the group.
func (s *Session) Opens(groupID string) bool { return slices.Contains(s.Scope, groupID) }

// MailNotificationDisabled marks an e-mail address as メール通知不可.
type MailNotificationDisabled struct {
	Address    string
	Reason     string // no_such_user, mailbox_full, repeated_transient …
	DeliveryID string
	Status     string // enhanced status code of the bounce, 5.1.1
	Diagnostic string // the remote server's words
	At         time.Time
}

// BounceEvent is what one bounce said about a delivery's recipient.
type BounceEvent struct {
	DeliveryID string
	Recipient  string
	Class      string // permanent, transient, none
	Reason     string
	Status     string
	Diagnostic string
	At         time.Time
}
