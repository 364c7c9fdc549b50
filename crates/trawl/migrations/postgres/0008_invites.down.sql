ALTER TABLE sessions DROP COLUMN privilege;
DROP TABLE invites;
