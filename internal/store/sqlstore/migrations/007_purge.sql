-- The purge (README: Retention) finds what expired through these indexes,
-- a few index entries per batch however large the tables grew. The
-- partial index holds only deliveries that still carry a payload.
CREATE INDEX one_time_keys_created ON one_time_keys(created_at);
CREATE INDEX sessions_expires ON sessions(expires_at);
CREATE INDEX sessions_last_seen ON sessions(last_seen_at);
CREATE INDEX throttles_expires ON throttles(expires_at);
CREATE INDEX deliveries_created ON deliveries(created_at);
CREATE INDEX deliveries_payload ON deliveries(created_at) WHERE payload <> '';
CREATE INDEX bounce_events_at ON bounce_events(at);
CREATE INDEX audit_events_at ON audit_events(at);
-- A flow's login ID now rests sealed, and a throttle's name holds a keyed
-- hash of it. Flows still at the password step need their ID and cannot
-- have it back in clear: they go (a flow lives 30 minutes; the user starts
-- again). Later steps no longer read it, so theirs is blanked. Throttles
-- named after a login ID in clear go too: they last an hour at most.
DELETE FROM login_flows WHERE step = 'password';
UPDATE login_flows SET login_id = '';
DELETE FROM throttles WHERE name LIKE 'pw:account:%';
