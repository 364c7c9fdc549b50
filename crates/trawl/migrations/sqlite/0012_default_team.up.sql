-- A user's default team: where a login or token without `team_id` acts. Set when the
-- account is created (the team it joined or was given), changed only by the user. Not a
-- foreign key (SQLite could not drop the column again); membership is checked on use.
ALTER TABLE users ADD COLUMN default_team_id TEXT;
