//! SQLite's search index, filled after documents are stored rather than as they are.
//!
//! Why: in FTS5, indexing a page costs more CPU than storing it, and a SQLite database
//! has one writer, so every crawl waited on the index (a 5,000-page crawl on 2 cores:
//! ~1,000 pages/s indexing as it stored, ~1,900 without). Now storing a document only
//! queues its rowid in `documents_unindexed` (migration 0011's triggers), and this
//! indexer drains the queue in large transactions once writes pause: one FTS5 segment
//! per batch instead of one per page, so fewer merges too.
//!
//! Searches stay exact: before matching, a search indexes whatever is still queued
//! ([`SearchIndex::catch_up`]), so it finds every document stored before it began. The
//! queue is a table, so a stop or a crash loses nothing: the next start indexes the rest.
//!
//! The indexer's own passes write on the store's background connection, whose thread
//! runs at low priority (see `store::sqlite`): requests and crawls keep the CPU while it
//! works. A search's catch-up uses the pool, at normal priority, as someone waits on it.
//!
//! What it costs: indexing is deferred, not avoided. A crawl shorter than [`MAX_DELAY`]
//! runs without it (5,000 pages: ~1,900 pages/s against ~1,000 indexing as it stored);
//! when a pass falls inside a crawl, the crawl shares the CPU with it (~1,400 pages/s
//! measured with a 2 s delay), still ahead because FTS5 indexes a batch of 250 pages for
//! well under half the CPU of 250 single-page transactions.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::{Connection, Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::{Mutex, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::StoreResult;

/// Documents indexed per transaction: large enough that FTS5 writes few segments, small
/// enough that the write lock is not held for long (~70 ms of CPU for 250 pages of 25 KB).
const BATCH: i64 = 250;
/// How long writes must pause before the indexer starts.
const QUIET: Duration = Duration::from_millis(250);
/// The longest the indexer waits for a pause under steady writes.
const MAX_DELAY: Duration = Duration::from_secs(10);

/// The background connection, shared with the store: `None` once closed.
pub(crate) type Background = Arc<Mutex<Option<SqliteConnection>>>;

/// Begins a write transaction on `conn` (the background connection), or on the pool
/// once that is closed.
pub(crate) async fn begin_write<'c>(
    conn: Option<&'c mut SqliteConnection>,
    pool: &SqlitePool,
) -> StoreResult<Transaction<'c, Sqlite>> {
    Ok(match conn {
        Some(conn) => conn.begin_with("BEGIN IMMEDIATE").await?,
        None => pool.begin_with("BEGIN IMMEDIATE").await?,
    })
}

/// Who waits for an indexing pass.
#[derive(Clone, Copy)]
enum Waiting {
    Nobody,
    Search,
}

pub(crate) struct SearchIndex {
    pool: SqlitePool,
    background: Background,
    written: Notify,
    /// Writes announced so far, for a pass to notice new ones.
    writes: AtomicU64,
    stop: CancellationToken,
    /// Set once the queue table is known to exist.
    ready: AtomicBool,
}

impl SearchIndex {
    /// Starts the indexer; it first indexes whatever an earlier process left queued.
    /// Before migration 0011 has run it finds nothing to do.
    pub(crate) fn start(pool: SqlitePool, background: Background) -> Arc<Self> {
        let index = Arc::new(SearchIndex {
            pool,
            background,
            written: Notify::new(),
            writes: AtomicU64::new(0),
            stop: CancellationToken::new(),
            ready: AtomicBool::new(false),
        });
        tokio::spawn(run(index.clone()));
        index
    }

    /// Says that documents were stored (after their transaction committed).
    pub(crate) fn written(&self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
        self.written.notify_one();
    }

    /// Indexes every queued document, for a search about to run; returns how many.
    pub(crate) async fn catch_up(&self) -> StoreResult<u64> {
        self.index_queue(Waiting::Search, None).await
    }

    /// Indexes the queue in batches. With `writes_seen`, it ends between batches once more
    /// writes than that were announced: a pass started in a pause of a crawl gives the
    /// write lock back instead of holding it batch after batch from its low-priority
    /// thread, which stalled the crawl's writer (priority inversion).
    async fn index_queue(&self, waiting: Waiting, writes_seen: Option<u64>) -> StoreResult<u64> {
        if !self.schema_ready().await? {
            return Ok(0);
        }
        let mut total = 0;
        loop {
            let n = self.index_batch(waiting).await?;
            total += n;
            // A pass of the indexer's own ends between batches at shutdown; the rest
            // stays queued for the next start.
            let stopping = matches!(waiting, Waiting::Nobody) && self.stop.is_cancelled();
            let written_again =
                writes_seen.is_some_and(|seen| self.writes.load(Ordering::Relaxed) > seen);
            if n < BATCH as u64 || stopping || written_again {
                return Ok(total);
            }
        }
    }

