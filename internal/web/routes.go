package web

import (
	"io/fs"
	"net/http"
)

// routes lists every route of anshin in one place.
func (s *Server) routes(mux *http.ServeMux) {
	// Pages: the login flow (SPEC §2) and the console (SPEC §4).
	mux.Handle("GET /{$}", s.handleHome())
	mux.Handle("GET /login", s.handleLoginPage())
	mux.Handle("POST /login", s.passwordLogin(s.handleLoginSubmit()))
	mux.Handle("GET /login/password", s.passwordLogin(s.handlePasswordPage()))
	mux.Handle("POST /login/password", s.passwordLogin(s.handlePasswordSubmit()))
	mux.Handle("GET /login/oidc", s.handleFederationStart())
	mux.Handle("GET /login/oidc/callback", s.handleFederationCallback())
	mux.Handle("GET /login/key", s.handleKeyPage())
	mux.Handle("POST /login/key/issue", s.handleKeyIssue())
	mux.Handle("POST /login/key/verify", s.handleKeyVerify())
	mux.Handle("GET /login/key/status", s.handleKeyStatus())
	mux.Handle("GET /login/initial-password", s.handleInitialPasswordPage())
	mux.Handle("POST /login/initial-password", s.handleInitialPasswordSubmit())
	mux.Handle("POST /login/passkey/start", s.handlePasskeyStart())
	mux.Handle("POST /login/passkey/options", s.handlePasskeyOptions())
	mux.Handle("POST /login/passkey", s.handlePasskeyFinish())
	mux.Handle("GET /login/group", s.handleGroupChoicePage())
	mux.Handle("POST /login/group", s.handleGroupChoice())
	mux.Handle("GET /console", s.consolePage(s.handleContractPage))
	mux.Handle("GET /console/clomo", s.consolePage(s.handleCLOMOPage))
	mux.Handle("POST /console/clomo", s.consolePage(s.handleCLOMOSubmit))
	mux.Handle("GET /console/admins", s.consolePage(s.handleAdminsPage))
	mux.Handle("GET /console/admins/new", s.consolePage(s.handleAdminNewPage))
	mux.Handle("POST /console/admins", s.consolePage(s.handleAdminAdd))
	mux.Handle("GET /console/admins/{login_id}", s.consolePage(s.handleAdminEditPage))
	mux.Handle("POST /console/admins/{login_id}", s.consolePage(s.handleAdminEdit))
	mux.Handle("POST /console/admins/{login_id}/mail-state", s.consolePage(s.handleAdminClearMail))
	mux.Handle("GET /console/admins/{login_id}/delete", s.consolePage(s.handleAdminDeletePage))
	mux.Handle("POST /console/admins/{login_id}/delete", s.consolePage(s.handleAdminDelete))
	mux.Handle("GET /console/admins/{login_id}/initial-password", s.consolePage(s.handleAdminResetPage))
	mux.Handle("POST /console/admins/{login_id}/initial-password", s.consolePage(s.handleAdminReset))
	mux.Handle("GET /console/audit", s.consolePage(s.handleAuditPage))
	mux.Handle("GET /console/passkeys", s.consolePage(s.handlePasskeysPage))
	mux.Handle("POST /console/passkey-policy", s.consolePage(s.handlePasskeyPolicy))
	mux.Handle("POST /console/passkeys/{id}", s.consolePage(s.handlePasskeyRename))
	mux.Handle("POST /console/passkeys/{id}/delete", s.consolePage(s.handlePasskeyDelete))
	mux.Handle("GET /console/groups", s.consolePage(s.handleGroupsPage))
	mux.Handle("POST /console/groups", s.consolePage(s.handleGroupSwitch))
	mux.Handle("POST /logout", s.handleLogout())
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.Handle("GET /healthz", s.handleHealth())
	mux.Handle("GET /readyz", s.handleReady())
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics)
	}

	// JSON API (SPEC §5).
	mux.Handle("POST /api/v1/login", s.passwordLogin(s.apiLoginStart()))
	mux.Handle("POST /api/v1/login/{flow_id}/password", s.passwordLogin(s.apiLoginPassword()))
	mux.Handle("POST /api/v1/login/{flow_id}/one-time-key", s.apiLoginIssueKey())
	mux.Handle("GET /api/v1/login/{flow_id}/deliveries", s.apiLoginDeliveries())
	if s.TwilioReceipts != nil {
		mux.Handle("POST /api/v1/sms/twilio/status", s.apiTwilioStatus())
	}
	mux.Handle("POST /api/v1/login/{flow_id}/verify", s.apiLoginVerify())
	mux.Handle("POST /api/v1/login/{flow_id}/initial-password", s.apiLoginInitialPassword())
	mux.Handle("POST /api/v1/login/passkey", s.apiPasskeyStart())
	mux.Handle("POST /api/v1/login/{flow_id}/passkey/options", s.apiPasskeyOptions())
	mux.Handle("POST /api/v1/login/{flow_id}/passkey", s.apiPasskeySignIn())
	mux.Handle("POST /api/v1/login/{flow_id}/group", s.apiPasskeyGroup())
	mux.Handle("GET /api/v1/session", s.apiSession())
	mux.Handle("DELETE /api/v1/session", s.apiSignOut())

	// Console JSON API (SPEC §4), bearer session or the browser's cookie.
	mux.Handle("POST /api/v1/session/group", s.consoleTexts(s.apiSwitchGroup()))
	mux.Handle("GET /api/v1/groups", s.consoleAPI(s.apiGroups))
	mux.Handle("GET /api/v1/contract", s.consoleAPI(s.apiContract))
	mux.Handle("GET /api/v1/clomo", s.consoleAPI(s.apiCLOMO))
	mux.Handle("PUT /api/v1/clomo", s.consoleAPI(s.apiPutCLOMO))
	mux.Handle("GET /api/v1/admins", s.consoleAPI(s.apiAdmins))
	mux.Handle("POST /api/v1/admins", s.consoleAPI(s.apiAddAdmin))
	mux.Handle("GET /api/v1/admins/{login_id}", s.consoleAPI(s.apiAdmin))
	mux.Handle("PUT /api/v1/admins/{login_id}", s.consoleAPI(s.apiUpdateAdmin))
	mux.Handle("DELETE /api/v1/admins/{login_id}", s.consoleAPI(s.apiDeleteAdmin))
	mux.Handle("DELETE /api/v1/admins/{login_id}/mail-state", s.consoleAPI(s.apiClearMailNotificationDisabled))
	mux.Handle("PUT /api/v1/admins/{login_id}/initial-password", s.consoleAPI(s.apiResetInitialPassword))
	mux.Handle("GET /api/v1/audit", s.consoleAPI(s.apiAudit))
	mux.Handle("GET /api/v1/passkeys", s.consoleAPI(s.apiPasskeys))
	mux.Handle("POST /api/v1/passkeys/options", s.consoleAPI(s.apiPasskeyRegisterOptions))
	mux.Handle("POST /api/v1/passkeys", s.consoleAPI(s.apiPasskeyRegister))
	mux.Handle("PUT /api/v1/passkeys/{id}", s.consoleAPI(s.apiPasskeyRename))
	mux.Handle("DELETE /api/v1/passkeys/{id}", s.consoleAPI(s.apiPasskeyDelete))
	mux.Handle("PUT /api/v1/passkey-policy", s.consoleAPI(s.apiPasskeyPolicy))

	// Bounce events of an e-mail provider (SPEC §3), off without ANSHIN_BOUNCE_WEBHOOK_TOKEN.
	mux.Handle("POST /api/v1/bounces", s.apiBounces())
	// The sending services' notifications (SPEC §3), each off until configured.
	mux.Handle("POST /api/v1/bounces/ses", s.apiBouncesSES())
	mux.Handle("POST /api/v1/bounces/sendgrid", s.apiBouncesSendGrid())
	mux.Handle("POST /api/v1/bounces/mailgun", s.apiBouncesMailgun())
	mux.Handle("POST /api/v1/bounces/postmark", s.apiBouncesPostmark())

	// Operator provisioning (SPEC §5), off without ANSHIN_OPERATOR_TOKEN.
	mux.Handle("PUT /api/v1/operator/accounts/{login_id}", s.operator(s.apiOperatorAccount()))
	mux.Handle("PUT /api/v1/operator/groups/{group_id}", s.operator(s.apiOperatorGroup()))
	mux.Handle("PUT /api/v1/operator/groups/{group_id}/admins/{login_id}", s.operator(s.apiOperatorAdmin()))
	mux.Handle("PUT /api/v1/operator/groups/{group_id}/clomo", s.operator(s.apiOperatorCLOMO()))

	// Development only.
	if s.Outbox != nil {
		mux.Handle("GET /dev/outbox", s.handleOutboxPage())
		mux.Handle("GET /dev/outbox.json", s.handleOutboxJSON())
	}

	mux.Handle("/api/", s.apiNotFound(mux))
	mux.Handle("/", s.handleNotFound())
}
