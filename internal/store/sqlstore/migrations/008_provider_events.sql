-- Events of the sending services' bounce notifications (Amazon SES through
-- SNS, SendGrid), by the provider's own event ID: a provider delivers at
-- least once, so a repeat is recognised here and changes nothing. at is
-- when anshin received it, for the purge.
CREATE TABLE provider_events (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    delivery_id TEXT NOT NULL DEFAULT '',
    at          BIGINT NOT NULL,
    PRIMARY KEY (provider, event_id)
);
CREATE INDEX provider_events_at ON provider_events(at);
