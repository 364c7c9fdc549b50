-- Initial schema. Timestamps are UTC text in one fixed format
-- (YYYY-MM-DDTHH:MM:SS.sssZ) so that text comparison is time comparison.

CREATE TABLE teams (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    settings    TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT teams_name_key UNIQUE (name)
);

CREATE TABLE users (
    id                  TEXT PRIMARY KEY NOT NULL,
    email               TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    is_admin            INTEGER NOT NULL DEFAULT 0,
    disabled_at         TEXT,
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    locked_until        TEXT,
    password_changed_at TEXT,
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE memberships (
    team_id     TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT memberships_pkey PRIMARY KEY (team_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY NOT NULL,
    team_id      TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    key_hash     TEXT NOT NULL,
    key_prefix   TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    scopes       TEXT NOT NULL DEFAULT '[]',
    expires_at   TEXT,
    created_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    last_used_at TEXT,
    revoked_at   TEXT,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
    CONSTRAINT api_keys_team_name_key UNIQUE (team_id, name)
);

-- Dashboard sessions and refresh tokens: only a hash of the token is stored.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY NOT NULL,
    token_hash   TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('browser', 'refresh')),
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    team_id      TEXT REFERENCES teams (id) ON DELETE CASCADE,
    family_id    TEXT,
    csrf_token   TEXT,
    ip           TEXT,
    user_agent   TEXT,
    last_seen_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    expires_at   TEXT NOT NULL,
    used_at      TEXT,
    revoked_at   TEXT,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT sessions_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_family_idx ON sessions (family_id) WHERE family_id IS NOT NULL;
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Append-only; each row's hash covers its content and the previous row's hash.
-- No foreign keys: the log outlives the users and teams it names.
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL,
    occurred_at   TEXT NOT NULL,
    request_id    TEXT,
    event         TEXT NOT NULL,
    actor_type    TEXT NOT NULL,
    actor_id      TEXT,
    credential_id TEXT,
    source_ip     TEXT,
    user_agent    TEXT,
    team_id       TEXT,
    target        TEXT,
    outcome       TEXT NOT NULL,
    reason        TEXT,
    details       TEXT NOT NULL DEFAULT '{}',
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT audit_log_id_key UNIQUE (id)
);
CREATE INDEX audit_log_team_time_idx ON audit_log (team_id, occurred_at);
CREATE INDEX audit_log_event_idx ON audit_log (event, occurred_at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, occurred_at);

CREATE TABLE jobs (
    id               TEXT PRIMARY KEY NOT NULL,
    team_id          TEXT REFERENCES teams (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL DEFAULT '{}',
    state            TEXT NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'discarded')),
    priority         INTEGER NOT NULL DEFAULT 0,
    attempt          INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL DEFAULT 3,
    run_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    lease_owner      TEXT,
    lease_expires_at TEXT,
    started_at       TEXT,
    finished_at      TEXT,
    expires_at       TEXT,
    last_error       TEXT,
    errors           TEXT NOT NULL DEFAULT '[]',
    result           TEXT,
    unique_key       TEXT,
    parent_id        TEXT REFERENCES jobs (id) ON DELETE CASCADE,
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
-- Partial indexes keep the claim path small however many finished rows there are.
CREATE INDEX jobs_runnable_idx ON jobs (priority DESC, run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_lease_idx ON jobs (lease_expires_at) WHERE state = 'running';
CREATE UNIQUE INDEX jobs_unique_key_active ON jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('queued', 'running');
CREATE INDEX jobs_team_created_idx ON jobs (team_id, created_at);
CREATE INDEX jobs_parent_idx ON jobs (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX jobs_expires_idx ON jobs (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE documents (
    id           TEXT PRIMARY KEY NOT NULL,
    team_id      TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    job_id       TEXT REFERENCES jobs (id) ON DELETE SET NULL,
    url          TEXT NOT NULL,
    final_url    TEXT,
    domain       TEXT NOT NULL,
    title        TEXT,
    description  TEXT,
    language     TEXT,
    status_code  INTEGER,
    markdown     TEXT,
    metadata     TEXT NOT NULL DEFAULT '{}',
    analysis     TEXT,
    content_hash TEXT,
    fetched_at   TEXT NOT NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- A re-run of a job rewrites its page instead of adding a second one.
    CONSTRAINT documents_job_url_key UNIQUE (job_id, url)
);
CREATE INDEX documents_team_fetched_idx ON documents (team_id, fetched_at);
CREATE INDEX documents_team_domain_idx ON documents (team_id, domain);
CREATE INDEX documents_job_idx ON documents (job_id);
