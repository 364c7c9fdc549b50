//! A team's documents: listing with filters, full-text search with ranked, highlighted
//! snippets (SQLite FTS5, PostgreSQL tsvector), one document, deletion.

mod postgres;
mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{Database, Encode, QueryBuilder, Type};
use uuid::Uuid;

use super::cols::Ids;
use super::StoreResult;

/// Search ranks this many of the newest matching documents, not every match: relevance
/// scoring costs per match, and a common word matches nearly every page. A search that
/// matches more ranks the newest ones; filters (`domain`, `from`, …) narrow it first.
pub const SEARCH_WINDOW: u32 = 200;

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
    /// Search: skip this many ranked results (within [`SEARCH_WINDOW`]).
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
    /// Text around the matches, HTML-escaped, with matched terms between `<mark>` and
    /// `</mark>`: the only markup it holds (search only).
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
    /// One page of a team's documents: searched and ranked when `text` is set (with
    /// `Page::After`, an export, matches in id order instead), else in id order (newest
    /// first for `Page::First`/`Before`, oldest first for `After`).
    async fn query_documents(&self, q: &DocumentQuery) -> StoreResult<Vec<DocumentRow>>;

    /// One document of the team, in full.
    async fn get_document(&self, team_id: Uuid, id: Uuid) -> StoreResult<Option<DocumentRow>>;

    /// Deletes one document of the team; false when there was none.
    async fn delete_document(&self, team_id: Uuid, id: Uuid) -> StoreResult<bool>;

    /// Every team's own document retention (`settings.documents_retention_secs`):
    /// `None` follows the instance's, `Some(0)` keeps documents forever.
    async fn team_retentions(&self) -> StoreResult<Vec<(Uuid, Option<i64>)>>;

    /// Sets (or, with `None`, clears) a team's own document retention.
    async fn set_team_retention(&self, team_id: Uuid, secs: Option<i64>) -> StoreResult<bool>;

    /// Deletes at most `limit` of the team's documents fetched before `before`; returns
    /// how many went.
    async fn delete_documents_before(
        &self,
        team_id: Uuid,
        before: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> StoreResult<u64>;

    /// Indexes for search every document stored so far, before returning. SQLite indexes
    /// after the write (`store::search_index`); PostgreSQL as it writes, so has nothing
    /// to do.
    async fn settle_search_index(&self) -> StoreResult<()>;
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

/// Most search words used for ranking boosts and highlights.
const MAX_WORDS: usize = 8;
/// Characters of text read around the first match to make a snippet from.
/// The columns each backend stores its own way: SQLite keeps times and JSON as text, and
/// the backends' search ranks differ in name and type.
trait DocumentCols: Ids {
    fn stamp(&self, col: &str) -> StoreResult<DateTime<Utc>>;
    fn opt_json(&self, col: &str) -> StoreResult<Option<Value>>;
    /// A search hit's rank, higher is better.
    fn score(&self) -> StoreResult<f64>;
}

/// A document row; `searched` holds the search words when the row is a search hit (with
/// a rank and an `excerpt` column).
fn document_from_row(
    row: &impl DocumentCols,
    full: bool,
    searched: Option<&[String]>,
) -> StoreResult<DocumentRow> {
    Ok(DocumentRow {
        id: row.uuid("id")?,
        job_id: row.opt_uuid("job_id")?,
        url: row.text("url")?,
        final_url: row.opt_text("final_url")?,
        domain: row.text("domain")?,
        title: row.opt_text("title")?,
        description: row.opt_text("description")?,
        language: row.opt_text("language")?,
        status_code: row.opt_small("status_code")?,
        content_hash: row.opt_text("content_hash")?,
        fetched_at: row.stamp("fetched_at")?,
        updated_at: row.stamp("updated_at")?,
        score: match searched {
            Some(_) => Some(row.score()?),
            None => None,
        },
        snippet: match searched {
            Some(words) => Some(snippet(&row.text("excerpt")?, words)),
            None => None,
        },
        markdown: if full {
            row.opt_text("markdown")?
        } else {
            None
        },
        metadata: if full {
            row.opt_json("metadata")?
        } else {
            None
        },
        analysis: if full {
            row.opt_json("analysis")?
        } else {
            None
        },
    })
}

/// The listing columns; [`FULL`] adds the content.
const SUMMARY: &str = "d.id, d.job_id, d.url, d.final_url, d.domain, d.title, d.description, \
     d.language, d.status_code, d.content_hash, d.fetched_at, d.updated_at";
const FULL: &str = ", d.markdown, d.metadata, d.analysis";

/// Ends an unranked query after its filters with the page's key condition and order;
/// `bind_id` gives a cursor id as the backend stores ids.
fn push_page<'a, DB, T>(b: &mut QueryBuilder<'a, DB>, page: Page, bind_id: impl Fn(Uuid) -> T)
where
    DB: Database,
    T: 'a + Encode<'a, DB> + Type<DB>,
{
    match page {
        Page::After(id) => {
            b.push(" AND d.id > ")
                .push_bind(bind_id(id))
                .push(" ORDER BY d.id");
        }
        Page::Before(id) => {
            b.push(" AND d.id < ")
                .push_bind(bind_id(id))
                .push(" ORDER BY d.id DESC");
        }
        Page::First | Page::Offset(_) => {
            b.push(" ORDER BY d.id DESC");
        }
    }
}

