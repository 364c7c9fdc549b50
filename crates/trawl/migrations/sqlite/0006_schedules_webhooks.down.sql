DROP INDEX documents_schedule_url_idx;
ALTER TABLE documents DROP COLUMN diff;
ALTER TABLE documents DROP COLUMN change_status;
ALTER TABLE documents DROP COLUMN schedule_id;
DROP TABLE schedule_runs;
ALTER TABLE schedules DROP COLUMN last_job_id;
ALTER TABLE schedules DROP COLUMN webhook;
