-- Passkeys (SPEC §2, Passkeys): WebAuthn credentials by their credential
-- ID (base64url), each opening the groups of its scope (group IDs
-- separated by spaces), and the ceremonies begun, taken once, by a hash of
-- their challenge.
CREATE TABLE passkeys (
    id                 TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL,
    public_key         TEXT NOT NULL,
    sign_count         BIGINT NOT NULL DEFAULT 0,
    aaguid             TEXT NOT NULL DEFAULT '',
    flags              INTEGER NOT NULL DEFAULT 0,
    transports         TEXT NOT NULL DEFAULT '',
    attestation_format TEXT NOT NULL DEFAULT '',
    name               TEXT NOT NULL DEFAULT '',
    scope              TEXT NOT NULL DEFAULT '',
    created_at         BIGINT NOT NULL,
    last_used_at       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX passkeys_account ON passkeys(account_id);
CREATE TABLE webauthn_challenges (
    id         TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    account_id TEXT NOT NULL DEFAULT '',
    flow_id    TEXT NOT NULL DEFAULT '',
    session_id TEXT NOT NULL DEFAULT '',
    data       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX webauthn_challenges_expires ON webauthn_challenges(expires_at);
CREATE INDEX webauthn_challenges_flow ON webauthn_challenges(flow_id);
CREATE INDEX webauthn_challenges_session ON webauthn_challenges(session_id);
-- The representative may require passkeys for a group; flows and sessions
-- remember the second factor that opened them (sms, email, passkey).
ALTER TABLE contract_groups ADD COLUMN passkey_required INTEGER NOT NULL DEFAULT 0;
ALTER TABLE login_flows ADD COLUMN factor TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN factor TEXT NOT NULL DEFAULT '';
