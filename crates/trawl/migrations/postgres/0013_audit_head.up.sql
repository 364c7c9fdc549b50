-- The audit chain's head, kept outside audit_log: the newest row's seq and hash, with an
-- HMAC (keyed from the instance secret) over both. Written in the same transaction as
-- each row, so deleting the newest rows leaves a head that names a row no longer there.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL,
    mac  TEXT NOT NULL
);
