//! Documents on SQLite: search through the FTS5 table `documents_fts`, ranked by where
//! the words occur (title above URL above text), snippets cut from the text around the
//! first match.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

use super::{
    document_from_row, fts5_query, push_page, search_words, DocumentCols, DocumentQuery,
    DocumentRow, DocumentStore, Page, EXCERPT_BEFORE, EXCERPT_LEN, FULL, SEARCH_WINDOW, SUMMARY,
};
use crate::store::sqlite::SqliteStore;
use crate::store::{StoreError, StoreResult};

/// Times and JSON are text (JSON that does not parse reads as absent); the search score
/// is `score`.
impl DocumentCols for SqliteRow {
    fn stamp(&self, col: &str) -> StoreResult<DateTime<Utc>> {
        let s: String = self.try_get(col)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| StoreError::Other(anyhow::anyhow!("bad timestamp {s:?}: {e}")))
    }

    fn opt_json(&self, col: &str) -> StoreResult<Option<Value>> {
        Ok(self
            .try_get::<Option<String>, _>(col)?
            .and_then(|s| serde_json::from_str(&s).ok()))
    }

    fn score(&self) -> StoreResult<f64> {
        Ok(self.try_get::<f64, _>("score")?)
    }
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

impl SqliteStore {
    /// Indexes the documents still queued for the search index, so that a search finds
    /// every document stored before it (see `store::search_index`). Whether any are queued
    /// is read on the calling thread; usually none are, and then this costs microseconds.
    ///
    /// If that fails (the write lock busy past the timeout), the search answers from what
    /// is indexed rather than fail: the queue keeps the rest for the next search or pass.
    async fn index_queued(&self) {
        let queued = self.inline.as_ref().and_then(|r| {
            r.read(|c| {
                c.query_row(
                    "SELECT EXISTS (SELECT 1 FROM documents_unindexed)",
                    [],
                    |row| row.get::<_, bool>(0),
                )
            })
        });
        if queued != Some(false) {
            if let Err(e) = self.search_index.catch_up().await {
                tracing::warn!(error = %e, "search without the documents still queued for the index");
            }
        }
    }
}

#[async_trait]
impl DocumentStore for SqliteStore {
    async fn settle_search_index(&self) -> StoreResult<()> {
        self.search_index.catch_up().await.map(drop)
    }

