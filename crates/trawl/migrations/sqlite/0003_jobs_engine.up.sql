-- The job engine: cancel requests, retry-pending (`failed`) jobs counted as runnable and
-- active, a per-team claim index, worker registry, cron schedules, expiry tombstones.
-- Timestamps are UTC text `%Y-%m-%dT%H:%M:%fZ`, so they compare as strings.

ALTER TABLE jobs ADD COLUMN cancel_requested_at TEXT;

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
    id           TEXT PRIMARY KEY NOT NULL,
    hostname     TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    kinds        TEXT NOT NULL DEFAULT '[]',
    concurrency  INTEGER NOT NULL,
    running      INTEGER NOT NULL DEFAULT 0,
    started_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    heartbeat_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX workers_heartbeat_idx ON workers (heartbeat_at);

CREATE TABLE schedules (
    id          TEXT PRIMARY KEY NOT NULL,
    team_id     TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    cron        TEXT NOT NULL,
    timezone    TEXT NOT NULL DEFAULT 'UTC',
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL DEFAULT '{}',
    paused      INTEGER NOT NULL DEFAULT 0,
    last_run_at TEXT,
    next_run_at TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT schedules_team_name_key UNIQUE (team_id, name)
);
CREATE INDEX schedules_due_idx ON schedules (next_run_at) WHERE paused = 0;

-- What is left of an expired job, so that its id answers `job_expired`, not `not_found`.
CREATE TABLE job_tombstones (
    id         TEXT PRIMARY KEY NOT NULL,
    team_id    TEXT,
    kind       TEXT NOT NULL,
    expired_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX job_tombstones_expired_idx ON job_tombstones (expired_at);
