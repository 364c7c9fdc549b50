-- Invite links: an admin invites someone into a team with a role. Only a hash of the
-- token is kept; a token is redeemed once, before it expires, by registering with it.
CREATE TABLE invites (
    id          UUID PRIMARY KEY,
    token_hash  TEXT NOT NULL,
    team_id     UUID NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    -- When set, only this address may redeem the invite.
    email       TEXT,
    created_by  UUID REFERENCES users (id) ON DELETE SET NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    used_by     UUID REFERENCES users (id) ON DELETE SET NULL,
    revoked_at  TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT invites_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX invites_team_idx ON invites (team_id, created_at);

-- The privileges a dashboard session was issued under (instance admin, role in its
-- team). When they change, the next request rotates the session id.
ALTER TABLE sessions ADD COLUMN privilege TEXT;
