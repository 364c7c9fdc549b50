//! Storage: one `Store` trait, a SQLite and a PostgreSQL implementation. Nothing outside
//! this module knows which backend is in use, and all SQL lives here, parameterised.

mod cols;
pub mod crawl;
pub mod documents;
pub mod identity;
mod inline_reads;
pub mod jobs;
mod migrate;
pub mod postgres;
pub mod schedules;
mod search_index;
pub mod sqlite;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

use crate::config::{Config, DatabaseKind};

pub use migrate::MigrationInfo;

/// What storage can go wrong with, in terms callers can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A named uniqueness or state rule refused the write.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Other(anyhow::Error::new(e).context("migration failed"))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Connection pool figures for the `trawl_db_pool_connections` metric.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

/// The whole store; the job queue's half is [`jobs::JobStore`].
#[async_trait]
pub trait Store:
    jobs::JobStore
    + crawl::CrawlStore
    + documents::DocumentStore
    + identity::IdentityStore
    + schedules::ScheduleStore
    + Send
    + Sync
    + 'static
{
    fn kind(&self) -> DatabaseKind;

    /// A round trip to the database.
    async fn ping(&self) -> StoreResult<()>;

    /// Every migration the binary knows, and whether it is applied; plus any applied
    /// version the binary does not know (a newer binary ran here).
    async fn migrations(&self) -> StoreResult<Vec<MigrationInfo>>;

    /// Applies pending migrations; returns the versions applied.
    async fn migrate_up(&self) -> StoreResult<Vec<i64>>;

    /// Reverts the latest `steps` applied migrations; returns the versions reverted.
    async fn migrate_down(&self, steps: usize) -> StoreResult<Vec<i64>>;

    fn pool_stats(&self) -> PoolStats;

    /// Waits for connections to be returned and closes the pool.
    async fn close(&self);
}

/// Whether every known migration is applied and nothing unknown is.
pub fn migrations_current(list: &[MigrationInfo]) -> bool {
    list.iter().all(|m| m.applied && m.known)
}

/// The file a SQLite URL names; `None` for PostgreSQL, an in-memory database or a URL
/// that does not parse (connecting says what is wrong with it).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    if DatabaseKind::of(url).ok()? != DatabaseKind::Sqlite || url.contains("memory") {
        return None;
    }
    let options = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(url).ok()?;
    Some(options.get_filename().to_path_buf())
}

/// Opens the configured database. SQLite files (and their folder) are created.
pub async fn connect(config: &Config) -> StoreResult<Arc<dyn Store>> {
    let url = config.database_url();
    let kind = DatabaseKind::of(&url).map_err(|e| StoreError::Other(e.into()))?;
    let audit_key = identity::AuditKey::from_secret(config.secret.as_ref());
    Ok(match kind {
        DatabaseKind::Sqlite => Arc::new(
            sqlite::SqliteStore::connect(
                &url,
                config.database.pool_size,
                Duration::from_millis(config.database.busy_timeout_ms),
            )
            .await?
            .with_audit_key(audit_key),
        ),
        DatabaseKind::Postgres => Arc::new(
            postgres::PgStore::connect(&url, config.database.pool_size)
                .await?
                .with_audit_key(audit_key),
        ),
    })
}
