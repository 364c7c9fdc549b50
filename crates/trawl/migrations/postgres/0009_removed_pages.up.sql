-- Pages a scheduled run no longer found: stored by the schedule's previous run, absent
-- from this one. They have no document of their own (nothing was fetched), so they are
-- kept beside the run, one row per URL; the unique key makes a retried run's sweep
-- idempotent.
CREATE TABLE removed_pages (
    job_id               UUID NOT NULL REFERENCES schedule_runs (job_id) ON DELETE CASCADE,
    url                  TEXT NOT NULL,
    title                TEXT,
    -- The previous run's copy, still readable at /api/v1/documents/{id}.
    previous_document_id UUID,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT removed_pages_job_url_key UNIQUE (job_id, url)
);
