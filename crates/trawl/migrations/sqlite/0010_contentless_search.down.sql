DROP TRIGGER documents_fts_insert;
DROP TRIGGER documents_fts_update;
DROP TRIGGER documents_fts_delete;
DROP TABLE documents_fts;

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
