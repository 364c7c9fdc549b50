-- Full-text search over documents: an FTS5 index of title, URL and Markdown, kept in step
-- by triggers. Its rowid is the document's rowid, so a change or a delete finds its entry
-- without a scan. (Trawl never runs a plain VACUUM, which could renumber those rowids.)
CREATE VIRTUAL TABLE documents_fts USING fts5 (
    title, url, markdown,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

INSERT INTO documents_fts (rowid, title, url, markdown)
SELECT rowid, coalesce(title, ''), url, coalesce(markdown, '') FROM documents;

CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
    INSERT INTO documents_fts (rowid, title, url, markdown)
    VALUES (new.rowid, coalesce(new.title, ''), new.url, coalesce(new.markdown, ''));
END;

CREATE TRIGGER documents_fts_update AFTER UPDATE OF title, url, markdown ON documents BEGIN
    DELETE FROM documents_fts WHERE rowid = old.rowid;
    INSERT INTO documents_fts (rowid, title, url, markdown)
    VALUES (new.rowid, coalesce(new.title, ''), new.url, coalesce(new.markdown, ''));
END;

CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
    DELETE FROM documents_fts WHERE rowid = old.rowid;
END;

-- A team's documents newest first, for listing and keyset pages.
CREATE INDEX documents_team_id_idx ON documents (team_id, id);
