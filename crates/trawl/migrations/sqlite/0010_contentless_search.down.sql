-- Back to the index of 0007, which keeps its own copy of the text.
DROP TABLE documents_fts;

CREATE VIRTUAL TABLE documents_fts USING fts5 (
    title, url, markdown,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

INSERT INTO documents_fts (rowid, title, url, markdown)
SELECT rowid, coalesce(title, ''), url, coalesce(markdown, '') FROM documents;
