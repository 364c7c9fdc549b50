//! Documents on PostgreSQL: search through the generated `search` tsvector and its GIN
//! index (`websearch_to_tsquery`, so quotes and `-word` work as users expect; `ts_rank`
//! for ranking; snippets cut from the text around the first match).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::{
    document_from_row, push_page, search_words, DocumentCols, DocumentQuery, DocumentRow,
    DocumentStore, Page, FULL, SEARCH_WINDOW, SUMMARY,
};
use crate::store::postgres::PgStore;
use crate::store::StoreResult;

/// Ranks are `real`; times and JSON are PostgreSQL's own types.
impl DocumentCols for PgRow {
    fn stamp(&self, col: &str) -> StoreResult<DateTime<Utc>> {
        Ok(self.try_get(col)?)
    }

    fn opt_json(&self, col: &str) -> StoreResult<Option<Value>> {
        Ok(self.try_get(col)?)
    }

    fn score(&self) -> StoreResult<f64> {
        Ok(f64::from(self.try_get::<f32, _>("rank")?))
    }
}

fn push_filters(b: &mut QueryBuilder<'_, Postgres>, q: &DocumentQuery) {
    b.push(" d.team_id = ").push_bind(q.team_id);
    if let Some(domain) = &q.domain {
        b.push(" AND d.domain = ").push_bind(domain.clone());
    }
    if let Some(job) = q.job_id {
        b.push(" AND d.job_id = ").push_bind(job);
    }
    if let Some(from) = q.fetched_from {
        b.push(" AND d.fetched_at >= ").push_bind(from);
    }
    if let Some(to) = q.fetched_to {
        b.push(" AND d.fetched_at < ").push_bind(to);
    }
}

#[async_trait]
impl DocumentStore for PgStore {
    async fn settle_search_index(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn query_documents(&self, q: &DocumentQuery) -> StoreResult<Vec<DocumentRow>> {
        let limit = i64::from(q.limit);
        let full = if q.full { FULL } else { "" };
        let mut b = match (q.text.as_deref(), q.page) {
            // Export: every match, in id order, by key; nothing to rank.
            (Some(text), Page::After(id)) => {
                let mut b = QueryBuilder::new(format!(
                    "SELECT {SUMMARY}{full} FROM documents d \
                     WHERE d.search @@ websearch_to_tsquery('english', "
                ));
                b.push_bind(text.to_owned()).push(") AND");
                push_filters(&mut b, q);
                b.push(" AND d.id > ")
                    .push_bind(id)
                    .push(" ORDER BY d.id LIMIT ")
                    .push_bind(limit);
                b
            }
            (Some(text), page) => {
                // Ranked over the newest SEARCH_WINDOW matches only: a common word matches
                // nearly every page, and ranking reads each match's tsvector. The query
                // is spelled out in each part (not a CTE) so the planner sees it and walks
                // the id index backwards for common words, the GIN index for rare ones.
                // `ts_rank`, not `ts_rank_cd`: the cover-density rank is ten times slower
                // on pages where the words recur. Snippets are made from the text around
                // the first word's first occurrence (see `snippet`), not by ts_headline,
                // which parses the whole page for each hit.
                let words = search_words(text);
                let tsq = |b: &mut QueryBuilder<'_, Postgres>| {
                    b.push("websearch_to_tsquery('english', ")
                        .push_bind(text.to_owned())
                        .push(")");
                };
                // Ranked in the same scan that finds the window, so each tsvector is
                // read once.
                let mut b =
                    QueryBuilder::new("WITH win AS MATERIALIZED (SELECT d.id, ts_rank(d.search, ");
                tsq(&mut b);
                b.push(", 32) AS rank FROM documents d WHERE d.search @@ ");
                tsq(&mut b);
                b.push(" AND");
                push_filters(&mut b, q);
                let offset = match page {
                    Page::Offset(n) => i64::from(n),
                    _ => 0,
                };
                b.push(format!(
                    " ORDER BY d.id DESC LIMIT {SEARCH_WINDOW}), hits AS (SELECT id, rank \
                     FROM win ORDER BY rank DESC, id DESC LIMIT "
                ))
                .push_bind(limit)
                .push(" OFFSET ")
                .push_bind(offset);
                // The page's text comes whole: PostgreSQL's locale-aware lower() costs
                // ~150 µs on a page, finding the first match in Rust a few.
                b.push(format!(
                    ") SELECT {SUMMARY}{full}, hits.rank, coalesce(d.markdown, '') AS excerpt \
                     FROM hits JOIN documents d ON d.id = hits.id \
                     ORDER BY hits.rank DESC, d.id DESC"
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
                push_page(&mut b, page, |id| id);
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
            "SELECT {SUMMARY}{FULL} FROM documents d WHERE d.team_id = $1 AND d.id = $2"
        ))
        .bind(team_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(|r| document_from_row(r, true, None))
            .transpose()
    }

    async fn delete_document(&self, team_id: Uuid, id: Uuid) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM documents WHERE team_id = $1 AND id = $2")
            .bind(team_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn team_retentions(&self) -> StoreResult<Vec<(Uuid, Option<i64>)>> {
        Ok(
            sqlx::query_as("SELECT id, (settings->>'documents_retention_secs')::bigint FROM teams")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn set_team_retention(&self, team_id: Uuid, secs: Option<i64>) -> StoreResult<bool> {
        let done = match secs {
            Some(s) => sqlx::query(
                "UPDATE teams SET settings = jsonb_set(settings, '{documents_retention_secs}', \
                 to_jsonb($2::bigint)), updated_at = now() WHERE id = $1",
            )
            .bind(team_id)
            .bind(s),
            None => sqlx::query(
                "UPDATE teams SET settings = settings - 'documents_retention_secs', \
                 updated_at = now() WHERE id = $1",
            )
            .bind(team_id),
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
        let done = sqlx::query(
            "DELETE FROM documents WHERE id IN (SELECT id FROM documents \
             WHERE team_id = $1 AND fetched_at < $2 ORDER BY fetched_at LIMIT $3)",
        )
        .bind(team_id)
        .bind(before)
        .bind(i64::from(limit))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
