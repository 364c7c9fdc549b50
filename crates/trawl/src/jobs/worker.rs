//! One worker: claims batches into local slots, runs each job under its lease, heartbeats,
//! listens for cancel requests, and writes outcomes back in batches.
//!
//! Loops, each its own task: `claim` (wakes on NOTIFY / in-process commit / a freed slot /
//! a retry timer / the poll interval), `complete` (drains finished attempts into one
//! write), `heartbeat` (every `jobs.heartbeat_ms`: refreshes the worker's row, which is
//! how other nodes know it is alive, and extends its leases), `cancels` (polls cancel
//! requests, so a running job hears about one within a second).

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::FutureExt;
use serde_json::Value;
use tokio::sync::{mpsc, watch, Notify, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{JobContext, JobError, Jobs};
use crate::store::jobs::{ClaimRequest, ClaimedJob, Completion, Outcome, WorkerInfo};

/// How long a cancelled handler may take to return before it is dropped.
const CANCEL_GRACE: Duration = Duration::from_millis(500);
/// How often running jobs are checked for cancel requests.
const CANCEL_POLL: Duration = Duration::from_millis(250);
/// Most outcomes written in one statement.
const COMPLETE_BATCH: usize = 1000;

/// Exponential backoff with full jitter: a random delay in `[0, min(max, base·2^(n-1))]`.
pub fn backoff(attempt: i32, base: Duration, max: Duration) -> Duration {
    let exp = attempt.clamp(1, 31) as u32 - 1;
    let ceiling = base.saturating_mul(2u32.saturating_pow(exp)).min(max);
    let ms = ceiling.as_millis() as u64;
    Duration::from_millis(if ms == 0 {
        0
    } else {
        rand::random_range(0..=ms)
    })
}

/// What a worker may do; resolved from `[jobs]` and the command line.
#[derive(Debug, Clone)]
pub(crate) struct WorkerSettings {
    pub concurrency: u32,
    /// Registered kinds this worker claims.
    pub kinds: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopReason {
    Requested,
    LeaseLost,
    Shutdown,
}

struct Running {
    attempt: i32,
    cancel: CancellationToken,
    reason: Arc<Mutex<Option<StopReason>>>,
    /// The handler returned; only its outcome is left to write. Such a job may leave the
    /// database's `running` state before it leaves this map: it was not lost.
    done: Arc<AtomicBool>,
}

struct Finished {
    id: Uuid,
    attempt: i32,
    kind: String,
    outcome: Outcome,
    elapsed: Duration,
}

struct Inner {
    id: Uuid,
    jobs: Jobs,
    settings: WorkerSettings,
    running: Mutex<HashMap<Uuid, Running>>,
    kind_running: Mutex<HashMap<String, u32>>,
    slots: Arc<Semaphore>,
    slot_freed: Notify,
    retry_due: Arc<Notify>,
    done_tx: mpsc::UnboundedSender<Finished>,
    /// Jobs whose lease this worker lost while their handler still ran.
    leases_lost: AtomicU64,
}

impl Drop for Inner {
    fn drop(&mut self) {
        super::process::unregister_live(self.id);
    }
}

pub(crate) struct Worker {
    inner: Arc<Inner>,
    stop_claiming: CancellationToken,
    stop_rest: CancellationToken,
    claim_task: JoinHandle<()>,
    other_tasks: Vec<JoinHandle<()>>,
}

impl Worker {
    pub(crate) async fn start(jobs: Jobs, settings: WorkerSettings) -> Worker {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            id: Uuid::now_v7(),
            slots: Arc::new(Semaphore::new(settings.concurrency as usize)),
            jobs,
            settings,
            running: Mutex::new(HashMap::new()),
            kind_running: Mutex::new(HashMap::new()),
            slot_freed: Notify::new(),
            retry_due: Arc::new(Notify::new()),
            done_tx,
            leases_lost: AtomicU64::new(0),
        });
        super::process::register_live(inner.id);
        // Registered before the first claim, so that a crash right after it is seen.
        if let Err(e) = inner.jobs.store.register_worker(&inner.info(0)).await {
            tracing::warn!(error = %e, "could not register the worker");
        }
        let stop_claiming = CancellationToken::new();
        let stop_rest = CancellationToken::new();
        let wake = match inner.jobs.store.wakeups().await {
            Ok(rx) => Some(rx),
            Err(e) => {
                tracing::warn!(error = %e, "no job notifications; polling only");
                None
            }
        };
        tracing::info!(worker = %inner.id, kinds = ?inner.settings.kinds,
            concurrency = inner.settings.concurrency, "worker started");
        let claim_task = tokio::spawn(inner.clone().claim_loop(stop_claiming.clone(), wake));
        let other_tasks = vec![
            tokio::spawn(inner.clone().complete_loop(done_rx, stop_rest.clone())),
            tokio::spawn(inner.clone().heartbeat_loop(stop_rest.clone())),
            tokio::spawn(inner.clone().cancel_loop(stop_rest.clone())),
        ];
        Worker {
            inner,
            stop_claiming,
            stop_rest,
            claim_task,
            other_tasks,
        }
    }

    pub(crate) fn id(&self) -> Uuid {
        self.inner.id
    }

    /// Jobs stopped because their lease was lost while they ran.
    pub(crate) fn leases_lost(&self) -> u64 {
        self.inner.leases_lost.load(Ordering::Relaxed)
    }

    /// Stops claiming, lets running jobs finish within `grace`, then gives the rest back
    /// to the queue (not counted as an attempt) and stops.
    pub(crate) async fn shutdown(self, grace: Duration) {
        self.stop_claiming.cancel();
        let _ = self.claim_task.await;
        let deadline = Instant::now() + grace;
        while !self.inner.running_ids().is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let left: Vec<(Uuid, i32)> = {
            let running = self.inner.running.lock().expect("lock");
            running.iter().map(|(id, r)| (*id, r.attempt)).collect()
        };
        if !left.is_empty() {
            match self.inner.jobs.store.release(self.inner.id, &left).await {
                Ok(n) => tracing::info!(released = n, "grace period over: jobs given back"),
                Err(e) => {
                    tracing::warn!(error = %e, "could not release jobs; their leases will expire")
                }
            }
            let running = self.inner.running.lock().expect("lock");
            for r in running.values() {
                *r.reason.lock().expect("lock") = Some(StopReason::Shutdown);
                r.cancel.cancel();
            }
        }
        self.stop_rest.cancel();
        for t in self.other_tasks {
            let _ = t.await;
        }
        super::process::unregister_live(self.inner.id);
        if let Err(e) = self.inner.jobs.store.unregister_worker(self.inner.id).await {
            tracing::warn!(error = %e, "could not unregister the worker");
        }
        tracing::info!(worker = %self.inner.id, "worker stopped");
    }
}

