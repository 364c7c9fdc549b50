//! The durable job engine: every scrape, crawl, batch, webhook delivery and scheduled task
//! is a row in `jobs`, enqueued in the caller's transaction, claimed under a lease by a
//! worker, retried with backoff, and expired after its retention.
//!
//! - [`Jobs`]: the handle the rest of the service uses (enqueue, cancel, retry, look up).
//! - [`Registry`]: `kind -> handler`; add real kinds in `app.rs` with [`Registry::register`].
//! - [`JobRuntime`]: the workers, scheduler and maintenance loops of one process.
//!
//! Expired jobs: the sweeper deletes a finished job after its retention and keeps a
//! tombstone (id, team, kind) for [`crate::store::jobs::TOMBSTONE_KEEP`], so looking the
//! id up answers `job_expired` instead of `not_found` for a week.

pub mod bench;
mod builtin;
mod finished_cache;
pub mod metrics;
mod process;
pub mod redact;
pub mod retention;
mod runtime;
pub mod schedule;
mod worker;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::config::{Config, JobsConfig};
use crate::store::jobs::{Enqueued, Job, JobLookup, NewJob, StoreTx};
use crate::store::{Store, StoreResult};

pub use runtime::{JobRuntime, RuntimeOptions};
pub use worker::backoff;

/// Why an attempt failed, as a handler reports it.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt (network error, rate limit, …).
    #[error("{0}")]
    Retry(String),
    /// No attempt will ever succeed (bad payload, 404): discard at once.
    #[error("{0}")]
    Permanent(String),
    /// The handler saw its cancellation token and stopped.
    #[error("cancelled")]
    Cancelled,
}

impl From<anyhow::Error> for JobError {
    fn from(e: anyhow::Error) -> Self {
        JobError::Retry(format!("{e:#}"))
    }
}

impl From<crate::store::StoreError> for JobError {
    fn from(e: crate::store::StoreError) -> Self {
        JobError::Retry(format!("{:#}", anyhow::Error::new(e)))
    }
}

/// What a handler gets for one attempt.
#[derive(Clone)]
pub struct JobContext {
    pub id: Uuid,
    pub team_id: Option<Uuid>,
    pub kind: String,
    pub payload: Value,
    pub attempt: i32,
    pub max_attempts: i32,
    pub parent_id: Option<Uuid>,
    /// Cancelled when someone cancels the job, its lease is lost, or the process stops
    /// for good; a handler should return soon after (it is aborted a second later).
    pub cancel: CancellationToken,
    pub store: Arc<dyn Store>,
    pub worker_id: Uuid,
}

/// Runs jobs of one kind. Write results keyed by the job's id so a re-run (after a lost
/// lease) overwrites instead of adding a second copy.
#[async_trait]
pub trait JobHandler: Send + Sync + 'static {
    async fn run(&self, ctx: JobContext) -> Result<Value, JobError>;
}

/// A handler from an async closure: `handler_fn(|ctx| async move { Ok(json!(null)) })`.
pub fn handler_fn<F, Fut>(f: F) -> Arc<dyn JobHandler>
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Value, JobError>> + Send + 'static,
{
    struct FnHandler<F>(F);
    #[async_trait]
    impl<F, Fut> JobHandler for FnHandler<F>
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<Value, JobError>> + Send + 'static,
    {
        async fn run(&self, ctx: JobContext) -> Result<Value, JobError> {
            (self.0)(ctx).await
        }
    }
    Arc::new(FnHandler(f))
}

/// Per-kind settings; `None` falls back to the `[jobs]` configuration.
#[derive(Debug, Clone, Default)]
pub struct KindOptions {
    pub max_attempts: Option<i32>,
    pub timeout: Option<Duration>,
    /// Most jobs of this kind one worker runs at once.
    pub concurrency: Option<u32>,
    /// How long a succeeded job (and its result) is kept.
    pub retention: Option<Duration>,
}

/// `kind -> handler`. Workers claim only the kinds registered here.
#[derive(Clone, Default)]
pub struct Registry {
    kinds: HashMap<String, (Arc<dyn JobHandler>, KindOptions)>,
}

impl Registry {
    pub fn new() -> Self {
        Registry::default()
    }

