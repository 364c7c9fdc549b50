-- The search index stops keeping its own copy of every document's title, URL and
-- Markdown: search only ever reads rowids from it, and the copy doubled the bytes each
-- stored page wrote (a crawl of 5,000 pages wrote ~125 MB of Markdown twice).
-- `contentless_delete` keeps the triggers of 0007 working unchanged: they delete by rowid.
-- Those triggers name the table, so they stay in place while it is swapped.
DROP TABLE documents_fts;

CREATE VIRTUAL TABLE documents_fts USING fts5 (
    title, url, markdown,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

INSERT INTO documents_fts (rowid, title, url, markdown)
SELECT rowid, coalesce(title, ''), url, coalesce(markdown, '') FROM documents;
