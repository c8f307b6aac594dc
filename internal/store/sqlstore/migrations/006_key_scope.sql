-- Key scope (SPEC §2 steps 4 and 6): one issuance makes one key per
-- destination, each opening only the groups whose route holds it. Keys
-- name their issuance, their masked destination and the groups they open
-- (group IDs separated by spaces); a flow waiting for the initial password
-- and a session remember the groups their second factor opened.
ALTER TABLE one_time_keys ADD COLUMN issue_id TEXT NOT NULL DEFAULT '';
ALTER TABLE one_time_keys ADD COLUMN sent_to TEXT NOT NULL DEFAULT '';
ALTER TABLE one_time_keys ADD COLUMN scope TEXT NOT NULL DEFAULT '';
UPDATE one_time_keys SET issue_id = id;
-- A key issued before scopes existed opened every group: retire it, the
-- user issues a new one.
UPDATE one_time_keys SET invalidated_at = expires_at WHERE used_at = 0 AND invalidated_at = 0;
CREATE INDEX one_time_keys_issue ON one_time_keys(flow_id, issue_id);
ALTER TABLE login_flows ADD COLUMN scope TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN scope TEXT NOT NULL DEFAULT '';
