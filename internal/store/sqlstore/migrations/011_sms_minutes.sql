-- The hourly SMS cap of the whole service counted the SMS rows of the last
-- hour, one index entry each: at a high rate, thousands per key issued.
-- The SMS queued in each minute are counted as they are queued instead, so
-- the count reads at most 61 of these rows and the rows of the window's
-- first, partial minute.
CREATE TABLE sms_minutes (
    minute BIGINT PRIMARY KEY, -- Unix milliseconds / 60000
    sent   INTEGER NOT NULL
);
INSERT INTO sms_minutes (minute, sent)
    SELECT created_at / 60000, COUNT(*) FROM deliveries WHERE channel = 'sms' GROUP BY created_at / 60000;
-- 005 repeated indexes 002 had made: each insert wrote both.
DROP INDEX deliveries_recipient;
DROP INDEX deliveries_channel;
