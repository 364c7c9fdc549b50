//! What one process runs for the queue: a worker, the scheduler, and maintenance (rescue
//! of jobs from lost workers, expiry sweep, forgetting dead workers).
//!
//! A worker is lost when its lease expires, when its heartbeat is three beats silent, or
//! at once when it ran on this host and its process is gone (`super::process`); its jobs
//! go back to the queue in their old place, and `complete` still refuses its late results. `trawl serve` runs all three by
//! default; `trawl serve --no-workers` none; `trawl worker` all three without HTTP.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::worker::{Worker, WorkerSettings};
use super::{schedule, Jobs};
use crate::store::jobs::{JobState, RescueRequest, TOMBSTONE_KEEP};

/// Rows one sweep statement deletes: small enough that no lock is held for long.
const SWEEP_BATCH: u32 = 1000;
/// How often lost workers are looked for.
const RESCUE_EVERY: Duration = Duration::from_millis(250);

/// Which parts to run, and command-line overrides of `[jobs]`.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    pub workers: bool,
    pub scheduler: bool,
    pub maintenance: bool,
    pub concurrency: Option<u32>,
    pub kinds: Option<Vec<String>>,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            workers: true,
            scheduler: true,
            maintenance: true,
            concurrency: None,
            kinds: None,
        }
    }
}

pub struct JobRuntime {
    worker: Option<Worker>,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl JobRuntime {
    pub async fn start(jobs: Jobs, options: RuntimeOptions) -> JobRuntime {
        let stop = CancellationToken::new();
        let mut tasks = Vec::new();
        let worker = if options.workers {
            let wanted = options
                .kinds
                .clone()
                .unwrap_or_else(|| jobs.config.kinds.clone());
            let registered = jobs.registry.kinds();
            let kinds: Vec<String> = if wanted.is_empty() {
                registered
            } else {
                for k in wanted.iter().filter(|k| !registered.contains(k)) {
                    tracing::warn!(kind = %k, "no handler for this kind here; not claiming it");
                }
                wanted
                    .into_iter()
                    .filter(|k| registered.contains(k))
                    .collect()
            };
            let settings = WorkerSettings {
                concurrency: options
                    .concurrency
                    .unwrap_or(jobs.config.concurrency)
                    .max(1),
                kinds,
            };
            Some(Worker::start(jobs.clone(), settings).await)
        } else {
            None
        };
        if options.scheduler {
            tasks.push(tokio::spawn(schedule::run(jobs.clone(), stop.clone())));
        }
        if options.maintenance {
            tasks.push(tokio::spawn(super::retention::run(
                jobs.clone(),
                stop.clone(),
            )));
            tasks.push(tokio::spawn(maintain(jobs, stop.clone())));
        }
        JobRuntime {
            worker,
            stop,
            tasks,
        }
    }

    pub fn worker_id(&self) -> Option<Uuid> {
        self.worker.as_ref().map(Worker::id)
    }

    /// Jobs this process's worker stopped because their lease was lost while they ran
    /// (a job that had just finished is not counted).
    pub fn leases_lost(&self) -> u64 {
        self.worker.as_ref().map_or(0, Worker::leases_lost)
    }

    /// Stops claiming and scheduling; running jobs get `grace` to finish, the rest go
    /// back to the queue.
    pub async fn shutdown(self, grace: Duration) {
        self.stop.cancel();
        if let Some(w) = self.worker {
            w.shutdown(grace).await;
        }
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

async fn maintain(jobs: Jobs, stop: CancellationToken) {
    let sweep_every = Duration::from_secs(jobs.config.sweep_interval_secs.max(1));
    let mut last_sweep: Option<tokio::time::Instant> = None;
    loop {
        if let Err(e) = rescue(&jobs).await {
            tracing::debug!(error = %e, "rescue from lost workers failed");
        }
        if last_sweep.is_none_or(|t| t.elapsed() >= sweep_every) {
            last_sweep = Some(tokio::time::Instant::now());
            if let Err(e) = sweep(&jobs, &stop).await {
                tracing::warn!(error = %e, "expiry sweep failed");
            }
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(RESCUE_EVERY) => {}
        }
    }
}

/// Takes the jobs of lost workers back and forgets the workers known dead, so health and
/// the admin view stop counting them.
pub(crate) async fn rescue(jobs: &Jobs) -> crate::store::StoreResult<usize> {
    let silent = jobs.config.dead_after();
    // Every registered worker, silent ones too: a fresh heartbeat from a process that
    // is gone still means dead.
    let workers = jobs
        .store
        .list_workers(Duration::from_secs(365 * 24 * 3600))
        .await?;
    let dead: Vec<Uuid> = workers
        .iter()
        .filter(|w| super::process::is_gone(w.id, w.process_key.as_deref()))
        .map(|w| w.id)
        .collect();
    let req = RescueRequest {
        limit: SWEEP_BATCH,
        keep_failed: Duration::from_secs(jobs.config.retention_failed_secs),
        dead: dead.clone(),
        silent_for: Some(silent),
        max_rescues: i32::try_from(jobs.config.max_rescues).unwrap_or(i32::MAX),
    };
    let rescued = jobs.store.rescue(&req).await?;
    for r in &rescued {
        if r.state == JobState::Discarded {
            tracing::error!(job = %r.id, kind = %r.kind,
                "job discarded: its worker was lost too many times while running it");
        } else {
            tracing::warn!(job = %r.id, kind = %r.kind,
                "job taken back from a lost worker; queued again in its place");
        }
        metrics::counter!("trawl_jobs_rescued_total", "kind" => r.kind.clone(),
            "state" => r.state.as_str())
        .increment(1);
    }
    // Forget the dead once their jobs are all back (a full batch may have left some).
    if rescued.len() < SWEEP_BATCH as usize {
        for id in dead {
            tracing::info!(worker = %id, "worker process gone; forgotten");
            jobs.store.unregister_worker(id).await?;
        }
    }
    Ok(rescued.len())
}

/// Deletes expired jobs in bounded batches, pausing between them so the queue's own
/// writes are never held up for long.
pub(crate) async fn sweep(jobs: &Jobs, stop: &CancellationToken) -> crate::store::StoreResult<u64> {
    let mut total = 0;
    loop {
        let n = jobs.store.sweep_expired(SWEEP_BATCH).await?;
        total += n;
        if n < u64::from(SWEEP_BATCH) || stop.is_cancelled() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    jobs.store
        .sweep_tombstones(TOMBSTONE_KEEP, SWEEP_BATCH)
        .await?;
    jobs.store.sweep_idempotency_keys(SWEEP_BATCH).await?;
    let silent = Duration::from_secs(jobs.config.lease_secs.max(30) * 10);
    jobs.store.prune_workers(silent).await?;
    if total > 0 {
        tracing::info!(deleted = total, "expired jobs swept");
        metrics::counter!("trawl_jobs_expired_total").increment(total);
    }
    Ok(total)
}
