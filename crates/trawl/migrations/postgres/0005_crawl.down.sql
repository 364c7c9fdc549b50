ALTER TABLE documents DROP COLUMN formats;
DROP TABLE crawl_urls;
