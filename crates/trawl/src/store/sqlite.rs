//! SQLite backend: one file, WAL journal, foreign keys on, a busy timeout so that
//! concurrent writers queue instead of failing.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use super::inline_reads::InlineReads;
use super::{migrate, MigrationInfo, PoolStats, Store, StoreError, StoreResult};
use crate::config::DatabaseKind;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    /// Wakes this process's workers after a commit that enqueued (see `store::jobs`).
    pub(crate) wake: tokio::sync::watch::Sender<()>,
    /// The hottest point reads, without the pool's thread hand-offs (`inline_reads`).
    pub(crate) inline: Option<InlineReads>,
}

impl SqliteStore {
    pub async fn connect(url: &str, pool_size: u32, busy_timeout: Duration) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across application crashes in WAL mode; only an OS crash
            // can lose the last transactions, which is the usual trade for a server.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
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
            .connect_with(options)
            .await?;
        Ok(SqliteStore {
            pool,
            wake: tokio::sync::watch::Sender::new(()),
            inline,
        })
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
        self.pool.close().await;
    }
}
