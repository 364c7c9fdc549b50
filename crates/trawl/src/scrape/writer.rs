//! Stores the pages of synchronous scrapes (`POST /v2/scrape`) as documents without
//! making the response wait for the write.
//!
//! Why not insert inline: a document insert takes a fraction of a millisecond at the
//! median but tens of milliseconds when a WAL checkpoint (SQLite) or another writer gets
//! in the way, against a target of p99 ≤ 5 ms for the whole request. So the handler
//! hands the document to one writer task and answers; the task writes whatever has
//! gathered in one transaction.
//!
//! Nothing is dropped on the way: the queue is bounded and a full queue makes the handler
//! wait (backpressure, not loss); a failed write is retried, and a write that still fails
//! is logged with every document id and counted in `trawl_documents_write_failed_total`;
//! shutdown drains the queue before the pool closes ([`DocumentWriter::flush`]). A crash
//! loses at most the documents queued in that instant, as an inline write would lose the
//! request in flight.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::store::crawl::NewDocument;
use crate::store::{Store, StoreResult};

/// Documents waiting at most; past this a scrape waits for room.
const QUEUE: usize = 1024;
/// Documents per transaction at most.
const BATCH: usize = 64;
/// How long the first document of a batch waits for others. A transaction of many
/// documents costs far less per document than one each: one commit and each touched
/// page written once. Scrapes arrive every few milliseconds under load, so this gathers
/// tens of them; a document is stored at most this much later.
const GATHER: Duration = Duration::from_millis(25);
/// Pauses before the second and third attempt of a failed write.
const RETRY_AFTER: [Duration; 2] = [Duration::from_millis(100), Duration::from_secs(1)];

enum Msg {
    Doc(Uuid, Box<NewDocument>),
    /// Answered once everything queued before it is written.
    Flush(oneshot::Sender<()>),
}

pub struct DocumentWriter {
    store: Arc<dyn Store>,
    /// Started on first use, so that the state can be built outside a runtime.
    queue: OnceLock<mpsc::Sender<Msg>>,
    /// Set by `flush` at shutdown: later documents are written inline.
    closed: AtomicBool,
}

impl DocumentWriter {
    pub fn new(store: Arc<dyn Store>) -> Self {
        metrics::describe_counter!(
            "trawl_documents_write_failed_total",
            "Scraped documents that could not be stored after every retry"
        );
        DocumentWriter {
            store,
            queue: OnceLock::new(),
            closed: AtomicBool::new(false),
        }
    }

    /// Queues `doc` as a document of `team_id`. Returns once it is queued (or, after
    /// shutdown began, once it is written).
    pub async fn submit(&self, team_id: Uuid, doc: NewDocument) -> StoreResult<()> {
        if self.closed.load(Ordering::Acquire) {
            return self.store.store_documents(team_id, &[doc]).await;
        }
        let tx = self.queue.get_or_init(|| self.start());
        match tx.send(Msg::Doc(team_id, Box::new(doc))).await {
            Ok(()) => Ok(()),
            // The task is gone only if it panicked; write this one here rather than lose it.
            Err(mpsc::error::SendError(Msg::Doc(team, doc))) => {
                self.store.store_documents(team, &[*doc]).await
            }
            Err(_) => Ok(()),
        }
    }

    /// Waits until every document queued so far is written; documents submitted after
    /// this are written inline. Called at shutdown before the pool closes.
    pub async fn flush(&self) {
        self.closed.store(true, Ordering::Release);
        let Some(tx) = self.queue.get() else { return };
        let (done, wait) = oneshot::channel();
        if tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    fn start(&self) -> mpsc::Sender<Msg> {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(self.store.clone(), rx));
        tx
    }
}

async fn run(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Msg>) {
    let mut msgs = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut msgs, BATCH).await > 0 {
        gather(&mut rx, &mut msgs).await;
        // One transaction per team: the teams of one batch are few.
        let mut by_team: BTreeMap<Uuid, Vec<NewDocument>> = BTreeMap::new();
        let mut flushes = Vec::new();
        for m in msgs.drain(..) {
            match m {
                Msg::Doc(team, doc) => by_team.entry(team).or_default().push(*doc),
                Msg::Flush(done) => flushes.push(done),
            }
        }
        for (team, docs) in by_team {
            write(store.as_ref(), team, &docs).await;
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// Waits up to [`GATHER`] after the first document for more to join its transaction,
/// unless the batch is full or a flush waits.
async fn gather(rx: &mut mpsc::Receiver<Msg>, msgs: &mut Vec<Msg>) {
    let deadline = tokio::time::Instant::now() + GATHER;
    while msgs.len() < BATCH && !msgs.iter().any(|m| matches!(m, Msg::Flush(_))) {
        let room = BATCH - msgs.len();
        match tokio::time::timeout_at(deadline, rx.recv_many(msgs, room)).await {
            Ok(n) if n > 0 => {}
            _ => return,
        }
    }
}

async fn write(store: &dyn Store, team: Uuid, docs: &[NewDocument]) {
    let mut attempt = 0;
    loop {
        match store.store_documents(team, docs).await {
            Ok(()) => return,
            Err(e) if attempt < RETRY_AFTER.len() => {
                tracing::warn!(error = %e, documents = docs.len(), "storing scraped documents failed; retrying");
                tokio::time::sleep(RETRY_AFTER[attempt]).await;
                attempt += 1;
            }
            Err(e) => {
                let ids: Vec<String> = docs.iter().map(|d| d.id.to_string()).collect();
                tracing::error!(error = %e, team = %team, ids = ?ids, "scraped documents were not stored");
                metrics::counter!("trawl_documents_write_failed_total")
                    .increment(docs.len() as u64);
                return;
            }
        }
    }
}
