-- SQLite only (its search index stops keeping a copy of each page); PostgreSQL's
-- tsvector column has no such copy. Kept so both backends number migrations alike.
SELECT 1;
