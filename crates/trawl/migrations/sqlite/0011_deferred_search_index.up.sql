-- Documents are indexed for search after they are stored, not as they are stored.
-- Indexing a page in FTS5 cost more CPU than storing it (~0.45 ms of ~0.65 ms per page
-- in the one writer a SQLite database has), so a crawl waited on the index: a 5,000-page
-- crawl ran at ~1,000 pages/s with it and ~1,900 without. Now a stored or changed
-- document only queues its rowid here; the search indexer (store/search_index.rs) indexes
-- the queue in large batches once writes pause, and every search first indexes whatever
-- is still queued, so a search never misses a stored document.
-- The triggers test for a queued rowid rather than use INSERT OR IGNORE: an UPSERT's
-- conflict handling overrides the OR IGNORE of statements in the triggers it fires.
CREATE TABLE documents_unindexed (doc_rowid INTEGER PRIMARY KEY);

DROP TRIGGER documents_fts_insert;
DROP TRIGGER documents_fts_update;
DROP TRIGGER documents_fts_delete;

CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
    INSERT INTO documents_unindexed (doc_rowid) SELECT new.rowid
    WHERE NOT EXISTS (SELECT 1 FROM documents_unindexed WHERE doc_rowid = new.rowid);
END;

CREATE TRIGGER documents_fts_update AFTER UPDATE OF title, url, markdown ON documents BEGIN
    DELETE FROM documents_fts WHERE rowid = old.rowid;
    INSERT INTO documents_unindexed (doc_rowid) SELECT new.rowid
    WHERE NOT EXISTS (SELECT 1 FROM documents_unindexed WHERE doc_rowid = new.rowid);
END;

CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
    DELETE FROM documents_fts WHERE rowid = old.rowid;
    DELETE FROM documents_unindexed WHERE doc_rowid = old.rowid;
END;
