-- A gateway's name of a sent message (a Twilio message SID), so delivery
-- receipts find their delivery; and indexes for the SMS limits.
ALTER TABLE deliveries ADD COLUMN provider_id TEXT NOT NULL DEFAULT '';
CREATE INDEX deliveries_provider ON deliveries(provider_id);
CREATE INDEX deliveries_channel_created ON deliveries(channel, created_at);
CREATE INDEX deliveries_recipient_created ON deliveries(recipient, created_at);
