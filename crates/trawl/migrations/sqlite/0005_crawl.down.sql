DROP INDEX documents_job_order_idx;
ALTER TABLE documents DROP COLUMN formats;
DROP TABLE crawl_urls;
