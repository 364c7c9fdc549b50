-- Schedules as an API resource (a webhook, the last run's job), the runs each schedule
-- fired, and change tracking on the documents those runs stored.

ALTER TABLE schedules ADD COLUMN webhook TEXT;
ALTER TABLE schedules ADD COLUMN last_job_id TEXT;

-- One row per tick that enqueued a job. No foreign key to `jobs`: the run (and its
-- counts) stays listed after the job itself expires.
CREATE TABLE schedule_runs (
    job_id        TEXT PRIMARY KEY NOT NULL,
    schedule_id   TEXT NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    team_id       TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    scheduled_for TEXT NOT NULL,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX schedule_runs_schedule_idx ON schedule_runs (schedule_id, job_id);

-- `schedule_id` has no foreign key on purpose: SQLite cannot drop a column that is part
-- of one (so the down migration could not undo it), and a page kept after its schedule
-- is deleted is still a valid document.
ALTER TABLE documents ADD COLUMN schedule_id TEXT;
ALTER TABLE documents ADD COLUMN change_status TEXT;
ALTER TABLE documents ADD COLUMN diff TEXT;
-- The previous run's copy of a page: the newest document of the schedule with that URL.
CREATE INDEX documents_schedule_url_idx ON documents (schedule_id, url, fetched_at);
