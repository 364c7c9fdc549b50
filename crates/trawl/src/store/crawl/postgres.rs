//! Crawl state on PostgreSQL: each batch is one transaction with its rows passed as one
//! JSONB array and unpacked with `jsonb_to_recordset`.

use async_trait::async_trait;
use serde_json::{json, Value};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::{
    CrawlBatch, CrawlCounts, CrawlFailure, CrawlStore, NewDocument, StoredDocument, StoredFrontier,
    UrlState, DOCUMENT_UPSERT_SET,
};
use crate::store::jobs::StoreTx;
use crate::store::postgres::PgStore;
use crate::store::StoreResult;

/// Inserts pages as documents of `team_id` (and of `job_id`, which a page scraped outside
/// any job lacks); a job's second copy of a URL replaces its first.
async fn insert_documents(
    conn: &mut PgConnection,
    team_id: Uuid,
    job_id: Option<Uuid>,
    docs: &[NewDocument],
) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO documents (id, team_id, job_id, url, final_url, domain, title, \
               description, language, status_code, markdown, metadata, analysis, \
               content_hash, formats, fetched_at, schedule_id, change_status, diff) \
             SELECT v.id, $1, $2, v.url, v.final_url, v.domain, v.title, v.description, \
               v.language, v.status_code, v.markdown, COALESCE(v.metadata, '{{}}'), \
               v.analysis, v.content_hash, v.formats, v.fetched_at, v.schedule_id, \
               v.change_status, v.diff \
             FROM jsonb_to_recordset($3::jsonb) AS v(id uuid, url text, final_url text, \
               domain text, title text, description text, language text, \
               status_code int, markdown text, metadata jsonb, analysis jsonb, \
               content_hash text, formats jsonb, fetched_at timestamptz, \
               schedule_id uuid, change_status text, diff text) \
             ON CONFLICT (job_id, url) DO UPDATE SET {DOCUMENT_UPSERT_SET}, \
               updated_at = now()"
    );
    sqlx::query(&sql)
        .bind(team_id)
        .bind(job_id)
        .bind(serde_json::to_value(docs).map_err(anyhow::Error::new)?)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[async_trait]
impl CrawlStore for PgStore {
    async fn crawl_write(
        &self,
        job_id: Uuid,
        team_id: Uuid,
        batch: &CrawlBatch,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        if !batch.discovered.is_empty() {
            let rows: Vec<Value> = batch
                .discovered
                .iter()
                .map(|(u, d)| json!({"url": u, "depth": d}))
                .collect();
            sqlx::query(
                "INSERT INTO crawl_urls (job_id, url, depth) \
                 SELECT $1, v.url, v.depth \
                 FROM jsonb_to_recordset($2::jsonb) AS v(url text, depth int) \
                 ON CONFLICT (job_id, url) DO NOTHING",
            )
            .bind(job_id)
            .bind(Value::Array(rows))
            .execute(&mut *tx)
            .await?;
        }
        if !batch.finished.is_empty() {
            sqlx::query(
                "INSERT INTO crawl_urls (job_id, url, depth, state, error_code, error) \
                 SELECT $1, v.url, v.depth, v.state, v.error_code, v.error \
                 FROM jsonb_to_recordset($2::jsonb) \
                   AS v(url text, depth int, state text, error_code text, error text) \
                 ON CONFLICT (job_id, url) DO UPDATE SET state = excluded.state, \
                   error_code = excluded.error_code, error = excluded.error, \
                   updated_at = now()",
            )
            .bind(job_id)
            .bind(serde_json::to_value(&batch.finished).map_err(anyhow::Error::new)?)
            .execute(&mut *tx)
            .await?;
        }
        if !batch.documents.is_empty() {
            insert_documents(&mut tx, team_id, Some(job_id), &batch.documents).await?;
        }
        // Webhook deliveries of these pages commit with them.
        let mut stx = StoreTx::Postgres(tx);
        stx.enqueue(&batch.jobs).await?;
        stx.commit().await?;
        Ok(())
    }

    async fn store_documents(&self, team_id: Uuid, docs: &[NewDocument]) -> StoreResult<()> {
        if docs.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        insert_documents(&mut tx, team_id, None, docs).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn crawl_frontier(&self, job_id: Uuid) -> StoreResult<StoredFrontier> {
        let rows =
            sqlx::query("SELECT url, depth, state FROM crawl_urls WHERE job_id = $1 ORDER BY seq")
                .bind(job_id)
                .fetch_all(&self.pool)
                .await?;
        let rows = rows
            .iter()
            .map(|row| {
                let depth: i32 = row.try_get("depth")?;
                Ok((row.try_get("url")?, depth as u32, row.try_get("state")?))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(StoredFrontier::from_rows(rows))
    }

    async fn crawl_counts(&self, job_id: Uuid) -> StoreResult<CrawlCounts> {
        let rows = sqlx::query(
            "SELECT state, count(*) AS n FROM crawl_urls WHERE job_id = $1 GROUP BY state",
        )
        .bind(job_id)
        .fetch_all(&self.pool)
        .await?;
        let rows = rows
            .iter()
            .map(|row| Ok((row.try_get("state")?, row.try_get("n")?)))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(CrawlCounts::from_rows(rows))
    }

    async fn crawl_failures(&self, job_id: Uuid, limit: u32) -> StoreResult<Vec<CrawlFailure>> {
        let rows = sqlx::query(
            "SELECT url, state, error_code, error, updated_at FROM crawl_urls \
             WHERE job_id = $1 AND state IN ('failed', 'blocked') ORDER BY seq LIMIT $2",
        )
        .bind(job_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CrawlFailure {
                    url: row.try_get("url")?,
                    state: if row.try_get::<String, _>("state")? == "blocked" {
                        UrlState::Blocked
                    } else {
                        UrlState::Failed
                    },
                    error_code: row.try_get("error_code")?,
                    error: row.try_get("error")?,
                    at: row.try_get("updated_at")?,
                })
            })
            .collect()
    }

    async fn job_documents(
        &self,
        job_id: Uuid,
        skip: u64,
        limit: u32,
    ) -> StoreResult<Vec<StoredDocument>> {
        let rows = sqlx::query(
            "SELECT id, job_id, url, markdown, metadata, analysis, formats, content_hash, \
                    fetched_at \
             FROM documents WHERE job_id = $1 ORDER BY id LIMIT $2 OFFSET $3",
        )
        .bind(job_id)
        .bind(i64::from(limit))
        .bind(skip.min(i64::MAX as u64) as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredDocument {
                    id: row.try_get("id")?,
                    job_id: row.try_get("job_id")?,
                    url: row.try_get("url")?,
                    markdown: row.try_get("markdown")?,
                    metadata: row.try_get("metadata")?,
                    analysis: row.try_get("analysis")?,
                    formats: row
                        .try_get::<Option<Value>, _>("formats")?
                        .unwrap_or_else(|| json!({})),
                    content_hash: row.try_get("content_hash")?,
                    fetched_at: row.try_get("fetched_at")?,
                })
            })
            .collect()
    }

    async fn job_document_count(&self, job_id: Uuid) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM documents WHERE job_id = $1")
            .bind(job_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }
}
