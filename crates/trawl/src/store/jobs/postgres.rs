//! The job queue on PostgreSQL: batches as arrays through `unnest`, claims with
//! `FOR UPDATE SKIP LOCKED` so workers never wait on each other, wake-ups by
//! `LISTEN/NOTIFY`, and `now()` as the one clock.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::postgres::{PgListener, PgRow};
use sqlx::{PgConnection, Postgres, Row, Transaction};
use tokio::sync::watch;
use uuid::Uuid;

use super::sqlite::resolve_duplicates;
use super::{
    job_finished_conflict, parse_state, pick, Candidate, ClaimRequest, ClaimedJob, Completion,
    Enqueued, IdempotentAnswer, Job, JobFilter, JobLookup, JobState, JobStore, LeaseReport,
    NewIdempotentAnswer, NewJob, NewSchedule, QueueStats, RescueRequest, Rescued, Schedule,
    StoreTx, WorkerInfo, DEFAULT_TEAM, RESCUE_LEASE_EXPIRED, RESCUE_OVER_BUDGET,
    RESCUE_WORKER_LOST,
};
use crate::store::postgres::PgStore;
use crate::store::{StoreError, StoreResult};

/// The channel new work is announced on.
const CHANNEL: &str = "trawl_jobs";

const JOB_COLUMNS: &str = "id, team_id, kind, payload, state, priority, attempt, max_attempts, \
     run_at, lease_owner, lease_expires_at, started_at, finished_at, expires_at, last_error, \
     errors, result, unique_key, parent_id, cancel_requested_at, created_at, updated_at";

