//! The job queue's storage: the `JobStore` half of the store, its types, and the pieces of
//! the claim that are the same on both backends. The engine that drives it is `crate::jobs`.
//!
//! Timing rules that keep the queue honest:
//! - every lease deadline, `run_at` and expiry is computed by the database's clock, never a
//!   worker's, so clock skew between nodes cannot steal or strand a job;
//! - every claim bumps `attempt`, and a completion is accepted only when both `attempt` and
//!   `lease_owner` still match (fencing): a stalled runner cannot overwrite its replacement.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;
use uuid::Uuid;

use super::{StoreError, StoreResult};

/// The team every fresh instance has (migration 0002).
pub const DEFAULT_TEAM: Uuid = uuid::uuid!("00000000-0000-7000-8000-000000000001");

/// How long a tombstone of an expired job is kept, so its id answers `job_expired`.
pub const TOMBSTONE_KEEP: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    /// An attempt failed; the job waits for its retry at `run_at`.
    Failed,
    Cancelled,
    /// Out of attempts (or a permanent error); its errors are kept.
    Discarded,
}

impl JobState {
    pub const ALL: [JobState; 6] = [
        JobState::Queued,
        JobState::Running,
        JobState::Succeeded,
        JobState::Failed,
        JobState::Cancelled,
        JobState::Discarded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
            JobState::Discarded => "discarded",
        }
    }

    /// Whether the job is done for good.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobState::Succeeded | JobState::Cancelled | JobState::Discarded
        )
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                "must be one of queued, running, succeeded, failed, cancelled, discarded".into()
            })
    }
}

/// A job to enqueue. `NewJob::new` gives it a fresh UUIDv7 so the caller can refer to it
/// (e.g. from its own row) before the insert.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: Uuid,
    pub team_id: Uuid,
    pub kind: String,
    pub payload: Value,
    pub priority: i32,
    /// `None`: the kind's default.
    pub max_attempts: Option<i32>,
    /// `None`: now.
    pub run_at: Option<DateTime<Utc>>,
    /// A second queued, running or retry-pending job with the same key is refused; the
    /// enqueue returns the existing one instead.
    pub unique_key: Option<String>,
    pub parent_id: Option<Uuid>,
}

impl NewJob {
    pub fn new(team_id: Uuid, kind: impl Into<String>, payload: Value) -> Self {
        NewJob {
            id: Uuid::now_v7(),
            team_id,
            kind: kind.into(),
            payload,
            priority: 0,
            max_attempts: None,
            run_at: None,
            unique_key: None,
            parent_id: None,
        }
    }

    pub fn priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = Some(n.max(1));
        self
    }

    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    pub fn unique_key(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    pub fn parent(mut self, parent: Uuid) -> Self {
        self.parent_id = Some(parent);
        self
    }
}

/// The outcome of one enqueue: the job's id, and whether it was created (false when a
/// unique key matched an active job, whose id is returned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Enqueued {
    pub id: Uuid,
    pub created: bool,
}

/// A job row as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Job {
    pub id: Uuid,
    pub team_id: Option<Uuid>,
    pub kind: String,
    /// As the caller sent it; rendered with header values redacted.
    #[serde(serialize_with = "crate::jobs::redact::serialize")]
    pub payload: Value,
    pub state: JobState,
    pub priority: i32,
    pub attempt: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// One entry per failed attempt: `{attempt, error, at}`.
    pub errors: Value,
    pub result: Option<Value>,
    pub unique_key: Option<String>,
    pub parent_id: Option<Uuid>,
    pub cancel_requested_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Looking a job up by id: it may be there, gone through retention, or never have been.
#[derive(Debug, Clone)]
pub enum JobLookup {
    Found(Box<Job>),
    Expired,
    NotFound,
}

impl JobLookup {
    /// A job not in the table: expired if it left a tombstone, else never there.
    pub(crate) fn missing(tombstone: bool) -> Self {
        if tombstone {
            JobLookup::Expired
        } else {
            JobLookup::NotFound
        }
    }
}

