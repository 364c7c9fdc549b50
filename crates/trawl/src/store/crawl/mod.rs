//! Crawl state and scraped documents: the frontier of each crawl (`crawl_urls`) and the
//! pages it produced (`documents`), written batch by batch in one transaction each so
//! the frontier always agrees with the finished pages.

mod postgres;
mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::jobs::NewJob;
use super::StoreResult;

/// What a job's second copy of a URL replaces in its first, on both backends (each adds
/// its own `updated_at`).
const DOCUMENT_UPSERT_SET: &str = "final_url = excluded.final_url, \
     title = excluded.title, description = excluded.description, \
     language = excluded.language, status_code = excluded.status_code, \
     markdown = excluded.markdown, metadata = excluded.metadata, \
     analysis = excluded.analysis, content_hash = excluded.content_hash, \
     formats = excluded.formats, fetched_at = excluded.fetched_at, \
     schedule_id = excluded.schedule_id, change_status = excluded.change_status, \
     diff = excluded.diff";

/// A page to store, keyed by (job, url): writing it again replaces it.
#[derive(Debug, Clone, Serialize)]
pub struct NewDocument {
    pub id: Uuid,
    pub url: String,
    pub final_url: Option<String>,
    pub domain: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub language: Option<String>,
    pub status_code: Option<u16>,
    pub markdown: Option<String>,
    pub metadata: Value,
    pub analysis: Option<Value>,
    pub content_hash: Option<String>,
    /// `{"html": …, "rawHtml": …, "links": […], "images": […]}`, as asked for.
    pub formats: Value,
    pub fetched_at: DateTime<Utc>,
    /// Set on pages of a scheduled run, with how the page compares to the last run.
    pub schedule_id: Option<Uuid>,
    /// `new`, `same` or `changed`.
    pub change_status: Option<String>,
    /// Unified diff of the Markdown against the previous run, when `changed`.
    pub diff: Option<String>,
}

/// How a URL of a crawl ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlState {
    Done,
    Failed,
    Blocked,
}

impl UrlState {
    pub fn as_str(self) -> &'static str {
        match self {
            UrlState::Done => "done",
            UrlState::Failed => "failed",
            UrlState::Blocked => "blocked",
        }
    }
}

/// A finished URL of a crawl.
#[derive(Debug, Clone, Serialize)]
pub struct FinishedUrl {
    pub url: String,
    pub depth: u32,
    #[serde(serialize_with = "state_str")]
    pub state: UrlState,
    pub error_code: Option<String>,
    pub error: Option<String>,
}

fn state_str<S: serde::Serializer>(s: &UrlState, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.as_str())
}

/// One transaction's worth of crawl progress.
#[derive(Debug, Clone, Default)]
pub struct CrawlBatch {
    /// URLs that joined the frontier (ignored when already known).
    pub discovered: Vec<(String, u32)>,
    pub finished: Vec<FinishedUrl>,
    pub documents: Vec<NewDocument>,
    /// Jobs to enqueue in the same transaction (webhook deliveries of these pages).
    pub jobs: Vec<NewJob>,
}

/// Counts of a crawl's URLs by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CrawlCounts {
    pub queued: u64,
    pub done: u64,
    pub failed: u64,
    pub blocked: u64,
}

impl CrawlCounts {
    /// URLs the crawl has taken on: every admitted URL but robots-blocked ones.
    pub fn total(&self) -> u64 {
        self.queued + self.done + self.failed
    }
}

/// A crawl's frontier as stored: queued URLs in admission order, and finished ones.
#[derive(Debug, Clone, Default)]
pub struct StoredFrontier {
    pub queued: Vec<(String, u32)>,
    pub finished: Vec<String>,
    pub counts: CrawlCounts,
}

impl StoredFrontier {
    /// Builds the frontier from `(url, depth, state)` rows in admission order.
    pub(crate) fn from_rows(rows: impl IntoIterator<Item = (String, u32, String)>) -> Self {
        let mut f = StoredFrontier::default();
        for (url, depth, state) in rows {
            match state.as_str() {
                "queued" => {
                    f.counts.queued += 1;
                    f.queued.push((url, depth));
                    continue;
                }
                "done" => f.counts.done += 1,
                "failed" => f.counts.failed += 1,
                _ => f.counts.blocked += 1,
            }
            f.finished.push(url);
        }
        f
    }
}

impl CrawlCounts {
    /// Builds the counts from `(state, count)` rows.
    pub(crate) fn from_rows(rows: impl IntoIterator<Item = (String, i64)>) -> Self {
        let mut c = CrawlCounts::default();
        for (state, n) in rows {
            let n = n as u64;
            match state.as_str() {
                "queued" => c.queued = n,
                "done" => c.done = n,
                "failed" => c.failed = n,
                _ => c.blocked = n,
            }
        }
        c
    }
}

/// A stored document as the API returns it.
#[derive(Debug, Clone)]
pub struct StoredDocument {
    pub id: Uuid,
    pub job_id: Option<Uuid>,
    pub url: String,
    pub markdown: Option<String>,
    pub metadata: Value,
    pub analysis: Option<Value>,
    pub formats: Value,
    pub content_hash: Option<String>,
    pub fetched_at: DateTime<Utc>,
}

/// A failed or blocked URL of a crawl.
#[derive(Debug, Clone)]
pub struct CrawlFailure {
    pub url: String,
    pub state: UrlState,
    pub error_code: Option<String>,
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}

#[async_trait]
pub trait CrawlStore {
    /// Writes one batch of a crawl's progress in one transaction.
    async fn crawl_write(&self, job_id: Uuid, team_id: Uuid, batch: &CrawlBatch)
        -> StoreResult<()>;

    /// Stores pages scraped outside any job (`POST /v2/scrape`) as documents of the team,
    /// in one transaction.
    async fn store_documents(&self, team_id: Uuid, docs: &[NewDocument]) -> StoreResult<()>;

    /// The stored frontier of a crawl, to resume it.
    async fn crawl_frontier(&self, job_id: Uuid) -> StoreResult<StoredFrontier>;

    async fn crawl_counts(&self, job_id: Uuid) -> StoreResult<CrawlCounts>;

    /// Failed and robots-blocked URLs, oldest first, at most `limit`.
    async fn crawl_failures(&self, job_id: Uuid, limit: u32) -> StoreResult<Vec<CrawlFailure>>;

    /// A job's documents in the order they were stored.
    async fn job_documents(
        &self,
        job_id: Uuid,
        skip: u64,
        limit: u32,
    ) -> StoreResult<Vec<StoredDocument>>;

    /// How many documents a job has stored.
    async fn job_document_count(&self, job_id: Uuid) -> StoreResult<u64>;
}