fn job_from_row(row: &PgRow) -> StoreResult<Job> {
    Ok(Job {
        id: row.try_get("id")?,
        team_id: row.try_get("team_id")?,
        kind: row.try_get("kind")?,
        payload: row.try_get("payload")?,
        state: parse_state(row.try_get("state")?)?,
        priority: row.try_get("priority")?,
        attempt: row.try_get("attempt")?,
        max_attempts: row.try_get("max_attempts")?,
        run_at: row.try_get("run_at")?,
        lease_owner: row.try_get("lease_owner")?,
        lease_expires_at: row.try_get("lease_expires_at")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        expires_at: row.try_get("expires_at")?,
        last_error: row.try_get("last_error")?,
        errors: row.try_get("errors")?,
        result: row.try_get("result")?,
        unique_key: row.try_get("unique_key")?,
        parent_id: row.try_get("parent_id")?,
        cancel_requested_at: row.try_get("cancel_requested_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(crate) fn schedule_from_row(row: &PgRow) -> StoreResult<Schedule> {
    Ok(Schedule {
        id: row.try_get("id")?,
        team_id: row.try_get("team_id")?,
        name: row.try_get("name")?,
        cron: row.try_get("cron")?,
        timezone: row.try_get("timezone")?,
        kind: row.try_get("kind")?,
        payload: row.try_get("payload")?,
        paused: row.try_get("paused")?,
        last_run_at: row.try_get("last_run_at")?,
        next_run_at: row.try_get("next_run_at")?,
        webhook: row.try_get("webhook")?,
        last_job_id: row.try_get("last_job_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn ids_of(rows: &[PgRow]) -> StoreResult<Vec<Uuid>> {
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// Inserts jobs inside `tx`; see [`StoreTx::enqueue`].
pub(super) async fn enqueue(
    tx: &mut Transaction<'static, Postgres>,
    jobs: &[NewJob],
) -> StoreResult<Vec<Enqueued>> {
    let ids: Vec<Uuid> = jobs.iter().map(|j| j.id).collect();
    let teams: Vec<Uuid> = jobs.iter().map(|j| j.team_id).collect();
    let kinds: Vec<&str> = jobs.iter().map(|j| j.kind.as_str()).collect();
    let payloads: Vec<String> = jobs.iter().map(|j| j.payload.to_string()).collect();
    let prios: Vec<i32> = jobs.iter().map(|j| j.priority).collect();
    let maxes: Vec<i32> = jobs.iter().map(|j| j.max_attempts.unwrap_or(3)).collect();
    let run_ats: Vec<Option<DateTime<Utc>>> = jobs.iter().map(|j| j.run_at).collect();
    let keys: Vec<Option<&str>> = jobs.iter().map(|j| j.unique_key.as_deref()).collect();
    let parents: Vec<Option<Uuid>> = jobs.iter().map(|j| j.parent_id).collect();
    let rows = sqlx::query(
        // The NOTIFY rides in the same statement (one round trip less on every enqueue);
        // the uncorrelated subquery runs once, and only when a row was inserted. It is
        // delivered when (and only if) the caller's transaction commits.
        "WITH ins AS (INSERT INTO jobs (id, team_id, kind, payload, priority, max_attempts, \
         run_at, unique_key, parent_id) \
         SELECT id, team_id, kind, payload::jsonb, priority, max_attempts, \
         COALESCE(run_at, now()), unique_key, parent_id \
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int4[], $6::int4[], \
         $7::timestamptz[], $8::text[], $9::uuid[]) \
         AS t(id, team_id, kind, payload, priority, max_attempts, run_at, unique_key, parent_id) \
         ON CONFLICT DO NOTHING RETURNING id) \
         SELECT id, (SELECT pg_notify($10, '')::text) AS notified FROM ins",
    )
    .bind(&ids)
    .bind(&teams)
    .bind(&kinds)
    .bind(&payloads)
    .bind(&prios)
    .bind(&maxes)
    .bind(&run_ats)
    .bind(&keys)
    .bind(&parents)
    .bind(CHANNEL)
    .fetch_all(&mut **tx)
    .await?;
    let inserted = ids_of(&rows)?;
    resolve_duplicates(jobs, inserted, |keys| async move {
        let rows = sqlx::query(
            "SELECT unique_key, id FROM jobs WHERE unique_key = ANY($1) \
             AND state IN ('queued', 'running', 'failed')",
        )
        .bind(&keys)
        .fetch_all(&mut **tx)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    })
    .await
}

async fn load_job(conn: &mut PgConnection, id: Uuid, lock: bool) -> StoreResult<Option<Job>> {
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(job_from_row).transpose()
}

async fn notify(conn: &mut PgConnection) -> StoreResult<()> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(CHANNEL)
        .execute(conn)
        .await?;
    Ok(())
}

#[async_trait]
impl JobStore for PgStore {
    async fn begin(&self) -> StoreResult<StoreTx> {
        Ok(StoreTx::Postgres(self.pool.begin().await?))
    }

    async fn wakeups(&self) -> StoreResult<watch::Receiver<()>> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        let (tx, rx) = watch::channel(());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    // Every receiver gone: stop listening.
                    () = tx.closed() => break,
                    msg = listener.recv() => match msg {
                        Ok(_) => { tx.send_replace(()); }
                        Err(e) => {
                            // PgListener reconnects on the next recv; a wake-up covers
                            // anything announced while it was away.
                            tracing::warn!(error = %e, "job notifications interrupted");
                            tx.send_replace(());
                            tokio::time::sleep(Duration::from_millis(500)).await;
                        }
                    },
                }
            }
        });
        Ok(rx)
    }

    async fn claim(&self, req: &ClaimRequest) -> StoreResult<Vec<ClaimedJob>> {
        let kinds: Vec<&str> = req
            .kinds
            .iter()
            .filter(|(_, room)| *room > 0)
            .map(|(k, _)| k.as_str())
            .collect();
        if kinds.is_empty() || req.limit == 0 {
            return Ok(Vec::new());
        }
        // A claim need not wait for its WAL flush: if the server crashes and loses it, the
        // job is queued again, and the runner that started it cannot complete it (completion
        // requires the lease this claim wrote), so the job simply runs once more, which
        // handlers tolerate. Saves a disk flush on the enqueue-to-start path.
        let mut tx = self
            .pool
            .begin_with("BEGIN; SET LOCAL synchronous_commit = off")
            .await?;
        // Each team's best few through the per-team partial index, skipping rows another
        // worker is claiming right now, each with its team's running count when a team
        // limit applies (in the same round trip).
        let rows = sqlx::query(
            "SELECT c.id, c.team_id, c.kind, c.priority, c.run_at, rc.n FROM teams t \
             CROSS JOIN LATERAL (SELECT CASE WHEN $3 THEN (SELECT count(*) FROM jobs r \
             WHERE r.team_id = t.id AND r.state = 'running') ELSE 0 END AS n) rc \
             CROSS JOIN LATERAL (SELECT id, team_id, kind, priority, run_at FROM jobs \
             WHERE team_id = t.id AND state IN ('queued', 'failed') AND run_at <= now() \
             AND kind = ANY($1) ORDER BY priority DESC, run_at, id LIMIT $2 \
             FOR UPDATE SKIP LOCKED) c",
        )
        .bind(&kinds)
        .bind(i64::from(req.limit))
        .bind(req.team_limit > 0)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            tx.rollback().await?;
            return Ok(Vec::new());
        }
        let mut running = HashMap::new();
        let cands = rows
            .iter()
            .map(|r| {
                running.insert(r.try_get(1)?, r.try_get::<i64, _>(5)?);
                Ok(Candidate {
                    id: r.try_get(0)?,
                    team_id: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    priority: r.try_get(3)?,
                    run_at: r.try_get(4)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let picked = pick(cands, &running, req);
        if picked.is_empty() {
            tx.rollback().await?;
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_owner = $1, \
             lease_expires_at = now() + make_interval(secs => $2), started_at = now(), \
             updated_at = now(), cancel_requested_at = NULL WHERE id = ANY($3) \
             RETURNING id, team_id, kind, payload, attempt, max_attempts, run_at, started_at, \
             parent_id",
        )
        .bind(req.worker_id.to_string())
        .bind(req.lease.as_secs_f64())
        .bind(&picked)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(ClaimedJob {
                    id: r.try_get("id")?,
                    team_id: r.try_get("team_id")?,
                    kind: r.try_get("kind")?,
                    payload: r.try_get("payload")?,
                    attempt: r.try_get("attempt")?,
                    max_attempts: r.try_get("max_attempts")?,
                    run_at: r.try_get("run_at")?,
                    started_at: r.try_get("started_at")?,
                    parent_id: r.try_get("parent_id")?,
                })
            })
            .collect()
    }

    async fn heartbeat(
        &self,
        worker_id: Uuid,
        ids: &[Uuid],
        lease: Duration,
    ) -> StoreResult<LeaseReport> {
        if ids.is_empty() {
            return Ok(LeaseReport::default());
        }
        let rows = sqlx::query(
            "UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $1) \
             WHERE id = ANY($2) AND lease_owner = $3 AND state = 'running' \
             RETURNING id, cancel_requested_at IS NOT NULL",
        )
        .bind(lease.as_secs_f64())
        .bind(ids)
        .bind(worker_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        let held = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(LeaseReport::from_held(ids, held))
    }

    async fn cancel_requests(&self, ids: &[Uuid]) -> StoreResult<Vec<Uuid>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT id FROM jobs WHERE id = ANY($1) AND cancel_requested_at IS NOT NULL",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        ids_of(&rows)
    }

    // The fencing checks (owner, state) travel as columns of `v`, not as constants: as
    // constants they are restrictions on `jobs` that match the partial index of running
    // rows, and once ANALYZE has seen no running rows the planner drives a nested loop
    // from that index over the whole batch (running × batch row pairs: 117 jobs/s with a
    // million finished rows). As join clauses they leave the primary key as the only
    // sensible path: one lookup per completed job, or a hash join on a small table.
    async fn complete(&self, worker_id: Uuid, done: &[Completion]) -> StoreResult<Vec<Uuid>> {
        if done.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = done.iter().map(|c| c.id).collect();
        let attempts: Vec<i32> = done.iter().map(|c| c.attempt).collect();
        let states: Vec<&str> = done.iter().map(|c| c.outcome.state().as_str()).collect();
        let results: Vec<Option<String>> = done.iter().map(|c| c.outcome.result()).collect();
        let errors: Vec<Option<&str>> = done.iter().map(|c| c.outcome.error()).collect();
        let (delays, keeps): (Vec<f64>, Vec<f64>) =
            done.iter().map(|c| c.outcome.delay_and_keep()).unzip();
        let rows = sqlx::query(
            "UPDATE jobs SET state = v.state, result = v.result::jsonb, \
             last_error = COALESCE(v.error, jobs.last_error), \
             errors = CASE WHEN v.error IS NULL THEN jobs.errors ELSE jobs.errors || \
             jsonb_build_array(jsonb_build_object('attempt', jobs.attempt, 'error', v.error, \
             'at', now())) END, \
             run_at = CASE WHEN v.state = 'failed' \
             THEN now() + make_interval(secs => v.delay) ELSE jobs.run_at END, \
             finished_at = CASE WHEN v.state = 'failed' THEN NULL ELSE now() END, \
             expires_at = CASE WHEN v.state = 'failed' THEN NULL \
             ELSE now() + make_interval(secs => v.keep) END, \
             lease_expires_at = NULL, updated_at = now() \
             FROM unnest($1::uuid[], $2::int4[], $3::text[], $4::text[], $5::text[], \
             $6::float8[], $7::float8[], array_fill($8::text, ARRAY[cardinality($1)]), \
             array_fill('running'::text, ARRAY[cardinality($1)])) \
             AS v(id, attempt, state, result, error, delay, keep, owner, running) \
             WHERE jobs.id = v.id AND jobs.attempt = v.attempt AND jobs.lease_owner = v.owner \
             AND jobs.state = v.running RETURNING jobs.id",
        )
        .bind(&ids)
        .bind(&attempts)
        .bind(&states)
        .bind(&results)
        .bind(&errors)
        .bind(&delays)
        .bind(&keeps)
        .bind(worker_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        ids_of(&rows)
    }

    async fn release(&self, worker_id: Uuid, ids: &[(Uuid, i32)]) -> StoreResult<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let (job_ids, attempts): (Vec<Uuid>, Vec<i32>) = ids.iter().copied().unzip();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', max_attempts = jobs.max_attempts + 1, \
             lease_expires_at = NULL, updated_at = now() \
             FROM unnest($1::uuid[], $2::int4[], array_fill($3::text, ARRAY[cardinality($1)]), \
             array_fill('running'::text, ARRAY[cardinality($1)])) \
             AS v(id, attempt, owner, running) \
             WHERE jobs.id = v.id AND jobs.attempt = v.attempt AND jobs.lease_owner = v.owner \
             AND jobs.state = v.running",
        )
        .bind(&job_ids)
        .bind(&attempts)
        .bind(worker_id.to_string())
        .execute(&mut *tx)
        .await?;
        notify(&mut tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn rescue(&self, req: &RescueRequest) -> StoreResult<Vec<Rescued>> {
        // `j.rescues + 1 > $3`: over budget. SET expressions read the old row, so every
        // arm sees the same count. `run_at` is left alone: the job keeps its place.
        let mut tx = self.pool.begin().await?;
        let dead: Vec<String> = req.dead.iter().map(Uuid::to_string).collect();
        let rows = sqlx::query(
            "WITH lost AS (SELECT id, CASE WHEN rescues + 1 > $3 THEN $6 \
             WHEN lease_expires_at < now() THEN $7 ELSE $8 END AS why FROM jobs \
             WHERE state = 'running' AND (lease_expires_at < now() \
             OR lease_owner = ANY($4::text[]) \
             OR ($5::float8 IS NOT NULL AND lease_owner IN (SELECT id::text FROM workers \
             WHERE heartbeat_at < now() - make_interval(secs => $5::float8)))) \
             ORDER BY lease_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
             UPDATE jobs j SET rescues = j.rescues + 1, max_attempts = j.max_attempts + 1, \
             state = CASE WHEN j.rescues + 1 > $3 THEN 'discarded' ELSE 'queued' END, \
             last_error = lost.why, \
             errors = j.errors || jsonb_build_array(jsonb_build_object('attempt', j.attempt, \
             'error', lost.why, 'at', now())), \
             lease_expires_at = NULL, \
             finished_at = CASE WHEN j.rescues + 1 > $3 THEN now() END, \
             expires_at = CASE WHEN j.rescues + 1 > $3 \
             THEN now() + make_interval(secs => $1) END, updated_at = now() \
             FROM lost WHERE j.id = lost.id RETURNING j.id, j.kind, j.state",
        )
        .bind(req.keep_failed.as_secs_f64())
        .bind(i64::from(req.limit))
        .bind(req.max_rescues)
        .bind(&dead)
        .bind(req.silent_for.map(|d| d.as_secs_f64()))
        .bind(RESCUE_OVER_BUDGET)
        .bind(RESCUE_LEASE_EXPIRED)
        .bind(RESCUE_WORKER_LOST)
        .fetch_all(&mut *tx)
        .await?;
        if !rows.is_empty() {
            notify(&mut tx).await?;
        }
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(Rescued {
                    id: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    state: parse_state(r.try_get(2)?)?,
                })
            })
            .collect()
    }

    async fn get_job(&self, id: Uuid) -> StoreResult<JobLookup> {
        let mut conn = self.pool.acquire().await?;
        if let Some(job) = load_job(&mut conn, id, false).await? {
            return Ok(JobLookup::Found(Box::new(job)));
        }
        let gone = sqlx::query("SELECT 1 FROM job_tombstones WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(JobLookup::missing(gone.is_some()))
    }

    async fn list_jobs(&self, f: &JobFilter) -> StoreResult<Vec<Job>> {
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE ($1::text IS NULL OR state = $1) \
             AND ($2::text IS NULL OR kind = $2) AND ($3::uuid IS NULL OR team_id = $3) \
             AND ($4::uuid IS NULL OR id < $4) ORDER BY id DESC LIMIT $5"
        ))
        .bind(f.state.map(JobState::as_str))
        .bind(f.kind.as_deref())
        .bind(f.team_id)
        .bind(f.cursor)
        .bind(i64::from(f.limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_from_row).collect()
    }

    async fn retry_job(&self, id: Uuid) -> StoreResult<Job> {
        let mut tx = self.pool.begin().await?;
        let job = load_job(&mut tx, id, true)
            .await?
            .ok_or(StoreError::NotFound("job"))?;
        if !matches!(job.state, JobState::Discarded | JobState::Cancelled) {
            return Err(job_finished_conflict(job.state));
        }
        sqlx::query(
            "UPDATE jobs SET state = 'queued', max_attempts = attempt + max_attempts, \
             run_at = now(), finished_at = NULL, expires_at = NULL, cancel_requested_at = NULL, \
             lease_owner = NULL, updated_at = now() WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        notify(&mut tx).await?;
        let job = load_job(&mut tx, id, false)
            .await?
            .ok_or(StoreError::NotFound("job"))?;
        tx.commit().await?;
        Ok(job)
    }

    async fn cancel_job(&self, id: Uuid, keep_for: Duration) -> StoreResult<Job> {
        let mut tx = self.pool.begin().await?;
        let job = load_job(&mut tx, id, true)
            .await?
            .ok_or(StoreError::NotFound("job"))?;
        match job.state {
            JobState::Queued | JobState::Failed => {
                sqlx::query(
                    "UPDATE jobs SET state = 'cancelled', finished_at = now(), \
                     expires_at = now() + make_interval(secs => $2), updated_at = now() \
                     WHERE id = $1",
                )
                .bind(id)
                .bind(keep_for.as_secs_f64())
                .execute(&mut *tx)
                .await?;
            }
            JobState::Running => {
                sqlx::query(
                    "UPDATE jobs SET cancel_requested_at = COALESCE(cancel_requested_at, now()), \
                     updated_at = now() WHERE id = $1",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            state => {
                return Err(StoreError::Conflict {
                    code: "job_finished",
                    message: format!("the job is already {state}"),
                })
            }
        }
        let job = load_job(&mut tx, id, false)
            .await?
            .ok_or(StoreError::NotFound("job"))?;
        tx.commit().await?;
        Ok(job)
    }

    async fn sweep_expired(&self, limit: u32) -> StoreResult<u64> {
        let row = sqlx::query(
            "WITH gone AS (DELETE FROM jobs WHERE id IN (SELECT id FROM jobs \
             WHERE expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
             RETURNING id, team_id, kind), \
             kept AS (INSERT INTO job_tombstones (id, team_id, kind) \
             SELECT id, team_id, kind FROM gone ON CONFLICT (id) DO NOTHING) \
             SELECT count(*) FROM gone",
        )
        .bind(i64::from(limit))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>(0)? as u64)
    }

    async fn sweep_tombstones(&self, keep: Duration, limit: u32) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM job_tombstones WHERE id IN (SELECT id FROM job_tombstones \
             WHERE expired_at < now() - make_interval(secs => $1) LIMIT $2)",
        )
        .bind(keep.as_secs_f64())
        .bind(i64::from(limit))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn idempotent_answer(
        &self,
        team_id: Uuid,
        key: &str,
    ) -> StoreResult<Option<IdempotentAnswer>> {
        let row = sqlx::query(
            "SELECT request_hash, job_id, response FROM idempotency_keys \
             WHERE team_id = $1 AND key = $2 AND expires_at > now()",
        )
        .bind(team_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(IdempotentAnswer {
                request_hash: r.try_get(0)?,
                job_id: r.try_get(1)?,
                response: r.try_get(2)?,
            })
        })
        .transpose()
    }

    async fn sweep_idempotency_keys(&self, limit: u32) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys \
             WHERE expires_at <= now() LIMIT $1)",
        )
        .bind(i64::from(limit))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn queue_stats(&self) -> StoreResult<QueueStats> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(
            // Two halves, each matching a partial index's predicate, so finished rows
            // (however many) are never read.
            "SELECT kind, state, count(*) FROM jobs WHERE state IN ('queued', 'failed') \
             GROUP BY kind, state UNION ALL \
             SELECT kind, state, count(*) FROM jobs WHERE state = 'running' GROUP BY kind, state",
        )
        .fetch_all(&mut *conn)
        .await?;
        let depth = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, parse_state(r.try_get(1)?)?, r.try_get(2)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        let row = sqlx::query(
            "SELECT now(), (SELECT min(run_at) FROM jobs WHERE state IN ('queued', 'failed') \
             AND run_at <= now()), (SELECT min(started_at) FROM jobs WHERE state = 'running')",
        )
        .fetch_one(&mut *conn)
        .await?;
        Ok(QueueStats {
            now: row.try_get(0)?,
            depth,
            oldest_runnable: row.try_get(1)?,
            oldest_running: row.try_get(2)?,
        })
    }

    async fn register_worker(&self, w: &WorkerInfo) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO workers (id, hostname, pid, kinds, concurrency, running, process_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE \
             SET running = excluded.running, heartbeat_at = now()",
        )
        .bind(w.id)
        .bind(&w.hostname)
        .bind(w.pid)
        .bind(json!(w.kinds))
        .bind(w.concurrency)
        .bind(w.running)
        .bind(&w.process_key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn unregister_worker(&self, id: Uuid) -> StoreResult<()> {
        sqlx::query("DELETE FROM workers WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn list_workers(&self, alive_within: Duration) -> StoreResult<Vec<WorkerInfo>> {
        let rows = sqlx::query(
            "SELECT id, hostname, pid, kinds, concurrency, running, started_at, heartbeat_at, \
             process_key FROM workers WHERE heartbeat_at >= now() - make_interval(secs => $1) \
             ORDER BY started_at",
        )
        .bind(alive_within.as_secs_f64())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let kinds: Value = r.try_get("kinds")?;
                Ok(WorkerInfo {
                    id: r.try_get("id")?,
                    hostname: r.try_get("hostname")?,
                    pid: r.try_get("pid")?,
                    kinds: serde_json::from_value(kinds).unwrap_or_default(),
                    concurrency: r.try_get("concurrency")?,
                    running: r.try_get("running")?,
                    started_at: r.try_get("started_at")?,
                    heartbeat_at: r.try_get("heartbeat_at")?,
                    process_key: r.try_get("process_key")?,
                })
            })
            .collect()
    }

    async fn prune_workers(&self, silent_for: Duration) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM workers WHERE heartbeat_at < now() - make_interval(secs => $1)",
        )
        .bind(silent_for.as_secs_f64())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn upsert_schedule(&self, s: &NewSchedule) -> StoreResult<Schedule> {
        let row = sqlx::query(
            "INSERT INTO schedules (id, team_id, name, cron, timezone, kind, payload, \
             next_run_at, webhook) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (team_id, name) DO UPDATE SET \
             next_run_at = CASE WHEN schedules.cron = excluded.cron \
             AND schedules.timezone = excluded.timezone THEN schedules.next_run_at \
             ELSE excluded.next_run_at END, \
             cron = excluded.cron, timezone = excluded.timezone, kind = excluded.kind, \
             payload = excluded.payload, webhook = excluded.webhook, updated_at = now() \
             RETURNING *",
        )
        .bind(Uuid::now_v7())
        .bind(s.team_id)
        .bind(&s.name)
        .bind(&s.cron)
        .bind(&s.timezone)
        .bind(&s.kind)
        .bind(&s.payload)
        .bind(s.next_run_at)
        .bind(&s.webhook)
        .fetch_one(&self.pool)
        .await?;
        schedule_from_row(&row)
    }

    async fn get_schedule(&self, team_id: Uuid, name: &str) -> StoreResult<Option<Schedule>> {
        let row = sqlx::query("SELECT * FROM schedules WHERE team_id = $1 AND name = $2")
            .bind(team_id)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(schedule_from_row).transpose()
    }

    async fn delete_schedule(&self, team_id: Uuid, name: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM schedules WHERE team_id = $1 AND name = $2")
            .bind(team_id)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn due_schedules(&self, limit: u32) -> StoreResult<(Vec<Schedule>, DateTime<Utc>)> {
        let mut conn = self.pool.acquire().await?;
        let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
            .fetch_one(&mut *conn)
            .await?;
        let rows = sqlx::query(
            "SELECT * FROM schedules WHERE NOT paused AND next_run_at <= $1 \
             ORDER BY next_run_at LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await?;
        Ok((
            rows.iter()
                .map(schedule_from_row)
                .collect::<StoreResult<_>>()?,
            now,
        ))
    }

    async fn fire_schedule(
        &self,
        id: Uuid,
        expected: DateTime<Utc>,
        next: DateTime<Utc>,
        job: &NewJob,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query(
            "UPDATE schedules SET next_run_at = $3, last_run_at = now(), updated_at = now() \
             WHERE id = $1 AND next_run_at = $2 AND NOT paused",
        )
        .bind(id)
        .bind(expected)
        .bind(next)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        let enqueued = enqueue(&mut tx, std::slice::from_ref(job)).await?;
        if let Some(e) = enqueued.first() {
            sqlx::query(
                "INSERT INTO schedule_runs (job_id, schedule_id, team_id, scheduled_for) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (job_id) DO NOTHING",
            )
            .bind(e.id)
            .bind(id)
            .bind(job.team_id)
            .bind(expected)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE schedules SET last_job_id = $2 WHERE id = $1")
                .bind(id)
                .bind(e.id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn seed_finished_jobs(&self, n: u64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO jobs (id, team_id, kind, state, attempt, finished_at, expires_at) \
             SELECT gen_random_uuid(), $2, 'bench.old', 'succeeded', 1, now(), \
             now() + interval '1 day' FROM generate_series(1, $1)",
        )
        .bind(n as i64)
        .bind(DEFAULT_TEAM)
        .execute(&self.pool)
        .await?;
        // What autovacuum would do to such a table in production: statistics that see a
        // million finished rows and no running ones (the planner's worst case).
        sqlx::query("VACUUM (ANALYZE) jobs")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn record_test_execution(
        &self,
        job_id: Uuid,
        attempt: i32,
        worker: &str,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO test_job_runs (job_id, attempt, worker) VALUES ($1, $2, $3)")
            .bind(job_id)
            .bind(attempt)
            .bind(worker)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// See [`StoreTx::save_idempotent_answer`]. An expired row for the key is replaced; a
/// concurrent insert of the same key waits for the other transaction, then reports false.
pub(super) async fn save_idempotent_answer(
    tx: &mut Transaction<'static, Postgres>,
    a: &NewIdempotentAnswer<'_>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO idempotency_keys (team_id, key, request_hash, job_id, response, \
         expires_at) VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) \
         ON CONFLICT (team_id, key) DO UPDATE SET request_hash = excluded.request_hash, \
         job_id = excluded.job_id, response = excluded.response, \
         expires_at = excluded.expires_at, created_at = now() \
         WHERE idempotency_keys.expires_at <= now()",
    )
    .bind(a.team_id)
    .bind(a.key)
    .bind(a.request_hash)
    .bind(a.job_id)
    .bind(a.response)
    .bind(a.keep_for.as_secs_f64())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
