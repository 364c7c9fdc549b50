-- The job engine: cancel requests, retry-pending (`failed`) jobs counted as runnable and
-- active, a per-team claim index, worker registry, cron schedules, expiry tombstones.

ALTER TABLE jobs ADD COLUMN cancel_requested_at TIMESTAMPTZ;

-- `failed` means "failed an attempt, waiting for its retry": it is runnable once run_at
-- passes and still holds its unique key.
DROP INDEX jobs_runnable_idx;
CREATE INDEX jobs_runnable_idx ON jobs (run_at) WHERE state IN ('queued', 'failed');
CREATE INDEX jobs_team_runnable_idx ON jobs (team_id, priority DESC, run_at, id)
    WHERE state IN ('queued', 'failed');
DROP INDEX jobs_unique_key_active;
CREATE UNIQUE INDEX jobs_unique_key_active ON jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('queued', 'running', 'failed');

CREATE TABLE workers (
    id           UUID PRIMARY KEY,
    hostname     TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    kinds        JSONB NOT NULL DEFAULT '[]',
    concurrency  INTEGER NOT NULL,
    running      INTEGER NOT NULL DEFAULT 0,
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX workers_heartbeat_idx ON workers (heartbeat_at);

CREATE TABLE schedules (
    id          UUID PRIMARY KEY,
    team_id     UUID NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    cron        TEXT NOT NULL,
    timezone    TEXT NOT NULL DEFAULT 'UTC',
    kind        TEXT NOT NULL,
    payload     JSONB NOT NULL DEFAULT '{}',
    paused      BOOLEAN NOT NULL DEFAULT false,
    last_run_at TIMESTAMPTZ,
    next_run_at TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT schedules_team_name_key UNIQUE (team_id, name)
);
CREATE INDEX schedules_due_idx ON schedules (next_run_at) WHERE NOT paused;

-- What is left of an expired job, so that its id answers `job_expired`, not `not_found`.
CREATE TABLE job_tombstones (
    id         UUID PRIMARY KEY,
    team_id    UUID,
    kind       TEXT NOT NULL,
    expired_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX job_tombstones_expired_idx ON job_tombstones (expired_at);