/// Filters for listing jobs, newest first; `cursor` is the last id of the previous page.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub state: Option<JobState>,
    pub kind: Option<String>,
    pub team_id: Option<Uuid>,
    pub cursor: Option<Uuid>,
    pub limit: u32,
}

/// What a worker asks for when it claims.
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    pub worker_id: Uuid,
    /// Kinds this worker runs, each with how many more it may start now.
    pub kinds: Vec<(String, u32)>,
    /// At most this many jobs.
    pub limit: u32,
    /// Most running jobs one team may have across all workers; 0 = no limit.
    pub team_limit: u32,
    pub lease: Duration,
}

/// A claimed job, leased to the claiming worker for `attempt`.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: Uuid,
    pub team_id: Option<Uuid>,
    pub kind: String,
    pub payload: Value,
    pub attempt: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub parent_id: Option<Uuid>,
}

/// How an attempt ended, as the store records it.
#[derive(Debug, Clone)]
pub enum Outcome {
    Succeeded {
        result: Value,
        keep_for: Duration,
    },
    /// Back to the queue (state `failed`) after `delay`.
    Retry {
        error: String,
        delay: Duration,
    },
    Discarded {
        error: String,
        keep_for: Duration,
    },
    Cancelled {
        keep_for: Duration,
    },
}

impl Outcome {
    fn state(&self) -> JobState {
        match self {
            Outcome::Succeeded { .. } => JobState::Succeeded,
            Outcome::Retry { .. } => JobState::Failed,
            Outcome::Discarded { .. } => JobState::Discarded,
            Outcome::Cancelled { .. } => JobState::Cancelled,
        }
    }

