//! The `scrape` job kind: one page, scraped in the background and stored as a document
//! of the job (scheduled scrapes, `POST /api/tasks/scrape`). The payload is a v2 scrape
//! body: `{"url": …, "formats": …, …}`.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::{ScrapeOptions, Scraper};
use crate::config::WebhookConfig;
use crate::crawl::notify_end;
use crate::crawl::options::{from_json, parse_http_url};
use crate::crawl::sink::{new_document, PageHooks};
use crate::fetch::FetchError;
use crate::jobs::{JobContext, JobError, JobHandler};
use crate::schedule::changes::ChangeTracker;
use crate::store::crawl::CrawlBatch;
use crate::store::jobs::DEFAULT_TEAM;
use crate::webhook::{Event, Notifier};

pub const KIND: &str = "scrape";

pub struct ScrapeHandler {
    scraper: Scraper,
    webhook_attempts: i32,
}

impl ScrapeHandler {
    pub fn new(scraper: Scraper) -> Self {
        ScrapeHandler {
            scraper,
            webhook_attempts: WebhookConfig::default().max_attempts as i32,
        }
    }

    /// Attempts each webhook delivery of these jobs gets (`TRAWL_WEBHOOK_MAX_ATTEMPTS`).
    pub fn with_webhook_attempts(mut self, n: u32) -> Self {
        self.webhook_attempts = n as i32;
        self
    }
}

#[async_trait]
impl JobHandler for ScrapeHandler {
    /// Scrapes and stores the page; with a `webhook` in the payload, also reports
    /// `scrape.started`, `scrape.page` and `scrape.completed` (or `scrape.failed`).
    async fn run(&self, ctx: JobContext) -> Result<Value, JobError> {
        let team = ctx.team_id.unwrap_or(DEFAULT_TEAM);
        let notifier =
            Notifier::for_job(&ctx.payload, team, ctx.id, "scrape", self.webhook_attempts);
        if ctx.attempt == 1 {
            if let Some(job) = notifier
                .as_ref()
                .and_then(|n| n.job(Event::Started, json!([]), None))
            {
                ctx.store.enqueue(&[job]).await?;
            }
        }
        let result = self.scrape(&ctx, team, notifier.clone()).await;
        notify_end(&ctx, notifier.as_ref(), &result).await?;
        result
    }
}

impl ScrapeHandler {
    async fn scrape(
        &self,
        ctx: &JobContext,
        team: uuid::Uuid,
        notifier: Option<Notifier>,
    ) -> Result<Value, JobError> {
        let raw = ctx.payload.get("url").and_then(Value::as_str).unwrap_or("");
        let url = parse_http_url("url", raw)
            .map_err(|e| JobError::Permanent(format!("{}: {}", e.field, e.rule)))?;
        let options: ScrapeOptions = from_json(&ctx.payload)
            .map_err(|e| JobError::Permanent(format!("{}: {}", e.field, e.rule)))?;
        let plan = options.validate("").map_err(|errs| {
            let list: Vec<String> = errs
                .iter()
                .map(|e| format!("{}: {}", e.field, e.rule))
                .collect();
            JobError::Permanent(list.join("; "))
        })?;
        let scraped = tokio::select! {
            r = self.scraper.scrape(&url, &plan) => r,
            () = ctx.cancel.cancelled() => return Err(JobError::Cancelled),
        };
        let scraped = scraped.map_err(|e| match e {
            // Worth another attempt: the target may recover.
            FetchError::Timeout(_) | FetchError::Connection | FetchError::Dns(_) => {
                JobError::Retry(format!("{}: {e}", e.code()))
            }
            e => JobError::Permanent(format!("{}: {e}", e.code())),
        })?;
        let status = scraped.status;
        let title = scraped.document.metadata.title.clone();
        let hooks = PageHooks {
            notifier,
            tracker: ChangeTracker::for_job(&ctx.store, ctx.id, self.webhook_attempts).await?,
            plan,
        };
        let data = hooks.page_data(&scraped.document);
        let mut doc = new_document(url.as_str(), scraped.document, scraped.content_hash);
        let jobs = hooks.on_page(&mut doc, data).await?;
        let document_id = doc.id;
        let batch = CrawlBatch {
            documents: vec![doc],
            jobs,
            ..Default::default()
        };
        ctx.store.crawl_write(ctx.id, team, &batch).await?;
        if let Some(t) = &hooks.tracker {
            t.finish().await?;
        }
        Ok(json!({
            "url": url.as_str(),
            "statusCode": status,
            "title": title,
            "documentId": document_id,
        }))
    }
}
