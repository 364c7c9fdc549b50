-- The search index stops keeping its own copy of every document's title, URL and
-- Markdown: search only ever reads rowids from it, and the copy doubled the bytes each
-- stored page wrote (a crawl of 5,000 pages wrote ~125 MB of Markdown twice).
-- `contentless_delete` keeps DELETE and UPDATE working by rowid, as the triggers need.
DROP TRIGGER documents_fts_insert;
DROP TRIGGER documents_fts_update;
DROP TRIGGER documents_fts_delete;
DROP TABLE documents_fts;

CREATE VIRTUAL TABLE documents_fts USING fts5 (
    title, url, markdown,
    content = '', contentless_delete = 1,
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
