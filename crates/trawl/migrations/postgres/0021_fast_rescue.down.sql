DROP TABLE idempotency_keys;
ALTER TABLE workers DROP COLUMN process_key;
ALTER TABLE jobs DROP COLUMN rescues;
