DROP INDEX IF EXISTS api_keys_team_idx;
DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log;
DROP FUNCTION IF EXISTS audit_log_append_only();
