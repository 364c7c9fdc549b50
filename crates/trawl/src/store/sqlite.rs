//! SQLite backend: one file, WAL journal, foreign keys on, a busy timeout so that
//! concurrent writers queue instead of failing.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, SqliteConnection, SqlitePool};

use super::identity::AuditKey;
use super::inline_reads::InlineReads;
use super::search_index::{Background, SearchIndex};
use super::{migrate, MigrationInfo, PoolStats, Store, StoreError, StoreResult};
use crate::config::DatabaseKind;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    /// Wakes this process's workers after a commit that enqueued (see `store::jobs`).
    pub(crate) wake: tokio::sync::watch::Sender<()>,
    /// The hottest point reads, without the pool's thread hand-offs (`inline_reads`).
    pub(crate) inline: Option<InlineReads>,
    /// Writes work nobody waits for (scraped documents, the search index), on a thread
    /// of low priority; `None` once closed, and then the pool writes them.
    pub(crate) background: Background,
    /// Indexes stored documents for search after they are written (`search_index`).
    pub(crate) search_index: Arc<SearchIndex>,
    /// What the audit chain's rows and head are keyed with.
    pub(crate) audit_key: AuditKey,
}

impl SqliteStore {
    /// Keys the audit chain with `key` (from the instance secret).
    pub fn with_audit_key(mut self, key: AuditKey) -> Self {
        self.audit_key = key;
        self
    }

    pub async fn connect(url: &str, pool_size: u32, busy_timeout: Duration) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across application crashes in WAL mode; only an OS crash
            // can lose the last transactions, which is the usual trade for a server.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // For new databases (an existing file keeps its page size). Documents are
            // tens of KB of Markdown: at 4 KiB a page each spans a chain of overflow
            // pages, each a separate WAL frame, write call and checksum, written again
            // at checkpoint. At 64 KiB the crawl bench's writer thread used ~25 % less
            // CPU and the crawl ran 15–40 % faster (`bench/crawl`).
            .page_size(PAGE_SIZE)
            .busy_timeout(busy_timeout);
        let inline = InlineReads::new(options.get_filename());
        if let Some(dir) = options.get_filename().parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Other(
                        anyhow::Error::new(e).context("cannot create the database folder"),
                    )
                })?;
            }
        }
        // An in-process file cannot drop the connection: no ping before every checkout.
        let pool = SqlitePoolOptions::new()
            .max_connections(pool_size)
            .test_before_acquire(false)
            .min_connections(1)
            .connect_with(options.clone())
            .await?;
        let background = Arc::new(tokio::sync::Mutex::new(Some(
            background_connection(options).await?,
        )));
        let search_index = SearchIndex::start(pool.clone(), background.clone());
        Ok(SqliteStore {
            pool,
            wake: tokio::sync::watch::Sender::new(()),
            inline,
            background,
            search_index,
            audit_key: AuditKey::from_secret(None),
        })
    }
}

/// Page size of new databases, in bytes (SQLite's largest).
const PAGE_SIZE: u32 = 65536;

/// How far below the process the background writer's thread runs, in nice steps (10 gives
/// it about a tenth of a contended core's time).
const BACKGROUND_NICE: i32 = 10;
/// The lowest priority Linux has.
const MAX_NICE: i32 = 19;

/// Opens a connection whose thread runs at lowered priority, for writes nobody waits on:
/// scraped documents and the search indexer's passes.
///
/// Why: on a small machine such writes took the CPU from requests in flight. At low
/// priority the scheduler runs requests first and the writer in the gaps; when the CPU is
/// idle it runs at full speed. Measured when scraped documents were still indexed as they
/// were written (sequential `POST /v2/scrape`, 2 cores): requests over 2.5 ms in the
/// server 41 → 26 per 4,000, client p99 4.0 → 3.5 ms. Its transactions are kept short
/// (`scrape::writer`, `search_index`): a writer of normal priority waiting on its lock
/// waits while it gets CPU time.
///
/// sqlx runs each SQLite connection on a thread it spawns while connecting, and a Linux
/// thread inherits its creator's priority; so the connection is opened from a short-lived
/// thread that first lowers its own.
async fn background_connection(options: SqliteConnectOptions) -> StoreResult<SqliteConnection> {
    let options = options.thread_name(|_| "trawl-bg-writer".into());
    let runtime = tokio::runtime::Handle::current();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("trawl-bg-connect".into())
        .spawn(move || {
            lower_priority();
            let _ = tx.send(runtime.block_on(SqliteConnection::connect_with(&options)));
        })
        .map_err(|e| StoreError::Other(anyhow::Error::new(e).context("cannot start a thread")))?;
    let connected = rx.await.map_err(|_| {
        StoreError::Other(anyhow::anyhow!("the background connection's thread ended"))
    })?;
    Ok(connected?)
}

