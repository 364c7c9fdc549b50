//! Schedules and runs on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{Postgres, Row};
use uuid::Uuid;

use super::{
    name_taken, previous_page_from_row, removed_page_from_row, run_from_row, run_page_from_row,
    PreviousPage, RemovedDeliveries, RemovedPage, RunPage, ScheduleRun, ScheduleStore, RUN_SELECT,
};
use crate::store::jobs::postgres::schedule_from_row;
use crate::store::jobs::{NewSchedule, Schedule, StoreTx};
use crate::store::postgres::PgStore;
use crate::store::StoreResult;

/// Binds a schedule's fields as `$2`–`$9` after `id` in `$1`: create and update alike.
fn bind_schedule<'q>(
    id: Uuid,
    s: &'q NewSchedule,
    q: Query<'q, Postgres, PgArguments>,
) -> Query<'q, Postgres, PgArguments> {
    q.bind(id)
        .bind(s.team_id)
        .bind(&s.name)
        .bind(&s.cron)
        .bind(&s.timezone)
        .bind(&s.kind)
        .bind(&s.payload)
        .bind(s.next_run_at)
        .bind(&s.webhook)
}

#[async_trait]
impl ScheduleStore for PgStore {
    async fn create_schedule(&self, s: &NewSchedule) -> StoreResult<Schedule> {
        let row = bind_schedule(
            Uuid::now_v7(),
            s,
            sqlx::query(
                "INSERT INTO schedules (id, team_id, name, cron, timezone, kind, payload, \
                 next_run_at, webhook) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
            ),
        )
        .fetch_one(&self.pool)
        .await
        .map_err(name_taken)?;
        schedule_from_row(&row)
    }

    async fn schedule_by_id(&self, team_id: Uuid, id: Uuid) -> StoreResult<Option<Schedule>> {
        let row = sqlx::query("SELECT * FROM schedules WHERE id = $1 AND team_id = $2")
            .bind(id)
            .bind(team_id)
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
            "SELECT * FROM schedules WHERE team_id = $1 AND ($2::uuid IS NULL OR id < $2) \
             ORDER BY id DESC LIMIT $3",
        )
        .bind(team_id)
        .bind(cursor)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(schedule_from_row).collect()
    }

    async fn update_schedule(&self, id: Uuid, s: &NewSchedule) -> StoreResult<Option<Schedule>> {
        let row = bind_schedule(
            id,
            s,
            sqlx::query(
                "UPDATE schedules SET name = $3, cron = $4, timezone = $5, kind = $6, \
                 payload = $7, next_run_at = $8, webhook = $9, updated_at = now() \
                 WHERE id = $1 AND team_id = $2 RETURNING *",
            ),
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(name_taken)?;
        row.as_ref().map(schedule_from_row).transpose()
    }

    async fn delete_schedule_by_id(&self, team_id: Uuid, id: Uuid) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM schedules WHERE id = $1 AND team_id = $2")
            .bind(id)
            .bind(team_id)
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
        let row = sqlx::query(
            "UPDATE schedules SET paused = $3, \
             next_run_at = COALESCE($4::timestamptz, next_run_at), updated_at = now() \
             WHERE id = $1 AND team_id = $2 RETURNING *",
        )
        .bind(id)
        .bind(team_id)
        .bind(paused)
        .bind(next_run_at)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(schedule_from_row).transpose()
    }

    async fn schedule_of_run(&self, job_id: Uuid) -> StoreResult<Option<Schedule>> {
        let row = sqlx::query(
            "SELECT s.* FROM schedule_runs r JOIN schedules s ON s.id = r.schedule_id \
             WHERE r.job_id = $1",
        )
        .bind(job_id)
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
            "{RUN_SELECT} WHERE r.schedule_id = $1 AND ($2::uuid IS NULL OR r.job_id < $2) \
             ORDER BY r.job_id DESC LIMIT $3"
        ))
        .bind(schedule_id)
        .bind(cursor)
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
            "{RUN_SELECT} WHERE r.schedule_id = $1 AND r.job_id = $2"
        ))
        .bind(schedule_id)
        .bind(job_id)
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
             WHERE schedule_id = $1 AND url = $2 AND (job_id IS NULL OR job_id < $3) \
             ORDER BY fetched_at DESC LIMIT 1",
        )
        .bind(schedule_id)
        .bind(url)
        .bind(job_id)
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
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(
            "WITH cur AS (SELECT created_at FROM schedule_runs WHERE job_id = $2), \
             prev AS (SELECT job_id, created_at FROM schedule_runs \
               WHERE schedule_id = $1 AND job_id < $2 ORDER BY job_id DESC LIMIT 1) \
             INSERT INTO removed_pages (job_id, url, title, previous_document_id) \
             SELECT $2, p.url, p.title, p.id FROM documents p, prev, cur \
             WHERE p.schedule_id = $1 \
               AND (p.job_id = prev.job_id OR (p.job_id IS NULL \
                 AND p.fetched_at >= prev.created_at AND p.fetched_at < cur.created_at)) \
               AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.job_id = $2 AND d.url = p.url) \
               AND NOT EXISTS (SELECT 1 FROM crawl_urls c WHERE c.job_id = $2 \
                 AND c.url = p.url AND c.state <> 'done' \
                 AND coalesce(c.error_code, '') <> 'SCRAPE_HTTP_ERROR') \
             ON CONFLICT (job_id, url) DO NOTHING \
             RETURNING url, title, previous_document_id",
        )
        .bind(schedule_id)
        .bind(job_id)
        .fetch_all(&mut *tx)
        .await?;
        let pages = rows
            .iter()
            .map(removed_page_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let jobs: Vec<_> = pages.iter().filter_map(deliveries).collect();
        let mut stx = StoreTx::Postgres(tx);
        stx.enqueue(&jobs).await?;
        stx.commit().await?;
        Ok(pages)
    }

    async fn run_pages(&self, job_id: Uuid, skip: u64, limit: u32) -> StoreResult<Vec<RunPage>> {
        let rows = sqlx::query(
            "SELECT id, url, title, status_code, content_hash, change_status, diff, fetched_at \
             FROM (SELECT 0 AS part, id::text AS k, id, url, title, status_code, content_hash, \
                     change_status, diff, fetched_at FROM documents WHERE job_id = $1 \
                   UNION ALL \
                   SELECT 1, url, previous_document_id, url, title, NULL::int, NULL, 'removed', \
                     NULL, created_at FROM removed_pages WHERE job_id = $1) AS pages \
             ORDER BY part, k LIMIT $2 OFFSET $3",
        )
        .bind(job_id)
        .bind(i64::from(limit))
        .bind(skip as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| run_page_from_row(r, r.try_get("id")?))
            .collect()
    }
}