    /// The built-in kinds: `noop`, plus the test kinds when `TRAWL_JOBS_TEST_KINDS` is on.
    pub fn builtin(config: &JobsConfig) -> Self {
        let mut r = Registry::new();
        builtin::register(&mut r, config);
        r
    }

    pub fn register(&mut self, kind: impl Into<String>, handler: Arc<dyn JobHandler>) {
        self.register_with(kind, handler, KindOptions::default());
    }

    pub fn register_with(
        &mut self,
        kind: impl Into<String>,
        handler: Arc<dyn JobHandler>,
        options: KindOptions,
    ) {
        self.kinds.insert(kind.into(), (handler, options));
    }

    pub fn handler(&self, kind: &str) -> Option<&Arc<dyn JobHandler>> {
        self.kinds.get(kind).map(|(h, _)| h)
    }

    pub fn options(&self, kind: &str) -> KindOptions {
        self.kinds
            .get(kind)
            .map(|(_, o)| o.clone())
            .unwrap_or_default()
    }

    /// Registered kinds, sorted.
    pub fn kinds(&self) -> Vec<String> {
        let mut k: Vec<String> = self.kinds.keys().cloned().collect();
        k.sort();
        k
    }
}

/// The service's handle on the queue. Cheap to clone.
#[derive(Clone)]
pub struct Jobs {
    pub store: Arc<dyn Store>,
    pub registry: Arc<Registry>,
    pub config: Arc<JobsConfig>,
    finished: finished_cache::FinishedCache,
}

impl Jobs {
    pub fn new(store: Arc<dyn Store>, registry: Registry, config: &Config) -> Self {
        Jobs {
            store,
            registry: Arc::new(registry),
            config: Arc::new(config.jobs.clone()),
            finished: Default::default(),
        }
    }

    /// Fills the kind's defaults into jobs that do not set them.
    pub(crate) fn prepare(&self, jobs: &mut [NewJob]) {
        for j in jobs {
            if j.max_attempts.is_none() {
                let kind_max = self.registry.options(&j.kind).max_attempts;
                j.max_attempts = Some(kind_max.unwrap_or(self.config.max_attempts as i32));
            }
        }
    }

    /// Enqueues in the caller's transaction: the jobs exist iff the transaction commits.
    pub async fn enqueue_in(
        &self,
        tx: &mut StoreTx,
        mut jobs: Vec<NewJob>,
    ) -> StoreResult<Vec<Enqueued>> {
        self.prepare(&mut jobs);
        tx.enqueue(&jobs).await
    }

    /// Enqueues in a transaction of its own (one statement however many jobs).
    pub async fn enqueue(&self, mut jobs: Vec<NewJob>) -> StoreResult<Vec<Enqueued>> {
        self.prepare(&mut jobs);
        self.store.enqueue(&jobs).await
    }

    /// Looks a job up; a finished one may come from memory (see `finished_cache`).
    pub async fn get(&self, id: Uuid) -> StoreResult<JobLookup> {
        if let Some(job) = self.finished.get(id) {
            return Ok(JobLookup::Found(Box::new(Job::clone(&job))));
        }
        let found = self.store.get_job(id).await?;
        if let JobLookup::Found(job) = &found {
            self.finished.offer(job);
        }
        Ok(found)
    }

    /// Cancels a queued job at once; a running one is told and stops within a second.
    pub async fn cancel(&self, id: Uuid) -> StoreResult<Job> {
        self.store
            .cancel_job(id, Duration::from_secs(self.config.retention_failed_secs))
            .await
    }

    /// Puts a discarded or cancelled job back with a fresh set of attempts.
    pub async fn retry(&self, id: Uuid) -> StoreResult<Job> {
        self.finished.forget(id);
        self.store.retry_job(id).await
    }

    /// How long a finished job of `kind` is kept, by outcome.
    pub fn retention(&self, kind: &str, succeeded: bool) -> Duration {
        if !succeeded {
            return Duration::from_secs(self.config.retention_failed_secs);
        }
        if let Some(keep) = self.registry.options(kind).retention {
            return keep;
        }
        let family = kind.split(['.', ':']).next().unwrap_or(kind);
        if matches!(family, "crawl" | "batch") {
            Duration::from_secs(self.config.retention_crawl_secs)
        } else {
            Duration::from_secs(self.config.retention_secs)
        }
    }
}
