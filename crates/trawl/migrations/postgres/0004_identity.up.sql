-- Identity: the audit log is append-only inside the database too, so that a bug or a
-- stray statement cannot rewrite history (a superuser still can, which the hash chain
-- detects). Keys are looked up by team for listings.

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE INDEX api_keys_team_idx ON api_keys (team_id, created_at);
