//! The job queue on SQLite: one writer at a time (`BEGIN IMMEDIATE`), batches passed as
//! one JSON array parameter and unpacked with `json_each`, timestamps from SQLite's clock.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqliteConnection, Transaction};
use tokio::sync::watch;
use uuid::Uuid;

use super::{
    job_finished_conflict, parse_state, parse_uuid, pick, sqlite_ts, Candidate, ClaimRequest,
    ClaimedJob, Completion, Enqueued, IdempotentAnswer, Job, JobFilter, JobLookup, JobState,
    JobStore, LeaseReport, NewIdempotentAnswer, NewJob, NewSchedule, QueueStats, RescueRequest,
    Rescued, Schedule, StoreTx, WorkerInfo, DEFAULT_TEAM, RESCUE_LEASE_EXPIRED, RESCUE_OVER_BUDGET,
    RESCUE_WORKER_LOST,
};
use crate::store::sqlite::SqliteStore;
use crate::store::{StoreError, StoreResult};

/// The current time as SQLite text, in the one format every timestamp column uses.
macro_rules! now {
    () => {
        "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
    };
}

/// The current time plus the number of seconds in parameter `$p`.
macro_rules! now_plus {
    ($p:literal) => {
        concat!(
            "strftime('%Y-%m-%dT%H:%M:%fZ','now',printf('%+.3f seconds',",
            $p,
            "))"
        )
    };
}

/// A macro so that `concat!` can build constant statements with it.
macro_rules! job_columns {
    () => {
        "id, team_id, kind, payload, state, priority, attempt, max_attempts, \
         run_at, lease_owner, lease_expires_at, started_at, finished_at, expires_at, last_error, \
         errors, result, unique_key, parent_id, cancel_requested_at, created_at, updated_at"
    };
}

const JOB_COLUMNS: &str = job_columns!();

const ACTIVE: &str = "('queued', 'running', 'failed')";

/// A row's columns as SQLite stores them (text and integers), from the pool's rows
/// or from an inline read (`store::inline_reads`): one mapping serves both.
trait SqliteCols {
    fn text(&self, col: &str) -> StoreResult<Option<String>>;
    fn int(&self, col: &str) -> StoreResult<i64>;

    fn required(&self, col: &str) -> StoreResult<String> {
        self.text(col)?
            .ok_or_else(|| StoreError::Other(anyhow::anyhow!("job column {col} is NULL")))
    }

    fn uuid(&self, col: &str) -> StoreResult<Option<Uuid>> {
        self.text(col)?.as_deref().map(parse_uuid).transpose()
    }

    /// Text that should hold JSON; anything else is kept as a JSON string.
    fn json(&self, col: &str) -> StoreResult<Option<Value>> {
        Ok(self
            .text(col)?
            .map(|s| serde_json::from_str(&s).unwrap_or(Value::String(s))))
    }

    fn time(&self, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
        self.text(col)?.as_deref().map(parse_time).transpose()
    }

    fn small(&self, col: &str) -> StoreResult<i32> {
        i32::try_from(self.int(col)?)
            .map_err(|_| StoreError::Other(anyhow::anyhow!("job column {col} out of range")))
    }
}

impl SqliteCols for SqliteRow {
    fn text(&self, col: &str) -> StoreResult<Option<String>> {
        Ok(self.try_get(col)?)
    }

    fn int(&self, col: &str) -> StoreResult<i64> {
        Ok(self.try_get(col)?)
    }
}

/// Inline rows are job rows selected with [`JOB_COLUMNS`]: their columns are found by
/// position, because rusqlite's lookup by name asks SQLite for every column's name.
impl SqliteCols for rusqlite::Row<'_> {
    fn text(&self, col: &str) -> StoreResult<Option<String>> {
        self.get(job_column(col)?)
            .map_err(|e| StoreError::Other(e.into()))
    }

    fn int(&self, col: &str) -> StoreResult<i64> {
        self.get(job_column(col)?)
            .map_err(|e| StoreError::Other(e.into()))
    }
}

fn job_column(col: &str) -> StoreResult<usize> {
    static NAMES: std::sync::LazyLock<Vec<&str>> =
        std::sync::LazyLock::new(|| JOB_COLUMNS.split(',').map(str::trim).collect());
    NAMES
        .iter()
        .position(|c| *c == col)
        .ok_or_else(|| StoreError::Other(anyhow::anyhow!("no job column {col}")))
}

/// A timestamp as the columns hold it: RFC 3339 (`strftime('%Y-%m-%dT%H:%M:%fZ')` in
/// SQL, `+00:00` when bound from Rust), or a naive UTC time with a space or a `T`.
fn parse_time(s: &str) -> StoreResult<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc())
        .ok_or_else(|| StoreError::Other(anyhow::anyhow!("bad timestamp {s:?}")))
}

