-- The limits against SMS pumping count recent SMS per destination number
-- and in all; these indexes keep those counts to a few index entries.
CREATE INDEX deliveries_recipient ON deliveries(recipient, created_at);
CREATE INDEX deliveries_channel ON deliveries(channel, created_at);
