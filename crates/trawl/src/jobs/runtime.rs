//! What one process runs for the queue: a worker, the scheduler, and maintenance (lease
//! rescue, expiry sweep, forgetting dead workers). `trawl serve` runs all three by
//! default; `trawl serve --no-workers` none; `trawl worker` all three without HTTP.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::worker::{Worker, WorkerSettings};
use super::{schedule, Jobs};
use crate::store::jobs::TOMBSTONE_KEEP;

/// Rows one sweep statement deletes: small enough that no lock is held for long.
const SWEEP_BATCH: u32 = 1000;
/// How often expired leases are looked for.
const RESCUE_EVERY: Duration = Duration::from_millis(500);

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
    let keep_failed = Duration::from_secs(jobs.config.retention_failed_secs);
    let mut last_sweep: Option<tokio::time::Instant> = None;
    loop {
        match jobs.store.rescue_expired(SWEEP_BATCH, keep_failed).await {
            Ok(rescued) => {
                for r in rescued {
                    tracing::warn!(job = %r.id, kind = %r.kind, state = %r.state,
                        "lease expired: job taken back from a lost worker");
                    metrics::counter!("trawl_jobs_rescued_total", "kind" => r.kind).increment(1);
                }
            }
            Err(e) => tracing::debug!(error = %e, "lease rescue failed"),
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
    let silent = Duration::from_secs(jobs.config.lease_secs.max(30) * 10);
    jobs.store.prune_workers(silent).await?;
    if total > 0 {
        tracing::info!(deleted = total, "expired jobs swept");
        metrics::counter!("trawl_jobs_expired_total").increment(total);
    }
    Ok(total)
}