    fn error(&self) -> Option<&str> {
        match self {
            Outcome::Retry { error, .. } | Outcome::Discarded { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Seconds until `run_at` (retries) and until `expires_at` (finished jobs).
    fn delay_and_keep(&self) -> (f64, f64) {
        match self {
            Outcome::Retry { delay, .. } => (delay.as_secs_f64(), 0.0),
            Outcome::Succeeded { keep_for, .. }
            | Outcome::Discarded { keep_for, .. }
            | Outcome::Cancelled { keep_for } => (0.0, keep_for.as_secs_f64()),
        }
    }

    fn result(&self) -> Option<String> {
        match self {
            Outcome::Succeeded { result, .. } if !result.is_null() => Some(result.to_string()),
            _ => None,
        }
    }
}

/// One finished attempt to record.
#[derive(Debug, Clone)]
pub struct Completion {
    pub id: Uuid,
    pub attempt: i32,
    pub outcome: Outcome,
}

/// Which running jobs to take back from lost workers. A rescue gives the lost attempt
/// back (it is not a failure) and counts against the job's own rescue budget instead.
#[derive(Debug, Clone)]
pub struct RescueRequest {
    pub limit: u32,
    /// How long a job discarded for too many rescues is kept.
    pub keep_failed: Duration,
    /// Workers known dead (their process is gone): their jobs come back at once.
    pub dead: Vec<Uuid>,
    /// A registered worker whose heartbeat is older than this is dead; `None`: only
    /// expired leases and `dead` count.
    pub silent_for: Option<Duration>,
    /// A job whose worker was lost more than this many times is discarded: it may be
    /// what kills its workers (a poison pill).
    pub max_rescues: i32,
}

/// A job taken back from a lost worker: queued again in its old place (its `run_at` is
/// kept), or discarded when over its rescue budget.
#[derive(Debug, Clone)]
pub struct Rescued {
    pub id: Uuid,
    pub kind: String,
    pub state: JobState,
}

/// What a heartbeat learnt about the jobs a worker holds.
#[derive(Debug, Clone, Default)]
pub struct LeaseReport {
    /// Jobs no longer leased to this worker (rescued, finished elsewhere, deleted).
    pub lost: Vec<Uuid>,
    /// Jobs someone asked to cancel.
    pub cancel_requested: Vec<Uuid>,
}

impl LeaseReport {
    /// From the heartbeat's answer: `(id, cancel requested)` for each job still held.
    fn from_held(asked: &[Uuid], held: Vec<(Uuid, bool)>) -> Self {
        let kept: std::collections::HashSet<Uuid> = held.iter().map(|(id, _)| *id).collect();
        LeaseReport {
            lost: asked
                .iter()
                .filter(|i| !kept.contains(i))
                .copied()
                .collect(),
            cancel_requested: held
                .into_iter()
                .filter(|(_, c)| *c)
                .map(|(id, _)| id)
                .collect(),
        }
    }
}

/// The first answer to a job-creating request sent with an `Idempotency-Key`.
#[derive(Debug, Clone)]
pub struct IdempotentAnswer {
    /// Hash of the route and body the key was first used with.
    pub request_hash: String,
    pub job_id: Uuid,
    pub response: Value,
}

/// A key's answer to record beside the job it created.
#[derive(Debug, Clone)]
pub struct NewIdempotentAnswer<'a> {
    pub team_id: Uuid,
    pub key: &'a str,
    pub request_hash: &'a str,
    pub job_id: Uuid,
    pub response: &'a Value,
    pub keep_for: Duration,
}

/// Queue figures for health and metrics, with the database's own clock.
#[derive(Debug, Clone)]
pub struct QueueStats {
    pub now: DateTime<Utc>,
    /// (kind, state, count) for the active states.
    pub depth: Vec<(String, JobState, i64)>,
    /// The oldest `run_at` among jobs that could run now but have not started.
    pub oldest_runnable: Option<DateTime<Utc>>,
    /// The oldest `started_at` among running jobs.
    pub oldest_running: Option<DateTime<Utc>>,
}

/// A worker process as registered in the database.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkerInfo {
    pub id: Uuid,
    pub hostname: String,
    pub pid: i32,
    pub kinds: Vec<String>,
    pub concurrency: i32,
    pub running: i32,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    /// `boot_id/pid-namespace/pid/start-time` (see `crate::jobs::process`); internal.
    #[serde(skip)]
    pub process_key: Option<String>,
}

/// A cron schedule that enqueues a job at each tick.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Schedule {
    pub id: Uuid,
    pub team_id: Uuid,
    pub name: String,
    pub cron: String,
    pub timezone: String,
    pub kind: String,
    pub payload: Value,
    pub paused: bool,
    pub last_run_at: Option<DateTime<Utc>>,
    pub next_run_at: DateTime<Utc>,
    /// Where `page.changed` events go (see `crate::webhook::WebhookSpec`).
    pub webhook: Option<Value>,
    /// The job the latest tick enqueued.
    pub last_job_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A schedule to create, or to update in place when (team, name) exists.
#[derive(Debug, Clone)]
pub struct NewSchedule {
    pub team_id: Uuid,
    pub name: String,
    pub cron: String,
    pub timezone: String,
    pub kind: String,
    pub payload: Value,
    /// The first tick; kept on update unless the cron or time zone changed.
    pub next_run_at: DateTime<Utc>,
    pub webhook: Option<Value>,
}

/// A transaction on either backend. Enqueue through it so that a job exists if and only
/// if the caller's own rows do; other parts of the store add their writes the same way.
pub enum StoreTx {
    Sqlite {
        tx: sqlx::Transaction<'static, sqlx::Sqlite>,
        wake: watch::Sender<()>,
        enqueued: bool,
    },
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl StoreTx {
    /// Inserts the jobs (many in one statement); unique keys that match an active job
    /// return that job instead of a new one.
    pub async fn enqueue(&mut self, jobs: &[NewJob]) -> StoreResult<Vec<Enqueued>> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let out = match self {
            StoreTx::Sqlite { tx, enqueued, .. } => {
                let out = sqlite::enqueue(tx, jobs).await?;
                *enqueued |= out.iter().any(|e| e.created);
                out
            }
            StoreTx::Postgres(tx) => postgres::enqueue(tx, jobs).await?,
        };
        Ok(out)
    }

