-- Recovery in seconds (issue 21): rescues counted apart from failed attempts, a process
-- identity so a dead worker on this host is known at once, and idempotency keys.

-- How often the job's worker was lost while running it (killed, or silent); its own
-- budget (`jobs.max_rescues`), so kills do not use up the failure attempts.
ALTER TABLE jobs ADD COLUMN rescues INTEGER NOT NULL DEFAULT 0;

-- `boot_id/pid namespace/pid/start time` of the worker's process: a node on the same
-- kernel and pid namespace can tell from /proc that the process is gone.
ALTER TABLE workers ADD COLUMN process_key TEXT;

-- A job-creating request's `Idempotency-Key`, per team: a retry with the same key gets
-- the first answer back instead of a second job.
CREATE TABLE idempotency_keys (
    team_id      UUID NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    job_id       UUID NOT NULL,
    response     JSONB NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (team_id, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);
