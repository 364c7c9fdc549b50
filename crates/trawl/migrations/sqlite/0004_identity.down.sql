DROP INDEX IF EXISTS api_keys_team_idx;
DROP TRIGGER IF EXISTS audit_log_no_delete;
DROP TRIGGER IF EXISTS audit_log_no_update;
