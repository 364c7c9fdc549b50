//! The `scrape` job kind: one page, scraped in the background and stored as a document
//! of the job (scheduled scrapes, `POST /api/tasks/scrape`). The payload is a v2 scrape
//! body: `{"url": …, "formats": …, …}`.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::{ScrapeOptions, Scraper};
use crate::crawl::options::{from_json, parse_http_url};
use crate::crawl::sink::new_document;
use crate::fetch::FetchError;
use crate::jobs::{JobContext, JobError, JobHandler};
use crate::store::crawl::CrawlBatch;
use crate::store::jobs::DEFAULT_TEAM;

pub const KIND: &str = "scrape";

pub struct ScrapeHandler {
    scraper: Scraper,
}

impl ScrapeHandler {
    pub fn new(scraper: Scraper) -> Self {
        ScrapeHandler { scraper }
    }
}

#[async_trait]
impl JobHandler for ScrapeHandler {
    async fn run(&self, ctx: JobContext) -> Result<Value, JobError> {
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
        let doc = new_document(url.as_str(), scraped.document, scraped.content_hash);
        let document_id = doc.id;
        let batch = CrawlBatch {
            documents: vec![doc],
            ..Default::default()
        };
        ctx.store
            .crawl_write(ctx.id, ctx.team_id.unwrap_or(DEFAULT_TEAM), &batch)
            .await?;
        Ok(json!({
            "url": url.as_str(),
            "statusCode": status,
            "title": title,
            "documentId": document_id,
        }))
    }
}
