-- The console's audit log is read per group, filtered by kind, newest first.
CREATE INDEX audit_events_group_kind ON audit_events(group_id, kind, id);
