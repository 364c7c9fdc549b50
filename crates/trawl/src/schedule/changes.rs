//! Change tracking for scheduled runs: each page a run stores is compared with the same
//! URL's copy from the schedule's previous run: on the content hash first, and only when
//! the hashes differ on the Markdown, as a unified diff.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use similar::TextDiff;
use uuid::Uuid;

use crate::store::crawl::NewDocument;
use crate::store::jobs::{NewJob, Schedule};
use crate::store::schedules::{PreviousPage, RemovedPage};
use crate::store::{Store, StoreResult};
use crate::webhook::{Event, WebhookSpec};

/// Largest diff kept per page; a longer one is cut with a note (the pages themselves are
/// stored whole).
const MAX_DIFF_BYTES: usize = 256 * 1024;
/// Diffing gives up refining after this long and reports coarser hunks.
const DIFF_TIMEOUT: Duration = Duration::from_millis(500);

/// How a page compares with the previous run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeStatus {
    /// The previous run did not have this URL (or there was no previous run).
    New,
    Same,
    Changed,
    /// The previous run had this URL and this run did not find it (see
    /// [`ChangeTracker::finish`]).
    Removed,
}

impl ChangeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::New => "new",
            ChangeStatus::Same => "same",
            ChangeStatus::Changed => "changed",
            ChangeStatus::Removed => "removed",
        }
    }
}

/// Whether an HTTP status says the page is gone (a scrape stores such answers too).
fn gone(status: Option<i32>) -> bool {
    matches!(status, Some(404 | 410))
}

/// Compares a page with its previous copy; the diff is there only for `Changed`. A page
/// that answers 404 or 410 where its previous copy did not is `Removed`.
pub fn compare(
    previous: Option<&PreviousPage>,
    status: Option<i32>,
    hash: Option<&str>,
    markdown: Option<&str>,
) -> (ChangeStatus, Option<String>) {
    let Some(prev) = previous else {
        return (ChangeStatus::New, None);
    };
    if gone(status) && !gone(prev.status_code) {
        return (ChangeStatus::Removed, None);
    }
    if let (Some(a), Some(b)) = (prev.content_hash.as_deref(), hash) {
        if a == b {
            return (ChangeStatus::Same, None);
        }
    }
    let old = prev.markdown.as_deref().unwrap_or_default();
    let new = markdown.unwrap_or_default();
    if old == new {
        // Hashes cover more than the Markdown (e.g. metadata); what a reader sees is equal.
        return (ChangeStatus::Same, None);
    }
    (ChangeStatus::Changed, Some(unified_diff(old, new)))
}

/// A unified diff of two Markdown texts, `previous` to `current`.
pub fn unified_diff(old: &str, new: &str) -> String {
    let diff = TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(old, new);
    let mut text = diff
        .unified_diff()
        .context_radius(3)
        .header("previous", "current")
        .to_string();
    if text.len() > MAX_DIFF_BYTES {
        let mut cut = MAX_DIFF_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("\n[diff truncated]\n");
    }
    text
}

/// Marks the pages of one scheduled run.
#[derive(Clone)]
pub struct ChangeTracker {
    store: Arc<dyn Store>,
    schedule: Schedule,
    job_id: Uuid,
    webhook: Option<WebhookSpec>,
    max_attempts: i32,
}

impl ChangeTracker {
    /// The tracker for `job_id` when a schedule's tick enqueued it.
    pub async fn for_job(
        store: &Arc<dyn Store>,
        job_id: Uuid,
        max_attempts: i32,
    ) -> StoreResult<Option<ChangeTracker>> {
        let Some(schedule) = store.schedule_of_run(job_id).await? else {
            return Ok(None);
        };
        let webhook = WebhookSpec::from_stored(schedule.webhook.as_ref(), Event::SCHEDULE);
        Ok(Some(ChangeTracker {
            store: store.clone(),
            schedule,
            job_id,
            webhook,
            max_attempts,
        }))
    }

