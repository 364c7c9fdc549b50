//! Crawl state on SQLite: each batch is one `BEGIN IMMEDIATE` transaction with its rows
//! passed as one JSON array and unpacked with `json_each`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

use super::{
    CrawlBatch, CrawlCounts, CrawlFailure, CrawlStore, NewDocument, StoredDocument, StoredFrontier,
    UrlState, DOCUMENT_UPSERT_SET,
};
use crate::store::jobs::{parse_uuid, sqlite_ts, JobStore, StoreTx};
use crate::store::search_index::begin_write;
use crate::store::sqlite::SqliteStore;
use crate::store::{StoreError, StoreResult};

fn ts(s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Other(anyhow::anyhow!("bad timestamp {s:?}: {e}")))
}

fn json_text(row: &SqliteRow, col: &str) -> StoreResult<Option<Value>> {
    Ok(row
        .try_get::<Option<String>, _>(col)?
        .and_then(|s| serde_json::from_str(&s).ok()))
}

/// Inserts pages as documents of `team_id` (and of `job_id`, which a page scraped outside
/// any job lacks); a job's second copy of a URL replaces its first.
///
/// Pages are bound as statement parameters, not packed into one JSON array for the batch:
/// packing ~25 KB of Markdown per page into JSON and unpacking it again with `json_each`
/// cost more than the insert itself. Up to [`INSERT_ROWS`] pages go in one statement:
/// each statement is a round trip to the connection's thread, and one per page cost the
/// crawl bench's writer a context switch per page.
async fn insert_documents(
    conn: &mut SqliteConnection,
    team_id: Uuid,
    job_id: Option<Uuid>,
    docs: &[NewDocument],
) -> StoreResult<()> {
    let team = team_id.to_string();
    let job = job_id.map(|j| j.to_string());
    // Every chunk but the last has INSERT_ROWS rows: the statement is built at most twice.
    let (mut sql, mut sql_rows) = (String::new(), 0);
    for chunk in docs.chunks(INSERT_ROWS) {
        if chunk.len() != sql_rows {
            (sql, sql_rows) = (insert_sql(chunk.len()), chunk.len());
        }
        let mut query = sqlx::query(&sql);
        for d in chunk {
            query = query
                .bind(d.id.to_string())
                .bind(&team)
                .bind(&job)
                .bind(&d.url)
                .bind(&d.final_url)
                .bind(&d.domain)
                .bind(&d.title)
                .bind(&d.description)
                .bind(&d.language)
                .bind(d.status_code.map(i64::from))
                .bind(&d.markdown)
                .bind(d.metadata.to_string())
                .bind(d.analysis.as_ref().map(Value::to_string))
                .bind(&d.content_hash)
                .bind(d.formats.to_string())
                .bind(sqlite_ts(d.fetched_at))
                .bind(d.schedule_id.map(|s| s.to_string()))
                .bind(&d.change_status)
                .bind(&d.diff);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Pages per `INSERT`: 19 parameters each, far below SQLite's limit of 32,766.
const INSERT_ROWS: usize = 32;

/// The `INSERT` of `rows` documents; a later row for a job's URL replaces an earlier one,
/// as a later statement would.
fn insert_sql(rows: usize) -> String {
    let row = format!("({})", ["?"; 19].join(", "));
    format!(
        "INSERT INTO documents (id, team_id, job_id, url, final_url, domain, title, \
           description, language, status_code, markdown, metadata, analysis, \
           content_hash, formats, fetched_at, schedule_id, change_status, diff) \
         VALUES {} \
         ON CONFLICT (job_id, url) DO UPDATE SET {DOCUMENT_UPSERT_SET}, \
           updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')",
        vec![row; rows].join(", ")
    )
}

fn url_state(s: &str) -> UrlState {
    match s {
        "blocked" => UrlState::Blocked,
        "failed" => UrlState::Failed,
        _ => UrlState::Done,
    }
}

#[async_trait]
impl CrawlStore for SqliteStore {
    async fn crawl_write(
        &self,
        job_id: Uuid,
        team_id: Uuid,
        batch: &CrawlBatch,
    ) -> StoreResult<()> {
        let job = job_id.to_string();
        // A transaction of the job store, so webhook deliveries of these pages are
        // enqueued in it: they exist if and only if the pages do.
        let mut stx = JobStore::begin(self).await?;
        let StoreTx::Sqlite { tx: inner, .. } = &mut stx else {
            unreachable!("a SQLite store begins SQLite transactions")
        };
        let tx: &mut SqliteConnection = inner;
        if !batch.discovered.is_empty() {
            let rows: Vec<Value> = batch
                .discovered
                .iter()
                .map(|(u, d)| json!([u, d]))
                .collect();
            sqlx::query(
                "INSERT INTO crawl_urls (job_id, url, depth) \
                 SELECT ?1, v.value->>0, v.value->>1 FROM json_each(?2) AS v WHERE true \
                 ON CONFLICT (job_id, url) DO NOTHING",
            )
            .bind(&job)
            .bind(Value::Array(rows).to_string())
            .execute(&mut *tx)
            .await?;
        }
        if !batch.finished.is_empty() {
            sqlx::query(
                "INSERT INTO crawl_urls (job_id, url, depth, state, error_code, error) \
                 SELECT ?1, v.value->>'url', v.value->>'depth', v.value->>'state', \
                        v.value->>'error_code', v.value->>'error' \
                 FROM json_each(?2) AS v WHERE true \
                 ON CONFLICT (job_id, url) DO UPDATE SET state = excluded.state, \
                   error_code = excluded.error_code, error = excluded.error, \
                   updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')",
            )
            .bind(&job)
            .bind(serde_json::to_string(&batch.finished).map_err(anyhow::Error::new)?)
            .execute(&mut *tx)
            .await?;
        }
        if !batch.documents.is_empty() {
            insert_documents(tx, team_id, Some(job_id), &batch.documents).await?;
        }
        stx.enqueue(&batch.jobs).await?;
        stx.commit().await?;
        if !batch.documents.is_empty() {
            self.search_index.written();
        }
        Ok(())
    }

    async fn store_documents(&self, team_id: Uuid, docs: &[NewDocument]) -> StoreResult<()> {
        if docs.is_empty() {
            return Ok(());
        }
        let mut background = self.background.lock().await;
        let mut tx = begin_write(background.as_mut(), &self.pool).await?;
        insert_documents(&mut tx, team_id, None, docs).await?;
        tx.commit().await?;
        drop(background);
        self.search_index.written();
        Ok(())
    }

    async fn crawl_frontier(&self, job_id: Uuid) -> StoreResult<StoredFrontier> {
        let rows = sqlx::query(
            "SELECT url, depth, state FROM crawl_urls WHERE job_id = ?1 ORDER BY rowid",
        )
        .bind(job_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        let rows = rows
            .iter()
            .map(|row| {
                let depth: i64 = row.try_get("depth")?;
                Ok((row.try_get("url")?, depth as u32, row.try_get("state")?))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(StoredFrontier::from_rows(rows))
    }

    async fn crawl_counts(&self, job_id: Uuid) -> StoreResult<CrawlCounts> {
        let rows = sqlx::query(
            "SELECT state, count(*) AS n FROM crawl_urls WHERE job_id = ?1 GROUP BY state",
        )
        .bind(job_id.to_string())
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
             WHERE job_id = ?1 AND state IN ('failed', 'blocked') ORDER BY rowid LIMIT ?2",
        )
        .bind(job_id.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CrawlFailure {
                    url: row.try_get("url")?,
                    state: url_state(&row.try_get::<String, _>("state")?),
                    error_code: row.try_get("error_code")?,
                    error: row.try_get("error")?,
                    at: ts(&row.try_get::<String, _>("updated_at")?)?,
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
             FROM documents WHERE job_id = ?1 ORDER BY id LIMIT ?2 OFFSET ?3",
        )
        .bind(job_id.to_string())
        .bind(i64::from(limit))
        .bind(skip.min(i64::MAX as u64) as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredDocument {
                    id: parse_uuid(&row.try_get::<String, _>("id")?)?,
                    job_id: row
                        .try_get::<Option<String>, _>("job_id")?
                        .as_deref()
                        .map(parse_uuid)
                        .transpose()?,
                    url: row.try_get("url")?,
                    markdown: row.try_get("markdown")?,
                    metadata: json_text(row, "metadata")?.unwrap_or_else(|| json!({})),
                    analysis: json_text(row, "analysis")?,
                    formats: json_text(row, "formats")?.unwrap_or_else(|| json!({})),
                    content_hash: row.try_get("content_hash")?,
                    fetched_at: ts(&row.try_get::<String, _>("fetched_at")?)?,
                })
            })
            .collect()
    }

    async fn job_document_count(&self, job_id: Uuid) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM documents WHERE job_id = ?1")
            .bind(job_id.to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }
}
