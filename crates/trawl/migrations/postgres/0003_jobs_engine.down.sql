DROP TABLE job_tombstones;
DROP TABLE schedules;
DROP TABLE workers;
DROP INDEX jobs_unique_key_active;
CREATE UNIQUE INDEX jobs_unique_key_active ON jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('queued', 'running');
DROP INDEX jobs_team_runnable_idx;
DROP INDEX jobs_runnable_idx;
CREATE INDEX jobs_runnable_idx ON jobs (priority DESC, run_at, id) WHERE state = 'queued';
ALTER TABLE jobs DROP COLUMN cancel_requested_at;