impl Inner {
    fn lease(&self) -> Duration {
        Duration::from_secs(self.jobs.config.lease_secs)
    }

    fn info(&self, running: i32) -> WorkerInfo {
        WorkerInfo {
            id: self.id,
            hostname: hostname(),
            pid: std::process::id() as i32,
            kinds: self.settings.kinds.clone(),
            concurrency: self.settings.concurrency as i32,
            running,
            started_at: chrono::Utc::now(),
            heartbeat_at: chrono::Utc::now(),
            process_key: super::process::own_key(),
        }
    }

    fn running_ids(&self) -> Vec<Uuid> {
        self.running.lock().expect("lock").keys().copied().collect()
    }

    /// How many more of each kind this worker may start, given `free` slots.
    fn kind_room(&self, free: u32) -> Vec<(String, u32)> {
        let counts = self.kind_running.lock().expect("lock");
        self.settings
            .kinds
            .iter()
            .map(|k| {
                let limit = self
                    .jobs
                    .config
                    .kind_concurrency
                    .get(k)
                    .copied()
                    .or(self.jobs.registry.options(k).concurrency)
                    .unwrap_or(u32::MAX);
                let used = counts.get(k).copied().unwrap_or(0);
                (k.clone(), limit.saturating_sub(used).min(free))
            })
            .collect()
    }

