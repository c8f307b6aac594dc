-- Why a message bounced, to show it on the key page and in the API: the
-- bounce's reason (filtered, no_such_user …) and enhanced status code.
ALTER TABLE deliveries ADD COLUMN bounce_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN bounce_status TEXT NOT NULL DEFAULT '';
