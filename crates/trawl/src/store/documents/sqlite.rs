//! Documents on SQLite: search through the FTS5 table `documents_fts` (BM25 ranking with
//! the title weighted above the URL and the text; `snippet()` for highlights).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

use super::{fts5_query, DocumentQuery, DocumentRow, DocumentStore, Page, MARK_END, MARK_START};
use crate::store::jobs::parse_uuid;
use crate::store::sqlite::SqliteStore;
use crate::store::{StoreError, StoreResult};

const SUMMARY: &str = "d.id, d.job_id, d.url, d.final_url, d.domain, d.title, d.description, \
     d.language, d.status_code, d.content_hash, d.fetched_at, d.updated_at";
const FULL: &str = ", d.markdown, d.metadata, d.analysis";

fn ts(s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Other(anyhow::anyhow!("bad timestamp {s:?}: {e}")))
}

fn json_col(row: &SqliteRow, col: &str) -> StoreResult<Option<serde_json::Value>> {
    Ok(row
        .try_get::<Option<String>, _>(col)?
        .and_then(|s| serde_json::from_str(&s).ok()))
}

fn document(row: &SqliteRow, full: bool, searched: bool) -> StoreResult<DocumentRow> {
    Ok(DocumentRow {
        id: parse_uuid(&row.try_get::<String, _>("id")?)?,
        job_id: row
            .try_get::<Option<String>, _>("job_id")?
            .as_deref()
            .map(parse_uuid)
            .transpose()?,
        url: row.try_get("url")?,
        final_url: row.try_get("final_url")?,
        domain: row.try_get("domain")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        language: row.try_get("language")?,
        status_code: row.try_get("status_code")?,
        content_hash: row.try_get("content_hash")?,
        fetched_at: ts(&row.try_get::<String, _>("fetched_at")?)?,
        updated_at: ts(&row.try_get::<String, _>("updated_at")?)?,
        // bm25() is lower-is-better and negative; flip it so every backend's score rises
        // with relevance.
        score: if searched {
            Some(-row.try_get::<f64, _>("rank")?)
        } else {
            None
        },
        snippet: if searched {
            row.try_get("snippet")?
        } else {
            None
        },
        markdown: if full { row.try_get("markdown")? } else { None },
        metadata: if full {
            json_col(row, "metadata")?
        } else {
            None
        },
        analysis: if full {
            json_col(row, "analysis")?
        } else {
            None
        },
    })
}

fn push_filters(b: &mut QueryBuilder<'_, Sqlite>, q: &DocumentQuery) {
    b.push(" d.team_id = ").push_bind(q.team_id.to_string());
    if let Some(domain) = &q.domain {
        b.push(" AND d.domain = ").push_bind(domain.clone());
    }
    if let Some(job) = q.job_id {
        b.push(" AND d.job_id = ").push_bind(job.to_string());
    }
    // Stored timestamps are fixed-width RFC 3339 in UTC, so text order is time order.
    if let Some(from) = q.fetched_from {
        b.push(" AND d.fetched_at >= ")
            .push_bind(crate::store::jobs::sqlite_ts(from));
    }
    if let Some(to) = q.fetched_to {
        b.push(" AND d.fetched_at < ")
            .push_bind(crate::store::jobs::sqlite_ts(to));
    }
}

#[async_trait]
impl DocumentStore for SqliteStore {
    async fn query_documents(&self, q: &DocumentQuery) -> StoreResult<Vec<DocumentRow>> {
        let limit = i64::from(q.limit);
        let full = if q.full { FULL } else { "" };
        let (mut b, searched) = match q.text.as_deref().map(fts5_query) {
            Some(None) => return Ok(Vec::new()),
            Some(Some(fts)) => {
                let mut b = QueryBuilder::new(format!(
                    "SELECT {SUMMARY}{full}, bm25(documents_fts, 10.0, 3.0, 1.0) AS rank, \
                     snippet(documents_fts, 2, '{MARK_START}', '{MARK_END}', '…', 24) \
                     AS snippet FROM documents_fts JOIN documents d \
                     ON d.rowid = documents_fts.rowid WHERE documents_fts MATCH "
                ));
                b.push_bind(fts).push(" AND");
                push_filters(&mut b, q);
                let offset = match q.page {
                    Page::Offset(n) => i64::from(n),
                    _ => 0,
                };
                b.push(" ORDER BY rank LIMIT ")
                    .push_bind(limit)
                    .push(" OFFSET ")
                    .push_bind(offset);
                (b, true)
            }
            None => {
                let mut b =
                    QueryBuilder::new(format!("SELECT {SUMMARY}{full} FROM documents d WHERE"));
                push_filters(&mut b, q);
                match q.page {
                    Page::After(id) => {
                        b.push(" AND d.id > ")
                            .push_bind(id.to_string())
                            .push(" ORDER BY d.id");
                    }
                    Page::Before(id) => {
                        b.push(" AND d.id < ")
                            .push_bind(id.to_string())
                            .push(" ORDER BY d.id DESC");
                    }
                    Page::First | Page::Offset(_) => {
                        b.push(" ORDER BY d.id DESC");
                    }
                }
                b.push(" LIMIT ").push_bind(limit);
                (b, false)
            }
        };
        let rows = b.build().fetch_all(&self.pool).await?;
        rows.iter().map(|r| document(r, q.full, searched)).collect()
    }

    async fn get_document(&self, team_id: Uuid, id: Uuid) -> StoreResult<Option<DocumentRow>> {
        let row = sqlx::query(&format!(
            "SELECT {SUMMARY}{FULL} FROM documents d WHERE d.team_id = ?1 AND d.id = ?2"
        ))
        .bind(team_id.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(|r| document(r, true, false)).transpose()
    }

    async fn delete_document(&self, team_id: Uuid, id: Uuid) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM documents WHERE team_id = ?1 AND id = ?2")
            .bind(team_id.to_string())
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