fn job_from_row(row: &impl SqliteCols) -> StoreResult<Job> {
    let time = |col| {
        row.time(col)?
            .ok_or_else(|| StoreError::Other(anyhow::anyhow!("job column {col} is NULL")))
    };
    Ok(Job {
        id: parse_uuid(&row.required("id")?)?,
        team_id: row.uuid("team_id")?,
        kind: row.required("kind")?,
        payload: row.json("payload")?.unwrap_or(Value::Null),
        state: parse_state(&row.required("state")?)?,
        priority: row.small("priority")?,
        attempt: row.small("attempt")?,
        max_attempts: row.small("max_attempts")?,
        run_at: time("run_at")?,
        lease_owner: row.text("lease_owner")?,
        lease_expires_at: row.time("lease_expires_at")?,
        started_at: row.time("started_at")?,
        finished_at: row.time("finished_at")?,
        expires_at: row.time("expires_at")?,
        last_error: row.text("last_error")?,
        errors: row.json("errors")?.unwrap_or_else(|| json!([])),
        result: row.json("result")?,
        unique_key: row.text("unique_key")?,
        parent_id: row.uuid("parent_id")?,
        cancel_requested_at: row.time("cancel_requested_at")?,
        created_at: time("created_at")?,
        updated_at: time("updated_at")?,
    })
}

/// The job read inline (see `store::inline_reads`): `None` when it is not there or the
/// read could not be made, and the pool is asked instead.
fn inline_job(store: &SqliteStore, id: Uuid) -> Option<Job> {
    let sql = concat!("SELECT ", job_columns!(), " FROM jobs WHERE id = ?1");
    let found = store.inline.as_ref()?.read(|c| {
        use rusqlite::OptionalExtension;
        c.prepare_cached(sql)?
            .query_row([id.to_string()], |row| Ok(job_from_row(row)))
            .optional()
    })??;
    found
        .map_err(|e| tracing::warn!(error = %e, "inline job read: cannot map the row"))
        .ok()
}

