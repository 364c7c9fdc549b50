-- Back to indexing in the same transaction as the write: index what is still queued.
DROP TRIGGER documents_fts_insert;
DROP TRIGGER documents_fts_update;
DROP TRIGGER documents_fts_delete;

INSERT INTO documents_fts (rowid, title, url, markdown)
SELECT d.rowid, coalesce(d.title, ''), d.url, coalesce(d.markdown, '')
FROM documents_unindexed u JOIN documents d ON d.rowid = u.doc_rowid;

DROP TABLE documents_unindexed;

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