    /// Whether the queue table exists: not before migration 0011, whose schema indexed
    /// documents as they were written, so then nothing waits.
    async fn schema_ready(&self) -> StoreResult<bool> {
        if self.ready.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let ready: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master \
             WHERE type = 'table' AND name = 'documents_unindexed')",
        )
        .fetch_one(&self.pool)
        .await?;
        self.ready.store(ready, Ordering::Relaxed);
        Ok(ready)
    }

    /// Ends the indexer after the batch in progress, if any.
    pub(crate) fn stop(&self) {
        self.stop.cancel();
    }

    /// Indexes the oldest queued documents, at most [`BATCH`]; returns how many were
    /// taken from the queue.
    async fn index_batch(&self, waiting: Waiting) -> StoreResult<u64> {
        // The background connection's lowered priority suits the indexer's own passes,
        // not a search waiting on them.
        let mut background = match waiting {
            Waiting::Nobody => Some(self.background.lock().await),
            Waiting::Search => None,
        };
        let conn = background.as_mut().and_then(|b| b.as_mut());
        let mut tx = begin_write(conn, &self.pool).await?;
        sqlx::query(
            "INSERT INTO documents_fts (rowid, title, url, markdown) \
             SELECT d.rowid, coalesce(d.title, ''), d.url, coalesce(d.markdown, '') \
             FROM documents_unindexed u JOIN documents d ON d.rowid = u.doc_rowid \
             ORDER BY u.doc_rowid LIMIT ?1",
        )
        .bind(BATCH)
        .execute(&mut *tx)
        .await?;
        // The same rows: nothing else writes inside this transaction.
        let taken = sqlx::query(
            "DELETE FROM documents_unindexed WHERE doc_rowid IN \
             (SELECT doc_rowid FROM documents_unindexed ORDER BY doc_rowid LIMIT ?1)",
        )
        .bind(BATCH)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(taken)
    }

    /// One indexing pass from the background task; errors are logged, and the queue
    /// keeps the documents for the next pass or the next search.
    async fn pass(&self, writes_seen: Option<u64>) {
        match self.index_queue(Waiting::Nobody, writes_seen).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(documents = n, "indexed documents for search"),
            Err(e) if self.stop.is_cancelled() => {
                tracing::debug!(error = %e, "search indexing stopped at shutdown")
            }
            Err(e) => tracing::warn!(error = %e, "indexing documents for search failed"),
        }
    }
}

