-- Full-text search over documents: a weighted tsvector (title above URL above Markdown)
-- kept by PostgreSQL itself, with a GIN index. Only the first 200,000 characters of the
-- Markdown are indexed: a tsvector may not exceed 1 MB, and a page too large for it must
-- still be stored.
ALTER TABLE documents ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(title, '')), 'A')
    || setweight(to_tsvector('simple', url), 'B')
    || setweight(to_tsvector('english', left(coalesce(markdown, ''), 200000)), 'C')
) STORED;
CREATE INDEX documents_search_idx ON documents USING GIN (search);

-- A team's documents newest first, for listing and keyset pages.
CREATE INDEX documents_team_id_idx ON documents (team_id, id);
