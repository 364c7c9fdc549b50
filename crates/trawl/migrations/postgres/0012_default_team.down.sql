ALTER TABLE users DROP COLUMN default_team_id;