/// The job through the pool, telling an expired job from one that never was.
async fn pooled_job(store: &SqliteStore, id: Uuid) -> StoreResult<JobLookup> {
    let mut conn = store.pool.acquire().await?;
    if let Some(job) = load_job(&mut conn, id).await? {
        return Ok(JobLookup::Found(Box::new(job)));
    }
    let gone = sqlx::query("SELECT 1 FROM job_tombstones WHERE id = ?1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(JobLookup::missing(gone.is_some()))
}

pub(crate) fn schedule_from_row(row: &SqliteRow) -> StoreResult<Schedule> {
    Ok(Schedule {
        id: parse_uuid(&row.try_get::<String, _>("id")?)?,
        team_id: parse_uuid(&row.try_get::<String, _>("team_id")?)?,
        name: row.try_get("name")?,
        cron: row.try_get("cron")?,
        timezone: row.try_get("timezone")?,
        kind: row.try_get("kind")?,
        payload: row.json("payload")?.unwrap_or(Value::Null),
        paused: row.try_get("paused")?,
        last_run_at: row.try_get("last_run_at")?,
        next_run_at: row.try_get("next_run_at")?,
        webhook: row.json("webhook")?,
        last_job_id: row.uuid("last_job_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn worker_from_row(row: &SqliteRow) -> StoreResult<WorkerInfo> {
    let kinds: String = row.try_get("kinds")?;
    Ok(WorkerInfo {
        id: parse_uuid(&row.try_get::<String, _>("id")?)?,
        hostname: row.try_get("hostname")?,
        pid: row.try_get("pid")?,
        kinds: serde_json::from_str(&kinds).unwrap_or_default(),
        concurrency: row.try_get("concurrency")?,
        running: row.try_get("running")?,
        started_at: row.try_get("started_at")?,
        heartbeat_at: row.try_get("heartbeat_at")?,
        process_key: row.try_get("process_key")?,
    })
}

fn ids_json(ids: &[Uuid]) -> String {
    Value::from(ids.iter().map(|i| i.to_string()).collect::<Vec<_>>()).to_string()
}

fn parse_ids(rows: &[SqliteRow]) -> StoreResult<Vec<Uuid>> {
    rows.iter()
        .map(|r| parse_uuid(&r.try_get::<String, _>(0)?))
        .collect()
}

/// Inserts jobs inside `tx`; see [`StoreTx::enqueue`].
pub(super) async fn enqueue(
    tx: &mut Transaction<'static, Sqlite>,
    jobs: &[NewJob],
) -> StoreResult<Vec<Enqueued>> {
    let rows: Vec<Value> = jobs
        .iter()
        .map(|j| {
            json!({
                "id": j.id.to_string(),
                "t": j.team_id.to_string(),
                "k": j.kind,
                "p": j.payload,
                "pr": j.priority,
                "m": j.max_attempts.unwrap_or(3),
                "r": j.run_at.map(sqlite_ts),
                "u": j.unique_key,
                "pa": j.parent_id.map(|p| p.to_string()),
            })
        })
        .collect();
    let inserted = sqlx::query(concat!(
        "INSERT INTO jobs (id, team_id, kind, payload, priority, max_attempts, run_at, \
         unique_key, parent_id, created_at, updated_at) \
         SELECT v.value->>'id', v.value->>'t', v.value->>'k', v.value->'p', v.value->>'pr', \
         v.value->>'m', COALESCE(v.value->>'r', ",
        now!(),
        "), v.value->>'u', v.value->>'pa', ",
        now!(),
        ", ",
        now!(),
        " FROM json_each(?1) AS v WHERE true ON CONFLICT DO NOTHING RETURNING id"
    ))
    .bind(Value::from(rows).to_string())
    .fetch_all(&mut **tx)
    .await?;
    let inserted = parse_ids(&inserted)?;
    resolve_duplicates(jobs, inserted, |keys| async move {
        let rows = sqlx::query(&format!(
            "SELECT unique_key, id FROM jobs WHERE unique_key IN \
             (SELECT value FROM json_each(?1)) AND state IN {ACTIVE}"
        ))
        .bind(Value::from(keys).to_string())
        .fetch_all(&mut **tx)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, parse_uuid(&r.try_get::<String, _>(1)?)?)))
            .collect()
    })
    .await
}

/// Shared by both backends: every job either was inserted, or had a unique key held by
/// an active job whose id `lookup` finds.
pub(super) async fn resolve_duplicates<F, Fut>(
    jobs: &[NewJob],
    inserted: Vec<Uuid>,
    lookup: F,
) -> StoreResult<Vec<Enqueued>>
where
    F: FnOnce(Vec<String>) -> Fut,
    Fut: std::future::Future<Output = StoreResult<Vec<(String, Uuid)>>>,
{
    let inserted: std::collections::HashSet<Uuid> = inserted.into_iter().collect();
    let missing: Vec<String> = jobs
        .iter()
        .filter(|j| !inserted.contains(&j.id))
        .filter_map(|j| j.unique_key.clone())
        .collect();
    let existing: HashMap<String, Uuid> = if missing.is_empty() {
        HashMap::new()
    } else {
        lookup(missing).await?.into_iter().collect()
    };
    for j in jobs.iter().filter(|j| inserted.contains(&j.id)) {
        metrics::counter!("trawl_jobs_enqueued_total", "kind" => j.kind.clone()).increment(1);
    }
    jobs.iter()
        .map(|j| {
            if inserted.contains(&j.id) {
                return Ok(Enqueued {
                    id: j.id,
                    created: true,
                });
            }
            match j.unique_key.as_ref().and_then(|k| existing.get(k)) {
                Some(id) => Ok(Enqueued {
                    id: *id,
                    created: false,
                }),
                // Refused, yet nothing active holds the key: it finished in between, or
                // the id itself was taken. Either way the caller must try again.
                None => Err(StoreError::Conflict {
                    code: "job_conflict",
                    message: "the job could not be enqueued; try again".into(),
                }),
            }
        })
        .collect()
}

async fn load_job(conn: &mut SqliteConnection, id: Uuid) -> StoreResult<Option<Job>> {
    let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(job_from_row).transpose()
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn begin(&self) -> StoreResult<StoreTx> {
        Ok(StoreTx::Sqlite {
            tx: self.pool.begin_with("BEGIN IMMEDIATE").await?,
            wake: self.wake.clone(),
            enqueued: false,
        })
    }

    async fn wakeups(&self) -> StoreResult<watch::Receiver<()>> {
        Ok(self.wake.subscribe())
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        // Each team's best few, through the per-team partial index.
        let rows = sqlx::query(concat!(
            "SELECT j.id, j.team_id, j.kind, j.priority, j.run_at FROM teams t JOIN jobs j \
             ON j.id IN (SELECT id FROM jobs WHERE team_id = t.id \
             AND state IN ('queued', 'failed') AND run_at <= ",
            now!(),
            " AND kind IN (SELECT value FROM json_each(?1)) \
             ORDER BY priority DESC, run_at, id LIMIT ?2)"
        ))
        .bind(Value::from(kinds).to_string())
        .bind(i64::from(req.limit))
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            tx.rollback().await?;
            return Ok(Vec::new());
        }
        let cands = rows
            .iter()
            .map(|r| {
                Ok(Candidate {
                    id: parse_uuid(&r.try_get::<String, _>(0)?)?,
                    team_id: r.uuid("team_id")?,
                    kind: r.try_get(2)?,
                    priority: r.try_get(3)?,
                    run_at: r.try_get(4)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let mut running = HashMap::new();
        if req.team_limit > 0 {
            let rows = sqlx::query(
                "SELECT team_id, count(*) FROM jobs WHERE state = 'running' GROUP BY team_id",
            )
            .fetch_all(&mut *tx)
            .await?;
            for r in &rows {
                running.insert(r.uuid("team_id")?, r.try_get::<i64, _>(1)?);
            }
        }
        let picked = pick(cands, &running, req);
        if picked.is_empty() {
            tx.rollback().await?;
            return Ok(Vec::new());
        }
        let rows = sqlx::query(concat!(
            "UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_owner = ?1, \
             lease_expires_at = ",
            now_plus!("?2"),
            ", started_at = ",
            now!(),
            ", updated_at = ",
            now!(),
            ", cancel_requested_at = NULL \
             WHERE id IN (SELECT value FROM json_each(?3)) AND state IN ('queued', 'failed') \
             RETURNING id, team_id, kind, payload, attempt, max_attempts, run_at, started_at, \
             parent_id"
        ))
        .bind(req.worker_id.to_string())
        .bind(req.lease.as_secs_f64())
        .bind(ids_json(&picked))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(ClaimedJob {
                    id: parse_uuid(&r.try_get::<String, _>("id")?)?,
                    team_id: r.uuid("team_id")?,
                    kind: r.try_get("kind")?,
                    payload: r.json("payload")?.unwrap_or(Value::Null),
                    attempt: r.try_get("attempt")?,
                    max_attempts: r.try_get("max_attempts")?,
                    run_at: r.try_get("run_at")?,
                    started_at: r.try_get("started_at")?,
                    parent_id: r.uuid("parent_id")?,
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query(concat!(
            "UPDATE jobs SET lease_expires_at = ",
            now_plus!("?1"),
            " WHERE id IN (SELECT value FROM json_each(?2)) AND lease_owner = ?3 \
             AND state = 'running' RETURNING id, cancel_requested_at IS NOT NULL"
        ))
        .bind(lease.as_secs_f64())
        .bind(ids_json(ids))
        .bind(worker_id.to_string())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let held = rows
            .iter()
            .map(|r| Ok((parse_uuid(&r.try_get::<String, _>(0)?)?, r.try_get(1)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(LeaseReport::from_held(ids, held))
    }

    async fn cancel_requests(&self, ids: &[Uuid]) -> StoreResult<Vec<Uuid>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT id FROM jobs WHERE id IN (SELECT value FROM json_each(?1)) \
             AND cancel_requested_at IS NOT NULL",
        )
        .bind(ids_json(ids))
        .fetch_all(&self.pool)
        .await?;
        parse_ids(&rows)
    }

    async fn complete(&self, worker_id: Uuid, done: &[Completion]) -> StoreResult<Vec<Uuid>> {
        if done.is_empty() {
            return Ok(Vec::new());
        }
        let batch: Vec<Value> = done
            .iter()
            .map(|c| {
                let (delay, keep) = c.outcome.delay_and_keep();
                json!({
                    "id": c.id.to_string(),
                    "a": c.attempt,
                    "s": c.outcome.state().as_str(),
                    "r": c.outcome.result(),
                    "e": c.outcome.error(),
                    "d": delay,
                    "k": keep,
                })
            })
            .collect();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query(concat!(
            "UPDATE jobs SET state = v.value->>'s', result = v.value->>'r', \
             last_error = COALESCE(v.value->>'e', jobs.last_error), \
             errors = CASE WHEN v.value->>'e' IS NULL THEN jobs.errors ELSE \
             json_insert(jobs.errors, '$[#]', json_object('attempt', jobs.attempt, \
             'error', v.value->>'e', 'at', ",
            now!(),
            ")) END, \
             run_at = CASE WHEN v.value->>'s' = 'failed' THEN \
             strftime('%Y-%m-%dT%H:%M:%fZ','now',printf('%+.3f seconds', v.value->>'d')) \
             ELSE jobs.run_at END, \
             finished_at = CASE WHEN v.value->>'s' = 'failed' THEN NULL ELSE ",
            now!(),
            " END, \
             expires_at = CASE WHEN v.value->>'s' = 'failed' THEN NULL ELSE \
             strftime('%Y-%m-%dT%H:%M:%fZ','now',printf('%+.3f seconds', v.value->>'k')) END, \
             lease_expires_at = NULL, updated_at = ",
            now!(),
            " FROM json_each(?1) AS v \
             WHERE jobs.id = v.value->>'id' AND jobs.attempt = v.value->>'a' \
             AND jobs.lease_owner = ?2 AND jobs.state = 'running' RETURNING jobs.id"
        ))
        .bind(Value::from(batch).to_string())
        .bind(worker_id.to_string())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        parse_ids(&rows)
    }

    async fn release(&self, worker_id: Uuid, ids: &[(Uuid, i32)]) -> StoreResult<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let batch: Vec<Value> = ids
            .iter()
            .map(|(id, a)| json!({"id": id.to_string(), "a": a}))
            .collect();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query(concat!(
            "UPDATE jobs SET state = 'queued', max_attempts = max_attempts + 1, \
             lease_expires_at = NULL, updated_at = ",
            now!(),
            " FROM json_each(?1) AS v WHERE jobs.id = v.value->>'id' \
             AND jobs.attempt = v.value->>'a' AND jobs.lease_owner = ?2 \
             AND jobs.state = 'running'"
        ))
        .bind(Value::from(batch).to_string())
        .bind(worker_id.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.wake.send_replace(());
        Ok(done.rows_affected())
    }

    async fn rescue(&self, req: &RescueRequest) -> StoreResult<Vec<Rescued>> {
        // `rescues + 1 > ?3`: over budget. SET expressions read the old row, so every
        // arm sees the same count. `run_at` is left alone: the job keeps its place.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query(concat!(
            "UPDATE jobs SET rescues = rescues + 1, max_attempts = max_attempts + 1, \
             state = CASE WHEN rescues + 1 > ?3 THEN 'discarded' ELSE 'queued' END, \
             last_error = CASE WHEN rescues + 1 > ?3 THEN ?6 \
             WHEN lease_expires_at < ",
            now!(),
            " THEN ?7 ELSE ?8 END, \
             errors = json_insert(errors, '$[#]', json_object('attempt', attempt, 'error', \
             CASE WHEN rescues + 1 > ?3 THEN ?6 WHEN lease_expires_at < ",
            now!(),
            " THEN ?7 ELSE ?8 END, 'at', ",
            now!(),
            ")), lease_expires_at = NULL, \
             finished_at = CASE WHEN rescues + 1 > ?3 THEN ",
            now!(),
            " END, expires_at = CASE WHEN rescues + 1 > ?3 THEN ",
            now_plus!("?1"),
            " END, updated_at = ",
            now!(),
            " WHERE id IN (SELECT id FROM jobs WHERE state = 'running' AND (lease_expires_at < ",
            now!(),
            " OR lease_owner IN (SELECT value FROM json_each(?4)) \
             OR (?5 IS NOT NULL AND lease_owner IN (SELECT id FROM workers WHERE heartbeat_at < \
             strftime('%Y-%m-%dT%H:%M:%fZ','now',printf('-%.3f seconds', ?5))))) \
             ORDER BY lease_expires_at LIMIT ?2) RETURNING id, kind, state"
        ))
        .bind(req.keep_failed.as_secs_f64())
        .bind(i64::from(req.limit))
        .bind(req.max_rescues)
        .bind(ids_json(&req.dead))
        .bind(req.silent_for.map(|d| d.as_secs_f64()))
        .bind(RESCUE_OVER_BUDGET)
        .bind(RESCUE_LEASE_EXPIRED)
        .bind(RESCUE_WORKER_LOST)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        if !rows.is_empty() {
            self.wake.send_replace(());
        }
        rows.iter()
            .map(|r| {
                Ok(Rescued {
                    id: parse_uuid(&r.try_get::<String, _>(0)?)?,
                    kind: r.try_get(1)?,
                    state: parse_state(&r.try_get::<String, _>(2)?)?,
                })
            })
            .collect()
    }

    async fn get_job(&self, id: Uuid) -> StoreResult<JobLookup> {
        if let Some(job) = inline_job(self, id) {
            return Ok(JobLookup::Found(Box::new(job)));
        }
        pooled_job(self, id).await
    }

    async fn list_jobs(&self, f: &JobFilter) -> StoreResult<Vec<Job>> {
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE (?1 IS NULL OR state = ?1) \
             AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR team_id = ?3) \
             AND (?4 IS NULL OR id < ?4) ORDER BY id DESC LIMIT ?5"
        ))
        .bind(f.state.map(JobState::as_str))
        .bind(f.kind.as_deref())
        .bind(f.team_id.map(|t| t.to_string()))
        .bind(f.cursor.map(|c| c.to_string()))
        .bind(i64::from(f.limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_from_row).collect()
    }

    async fn retry_job(&self, id: Uuid) -> StoreResult<Job> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let job = load_job(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound("job"))?;
        if !matches!(job.state, JobState::Discarded | JobState::Cancelled) {
            return Err(job_finished_conflict(job.state));
        }
        sqlx::query(concat!(
            "UPDATE jobs SET state = 'queued', max_attempts = attempt + max_attempts, \
             run_at = ",
            now!(),
            ", finished_at = NULL, expires_at = NULL, cancel_requested_at = NULL, \
             lease_owner = NULL, updated_at = ",
            now!(),
            " WHERE id = ?1"
        ))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        let job = load_job(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound("job"))?;
        tx.commit().await?;
        self.wake.send_replace(());
        Ok(job)
    }

    async fn cancel_job(&self, id: Uuid, keep_for: Duration) -> StoreResult<Job> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let job = load_job(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound("job"))?;
        match job.state {
            JobState::Queued | JobState::Failed => {
                sqlx::query(concat!(
                    "UPDATE jobs SET state = 'cancelled', finished_at = ",
                    now!(),
                    ", expires_at = ",
                    now_plus!("?2"),
                    ", updated_at = ",
                    now!(),
                    " WHERE id = ?1"
                ))
                .bind(id.to_string())
                .bind(keep_for.as_secs_f64())
                .execute(&mut *tx)
                .await?;
            }
            JobState::Running => {
                sqlx::query(concat!(
                    "UPDATE jobs SET cancel_requested_at = COALESCE(cancel_requested_at, ",
                    now!(),
                    "), updated_at = ",
                    now!(),
                    " WHERE id = ?1"
                ))
                .bind(id.to_string())
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
        let job = load_job(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound("job"))?;
        tx.commit().await?;
        Ok(job)
    }

    async fn sweep_expired(&self, limit: u32) -> StoreResult<u64> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query(concat!(
            "SELECT id FROM jobs WHERE expires_at <= ",
            now!(),
            " ORDER BY expires_at LIMIT ?1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            tx.rollback().await?;
            return Ok(0);
        }
        let ids = ids_json(&parse_ids(&rows)?);
        sqlx::query(
            "INSERT OR IGNORE INTO job_tombstones (id, team_id, kind) \
             SELECT id, team_id, kind FROM jobs WHERE id IN (SELECT value FROM json_each(?1))",
        )
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
        let gone = sqlx::query("DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(?1))")
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(gone.rows_affected())
    }

    async fn sweep_tombstones(&self, keep: Duration, limit: u32) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM job_tombstones WHERE id IN (SELECT id FROM job_tombstones \
             WHERE expired_at < strftime('%Y-%m-%dT%H:%M:%fZ','now',printf('-%.3f seconds', ?1)) \
             LIMIT ?2)",
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
        let row = sqlx::query(concat!(
            "SELECT request_hash, job_id, response FROM idempotency_keys \
             WHERE team_id = ?1 AND key = ?2 AND expires_at > ",
            now!()
        ))
        .bind(team_id.to_string())
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(IdempotentAnswer {
                request_hash: r.try_get(0)?,
                job_id: parse_uuid(&r.try_get::<String, _>(1)?)?,
                response: r.json("response")?.unwrap_or(Value::Null),
            })
        })
        .transpose()
    }

    async fn sweep_idempotency_keys(&self, limit: u32) -> StoreResult<u64> {
        let done = sqlx::query(concat!(
            "DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys \
             WHERE expires_at <= ",
            now!(),
            " LIMIT ?1)"
        ))
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
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    parse_state(&r.try_get::<String, _>(1)?)?,
                    r.try_get(2)?,
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let row = sqlx::query(concat!(
            "SELECT ",
            now!(),
            ", (SELECT min(run_at) FROM jobs WHERE state IN ('queued', 'failed') AND run_at <= ",
            now!(),
            "), (SELECT min(started_at) FROM jobs WHERE state = 'running')"
        ))
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
        sqlx::query(concat!(
            "INSERT INTO workers (id, hostname, pid, kinds, concurrency, running, started_at, \
             heartbeat_at, process_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ",
            now!(),
            ", ",
            now!(),
            ", ?7) ON CONFLICT (id) DO UPDATE SET running = excluded.running, \
             heartbeat_at = excluded.heartbeat_at"
        ))
        .bind(w.id.to_string())
        .bind(&w.hostname)
        .bind(w.pid)
        .bind(Value::from(w.kinds.clone()).to_string())
        .bind(w.concurrency)
        .bind(w.running)
        .bind(&w.process_key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn unregister_worker(&self, id: Uuid) -> StoreResult<()> {
        sqlx::query("DELETE FROM workers WHERE id = ?1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn list_workers(&self, alive_within: Duration) -> StoreResult<Vec<WorkerInfo>> {
        let rows = sqlx::query(
            "SELECT id, hostname, pid, kinds, concurrency, running, started_at, heartbeat_at, \
             process_key FROM workers WHERE heartbeat_at >= \
             strftime('%Y-%m-%dT%H:%M:%fZ','now',printf('-%.3f seconds', ?1)) ORDER BY started_at",
        )
        .bind(alive_within.as_secs_f64())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(worker_from_row).collect()
    }

    async fn prune_workers(&self, silent_for: Duration) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM workers WHERE heartbeat_at < \
             strftime('%Y-%m-%dT%H:%M:%fZ','now',printf('-%.3f seconds', ?1))",
        )
        .bind(silent_for.as_secs_f64())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn upsert_schedule(&self, s: &NewSchedule) -> StoreResult<Schedule> {
        let row = sqlx::query(concat!(
            "INSERT INTO schedules (id, team_id, name, cron, timezone, kind, payload, \
             next_run_at, webhook) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT (team_id, name) DO UPDATE SET \
             next_run_at = CASE WHEN schedules.cron = excluded.cron \
             AND schedules.timezone = excluded.timezone THEN schedules.next_run_at \
             ELSE excluded.next_run_at END, \
             cron = excluded.cron, timezone = excluded.timezone, kind = excluded.kind, \
             payload = excluded.payload, webhook = excluded.webhook, updated_at = ",
            now!(),
            " RETURNING *"
        ))
        .bind(Uuid::now_v7().to_string())
        .bind(s.team_id.to_string())
        .bind(&s.name)
        .bind(&s.cron)
        .bind(&s.timezone)
        .bind(&s.kind)
        .bind(s.payload.to_string())
        .bind(sqlite_ts(s.next_run_at))
        .bind(s.webhook.as_ref().map(Value::to_string))
        .fetch_one(&self.pool)
        .await?;
        schedule_from_row(&row)
    }

    async fn get_schedule(&self, team_id: Uuid, name: &str) -> StoreResult<Option<Schedule>> {
        let row = sqlx::query("SELECT * FROM schedules WHERE team_id = ?1 AND name = ?2")
            .bind(team_id.to_string())
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(schedule_from_row).transpose()
    }

    async fn delete_schedule(&self, team_id: Uuid, name: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM schedules WHERE team_id = ?1 AND name = ?2")
            .bind(team_id.to_string())
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn due_schedules(&self, limit: u32) -> StoreResult<(Vec<Schedule>, DateTime<Utc>)> {
        let mut conn = self.pool.acquire().await?;
        let now: DateTime<Utc> = sqlx::query_scalar(concat!("SELECT ", now!()))
            .fetch_one(&mut *conn)
            .await?;
        let rows = sqlx::query(
            "SELECT * FROM schedules WHERE paused = 0 AND next_run_at <= ?1 \
             ORDER BY next_run_at LIMIT ?2",
        )
        .bind(sqlite_ts(now))
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
        let mut tx = self.begin().await?;
        let StoreTx::Sqlite { tx: inner, .. } = &mut tx else {
            unreachable!("a SQLite store begins SQLite transactions")
        };
        let moved = sqlx::query(concat!(
            "UPDATE schedules SET next_run_at = ?3, last_run_at = ",
            now!(),
            ", updated_at = ",
            now!(),
            " WHERE id = ?1 AND next_run_at = ?2 AND paused = 0"
        ))
        .bind(id.to_string())
        .bind(sqlite_ts(expected))
        .bind(sqlite_ts(next))
        .execute(&mut **inner)
        .await?;
        if moved.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        let enqueued = tx.enqueue(std::slice::from_ref(job)).await?;
        if let (Some(e), StoreTx::Sqlite { tx: inner, .. }) = (enqueued.first(), &mut tx) {
            let run = e.id.to_string();
            sqlx::query(
                "INSERT INTO schedule_runs (job_id, schedule_id, team_id, scheduled_for) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (job_id) DO NOTHING",
            )
            .bind(&run)
            .bind(id.to_string())
            .bind(job.team_id.to_string())
            .bind(sqlite_ts(expected))
            .execute(&mut **inner)
            .await?;
            sqlx::query("UPDATE schedules SET last_job_id = ?2 WHERE id = ?1")
                .bind(id.to_string())
                .bind(&run)
                .execute(&mut **inner)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn seed_finished_jobs(&self, n: u64) -> StoreResult<()> {
        sqlx::query(concat!(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?1), \
             h(x, v) AS (SELECT x, lower(hex(randomblob(16))) FROM c) \
             INSERT INTO jobs (id, team_id, kind, state, attempt, finished_at, expires_at) \
             SELECT substr(v, 1, 8) || '-' || substr(v, 9, 4) || '-7' || substr(v, 14, 3) \
             || '-8' || substr(v, 18, 3) || '-' || substr(v, 21, 12), ?2, 'bench.old', \
             'succeeded', 1, ",
            now!(),
            ", strftime('%Y-%m-%dT%H:%M:%fZ','now','+1 day') FROM h"
        ))
        .bind(n as i64)
        .bind(DEFAULT_TEAM.to_string())
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
        sqlx::query("INSERT INTO test_job_runs (job_id, attempt, worker) VALUES (?1, ?2, ?3)")
            .bind(job_id.to_string())
            .bind(attempt)
            .bind(worker)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// See [`StoreTx::save_idempotent_answer`]. An expired row for the key is replaced.
pub(super) async fn save_idempotent_answer(
    tx: &mut Transaction<'static, Sqlite>,
    a: &NewIdempotentAnswer<'_>,
) -> StoreResult<bool> {
    let done = sqlx::query(concat!(
        "INSERT INTO idempotency_keys (team_id, key, request_hash, job_id, response, \
         expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ",
        now_plus!("?6"),
        ") ON CONFLICT (team_id, key) DO UPDATE SET request_hash = excluded.request_hash, \
         job_id = excluded.job_id, response = excluded.response, \
         expires_at = excluded.expires_at, created_at = ",
        now!(),
        " WHERE idempotency_keys.expires_at <= ",
        now!()
    ))
    .bind(a.team_id.to_string())
    .bind(a.key)
    .bind(a.request_hash)
    .bind(a.job_id.to_string())
    .bind(a.response.to_string())
    .bind(a.keep_for.as_secs_f64())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::store::sqlite::temp_store as store;

    fn lookup_json(found: JobLookup) -> Value {
        match found {
            JobLookup::Found(job) => serde_json::to_value(job).unwrap(),
            other => panic!("expected the job, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_inline_job_read_equals_the_pool_read_in_every_column() {
        let (_dir, store) = store().await;
        let id = Uuid::now_v7();
        let parent = Uuid::now_v7();
        // Every column set, timestamps in each format the columns hold.
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, state, run_at) \
             VALUES (?1, 'crawl', '{}', 'succeeded', '2026-01-02T03:04:05.678Z')",
        )
        .bind(parent.to_string())
        .execute(&store.pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO jobs (id, team_id, kind, payload, state, priority, attempt, \
             max_attempts, run_at, lease_owner, lease_expires_at, started_at, finished_at, \
             expires_at, last_error, errors, result, unique_key, parent_id, \
             cancel_requested_at, created_at, updated_at) VALUES \
             (?1, ?2, 'scrape', '{\"url\":\"https://example.com/\"}', 'discarded', -5, 3, 3, \
             '2026-01-02T03:04:05.678Z', 'w1', '2026-01-02T03:04:06+00:00', \
             '2026-01-02 03:04:07.5', '2026-01-02T03:04:08.123456Z', '2026-01-03T03:04:08Z', \
             'boom', '[{\"attempt\":1,\"error\":\"boom\"}]', 'not json', 'k1', ?3, \
             '2026-01-02T03:04:09.000Z', '2026-01-02T03:04:00.001Z', '2026-01-02T03:04:10Z')",
        )
        .bind(id.to_string())
        .bind(DEFAULT_TEAM.to_string())
        .bind(parent.to_string())
        .execute(&store.pool)
        .await
        .unwrap();

        let inline = serde_json::to_value(inline_job(&store, id).expect("read inline")).unwrap();
        let pooled = lookup_json(pooled_job(&store, id).await.unwrap());
        assert_eq!(inline, pooled);
        assert_eq!(inline["result"], json!("not json"));
        assert_eq!(inline["started_at"], json!("2026-01-02T03:04:07.500Z"));
        assert_eq!(inline["priority"], json!(-5));
        // And the store's own lookup answers the same.
        assert_eq!(lookup_json(store.get_job(id).await.unwrap()), pooled);
    }

    #[tokio::test]
    async fn a_job_missing_inline_is_told_expired_or_not_found_by_the_pool() {
        let (_dir, store) = store().await;
        let gone = Uuid::now_v7();
        sqlx::query("INSERT INTO job_tombstones (id, kind) VALUES (?1, 'scrape')")
            .bind(gone.to_string())
            .execute(&store.pool)
            .await
            .unwrap();
        assert!(inline_job(&store, gone).is_none());
        assert!(matches!(
            store.get_job(gone).await.unwrap(),
            JobLookup::Expired
        ));
        assert!(matches!(
            store.get_job(Uuid::now_v7()).await.unwrap(),
            JobLookup::NotFound
        ));
    }
}
