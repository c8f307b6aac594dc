-- Written once for SQLite and PostgreSQL. Times are Unix milliseconds
-- (0 = never), booleans are 0/1, and {{autoid}} is the one dialect word.
CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    login_id        TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    docomo_line     TEXT NOT NULL DEFAULT '',
    contact_emails  TEXT NOT NULL DEFAULT '[]',
    key_failures    INTEGER NOT NULL DEFAULT 0,
    key_locked_till BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE contract_groups (
    id                    TEXT PRIMARY KEY,
    management_number     TEXT NOT NULL UNIQUE,
    representative_number TEXT NOT NULL,
    contract              TEXT NOT NULL DEFAULT '{}',
    clomo                 TEXT NOT NULL DEFAULT '',
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

CREATE TABLE administrators (
    group_id                 TEXT NOT NULL REFERENCES contract_groups(id),
    account_id               TEXT NOT NULL REFERENCES accounts(id),
    role                     TEXT NOT NULL,
    name                     TEXT NOT NULL,
    email                    TEXT NOT NULL DEFAULT '',
    initial_password_hash    TEXT NOT NULL DEFAULT '',
    first_login_done         INTEGER NOT NULL DEFAULT 0,
    initial_password_fails   INTEGER NOT NULL DEFAULT 0,
    initial_password_locked  BIGINT NOT NULL DEFAULT 0,
    created_at               BIGINT NOT NULL,
    updated_at               BIGINT NOT NULL,
    PRIMARY KEY (group_id, account_id)
);
CREATE INDEX administrators_account ON administrators(account_id);
CREATE UNIQUE INDEX administrators_one_representative ON administrators(group_id) WHERE role = 'representative';

CREATE TABLE login_flows (
    id         TEXT PRIMARY KEY,
    login_id   TEXT NOT NULL,
    account_id TEXT NOT NULL DEFAULT '',
    step       TEXT NOT NULL,
    group_id   TEXT NOT NULL DEFAULT '',
    client_ip  TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX login_flows_expires ON login_flows(expires_at);

CREATE TABLE one_time_keys (
    id             TEXT PRIMARY KEY,
    flow_id        TEXT NOT NULL,
    account_id     TEXT NOT NULL,
    method         TEXT NOT NULL,
    key_hash       TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT NOT NULL DEFAULT 0,
    invalidated_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX one_time_keys_flow ON one_time_keys(flow_id, created_at);
CREATE INDEX one_time_keys_account ON one_time_keys(account_id, created_at);

CREATE TABLE throttles (
    name        TEXT PRIMARY KEY,
    failures    INTEGER NOT NULL,
    locked_till BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    channel         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    flow_id         TEXT NOT NULL DEFAULT '',
    key_id          TEXT NOT NULL DEFAULT '',
    lang            TEXT NOT NULL DEFAULT 'ja',
    payload         TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX deliveries_flow ON deliveries(flow_id);

CREATE TABLE suppressions (
    address     TEXT PRIMARY KEY,
    reason      TEXT NOT NULL,
    delivery_id TEXT NOT NULL DEFAULT '',
    at          BIGINT NOT NULL
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    group_id     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE audit_events (
    id         {{autoid}},
    group_id   TEXT NOT NULL DEFAULT '',
    account_id TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '{}',
    client_ip  TEXT NOT NULL DEFAULT '',
    at         BIGINT NOT NULL
);
CREATE INDEX audit_events_group ON audit_events(group_id, id);