    /// Sets the document's schedule, change status and diff; returns the `page.changed`
    /// delivery to enqueue with it, if the schedule has a webhook for it.
    pub async fn mark(&self, doc: &mut NewDocument) -> StoreResult<Option<NewJob>> {
        let previous = self
            .store
            .previous_page(self.schedule.id, &doc.url, self.job_id)
            .await?;
        let (status, diff) = compare(
            previous.as_ref(),
            doc.status_code.map(i32::from),
            doc.content_hash.as_deref(),
            doc.markdown.as_deref(),
        );
        doc.schedule_id = Some(self.schedule.id);
        doc.change_status = Some(status.as_str().to_string());
        doc.diff = diff;
        if !matches!(status, ChangeStatus::Changed | ChangeStatus::Removed) {
            return Ok(None);
        }
        Ok(self
            .webhook
            .as_ref()
            .filter(|w| w.wants(Event::PageChanged))
            .map(|w| {
                w.delivery(
                    self.schedule.team_id,
                    Event::PageChanged.as_str(),
                    self.schedule.id,
                    json!([{
                        "changeStatus": status.as_str(),
                        "url": doc.url,
                        "title": doc.title,
                        "scheduleId": self.schedule.id,
                        "scheduleName": self.schedule.name,
                        "jobId": self.job_id,
                        "documentId": doc.id,
                        "contentHash": doc.content_hash,
                        "diff": doc.diff,
                    }]),
                    None,
                    self.max_attempts,
                )
            }))
    }

    /// At the end of a successful run: records the pages the previous run stored and
    /// this one did not as `removed`, each with a `page.changed` delivery (status
    /// `removed`) when the schedule's webhook wants that event.
    pub async fn finish(&self) -> StoreResult<Vec<RemovedPage>> {
        let webhook = self
            .webhook
            .as_ref()
            .filter(|w| w.wants(Event::PageChanged));
        let deliveries = |p: &RemovedPage| {
            webhook.map(|w| {
                w.delivery(
                    self.schedule.team_id,
                    Event::PageChanged.as_str(),
                    self.schedule.id,
                    json!([{
                        "changeStatus": ChangeStatus::Removed.as_str(),
                        "url": p.url,
                        "title": p.title,
                        "scheduleId": self.schedule.id,
                        "scheduleName": self.schedule.name,
                        "jobId": self.job_id,
                        "previousDocumentId": p.previous_document_id,
                    }]),
                    None,
                    self.max_attempts,
                )
            })
        };
        self.store
            .record_removed_pages(self.schedule.id, self.job_id, &deliveries)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prev(hash: &str, md: &str) -> PreviousPage {
        PreviousPage {
            content_hash: Some(hash.into()),
            markdown: Some(md.into()),
            status_code: Some(200),
        }
    }

    #[test]
    fn a_first_copy_is_new_and_an_equal_hash_is_same_without_diffing() {
        assert_eq!(
            compare(None, Some(200), Some("h"), Some("x")).0,
            ChangeStatus::New
        );
        // Same hash: the Markdown is not even looked at.
        let p = prev("h", "old text");
        assert_eq!(
            compare(Some(&p), Some(200), Some("h"), Some("new text")),
            (ChangeStatus::Same, None)
        );
    }

    #[test]
    fn a_changed_page_gets_a_unified_diff_of_its_markdown() {
        let p = prev("h1", "# Title\n\nPrice: 10\n");
        let (status, diff) = compare(
            Some(&p),
            Some(200),
            Some("h2"),
            Some("# Title\n\nPrice: 12\n"),
        );
        assert_eq!(status, ChangeStatus::Changed);
        let diff = diff.unwrap();
        assert!(diff.contains("--- previous\n+++ current\n"), "{diff}");
        assert!(diff.contains("-Price: 10\n+Price: 12\n"), "{diff}");
    }

    #[test]
    fn a_page_that_now_answers_404_or_410_is_removed_once() {
        let p = prev("h1", "# Title\n");
        assert_eq!(
            compare(Some(&p), Some(404), Some("h2"), Some("Not found")),
            (ChangeStatus::Removed, None)
        );
        let gone = PreviousPage {
            status_code: Some(410),
            ..prev("h2", "Gone")
        };
        // Still gone on the next run: nothing new to report.
        assert_eq!(
            compare(Some(&gone), Some(410), Some("h2"), Some("Gone")).0,
            ChangeStatus::Same
        );
    }

    #[test]
    fn a_huge_diff_is_cut_with_a_note() {
        let old = "a\n".repeat(200_000);
        let new = "b\n".repeat(200_000);
        let d = unified_diff(&old, &new);
        assert!(d.len() <= MAX_DIFF_BYTES + 32);
        assert!(d.ends_with("[diff truncated]\n"));
    }
}