    /// Commits; on SQLite, wakes this process's workers (PostgreSQL's NOTIFY is delivered
    /// by the commit itself).
    pub async fn commit(self) -> StoreResult<()> {
        match self {
            StoreTx::Sqlite { tx, wake, enqueued } => {
                tx.commit().await?;
                if enqueued {
                    wake.send_replace(());
                }
            }
            StoreTx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    /// Records an idempotency key's answer in this transaction; false when the team holds
    /// the key already (unexpired), in which case the caller rolls back and replays.
    pub async fn save_idempotent_answer(
        &mut self,
        a: &NewIdempotentAnswer<'_>,
    ) -> StoreResult<bool> {
        match self {
            StoreTx::Sqlite { tx, .. } => sqlite::save_idempotent_answer(tx, a).await,
            StoreTx::Postgres(tx) => postgres::save_idempotent_answer(tx, a).await,
        }
    }

    pub async fn rollback(self) -> StoreResult<()> {
        match self {
            StoreTx::Sqlite { tx, .. } => tx.rollback().await?,
            StoreTx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

/// Storage for the job engine. Every method is one short transaction.
#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Starts a transaction (SQLite: `BEGIN IMMEDIATE`, so it never fails on upgrade).
    async fn begin(&self) -> StoreResult<StoreTx>;

    /// Enqueues in a transaction of its own.
    async fn enqueue(&self, jobs: &[NewJob]) -> StoreResult<Vec<Enqueued>> {
        let mut tx = self.begin().await?;
        let out = tx.enqueue(jobs).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// A signal that fires when new work may be there (SQLite: a commit in this process;
    /// PostgreSQL: `NOTIFY` from any node). Polling covers what it misses.
    async fn wakeups(&self) -> StoreResult<watch::Receiver<()>>;

    /// Leases up to `req.limit` runnable jobs to the worker, fairly across teams.
    async fn claim(&self, req: &ClaimRequest) -> StoreResult<Vec<ClaimedJob>>;

    /// Extends the leases the worker holds and reports lost ones and cancel requests.
    async fn heartbeat(
        &self,
        worker_id: Uuid,
        ids: &[Uuid],
        lease: Duration,
    ) -> StoreResult<LeaseReport>;

    /// Which of these jobs someone asked to cancel (a read, polled often).
    async fn cancel_requests(&self, ids: &[Uuid]) -> StoreResult<Vec<Uuid>>;

    /// Records finished attempts; returns the ids accepted. A completion whose attempt or
    /// owner no longer matches (fenced) is refused and left out.
    async fn complete(&self, worker_id: Uuid, done: &[Completion]) -> StoreResult<Vec<Uuid>>;

    /// Gives jobs back without counting the attempt (graceful shutdown). Still fenced:
    /// the next claim bumps `attempt` again.
    async fn release(&self, worker_id: Uuid, ids: &[(Uuid, i32)]) -> StoreResult<u64>;

    /// Takes running jobs back from lost workers (lease expired, process gone, heartbeat
    /// silent): queued again in their old place, or discarded when over the rescue budget.
    /// Fencing holds: the lost worker's completion no longer matches.
    async fn rescue(&self, req: &RescueRequest) -> StoreResult<Vec<Rescued>>;

    async fn get_job(&self, id: Uuid) -> StoreResult<JobLookup>;
    async fn list_jobs(&self, filter: &JobFilter) -> StoreResult<Vec<Job>>;

    /// A discarded or cancelled job back to the queue with a fresh set of attempts.
    async fn retry_job(&self, id: Uuid) -> StoreResult<Job>;

    /// Cancels a queued or retry-pending job at once; flags a running one for its worker.
    async fn cancel_job(&self, id: Uuid, keep_for: Duration) -> StoreResult<Job>;

    /// Deletes up to `limit` expired jobs, leaving tombstones; returns how many went.
    async fn sweep_expired(&self, limit: u32) -> StoreResult<u64>;
    /// Deletes up to `limit` tombstones older than `keep`.
    async fn sweep_tombstones(&self, keep: Duration, limit: u32) -> StoreResult<u64>;

    /// The unexpired answer the team got for this idempotency key, if any.
    async fn idempotent_answer(
        &self,
        team_id: Uuid,
        key: &str,
    ) -> StoreResult<Option<IdempotentAnswer>>;
    /// Deletes up to `limit` expired idempotency keys.
    async fn sweep_idempotency_keys(&self, limit: u32) -> StoreResult<u64>;

    async fn queue_stats(&self) -> StoreResult<QueueStats>;

    /// Registers the worker or refreshes its heartbeat and running count.
    async fn register_worker(&self, worker: &WorkerInfo) -> StoreResult<()>;
    async fn unregister_worker(&self, id: Uuid) -> StoreResult<()>;
    /// Workers that heartbeat within `alive_within`.
    async fn list_workers(&self, alive_within: Duration) -> StoreResult<Vec<WorkerInfo>>;
    /// Forgets workers silent for longer than `silent_for`.
    async fn prune_workers(&self, silent_for: Duration) -> StoreResult<u64>;

    async fn upsert_schedule(&self, s: &NewSchedule) -> StoreResult<Schedule>;
    async fn get_schedule(&self, team_id: Uuid, name: &str) -> StoreResult<Option<Schedule>>;
    /// Deletes a schedule; false when there was none.
    async fn delete_schedule(&self, team_id: Uuid, name: &str) -> StoreResult<bool>;
    /// Unpaused schedules whose tick is due, and the database's clock.
    async fn due_schedules(&self, limit: u32) -> StoreResult<(Vec<Schedule>, DateTime<Utc>)>;
    /// Moves a schedule from `expected` to `next` and enqueues `job` in one transaction,
    /// recording the run (`schedule_runs`, `last_job_id`); false (and nothing enqueued)
    /// when another node moved it first or the schedule was paused since it was read.
    async fn fire_schedule(
        &self,
        id: Uuid,
        expected: DateTime<Utc>,
        next: DateTime<Utc>,
        job: &NewJob,
    ) -> StoreResult<bool>;

    /// Benchmark support (`trawl bench-queue`): inserts `n` finished jobs of kind
    /// `bench.old`, as a long-running instance accumulates them.
    async fn seed_finished_jobs(&self, n: u64) -> StoreResult<()>;

    /// Test support (the `test.record` kind): appends one execution of a job.
    async fn record_test_execution(
        &self,
        job_id: Uuid,
        attempt: i32,
        worker: &str,
    ) -> StoreResult<()>;
}

/// A claim candidate, before the fairness and limit rules pick among them.
#[derive(Debug, Clone)]
struct Candidate {
    id: Uuid,
    team_id: Option<Uuid>,
    kind: String,
    priority: i32,
    run_at: DateTime<Utc>,
}

/// Picks the jobs to claim: round-robin across teams (each team's best job first, then
/// each team's second…), within a team by priority then age; no team above `team_limit`
/// running jobs, no kind above its room, at most `limit` in all.
fn pick(
    mut cands: Vec<Candidate>,
    running_by_team: &HashMap<Option<Uuid>, i64>,
    req: &ClaimRequest,
) -> Vec<Uuid> {
    cands.sort_by(|a, b| {
        (a.team_id, -a.priority, a.run_at, a.id).cmp(&(b.team_id, -b.priority, b.run_at, b.id))
    });
    let mut ranked: Vec<(usize, Candidate)> = Vec::with_capacity(cands.len());
    let mut rank = 0;
    let mut prev_team = None;
    for c in cands {
        rank = if prev_team == Some(c.team_id) {
            rank + 1
        } else {
            0
        };
        prev_team = Some(c.team_id);
        ranked.push((rank, c));
    }
    ranked.sort_by(|(ra, a), (rb, b)| {
        (*ra, -a.priority, a.run_at, a.id).cmp(&(*rb, -b.priority, b.run_at, b.id))
    });
    let mut kind_room: HashMap<&str, u32> =
        req.kinds.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    let mut team_taken: HashMap<Option<Uuid>, i64> = HashMap::new();
    let mut out = Vec::new();
    for (_, c) in &ranked {
        if out.len() >= req.limit as usize {
            break;
        }
        let Some(room) = kind_room.get_mut(c.kind.as_str()) else {
            continue;
        };
        if *room == 0 {
            continue;
        }
        let taken = team_taken.entry(c.team_id).or_default();
        if req.team_limit > 0
            && running_by_team.get(&c.team_id).copied().unwrap_or(0) + *taken
                >= i64::from(req.team_limit)
        {
            continue;
        }
        *room -= 1;
        *taken += 1;
        out.push(c.id);
    }
    out
}

/// What `rescue` writes into `last_error`, by why the job came back.
pub(crate) const RESCUE_OVER_BUDGET: &str =
    "its worker was lost too many times while running it (see jobs.max_rescues); \
     discarded so that it cannot take more workers down";
pub(crate) const RESCUE_LEASE_EXPIRED: &str = "lease expired: the worker stopped heartbeating";
pub(crate) const RESCUE_WORKER_LOST: &str =
    "worker lost: its process is gone or its heartbeat stopped";

/// The text form SQLite timestamps use everywhere: UTC, milliseconds, `Z`.
pub(crate) fn sqlite_ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub(crate) fn parse_uuid(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Other(anyhow::anyhow!("bad uuid {s:?}: {e}")))
}

fn parse_state(s: &str) -> StoreResult<JobState> {
    s.parse()
        .map_err(|_| StoreError::Other(anyhow::anyhow!("bad job state {s:?}")))
}

fn job_finished_conflict(state: JobState) -> StoreError {
    StoreError::Conflict {
        code: "job_not_retryable",
        message: format!("the job is {state}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(team: u128, kind: &str, priority: i32, secs: i64) -> Candidate {
        Candidate {
            id: Uuid::now_v7(),
            team_id: Some(Uuid::from_u128(team)),
            kind: kind.into(),
            priority,
            run_at: DateTime::from_timestamp(secs, 0).unwrap(),
        }
    }

    fn req(limit: u32, team_limit: u32, kinds: &[(&str, u32)]) -> ClaimRequest {
        ClaimRequest {
            worker_id: Uuid::nil(),
            kinds: kinds.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
            limit,
            team_limit,
            lease: Duration::from_secs(1),
        }
    }

    #[test]
    fn a_busy_team_does_not_take_every_slot_from_a_quiet_one() {
        let mut cands: Vec<Candidate> = (0..10).map(|i| cand(1, "a", 0, i)).collect();
        let quiet = cand(2, "a", 0, 100);
        let quiet_id = quiet.id;
        cands.push(quiet);
        let picked = pick(cands, &HashMap::new(), &req(2, 0, &[("a", 10)]));
        assert_eq!(picked.len(), 2);
        assert!(
            picked.contains(&quiet_id),
            "round-robin gives team 2 a slot"
        );
    }

    #[test]
    fn team_limit_counts_jobs_already_running() {
        let cands: Vec<Candidate> = (0..10).map(|i| cand(1, "a", 0, i)).collect();
        let running = HashMap::from([(Some(Uuid::from_u128(1)), 3)]);
        assert_eq!(pick(cands, &running, &req(10, 5, &[("a", 10)])).len(), 2);
    }

    #[test]
    fn kind_room_and_priority_are_respected() {
        let low = cand(1, "a", 0, 0);
        let high = cand(1, "a", 5, 10);
        let other = cand(1, "b", 9, 0);
        let high_id = high.id;
        let picked = pick(
            vec![low, high, other],
            &HashMap::new(),
            &req(5, 0, &[("a", 1)]),
        );
        assert_eq!(picked, vec![high_id]);
    }
}
