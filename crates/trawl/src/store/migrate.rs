//! Migration bookkeeping shared by both backends. The SQL itself is embedded from
//! `migrations/{sqlite,postgres}`, one reversible pair per version.

use serde::Serialize;
use sqlx::migrate::{Migrate, MigrationType, Migrator};
use sqlx::{Database, Pool};

use super::StoreResult;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MigrationInfo {
    pub version: i64,
    pub description: String,
    pub applied: bool,
    /// False for a version recorded in the database that this binary does not have.
    pub known: bool,
}

pub(super) async fn status<DB>(
    migrator: &Migrator,
    pool: &Pool<DB>,
) -> StoreResult<Vec<MigrationInfo>>
where
    DB: Database,
    DB::Connection: Migrate,
{
    let mut conn = pool.acquire().await?;
    conn.ensure_migrations_table().await?;
    let applied = conn.list_applied_migrations().await?;
    let mut out: Vec<MigrationInfo> = migrator
        .iter()
        .filter(|m| m.migration_type != MigrationType::ReversibleDown)
        .map(|m| MigrationInfo {
            version: m.version,
            description: m.description.to_string(),
            applied: applied.iter().any(|a| a.version == m.version),
            known: true,
        })
        .collect();
    for a in &applied {
        if !migrator.version_exists(a.version) {
            out.push(MigrationInfo {
                version: a.version,
                description: "(unknown to this binary)".into(),
                applied: true,
                known: false,
            });
        }
    }
    out.sort_by_key(|m| m.version);
    Ok(out)
}

/// Versions not yet applied, in order.
pub(super) fn pending(list: &[MigrationInfo]) -> Vec<i64> {
    list.iter()
        .filter(|m| !m.applied)
        .map(|m| m.version)
        .collect()
}

/// For reverting `steps` migrations: the version to go back to, and the versions reverted.
pub(super) fn down_target(list: &[MigrationInfo], steps: usize) -> (i64, Vec<i64>) {
    let mut applied: Vec<i64> = list
        .iter()
        .filter(|m| m.applied)
        .map(|m| m.version)
        .collect();
    applied.sort_unstable_by(|a, b| b.cmp(a));
    let target = applied.get(steps).copied().unwrap_or(0);
    (target, applied.into_iter().take(steps).collect())
}
