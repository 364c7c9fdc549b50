-- Schedules as an API resource (a webhook, the last run's job), the runs each schedule
-- fired, and change tracking on the documents those runs stored.

ALTER TABLE schedules ADD COLUMN webhook JSONB;
ALTER TABLE schedules ADD COLUMN last_job_id UUID;

-- One row per tick that enqueued a job. No foreign key to `jobs`: the run (and its
-- counts) stays listed after the job itself expires.
CREATE TABLE schedule_runs (
    job_id        UUID PRIMARY KEY,
    schedule_id   UUID NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    team_id       UUID NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    scheduled_for TIMESTAMPTZ NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX schedule_runs_schedule_idx ON schedule_runs (schedule_id, job_id);

-- No foreign key, as on SQLite: a page kept after its schedule is deleted is still a
-- valid document.
ALTER TABLE documents ADD COLUMN schedule_id UUID;
ALTER TABLE documents ADD COLUMN change_status TEXT;
ALTER TABLE documents ADD COLUMN diff TEXT;
-- The previous run's copy of a page: the newest document of the schedule with that URL.
CREATE INDEX documents_schedule_url_idx ON documents (schedule_id, url, fetched_at)
    WHERE schedule_id IS NOT NULL;
