//! Schedules and runs on SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Row, Sqlite};
use uuid::Uuid;

use super::{
    name_taken, previous_page_from_row, removed_page_from_row, run_from_row, run_page_from_row,
    PreviousPage, RemovedDeliveries, RemovedPage, RunPage, ScheduleRun, ScheduleStore, RUN_SELECT,
};
use crate::store::jobs::sqlite::schedule_from_row;
use crate::store::jobs::{parse_uuid, sqlite_ts, JobStore, NewSchedule, Schedule, StoreTx};
use crate::store::sqlite::SqliteStore;
use crate::store::StoreResult;

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

/// Binds a schedule's fields as `?2`–`?9` after `id` in `?1`: create and update alike.
fn bind_schedule<'q>(
    id: Uuid,
    s: &'q NewSchedule,
    q: Query<'q, Sqlite, SqliteArguments<'q>>,
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    q.bind(id.to_string())
        .bind(s.team_id.to_string())
        .bind(&s.name)
        .bind(&s.cron)
        .bind(&s.timezone)
        .bind(&s.kind)
        .bind(s.payload.to_string())
        .bind(sqlite_ts(s.next_run_at))
        .bind(s.webhook.as_ref().map(Value::to_string))
}

#[async_trait]
impl ScheduleStore for SqliteStore {
    async fn create_schedule(&self, s: &NewSchedule) -> StoreResult<Schedule> {
        let row = bind_schedule(
            Uuid::now_v7(),
            s,
            sqlx::query(
                "INSERT INTO schedules (id, team_id, name, cron, timezone, kind, payload, \
                 next_run_at, webhook) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING *",
            ),
        )
        .fetch_one(&self.pool)
        .await
        .map_err(name_taken)?;
        schedule_from_row(&row)
    }