    async fn claim_loop(
        self: Arc<Self>,
        stop: CancellationToken,
        mut wake: Option<watch::Receiver<()>>,
    ) {
        let poll = Duration::from_millis(self.jobs.config.poll_ms);
        let mut error_pause = Duration::from_millis(100);
        loop {
            if stop.is_cancelled() {
                break;
            }
            let free = self.slots.available_permits() as u32;
            let limit = free.min(self.jobs.config.batch_size);
            let mut full = limit == 0;
            if limit > 0 {
                let req = ClaimRequest {
                    worker_id: self.id,
                    kinds: self.kind_room(free),
                    limit,
                    team_limit: self.jobs.config.team_concurrency,
                    lease: self.lease(),
                };
                match self.jobs.store.claim(&req).await {
                    Ok(claimed) => {
                        error_pause = Duration::from_millis(100);
                        full = claimed.len() as u32 == limit;
                        for job in claimed {
                            self.clone().start(job);
                        }
                        if full && self.slots.available_permits() > 0 {
                            continue;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "claim failed; retrying");
                        tokio::select! {
                            () = stop.cancelled() => break,
                            () = tokio::time::sleep(error_pause) => {}
                        }
                        error_pause = (error_pause * 2).min(Duration::from_secs(5));
                        continue;
                    }
                }
            }
            let notified = async {
                match wake.as_mut() {
                    Some(rx) => {
                        if rx.changed().await.is_err() {
                            wake = None;
                        }
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = stop.cancelled() => break,
                () = notified => {}
                () = self.retry_due.notified() => {}
                // A freed slot matters only when the last claim filled every slot.
                () = self.slot_freed.notified(), if full => {}
                () = tokio::time::sleep(poll) => {}
            }
        }
    }

    fn start(self: Arc<Self>, job: ClaimedJob) {
        let permit = self
            .slots
            .clone()
            .try_acquire_owned()
            .expect("claims never exceed the free slots");
        *self
            .kind_running
            .lock()
            .expect("lock")
            .entry(job.kind.clone())
            .or_default() += 1;
        let wait = (job.started_at - job.run_at).to_std().unwrap_or_default();
        metrics::histogram!("trawl_job_queue_wait_seconds", "kind" => job.kind.clone())
            .record(wait.as_secs_f64());
        let cancel = CancellationToken::new();
        let reason = Arc::new(Mutex::new(None));
        let done = Arc::new(AtomicBool::new(false));
        self.running.lock().expect("lock").insert(
            job.id,
            Running {
                attempt: job.attempt,
                cancel: cancel.clone(),
                reason: reason.clone(),
                done: done.clone(),
            },
        );
        tokio::spawn(async move {
            let started = Instant::now();
            let outcome = self.execute(&job, cancel, &reason).await;
            done.store(true, Ordering::Release);
            drop(permit);
            if let Some(n) = self.kind_running.lock().expect("lock").get_mut(&job.kind) {
                *n = n.saturating_sub(1);
            }
            self.slot_freed.notify_one();
            match outcome {
                Some(outcome) => {
                    let _ = self.done_tx.send(Finished {
                        id: job.id,
                        attempt: job.attempt,
                        kind: job.kind,
                        outcome,
                        elapsed: started.elapsed(),
                    });
                }
                // Lease lost or given back: nothing to record.
                None => {
                    self.running.lock().expect("lock").remove(&job.id);
                }
            }
        });
    }

    /// Runs one attempt; `None` when its outcome must not be recorded.
    async fn execute(
        &self,
        job: &ClaimedJob,
        cancel: CancellationToken,
        reason: &Mutex<Option<StopReason>>,
    ) -> Option<Outcome> {
        let config = &self.jobs.config;
        let options = self.jobs.registry.options(&job.kind);
        let timeout = options
            .timeout
            .unwrap_or(Duration::from_secs(config.timeout_secs));
        let Some(handler) = self.jobs.registry.handler(&job.kind).cloned() else {
            return Some(self.failed(job, "no handler for this kind".into()));
        };
        let ctx = JobContext {
            id: job.id,
            team_id: job.team_id,
            kind: job.kind.clone(),
            payload: job.payload.clone(),
            attempt: job.attempt,
            max_attempts: job.max_attempts,
            parent_id: job.parent_id,
            cancel: cancel.clone(),
            store: self.jobs.store.clone(),
            worker_id: self.id,
        };
        // A panic is one failed attempt, never a dead worker.
        let run = AssertUnwindSafe(handler.run(ctx)).catch_unwind();
        tokio::pin!(run);
        enum End {
            Ran(Result<Result<Value, JobError>, Box<dyn std::any::Any + Send>>),
            TimedOut,
            Stopped,
        }
        let end = tokio::select! {
            r = &mut run => End::Ran(r),
            () = tokio::time::sleep(timeout) => {
                cancel.cancel();
                End::TimedOut
            }
            () = cancel.cancelled() => match tokio::time::timeout(CANCEL_GRACE, &mut run).await {
                Ok(r) => End::Ran(r),
                Err(_) => End::Stopped,
            },
        };
        let stop = *reason.lock().expect("lock");
        match (stop, end) {
            (Some(StopReason::LeaseLost | StopReason::Shutdown), _) => None,
            (_, End::Ran(Ok(Ok(result)))) => Some(Outcome::Succeeded {
                result,
                keep_for: self.jobs.retention(&job.kind, true),
            }),
            (Some(StopReason::Requested), _) => Some(Outcome::Cancelled {
                keep_for: self.jobs.retention(&job.kind, false),
            }),
            (None, End::Ran(Ok(Err(JobError::Permanent(e))))) => Some(Outcome::Discarded {
                error: e,
                keep_for: self.jobs.retention(&job.kind, false),
            }),
            (None, End::Ran(Ok(Err(e)))) => Some(self.failed(job, e.to_string())),
            (None, End::Ran(Err(panic))) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                Some(self.failed(job, format!("handler panicked: {msg}")))
            }
            (None, End::TimedOut) => {
                Some(self.failed(job, format!("timed out after {}s", timeout.as_secs_f64())))
            }
            (None, End::Stopped) => Some(self.failed(job, "stopped".into())),
        }
    }

    /// A failed attempt: retried after a backoff, or discarded when out of attempts.
    fn failed(&self, job: &ClaimedJob, error: String) -> Outcome {
        if job.attempt >= job.max_attempts {
            Outcome::Discarded {
                error,
                keep_for: self.jobs.retention(&job.kind, false),
            }
        } else {
            let c = &self.jobs.config;
            Outcome::Retry {
                error,
                delay: backoff(
                    job.attempt,
                    Duration::from_millis(c.backoff_base_ms),
                    Duration::from_millis(c.backoff_max_ms),
                ),
            }
        }
    }

    async fn complete_loop(
        self: Arc<Self>,
        mut rx: mpsc::UnboundedReceiver<Finished>,
        stop: CancellationToken,
    ) {
        loop {
            let first = tokio::select! {
                f = rx.recv() => f,
                () = stop.cancelled() => rx.try_recv().ok(),
            };
            let Some(first) = first else { break };
            let mut batch = vec![first];
            while batch.len() < COMPLETE_BATCH {
                match rx.try_recv() {
                    Ok(f) => batch.push(f),
                    Err(_) => break,
                }
            }
            self.write_outcomes(batch).await;
        }
    }

    async fn write_outcomes(&self, batch: Vec<Finished>) {
        let done: Vec<Completion> = batch
            .iter()
            .map(|f| Completion {
                id: f.id,
                attempt: f.attempt,
                outcome: f.outcome.clone(),
            })
            .collect();
        let mut pause = Duration::from_millis(50);
        let give_up = Instant::now() + self.lease();
        let accepted = loop {
            match self.jobs.store.complete(self.id, &done).await {
                Ok(ids) => break ids,
                // Past the lease the outcome would be refused anyway: the job runs again.
                Err(e) if Instant::now() > give_up => {
                    tracing::error!(error = %e, jobs = done.len(), "could not record outcomes");
                    break Vec::new();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "recording outcomes failed; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
            }
        };
        let accepted: std::collections::HashSet<Uuid> = accepted.into_iter().collect();
        let mut soonest_retry: Option<Duration> = None;
        {
            let mut running = self.running.lock().expect("lock");
            for f in &batch {
                running.remove(&f.id);
            }
        }
        for f in batch {
            if !accepted.contains(&f.id) {
                tracing::warn!(job = %f.id, attempt = f.attempt,
                    "outcome refused: the job was re-leased or finished elsewhere");
                metrics::counter!("trawl_jobs_completed_total", "kind" => f.kind, "outcome" => "fenced")
                    .increment(1);
                continue;
            }
            let outcome = match &f.outcome {
                Outcome::Succeeded { .. } => "succeeded",
                Outcome::Retry { delay, .. } => {
                    soonest_retry = Some(soonest_retry.map_or(*delay, |d| d.min(*delay)));
                    "failed"
                }
                Outcome::Discarded { .. } => "discarded",
                Outcome::Cancelled { .. } => "cancelled",
            };
            let duration_ms = f.elapsed.as_millis() as u64;
            match &f.outcome {
                Outcome::Retry { error, .. } => {
                    tracing::info!(job = %f.id, kind = %f.kind, attempt = f.attempt, outcome,
                        duration_ms, %error, "job attempt failed; it will be retried");
                }
                Outcome::Discarded { error, .. } => {
                    tracing::info!(job = %f.id, kind = %f.kind, state = outcome,
                        attempt = f.attempt, duration_ms, %error, "job finished");
                }
                // Finished for good: one line an operator can follow a job to.
                _ => tracing::info!(job = %f.id, kind = %f.kind, state = outcome,
                    attempt = f.attempt, duration_ms, "job finished"),
            }
            metrics::histogram!("trawl_job_duration_seconds", "kind" => f.kind.clone())
                .record(f.elapsed.as_secs_f64());
            metrics::counter!("trawl_jobs_completed_total", "kind" => f.kind, "outcome" => outcome)
                .increment(1);
        }
        // A retry is due later: claim again then instead of waiting for the poll.
        if let Some(delay) = soonest_retry {
            let due = self.retry_due.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay + Duration::from_millis(5)).await;
                due.notify_one();
            });
        }
    }

    async fn heartbeat_loop(self: Arc<Self>, stop: CancellationToken) {
        let every = Duration::from_millis(self.jobs.config.heartbeat_ms.max(1));
        loop {
            let ids = self.running_ids();
            // The worker's row first: it is what tells other nodes this worker lives.
            if let Err(e) = self
                .jobs
                .store
                .register_worker(&self.info(ids.len() as i32))
                .await
            {
                tracing::warn!(error = %e, "worker heartbeat failed");
            }
            match self.jobs.store.heartbeat(self.id, &ids, self.lease()).await {
                Ok(report) => {
                    let lost = self.still_running(&report.lost);
                    self.stop_jobs(&lost, StopReason::LeaseLost);
                    self.stop_jobs(&report.cancel_requested, StopReason::Requested);
                    if !lost.is_empty() {
                        self.leases_lost
                            .fetch_add(lost.len() as u64, Ordering::Relaxed);
                        tracing::warn!(lost = lost.len(), "leases lost; stopping those jobs");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "lease heartbeat failed"),
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(every) => {}
            }
        }
    }

    /// Of the jobs a heartbeat reported lost, those whose handler still runs. A job that
    /// finished between the heartbeat's snapshot and its statement left `running` by its
    /// own completion: not a lost lease.
    fn still_running(&self, ids: &[Uuid]) -> Vec<Uuid> {
        let running = self.running.lock().expect("lock");
        ids.iter()
            .filter(|id| {
                running
                    .get(id)
                    .is_some_and(|r| !r.done.load(Ordering::Acquire))
            })
            .copied()
            .collect()
    }

    async fn cancel_loop(self: Arc<Self>, stop: CancellationToken) {
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(CANCEL_POLL) => {}
            }
            let ids = self.running_ids();
            if ids.is_empty() {
                continue;
            }
            match self.jobs.store.cancel_requests(&ids).await {
                Ok(ids) => self.stop_jobs(&ids, StopReason::Requested),
                Err(e) => tracing::debug!(error = %e, "cancel poll failed"),
            }
        }
    }

    fn stop_jobs(&self, ids: &[Uuid], why: StopReason) {
        if ids.is_empty() {
            return;
        }
        let running = self.running.lock().expect("lock");
        for id in ids {
            if let Some(r) = running.get(id) {
                let mut reason = r.reason.lock().expect("lock");
                if reason.is_none() {
                    *reason = Some(why);
                }
                r.cancel.cancel();
            }
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".into())
}