    async fn query_documents(&self, q: &DocumentQuery) -> StoreResult<Vec<DocumentRow>> {
        let limit = i64::from(q.limit);
        let full = if q.full { FULL } else { "" };
        if q.text.is_some() {
            self.index_queued().await;
        }
        let mut b = match (q.text.as_deref().map(fts5_query), q.page) {
            (Some(None), _) => return Ok(Vec::new()),
            // Export: every match, in id order, by key; nothing to rank.
            (Some(Some(fts)), Page::After(id)) => {
                let mut b = QueryBuilder::new(format!(
                    "SELECT {SUMMARY}{full} FROM documents d WHERE d.rowid IN \
                     (SELECT rowid FROM documents_fts WHERE documents_fts MATCH "
                ));
                b.push_bind(fts).push(") AND");
                push_filters(&mut b, q);
                b.push(" AND d.id > ")
                    .push_bind(id.to_string())
                    .push(" ORDER BY d.id LIMIT ")
                    .push_bind(limit);
                b
            }
            (Some(Some(fts)), page) => {
                // Ranked over the newest SEARCH_WINDOW matches (FTS5 walks matches newest
                // first and stops there), by where the words occur: title 10, URL 3, text
                // 1, as bm25 weighed the columns, then newest first. Not bm25 itself: it
                // counts every document holding each word before scoring one, 0.4-1 s for
                // a common word in 100,000 documents.
                let words = search_words(&fts);
                let mut b = QueryBuilder::new(
                    "WITH win AS MATERIALIZED (SELECT f.rowid AS rid FROM documents_fts f \
                     JOIN documents d ON d.rowid = f.rowid WHERE documents_fts MATCH ",
                );
                b.push_bind(fts).push(" AND");
                push_filters(&mut b, q);
                b.push(format!(
                    " ORDER BY f.rowid DESC LIMIT {SEARCH_WINDOW}), \
                     hits AS MATERIALIZED (SELECT win.rid, 1.0"
                ));
                for w in &words {
                    b.push(" + 10 * (instr(lower(coalesce(d.title, '')), ")
                        .push_bind(w.clone())
                        .push(") > 0) + 3 * (instr(lower(d.url), ")
                        .push_bind(w.clone())
                        .push(") > 0)");
                }
                let offset = match page {
                    Page::Offset(n) => i64::from(n),
                    _ => 0,
                };
                b.push(
                    " AS score FROM win JOIN documents d ON d.rowid = win.rid \
                     ORDER BY score DESC, win.rid DESC LIMIT ",
                )
                .push_bind(limit)
                .push(" OFFSET ")
                .push_bind(offset);
                b.push(format!(
                    ") SELECT {SUMMARY}{full}, hits.score, substr(coalesce(d.markdown, ''), \
                     max(1, instr(lower(coalesce(d.markdown, '')), "
                ))
                .push_bind(words.first().cloned().unwrap_or_default())
                .push(format!(
                    ") - {EXCERPT_BEFORE}), {EXCERPT_LEN}) AS excerpt \
                     FROM hits JOIN documents d ON d.rowid = hits.rid \
                     ORDER BY hits.score DESC, hits.rid DESC"
                ));
                let rows = b.build().fetch_all(&self.pool).await?;
                return rows
                    .iter()
                    .map(|r| document_from_row(r, q.full, Some(&words)))
                    .collect();
            }
            (None, page) => {
                let mut b =
                    QueryBuilder::new(format!("SELECT {SUMMARY}{full} FROM documents d WHERE"));
                push_filters(&mut b, q);
                push_page(&mut b, page, |id| id.to_string());
                b.push(" LIMIT ").push_bind(limit);
                b
            }
        };
        let rows = b.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| document_from_row(r, q.full, None))
            .collect()
    }

    async fn get_document(&self, team_id: Uuid, id: Uuid) -> StoreResult<Option<DocumentRow>> {
        let row = sqlx::query(&format!(
            "SELECT {SUMMARY}{FULL} FROM documents d WHERE d.team_id = ?1 AND d.id = ?2"
        ))
        .bind(team_id.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(|r| document_from_row(r, true, None))
            .transpose()
    }

    async fn delete_document(&self, team_id: Uuid, id: Uuid) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM documents WHERE team_id = ?1 AND id = ?2")
            .bind(team_id.to_string())
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn team_retentions(&self) -> StoreResult<Vec<(Uuid, Option<i64>)>> {
        let rows: Vec<(String, Option<i64>)> = sqlx::query_as(
            "SELECT id, json_extract(settings, '$.documents_retention_secs') FROM teams",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, secs)| Ok((crate::store::jobs::parse_uuid(&id)?, secs)))
            .collect()
    }

    async fn set_team_retention(&self, team_id: Uuid, secs: Option<i64>) -> StoreResult<bool> {
        let done = match secs {
            Some(s) => sqlx::query(
                "UPDATE teams SET settings = json_set(settings, '$.documents_retention_secs', ?2), \
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
            )
            .bind(team_id.to_string())
            .bind(s),
            None => sqlx::query(
                "UPDATE teams SET settings = json_remove(settings, '$.documents_retention_secs'), \
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
            )
            .bind(team_id.to_string()),
        }
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_documents_before(
        &self,
        team_id: Uuid,
        before: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> StoreResult<u64> {
        // Stored timestamps are fixed-width RFC 3339 in UTC, so text order is time order
        // and the (team_id, fetched_at) index finds the batch.
        let done = sqlx::query(
            "DELETE FROM documents WHERE rowid IN (SELECT rowid FROM documents \
             WHERE team_id = ?1 AND fetched_at < ?2 ORDER BY fetched_at LIMIT ?3)",
        )
        .bind(team_id.to_string())
        .bind(crate::store::jobs::sqlite_ts(before))
        .bind(i64::from(limit))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
