-- SQLite only (its search index is filled after the write); PostgreSQL computes each
-- document's tsvector as it is stored. Kept so both backends number migrations alike.
SELECT 1;
