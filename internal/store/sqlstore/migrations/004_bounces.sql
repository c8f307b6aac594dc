-- Bounces (SPEC §3): why an address is in メール通知不可, and what each
-- bounce said about a delivery's recipient, once per delivery and
-- recipient. severity orders the classes (none 0, transient 1, permanent
-- 2) so that a repeat never downgrades; counted is cleared when the
-- address is re-enabled, so older transient failures stop counting.
ALTER TABLE suppressions ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE suppressions ADD COLUMN diagnostic TEXT NOT NULL DEFAULT '';

CREATE TABLE bounce_events (
    delivery_id TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    class       TEXT NOT NULL,
    severity    INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT '',
    diagnostic  TEXT NOT NULL DEFAULT '',
    counted     INTEGER NOT NULL DEFAULT 1,
    at          BIGINT NOT NULL,
    PRIMARY KEY (delivery_id, recipient)
);
CREATE INDEX bounce_events_recipient ON bounce_events(recipient, class, at);
