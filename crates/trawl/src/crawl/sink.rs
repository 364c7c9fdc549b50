//! Where crawl events go: the database (service crawls) or a JSON-lines stream (CLI).

use std::io::Write;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Utc;
use serde_json::Value;
use uuid::Uuid;

use super::engine::{CrawlEvent, CrawlSink};
use crate::schedule::changes::ChangeTracker;
use crate::scrape::{PageDocument, ScrapePlan};
use crate::store::crawl::{CrawlBatch, FinishedUrl, NewDocument, UrlState};
use crate::store::jobs::NewJob;
use crate::store::{Store, StoreResult};
use crate::webhook::{Event, Notifier};

/// Stores each batch of events in one transaction: pages as documents of the job, the
/// frontier with them, and the webhook deliveries the pages cause.
pub struct StoreSink {
    store: Arc<dyn Store>,
    job_id: Uuid,
    team_id: Uuid,
    hooks: PageHooks,
}

impl StoreSink {
    pub fn new(store: Arc<dyn Store>, job_id: Uuid, team_id: Uuid) -> Self {
        StoreSink {
            store,
            job_id,
            team_id,
            hooks: PageHooks::default(),
        }
    }

    pub fn with_hooks(mut self, hooks: PageHooks) -> Self {
        self.hooks = hooks;
        self
    }
}

/// What happens to each stored page besides storing it: change tracking when the job is
/// a scheduled run, and the `page` event of the job's webhook.
#[derive(Default)]
pub struct PageHooks {
    pub notifier: Option<Notifier>,
    pub tracker: Option<ChangeTracker>,
    /// The formats the job asked for: the webhook shows the page as the status does.
    pub plan: ScrapePlan,
}

impl PageHooks {
    /// The page as the webhook shows it (the formats asked for), taken before the
    /// document is stored; `None` when no `page` event is wanted.
    pub fn page_data(&self, doc: &PageDocument) -> Option<PageDocument> {
        if !self.notifier.as_ref().is_some_and(|n| n.wants(Event::Page)) {
            return None;
        }
        Some(doc.clone().for_formats(&self.plan))
    }

    /// Marks `doc` with its change status and returns the deliveries to enqueue with it.
    pub async fn on_page(
        &self,
        doc: &mut NewDocument,
        data: Option<PageDocument>,
    ) -> StoreResult<Vec<NewJob>> {
        let mut jobs = Vec::new();
        if let Some(t) = &self.tracker {
            jobs.extend(t.mark(doc).await?);
        }
        if let (Some(n), Some(d)) = (&self.notifier, data) {
            let page = d.to_response(doc.id);
            jobs.extend(n.job(Event::Page, Value::Array(vec![page]), None));
        }
        Ok(jobs)
    }
}

/// The row for a scraped page. The columns the API filters and searches on are copied
/// out of the metadata; the rest of the formats travel as one JSON object.
pub fn new_document(url: &str, doc: PageDocument, content_hash: Option<String>) -> NewDocument {
    let PageDocument {
        markdown,
        html,
        raw_html,
        links,
        images,
        analysis,
        metadata,
        warning,
    } = doc;
    let mut formats = serde_json::Map::new();
    if let Some(v) = html {
        formats.insert("html".into(), v.into());
    }
    if let Some(v) = raw_html {
        formats.insert("rawHtml".into(), v.into());
    }
    if let Some(v) = links {
        formats.insert("links".into(), v.into());
    }
    if let Some(v) = images {
        formats.insert("images".into(), v.into());
    }
    if let Some(v) = warning {
        formats.insert("warning".into(), v.into());
    }
    let final_url = metadata.url.clone();
    let domain = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    NewDocument {
        id: Uuid::now_v7(),
        url: url.to_string(),
        final_url,
        domain,
        title: metadata.title.clone(),
        description: metadata.description.clone(),
        language: metadata.language.clone(),
        status_code: metadata.status_code,
        markdown,
        metadata: serde_json::to_value(&metadata).unwrap_or_default(),
        analysis: analysis.and_then(|a| serde_json::to_value(a).ok()),
        content_hash,
        formats: formats.into(),
        fetched_at: Utc::now(),
        schedule_id: None,
        change_status: None,
        diff: None,
    }
}

#[async_trait]
impl CrawlSink for StoreSink {
    async fn write(&self, events: Vec<CrawlEvent>) -> anyhow::Result<()> {
        let mut batch = CrawlBatch::default();
        for e in events {
            match e {
                CrawlEvent::Discovered { url, depth } => batch.discovered.push((url, depth)),
                CrawlEvent::Page {
                    url,
                    depth,
                    document,
                    content_hash,
                    discovered,
                    blocked,
                } => {
                    batch.discovered.extend(discovered);
                    batch
                        .finished
                        .extend(blocked.into_iter().map(|url| FinishedUrl {
                            url,
                            depth: depth + 1,
                            state: UrlState::Blocked,
                            error_code: Some("SCRAPE_ROBOTS_BLOCKED".into()),
                            error: Some("disallowed by robots.txt".into()),
                        }));
                    let data = self.hooks.page_data(&document);
                    let mut doc = new_document(&url, *document, content_hash);
                    batch.jobs.extend(self.hooks.on_page(&mut doc, data).await?);
                    batch.documents.push(doc);
                    batch.finished.push(FinishedUrl {
                        url,
                        depth,
                        state: UrlState::Done,
                        error_code: None,
                        error: None,
                    });
                }
                CrawlEvent::Failed {
                    url,
                    depth,
                    code,
                    error,
                } => batch.finished.push(FinishedUrl {
                    url,
                    depth,
                    state: UrlState::Failed,
                    error_code: Some(code.to_string()),
                    error: Some(error),
                }),
                CrawlEvent::RobotsBlocked { url, depth } => batch.finished.push(FinishedUrl {
                    url,
                    depth,
                    state: UrlState::Blocked,
                    error_code: Some("SCRAPE_ROBOTS_BLOCKED".into()),
                    error: Some("disallowed by robots.txt".into()),
                }),
            }
        }
        self.store
            .crawl_write(self.job_id, self.team_id, &batch)
            .await?;
        Ok(())
    }
}

/// Writes each page as one JSON line, in the shape the API returns. Failures are
/// counted by the crawler's progress, not written.
pub struct JsonLinesSink<W: Write + Send + 'static> {
    out: Mutex<W>,
    plan: ScrapePlan,
}

impl<W: Write + Send + 'static> JsonLinesSink<W> {
    pub fn new(out: W, plan: ScrapePlan) -> Self {
        JsonLinesSink {
            out: Mutex::new(out),
            plan,
        }
    }
}

#[async_trait]
impl<W: Write + Send + 'static> CrawlSink for JsonLinesSink<W> {
    async fn write(&self, events: Vec<CrawlEvent>) -> anyhow::Result<()> {
        let mut out = self.out.lock().expect("sink lock");
        for e in events {
            if let CrawlEvent::Page { document, .. } = e {
                serde_json::to_writer(&mut *out, &document.for_formats(&self.plan))?;
                out.write_all(b"\n")?;
            }
        }
        out.flush()?;
        Ok(())
    }
}
