ALTER TABLE sessions DROP COLUMN privilege;
DROP INDEX invites_team_idx;
DROP TABLE invites;