/// Lowers the calling thread's priority. Failing to is harmless (the writer then runs
/// at normal priority, as everything else), so it is only logged.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // On Linux the "process" of setpriority(2) given a thread id is that thread alone.
        let me = rustix::thread::gettid();
        let now = rustix::process::getpriority_process(Some(me)).unwrap_or(0);
        let lower = (now + BACKGROUND_NICE).min(MAX_NICE);
        if let Err(e) = rustix::process::setpriority_process(Some(me), lower) {
            tracing::debug!(error = %e, "cannot lower the background writer's priority");
        }
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn kind(&self) -> DatabaseKind {
        DatabaseKind::Sqlite
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn migrations(&self) -> StoreResult<Vec<MigrationInfo>> {
        migrate::status(&MIGRATOR, &self.pool).await
    }

    async fn migrate_up(&self) -> StoreResult<Vec<i64>> {
        let pending = migrate::pending(&self.migrations().await?);
        MIGRATOR.run(&self.pool).await?;
        Ok(pending)
    }

    async fn migrate_down(&self, steps: usize) -> StoreResult<Vec<i64>> {
        let (target, reverted) = migrate::down_target(&self.migrations().await?, steps);
        MIGRATOR.undo(&self.pool, target).await?;
        Ok(reverted)
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: self.pool.num_idle() as u32,
            max: self.pool.options().get_max_connections(),
        }
    }

    async fn close(&self) {
        self.search_index.stop();
        if let Some(conn) = self.background.lock().await.take() {
            let _ = conn.close().await;
        }
        self.pool.close().await;
    }
}

/// A migrated store in a new temporary folder, for unit tests; the folder lives as long
/// as the returned guard.
#[cfg(test)]
pub(crate) async fn temp_store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(&dir).await;
    store.migrate_up().await.unwrap();
    (dir, store)
}

/// The store of a folder made by [`temp_store`], opened again (without migrating).
#[cfg(test)]
pub(crate) async fn reopen(dir: &tempfile::TempDir) -> SqliteStore {
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    SqliteStore::connect(&url, 2, Duration::from_secs(5))
        .await
        .unwrap()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use sqlx::ConnectOptions;

    /// The nice value in a /proc `stat` line.
    fn nice_in(stat: &str) -> i32 {
        // Fields after "(comm) " start at field 3; nice is field 19.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        rest.split(' ').nth(19 - 3).unwrap().parse().unwrap()
    }

    /// The nice values of this process's threads named `name` (as /proc shows names:
    /// cut to 15 bytes).
    fn nice_of_threads(name: &str) -> Vec<i32> {
        let mut found = Vec::new();
        for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
            let dir = task.path();
            let (Ok(comm), Ok(stat)) = (
                std::fs::read_to_string(dir.join("comm")),
                std::fs::read_to_string(dir.join("stat")),
            ) else {
                continue; // the thread ended meanwhile
            };
            if comm.trim_end() == name {
                found.push(nice_in(&stat));
            }
        }
        found
    }

    async fn page_size(store: &SqliteStore) -> i64 {
        sqlx::query_scalar("PRAGMA page_size")
            .fetch_one(&store.pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn new_databases_get_large_pages_and_existing_ones_keep_theirs() {
        let (_dir, store) = temp_store().await;
        assert_eq!(page_size(&store).await, i64::from(PAGE_SIZE));
        store.close().await;

        // A database created before the setting, with SQLite's default pages.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.db");
        let mut old = SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .page_size(4096)
            .connect()
            .await
            .unwrap();
        sqlx::query("CREATE TABLE earlier (x)")
            .execute(&mut old)
            .await
            .unwrap();
        old.close().await.unwrap();
        let store = reopen(&dir).await;
        assert_eq!(page_size(&store).await, 4096);
        store.migrate_up().await.unwrap();
        store.close().await;
    }

    #[tokio::test]
    async fn scraped_documents_are_written_by_a_thread_of_lowered_priority() {
        let (_dir, store) = temp_store().await;
        // Relative to the process, which may itself run niced.
        let process = nice_in(&std::fs::read_to_string("/proc/self/stat").unwrap());
        let lowered = (process + BACKGROUND_NICE).min(MAX_NICE);
        let background = nice_of_threads("trawl-bg-writer");
        assert!(!background.is_empty(), "no background writer thread");
        assert!(
            background.iter().all(|&n| n == lowered),
            "{background:?} vs {lowered}"
        );
        // The pool's threads keep the process's priority: only the background work yields.
        let pool = nice_of_threads("sqlx-sqlite-wor");
        assert!(!pool.is_empty(), "no pool thread");
        assert!(pool.iter().all(|&n| n == process), "{pool:?} vs {process}");
        store.close().await;
    }
}
