-- Identity: the audit log is append-only inside the database too, so that a bug or a
-- stray statement cannot rewrite history (a person with file access still can, which
-- the hash chain detects). Keys are looked up by team for listings.

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE INDEX api_keys_team_idx ON api_keys (team_id, created_at);
