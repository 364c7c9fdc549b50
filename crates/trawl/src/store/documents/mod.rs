//! A team's documents: listing with filters, full-text search with ranked, highlighted
//! snippets (SQLite FTS5, PostgreSQL tsvector), one document, deletion.

mod postgres;
mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::StoreResult;

/// Marks around matched terms in search snippets.
pub const MARK_START: &str = "<mark>";
pub const MARK_END: &str = "</mark>";

/// Which documents, in which order, and how much of each.
#[derive(Debug, Clone, Default)]
pub struct DocumentQuery {
    pub team_id: Uuid,
    /// Search words; `None` lists newest first.
    pub text: Option<String>,
    pub domain: Option<String>,
    pub job_id: Option<Uuid>,
    pub fetched_from: Option<DateTime<Utc>>,
    pub fetched_to: Option<DateTime<Utc>>,
    pub page: Page,
    pub limit: u32,
    /// Include Markdown, metadata and analysis (exports), not only the summary.
    pub full: bool,
}

/// Where a page starts. Listings page by key (stable under inserts); ranked search results
/// have no stable key, so they page by position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Page {
    #[default]
    First,
    /// Listing: documents with an id below this one (ids are time-ordered UUIDv7s).
    Before(Uuid),
    /// Export: documents with an id above this one, oldest first.
    After(Uuid),
    /// Search: skip this many ranked results.
    Offset(u32),
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentRow {
    pub id: Uuid,
    pub job_id: Option<Uuid>,
    pub url: String,
    pub final_url: Option<String>,
    pub domain: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub language: Option<String>,
    pub status_code: Option<i32>,
    pub content_hash: Option<String>,
    pub fetched_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Search relevance, higher is better (search only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Text around the matches, with matched terms between `<mark>` and `</mark>`; the
    /// rest is the document's own text, not HTML-escaped (search only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Value>,
}

#[async_trait]
pub trait DocumentStore {
    /// One page of a team's documents: searched and ranked when `text` is set, else in id
    /// order (newest first for `Page::First`/`Before`, oldest first for `After`).
    async fn query_documents(&self, q: &DocumentQuery) -> StoreResult<Vec<DocumentRow>>;

    /// One document of the team, in full.
    async fn get_document(&self, team_id: Uuid, id: Uuid) -> StoreResult<Option<DocumentRow>>;

    /// Deletes one document of the team; false when there was none.
    async fn delete_document(&self, team_id: Uuid, id: Uuid) -> StoreResult<bool>;
}

/// Turns what a user typed into an FTS5 query that cannot be a syntax error: each word
/// becomes a quoted phrase (so `AND`, `NEAR`, `*`, `:` and quotes are plain text), and
/// all must match. `None` when nothing searchable is left.
pub(crate) fn fts5_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '"')
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(|w| format!("\"{w}\""))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

#[cfg(test)]
mod tests {
    use super::fts5_query;

    #[test]
    fn user_text_becomes_quoted_terms_that_cannot_break_fts5_syntax() {
        assert_eq!(
            fts5_query("rust AND \"async NEAR(x)"),
            Some("\"rust\" \"AND\" \"async\" \"NEAR(x)\"".into())
        );
        assert_eq!(fts5_query("  *** -- "), None);
    }
}