async fn run(index: Arc<SearchIndex>) {
    // The first pass comes at start, as after a write: whatever an earlier process left
    // queued is indexed once the start-up writes (migrations) are done.
    loop {
        // Let a burst of writes (a crawl) finish first: it then runs without sharing the
        // write lock, and the indexer gets one large queue instead of many small ones.
        let deadline = Instant::now() + MAX_DELAY;
        let quiet = loop {
            let writes = index.writes.load(Ordering::Relaxed);
            tokio::select! {
                _ = index.stop.cancelled() => return,
                more = tokio::time::timeout(QUIET, index.written.notified()) => {
                    if more.is_err() {
                        break Some(writes);
                    }
                    if Instant::now() >= deadline {
                        break None;
                    }
                }
            }
        };
        if index.stop.is_cancelled() {
            return;
        }
        // A pass after a pause yields to the next write; one forced by the deadline does
        // not, so steady writes cannot hold the index back for ever.
        index.pass(quiet).await;
        tokio::select! {
            _ = index.stop.cancelled() => return,
            _ = index.written.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::crawl::sink::new_document;
    use crate::scrape::PageDocument;
    use crate::store::crawl::CrawlStore;
    use crate::store::documents::{DocumentQuery, DocumentStore, Page};
    use crate::store::jobs::DEFAULT_TEAM;
    use crate::store::sqlite::SqliteStore;
    use crate::store::Store;

    use crate::store::sqlite::{reopen, temp_store as store};

    async fn store_page(store: &SqliteStore, url: &str, markdown: &str) -> uuid::Uuid {
        let page = PageDocument {
            markdown: Some(markdown.into()),
            ..Default::default()
        };
        let doc = new_document(url, page, None);
        let id = doc.id;
        store.store_documents(DEFAULT_TEAM, &[doc]).await.unwrap();
        id
    }

    fn zebra_page() -> PageDocument {
        PageDocument {
            markdown: Some("zebra".into()),
            ..Default::default()
        }
    }

    /// Stores `n` pages about zebras in one transaction.
    async fn store_zebras(store: &SqliteStore, n: usize) {
        let docs: Vec<_> = (0..n)
            .map(|i| new_document(&format!("https://a.test/{i}"), zebra_page(), None))
            .collect();
        store.store_documents(DEFAULT_TEAM, &docs).await.unwrap();
    }

    /// Waits (up to 5 s) for the indexer to empty the queue by itself.
    async fn wait_until_drained(store: &SqliteStore) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while queued(store).await > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the queue never drained"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A store whose indexer is stopped, holding `n` queued pages about zebras.
    async fn stopped_with_zebras(n: usize) -> (tempfile::TempDir, SqliteStore) {
        let (dir, store) = store().await;
        store.search_index.stop();
        store_zebras(&store, n).await;
        (dir, store)
    }

    async fn search(store: &SqliteStore, words: &str) -> Vec<String> {
        let q = DocumentQuery {
            team_id: DEFAULT_TEAM,
            text: Some(words.into()),
            domain: None,
            job_id: None,
            fetched_from: None,
            fetched_to: None,
            page: Page::First,
            limit: 50,
            full: false,
        };
        let rows = store.query_documents(&q).await.unwrap();
        rows.into_iter().map(|r| r.url).collect()
    }

    async fn queued(store: &SqliteStore) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM documents_unindexed")
            .fetch_one(&store.pool)
            .await
            .unwrap()
    }

    async fn indexed(store: &SqliteStore) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM documents_fts WHERE documents_fts MATCH 'zebra'")
            .fetch_one(&store.pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_search_finds_documents_stored_before_it_that_the_indexer_has_not_reached() {
        let (_dir, store) = store().await;
        store.search_index.stop();
        store_page(&store, "https://a.test/1", "a zebra crossing").await;
        store_page(&store, "https://a.test/2", "no stripes here").await;
        assert_eq!(
            queued(&store).await,
            2,
            "stored documents wait for the index"
        );
        assert_eq!(indexed(&store).await, 0);
        assert_eq!(search(&store, "zebra").await, ["https://a.test/1"]);
        assert_eq!(queued(&store).await, 0, "the search indexed the queue");
        store.close().await;
    }

    #[tokio::test]
    async fn the_indexer_drains_the_queue_once_writes_pause() {
        let (_dir, store) = store().await;
        for i in 0..3 {
            store_page(&store, &format!("https://a.test/{i}"), "zebra").await;
        }
        wait_until_drained(&store).await;
        assert_eq!(indexed(&store).await, 3);
        store.close().await;
    }

    #[tokio::test]
    async fn more_than_a_batch_is_indexed_whole_and_a_document_deleted_while_queued_never_is() {
        let n = super::BATCH as usize * 2 + 7;
        let (_dir, store) = stopped_with_zebras(n).await;
        let gone = store_page(&store, "https://a.test/gone", "zebra").await;
        assert!(store.delete_document(DEFAULT_TEAM, gone).await.unwrap());
        assert_eq!(queued(&store).await, n as i64);
        store.settle_search_index().await.unwrap();
        assert_eq!(queued(&store).await, 0);
        assert_eq!(indexed(&store).await, n as i64);
        store.close().await;
    }

    #[tokio::test]
    async fn documents_queued_by_an_earlier_process_are_indexed_at_start() {
        let (dir, store) = store().await;
        store.search_index.stop();
        store_page(&store, "https://a.test/1", "zebra").await;
        store.close().await;
        let again = reopen(&dir).await;
        wait_until_drained(&again).await;
        assert_eq!(indexed(&again).await, 1);
        again.close().await;
    }

    #[tokio::test]
    async fn an_indexer_pass_at_shutdown_ends_after_its_batch_and_leaves_the_rest_queued() {
        let n = super::BATCH as usize + 5;
        let (_dir, store) = stopped_with_zebras(n).await;
        let done = store
            .search_index
            .index_queue(super::Waiting::Nobody, None)
            .await;
        assert_eq!(done.unwrap(), super::BATCH as u64);
        assert_eq!(queued(&store).await, 5);
        // A search still finds every page: it indexes the rest itself.
        assert_eq!(search(&store, "zebra").await.len(), n.min(50));
        assert_eq!(queued(&store).await, 0);
        store.close().await;
    }

    #[tokio::test]
    async fn a_pass_started_in_a_pause_ends_after_its_batch_once_documents_are_written_again() {
        let n = super::BATCH as usize * 2 + 5;
        let (_dir, store) = stopped_with_zebras(n).await;
        let index = &store.search_index;
        let seen = index.writes.load(std::sync::atomic::Ordering::Relaxed);
        // No write since the pause began: the pass indexes the whole queue.
        let all = index.index_queue(super::Waiting::Search, Some(seen)).await;
        assert_eq!(all.unwrap(), n as u64);
        store_zebras(&store, n).await;
        // A write after the pause began (`seen` is older): one batch, then the pass yields.
        let yielded = index.index_queue(super::Waiting::Search, Some(seen)).await;
        assert_eq!(yielded.unwrap(), super::BATCH as u64);
        assert_eq!(queued(&store).await, (n - super::BATCH as usize) as i64);
        store.close().await;
    }

    #[tokio::test]
    async fn a_search_that_cannot_index_the_queue_answers_from_the_index() {
        let (dir, store) = store().await;
        store.search_index.stop();
        store_page(&store, "https://a.test/indexed", "zebra").await;
        store.settle_search_index().await.unwrap();
        store_page(&store, "https://a.test/queued", "zebra").await;
        store.close().await;
        // Another process holds the write lock longer than this store waits for it.
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let impatient = SqliteStore::connect(&url, 2, Duration::from_millis(50))
            .await
            .unwrap();
        impatient.search_index.stop();
        let other = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        assert_eq!(
            search(&impatient, "zebra").await,
            ["https://a.test/indexed"]
        );
        other.execute_batch("ROLLBACK").unwrap();
        assert_eq!(search(&impatient, "zebra").await.len(), 2);
        impatient.close().await;
    }
}
