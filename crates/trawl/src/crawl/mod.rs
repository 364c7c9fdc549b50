//! Crawling: a validated [`CrawlPlan`] run by the [`Crawler`] into a [`CrawlSink`].
//!
//! A crawl submitted to the service is one job of kind [`KIND`]; its pages are stored as
//! they finish (so status and results can be read while it runs) and its frontier with
//! them, so a crawl whose worker died resumes where it stopped.

pub mod engine;
pub mod hosts;
pub mod map;
pub mod options;
pub mod scope;
pub mod sink;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{json, Value};

use crate::config::Config;
use crate::jobs::{JobContext, JobError, JobHandler};
use crate::schedule::changes::ChangeTracker;
use crate::scrape::Scraper;
use crate::store::jobs::DEFAULT_TEAM;
use crate::webhook::{Event, Notifier};
pub use engine::{CrawlEvent, CrawlSink, CrawlSummary, Crawler, Progress, Resume};
pub use options::{CrawlPlan, CrawlRequest, SitemapMode};
use sink::PageHooks;

/// The job kind of a crawl.
pub const KIND: &str = "crawl";
/// The job kind of a batch scrape (a crawl of given URLs that follows no links).
pub const BATCH_KIND: &str = "batch";

/// Runs `crawl` jobs (payload: a [`CrawlRequest`]) and `batch` jobs (payload: a
/// [`options::BatchRequest`]).
pub struct CrawlHandler {
    scraper: Scraper,
    config: Arc<Config>,
}

impl CrawlHandler {
    pub fn new(scraper: Scraper, config: Arc<Config>) -> Self {
        CrawlHandler { scraper, config }
    }

    /// The payload as a plan, made on the low-priority thread (`crate::cpu`): it
    /// compiles the request's path patterns, CPU work that must not hold up requests.
    async fn plan(&self, kind: &str, payload: &Value) -> Result<CrawlPlan, JobError> {
        let (this, kind, payload) = (self.config.clone(), kind.to_string(), payload.clone());
        crate::cpu::at_low_priority(move || Self::plan_now(&this, &kind, &payload))
            .await
            .ok_or_else(|| JobError::Permanent("planning failed unexpectedly".into()))?
    }

    fn plan_now(config: &Config, kind: &str, payload: &Value) -> Result<CrawlPlan, JobError> {
        let invalid = |errs: Vec<crate::error::FieldError>| {
            let fields: Vec<String> = errs
                .iter()
                .map(|e| format!("{}: {}", e.field, e.rule))
                .collect();
            JobError::Permanent(format!("invalid {kind} request: {}", fields.join("; ")))
        };
        if kind == BATCH_KIND {
            let request =
                options::BatchRequest::from_json(payload).map_err(|e| invalid(vec![e]))?;
            Ok(request.validate(&config.crawl).map_err(invalid)?.0)
        } else {
            let request: CrawlRequest =
                options::from_json(payload).map_err(|e| invalid(vec![e]))?;
            request.validate(&config.crawl).map_err(invalid)
        }
    }
}

#[async_trait]
impl JobHandler for CrawlHandler {
    async fn run(&self, ctx: JobContext) -> Result<Value, JobError> {
        let team = ctx.team_id.unwrap_or(DEFAULT_TEAM);
        let prefix = if ctx.kind == BATCH_KIND {
            "batch_scrape"
        } else {
            "crawl"
        };
        let attempts = self.config.webhook.max_attempts as i32;
        let notifier = Notifier::for_job(&ctx.payload, team, ctx.id, prefix, attempts);
        let result = self.crawl(&ctx, team, notifier.clone(), attempts).await;
        notify_end(&ctx, notifier.as_ref(), &result).await?;
        result
    }
}

impl CrawlHandler {
    async fn crawl(
        &self,
        ctx: &JobContext,
        team: uuid::Uuid,
        notifier: Option<Notifier>,
        attempts: i32,
    ) -> Result<Value, JobError> {
        let plan = self.plan(&ctx.kind, &ctx.payload).await?;
        let stored = ctx.store.crawl_frontier(ctx.id).await?;
        let resume = Resume {
            queued: stored.queued,
            finished: stored.finished,
            completed: stored.counts.done,
            failed: stored.counts.failed,
            robots_blocked: stored.counts.blocked,
        };
        // A resumed crawl already announced itself.
        if resume.is_empty() {
            if let Some(job) = notifier
                .as_ref()
                .and_then(|n| n.job(Event::Started, json!([]), None))
            {
                ctx.store.enqueue(&[job]).await?;
            }
        }
        let tracker = ChangeTracker::for_job(&ctx.store, ctx.id, attempts).await?;
        let hooks = PageHooks {
            notifier,
            tracker: tracker.clone(),
            plan: plan.scrape.clone(),
        };
        let sink =
            Arc::new(sink::StoreSink::new(ctx.store.clone(), ctx.id, team).with_hooks(hooks));
        let crawler = Crawler::new(
            plan,
            self.scraper.clone(),
            &self.config.fetch.user_agent,
            Arc::new(Progress::default()),
        );
        let summary = crawler
            .run(sink, Some(resume), ctx.cancel.clone())
            .await
            .map_err(|e| JobError::Retry(format!("{e:#}")))?;
        if summary.cancelled {
            return Err(JobError::Cancelled);
        }
        // Only a finished run can tell which of the previous run's pages are gone.
        if let Some(t) = &tracker {
            t.finish().await?;
        }
        let progress = CrawlProgress {
            counts: ctx.store.crawl_counts(ctx.id).await?,
            documents: ctx.store.job_document_count(ctx.id).await?,
        };
        let mut result = serde_json::to_value(summary).unwrap_or(Value::Null);
        if let Some(o) = result.as_object_mut() {
            o.insert("progress".into(), json!(progress));
        }
        Ok(result)
    }
}

/// A finished crawl's final counts, kept in its result so that status polls need not
/// count its URLs and documents again.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct CrawlProgress {
    pub counts: crate::store::crawl::CrawlCounts,
    pub documents: u64,
}

impl CrawlProgress {
    pub fn from_result(result: &Value) -> Option<CrawlProgress> {
        serde_json::from_value(result.get("progress")?.clone()).ok()
    }
}

/// Enqueues the job's `completed` event, or `failed` when no attempt is left; a
/// cancelled job and a failure that will be retried send nothing.
pub(crate) async fn notify_end(
    ctx: &JobContext,
    notifier: Option<&Notifier>,
    result: &Result<Value, JobError>,
) -> Result<(), JobError> {
    let Some(n) = notifier else { return Ok(()) };
    let job = match result {
        Ok(_) => n.job(Event::Completed, json!([]), None),
        Err(JobError::Permanent(e)) => n.job(Event::Failed, json!([]), Some(e.as_str())),
        Err(JobError::Retry(e)) if ctx.attempt >= ctx.max_attempts => {
            n.job(Event::Failed, json!([]), Some(e.as_str()))
        }
        Err(_) => None,
    };
    if let Some(job) = job {
        ctx.store.enqueue(&[job]).await?;
    }
    Ok(())
}
