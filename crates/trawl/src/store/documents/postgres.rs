//! Documents on PostgreSQL: search through the generated `search` tsvector and its GIN
//! index (`websearch_to_tsquery`, so quotes and `-word` work as users expect; `ts_rank_cd`
//! for ranking; `ts_headline` for highlights).

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::{DocumentQuery, DocumentRow, DocumentStore, Page, MARK_END, MARK_START};
use crate::store::postgres::PgStore;
use crate::store::StoreResult;

const SUMMARY: &str = "d.id, d.job_id, d.url, d.final_url, d.domain, d.title, d.description, \
     d.language, d.status_code, d.content_hash, d.fetched_at, d.updated_at";
const FULL: &str = ", d.markdown, d.metadata, d.analysis";

fn document(row: &PgRow, full: bool, searched: bool) -> StoreResult<DocumentRow> {
    Ok(DocumentRow {
        id: row.try_get("id")?,
        job_id: row.try_get("job_id")?,
        url: row.try_get("url")?,
        final_url: row.try_get("final_url")?,
        domain: row.try_get("domain")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        language: row.try_get("language")?,
        status_code: row.try_get("status_code")?,
        content_hash: row.try_get("content_hash")?,
        fetched_at: row.try_get("fetched_at")?,
        updated_at: row.try_get("updated_at")?,
        score: if searched {
            Some(f64::from(row.try_get::<f32, _>("rank")?))
        } else {
            None
        },
        snippet: if searched {
            row.try_get("snippet")?
        } else {
            None
        },
        markdown: if full { row.try_get("markdown")? } else { None },
        metadata: if full { row.try_get("metadata")? } else { None },
        analysis: if full { row.try_get("analysis")? } else { None },
    })
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
    async fn query_documents(&self, q: &DocumentQuery) -> StoreResult<Vec<DocumentRow>> {
        let limit = i64::from(q.limit);
        let full = if q.full { FULL } else { "" };
        let (mut b, searched) = match q.text.as_deref() {
            Some(text) => {
                // The page of hits is chosen first; only those get a headline, which
                // re-parses the document's text.
                let mut b =
                    QueryBuilder::new("WITH query AS (SELECT websearch_to_tsquery('english', ");
                b.push_bind(text.to_owned());
                b.push(
                    ") AS q), hits AS (SELECT d.id, ts_rank_cd(d.search, query.q, 32) AS rank \
                     FROM documents d, query WHERE d.search @@ query.q AND",
                );
                push_filters(&mut b, q);
                let offset = match q.page {
                    Page::Offset(n) => i64::from(n),
                    _ => 0,
                };
                b.push(" ORDER BY rank DESC, d.id DESC LIMIT ")
                    .push_bind(limit)
                    .push(" OFFSET ")
                    .push_bind(offset);
                b.push(format!(
                    ") SELECT {SUMMARY}{full}, hits.rank, ts_headline('english', \
                     left(coalesce(d.markdown, ''), 200000), query.q, \
                     'StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=35, MinWords=15, \
                     MaxFragments=2, FragmentDelimiter=…') AS snippet \
                     FROM hits JOIN documents d ON d.id = hits.id, query \
                     ORDER BY hits.rank DESC, d.id DESC"
                ));
                (b, true)
            }
            None => {
                let mut b =
                    QueryBuilder::new(format!("SELECT {SUMMARY}{full} FROM documents d WHERE"));
                push_filters(&mut b, q);
                match q.page {
                    Page::After(id) => {
                        b.push(" AND d.id > ").push_bind(id).push(" ORDER BY d.id");
                    }
                    Page::Before(id) => {
                        b.push(" AND d.id < ")
                            .push_bind(id)
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
            "SELECT {SUMMARY}{FULL} FROM documents d WHERE d.team_id = $1 AND d.id = $2"
        ))
        .bind(team_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(|r| document(r, true, false)).transpose()
    }

    async fn delete_document(&self, team_id: Uuid, id: Uuid) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM documents WHERE team_id = $1 AND id = $2")
            .bind(team_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
