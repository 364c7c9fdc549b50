DROP INDEX documents_team_id_idx;
DROP INDEX documents_search_idx;
ALTER TABLE documents DROP COLUMN search;
