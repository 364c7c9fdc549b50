DROP INDEX documents_team_id_idx;
DROP TRIGGER documents_fts_delete;
DROP TRIGGER documents_fts_update;
DROP TRIGGER documents_fts_insert;
DROP TABLE documents_fts;
