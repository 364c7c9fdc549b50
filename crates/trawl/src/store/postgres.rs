//! PostgreSQL backend: a pooled connection set shared by API handlers and workers.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use super::identity::AuditKey;
use super::{migrate, MigrationInfo, PoolStats, Store, StoreResult};
use crate::config::DatabaseKind;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// A pooled connection idle for longer than this is pinged before it is handed out.
const PING_IF_IDLE: Duration = Duration::from_millis(50);

pub struct PgStore {
    pub(crate) pool: PgPool,
    /// What the audit chain's rows and head are keyed with.
    pub(crate) audit_key: AuditKey,
}

impl PgStore {
    pub async fn connect(url: &str, pool_size: u32) -> StoreResult<Self> {
        // No ping before every checkout: it is a round trip on every query, and a dead
        // connection shows up as that query's error anyway (sqlx then discards it), which
        // callers already handle. Connections are recycled so none lives on indefinitely.
        let pool = PgPoolOptions::new()
            .max_connections(pool_size)
            // No round trip before every checkout (hot connections are fine), but one
            // that sat idle is pinged first: a server restart or `pg_terminate_backend`
            // then costs a reconnect, not an HTTP 500 per pooled connection.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for < PING_IF_IDLE {
                        return Ok(true);
                    }
                    // A dead connection is dropped and the pool opens a fresh one.
                    Ok(sqlx::Connection::ping(conn).await.is_ok())
                })
            })
            .max_lifetime(Duration::from_secs(30 * 60))
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        Ok(PgStore {
            pool,
            audit_key: AuditKey::from_secret(None),
        })
    }

    /// Keys the audit chain with `key` (from the instance secret).
    pub fn with_audit_key(mut self, key: AuditKey) -> Self {
        self.audit_key = key;
        self
    }
}

#[async_trait]
impl Store for PgStore {
    fn kind(&self) -> DatabaseKind {
        DatabaseKind::Postgres
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