    async fn schedule_by_id(&self, team_id: Uuid, id: Uuid) -> StoreResult<Option<Schedule>> {
        let row = sqlx::query("SELECT * FROM schedules WHERE id = ?1 AND team_id = ?2")
            .bind(id.to_string())
            .bind(team_id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(schedule_from_row).transpose()
    }

    async fn list_schedules(
        &self,
        team_id: Uuid,
        cursor: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<Schedule>> {
        let rows = sqlx::query(
            "SELECT * FROM schedules WHERE team_id = ?1 AND (?2 IS NULL OR id < ?2) \
             ORDER BY id DESC LIMIT ?3",
        )
        .bind(team_id.to_string())
        .bind(cursor.map(|c| c.to_string()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(schedule_from_row).collect()
    }

    async fn update_schedule(&self, id: Uuid, s: &NewSchedule) -> StoreResult<Option<Schedule>> {
        let sql = format!(
            "UPDATE schedules SET name = ?3, cron = ?4, timezone = ?5, kind = ?6, \
             payload = ?7, next_run_at = ?8, webhook = ?9, updated_at = {NOW} \
             WHERE id = ?1 AND team_id = ?2 RETURNING *"
        );
        let row = bind_schedule(id, s, sqlx::query(&sql))
            .fetch_optional(&self.pool)
            .await
            .map_err(name_taken)?;
        row.as_ref().map(schedule_from_row).transpose()
    }

    async fn delete_schedule_by_id(&self, team_id: Uuid, id: Uuid) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM schedules WHERE id = ?1 AND team_id = ?2")
            .bind(id.to_string())
            .bind(team_id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn set_schedule_paused(
        &self,
        team_id: Uuid,
        id: Uuid,
        paused: bool,
        next_run_at: Option<DateTime<Utc>>,
    ) -> StoreResult<Option<Schedule>> {
        let row = sqlx::query(&format!(
            "UPDATE schedules SET paused = ?3, next_run_at = COALESCE(?4, next_run_at), \
             updated_at = {NOW} WHERE id = ?1 AND team_id = ?2 RETURNING *"
        ))
        .bind(id.to_string())
        .bind(team_id.to_string())
        .bind(paused)
        .bind(next_run_at.map(sqlite_ts))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(schedule_from_row).transpose()
    }

    async fn schedule_of_run(&self, job_id: Uuid) -> StoreResult<Option<Schedule>> {
        let row = sqlx::query(
            "SELECT s.* FROM schedule_runs r JOIN schedules s ON s.id = r.schedule_id \
             WHERE r.job_id = ?1",
        )
        .bind(job_id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(schedule_from_row).transpose()
    }

    async fn schedule_runs(
        &self,
        schedule_id: Uuid,
        cursor: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<ScheduleRun>> {
        let rows = sqlx::query(&format!(
            "{RUN_SELECT} WHERE r.schedule_id = ?1 AND (?2 IS NULL OR r.job_id < ?2) \
             ORDER BY r.job_id DESC LIMIT ?3"
        ))
        .bind(schedule_id.to_string())
        .bind(cursor.map(|c| c.to_string()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(run_from_row).collect()
    }

    async fn schedule_run(
        &self,
        schedule_id: Uuid,
        job_id: Uuid,
    ) -> StoreResult<Option<ScheduleRun>> {
        let row = sqlx::query(&format!(
            "{RUN_SELECT} WHERE r.schedule_id = ?1 AND r.job_id = ?2"
        ))
        .bind(schedule_id.to_string())
        .bind(job_id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(run_from_row).transpose()
    }

    async fn previous_page(
        &self,
        schedule_id: Uuid,
        url: &str,
        job_id: Uuid,
    ) -> StoreResult<Option<PreviousPage>> {
        // Job ids are UUIDv7, so "an earlier run" is a smaller id; a run whose job has
        // expired keeps its documents with a NULL job id.
        let row = sqlx::query(
            "SELECT content_hash, markdown, status_code FROM documents \
             WHERE schedule_id = ?1 AND url = ?2 AND (job_id IS NULL OR job_id < ?3) \
             ORDER BY fetched_at DESC LIMIT 1",
        )
        .bind(schedule_id.to_string())
        .bind(url)
        .bind(job_id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(previous_page_from_row).transpose()
    }

    async fn record_removed_pages(
        &self,
        schedule_id: Uuid,
        job_id: Uuid,
        deliveries: RemovedDeliveries<'_>,
    ) -> StoreResult<Vec<RemovedPage>> {
        let mut stx = JobStore::begin(self).await?;
        let StoreTx::Sqlite { tx, .. } = &mut stx else {
            unreachable!("a SQLite store begins SQLite transactions")
        };
        let rows = sqlx::query(
            "WITH cur AS (SELECT created_at FROM schedule_runs WHERE job_id = ?2), \
             prev AS (SELECT job_id, created_at FROM schedule_runs \
               WHERE schedule_id = ?1 AND job_id < ?2 ORDER BY job_id DESC LIMIT 1) \
             INSERT INTO removed_pages (job_id, url, title, previous_document_id) \
             SELECT ?2, p.url, p.title, p.id FROM documents p, prev, cur \
             WHERE p.schedule_id = ?1 \
               AND (p.job_id = prev.job_id OR (p.job_id IS NULL \
                 AND p.fetched_at >= prev.created_at AND p.fetched_at < cur.created_at)) \
               AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.job_id = ?2 AND d.url = p.url) \
               AND NOT EXISTS (SELECT 1 FROM crawl_urls c WHERE c.job_id = ?2 \
                 AND c.url = p.url AND c.state <> 'done' \
                 AND coalesce(c.error_code, '') <> 'SCRAPE_HTTP_ERROR') \
             ON CONFLICT (job_id, url) DO NOTHING \
             RETURNING url, title, previous_document_id",
        )
        .bind(schedule_id.to_string())
        .bind(job_id.to_string())
        .fetch_all(&mut **tx)
        .await?;
        let pages = rows
            .iter()
            .map(removed_page_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let jobs: Vec<_> = pages.iter().filter_map(deliveries).collect();
        stx.enqueue(&jobs).await?;
        stx.commit().await?;
        Ok(pages)
    }

    async fn run_pages(&self, job_id: Uuid, skip: u64, limit: u32) -> StoreResult<Vec<RunPage>> {
        let rows = sqlx::query(
            "SELECT id, url, title, status_code, content_hash, change_status, diff, fetched_at \
             FROM (SELECT 0 AS part, id AS k, id, url, title, status_code, content_hash, \
                     change_status, diff, fetched_at FROM documents WHERE job_id = ?1 \
                   UNION ALL \
                   SELECT 1, url, previous_document_id, url, title, NULL, NULL, 'removed', \
                     NULL, created_at FROM removed_pages WHERE job_id = ?1) AS pages \
             ORDER BY part, k LIMIT ?2 OFFSET ?3",
        )
        .bind(job_id.to_string())
        .bind(i64::from(limit))
        .bind(skip as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                // A removed page whose previous copy had no id cannot exist: the
                // sweep copies the id of a stored document.
                let id = parse_uuid(&r.try_get::<Option<String>, _>("id")?.unwrap_or_default())?;
                run_page_from_row(r, id)
            })
            .collect()
    }
}