pub(crate) const EXCERPT_BEFORE: u32 = 200;
pub(crate) const EXCERPT_LEN: u32 = 600;
/// Words in a snippet, and how many of them come before the first match.
const SNIPPET_WORDS: usize = 35;
const SNIPPET_LEAD: usize = 10;

/// The words of a search, lower-cased, at most [`MAX_WORDS`].
pub(crate) fn search_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let w = w.to_lowercase();
        if !words.contains(&w) && words.len() < MAX_WORDS {
            words.push(w);
        }
    }
    words
}

/// A crude English stem, enough to highlight `retry` for `retries` and `queue` for
/// `queued`: the word without a common suffix, kept at three letters or more.
fn stem(word: &str) -> &str {
    for suffix in ["ies", "ing", "ed", "es", "s"] {
        if let Some(s) = word.strip_suffix(suffix) {
            if s.chars().count() >= 3 {
                return s;
            }
        }
    }
    word
}

/// A snippet made from `excerpt` (text read around the first match): about
/// [`SNIPPET_WORDS`] words starting a little before the first word that matches,
/// with matching words between [`MARK_START`] and [`MARK_END`] and `…` where text was
/// cut. The page's own text is HTML-escaped, so the marks are the snippet's only markup
/// and a client may render it as HTML. Made here rather than by the database's
/// highlighter, which re-parses the whole page for each hit: 1–6 ms a page, more than the
/// rest of a search.
pub(crate) fn snippet(excerpt: &str, words: &[String]) -> String {
    let stems: Vec<&str> = words.iter().map(|w| stem(w)).collect();
    let tokens: Vec<&str> = excerpt.split_whitespace().collect();
    let matches = |t: &str| {
        let core: String = t
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        !core.is_empty() && stems.iter().any(|s| core.starts_with(s))
    };
    let first = tokens.iter().position(|t| matches(t)).unwrap_or(0);
    let start = first.saturating_sub(SNIPPET_LEAD);
    let end = (start + SNIPPET_WORDS).min(tokens.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    for (i, t) in tokens[start..end].iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if matches(t) {
            out.push_str(MARK_START);
            push_escaped(&mut out, t);
            out.push_str(MARK_END);
        } else {
            push_escaped(&mut out, t);
        }
    }
    if end < tokens.len() {
        out.push('…');
    }
    out
}

/// Appends `text` with the five characters that are special in HTML text and attribute
/// values replaced by their entities.
fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{fts5_query, search_words, snippet};

    #[test]
    fn a_snippet_starts_just_before_the_first_match_and_marks_each_matching_word() {
        let text = format!(
            "{} Retries are spaced by backoff; a retry waits. {}",
            "lead ".repeat(30),
            "tail ".repeat(40)
        );
        let s = snippet(&text, &search_words("retries BACKOFF"));
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("<mark>Retries</mark>"), "{s}");
        assert!(s.contains("<mark>backoff;</mark>"), "{s}");
        assert!(s.contains("<mark>retry</mark>"), "{s}");
        assert_eq!(s.matches("lead").count(), 10, "{s}");
        // No match in the excerpt: its start, unmarked.
        assert_eq!(snippet("a b c", &search_words("zebra")), "a b c");
    }

    #[test]
    fn page_markup_in_a_snippet_is_escaped_and_only_the_marks_are_tags() {
        let s = snippet(
            "<script>alert('x')</script> a&b \"q\" <img src=x onerror=alert(1)> retry<b>",
            &search_words("retry script"),
        );
        assert_eq!(
            s,
            "<mark>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;</mark> a&amp;b \
             &quot;q&quot; &lt;img src=x onerror=alert(1)&gt; <mark>retry&lt;b&gt;</mark>"
        );
    }

    /// Property: whatever the page text and the search, a snippet's only `<` open a mark
    /// or close one, and no `>`, `"` or `'` of the page survives unescaped. Inputs are
    /// generated deterministically from a small alphabet heavy in markup characters.
    #[test]
    fn no_generated_text_puts_markup_other_than_marks_in_a_snippet() {
        const ALPHABET: &[&str] = &[
            "<", ">", "&", "\"", "'", " ", "\n", "a", "b", "mark", "/", "<mark>", "</mark>",
            "script", "é", "=", "&lt;",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            // xorshift64*: reproducible, no dependency.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_f491_4f6c_dd1d)
        };
        for _ in 0..5_000 {
            let len = (next() % 60) as usize;
            let text: String = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            let query: String = (0..(next() % 4))
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect::<Vec<_>>()
                .join(" ");
            let s = snippet(&text, &search_words(&query));
            let bare = s
                .replace(super::MARK_START, "")
                .replace(super::MARK_END, "");
            assert!(
                !bare.contains(['<', '>', '"', '\'']),
                "text {text:?} query {query:?} gave {s:?}"
            );
            // Marks open and close in turn, never nested.
            let mut open = false;
            for (i, _) in s.match_indices('<') {
                let tag = if s[i..].starts_with(super::MARK_START) {
                    true
                } else {
                    assert!(s[i..].starts_with(super::MARK_END), "{s:?}");
                    false
                };
                assert_ne!(open, tag, "{s:?}");
                open = tag;
            }
            assert!(!open, "{s:?}");
        }
    }

    #[test]
    fn user_text_becomes_quoted_terms_that_cannot_break_fts5_syntax() {
        assert_eq!(
            fts5_query("rust AND \"async NEAR(x)"),
            Some("\"rust\" \"AND\" \"async\" \"NEAR(x)\"".into())
        );
        assert_eq!(fts5_query("  *** -- "), None);
    }
}
