//! `/api/v1/documents`: a team's scraped pages. Search and list, one document (with an
//! ETag), delete, streamed export as JSON lines or CSV, and import of a URL list as a batch.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::ApiQuery;
use super::idempotency::{enqueue_once, IdempotencyKey};
use super::openapi::{ApiErrors, CursorPage};
use super::AppState;
use crate::auth::{Caller, Scope};
use crate::crawl::options::{BatchRequest, MAX_BATCH_URLS};
use crate::crawl::BATCH_KIND;
use crate::error::{AppError, AppResult, FieldError};
use crate::store::documents::{DocumentQuery, DocumentRow, Page};
use crate::store::jobs::NewJob;

/// Documents per listing page by default, and at most.
const PAGE_DEFAULT: u32 = 20;
const PAGE_MAX: u32 = 100;
/// Rows fetched per round trip while exporting: bounds memory whatever the export's size.
const EXPORT_BATCH: u32 = 200;
/// Largest URL list an import accepts.
const IMPORT_MAX_BYTES: usize = 1024 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(export))
        .routes(routes!(import))
        .routes(routes!(show, remove))
}

/// The filters every documents endpoint shares. Unknown parameters are refused so that a
/// misspelt filter is not silently ignored.
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct Filters {
    /// Full-text search (at most 500 characters); results are ranked and carry a `snippet`.
    #[param(max_length = 500)]
    q: Option<String>,
    /// Only pages of this host.
    domain: Option<String>,
    /// Only pages of this job.
    #[param(format = Uuid)]
    job_id: Option<String>,
    /// `YYYY-MM-DD` or RFC 3339; inclusive.
    from: Option<String>,
    /// `YYYY-MM-DD` (inclusive: the whole day) or RFC 3339 (exclusive).
    to: Option<String>,
    /// Listing only: `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Listing only: 1 to 100; default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// Export only: `jsonl` (default) or `csv`.
    format: Option<String>,
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_time(field: &str, value: &str, end_of_day: bool) -> Result<DateTime<Utc>, FieldError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time"))?;
    let day = if end_of_day {
        day.succ_opt().unwrap_or(day)
    } else {
        day
    };
    Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
}

impl Filters {
    /// The store query these filters describe, or every offending field at once.
    fn query(&self, team_id: Uuid) -> AppResult<DocumentQuery> {
        let mut errors = Vec::new();
        let mut q = DocumentQuery {
            team_id,
            text: non_empty(&self.q).map(str::to_owned),
            domain: non_empty(&self.domain).map(|d| d.to_ascii_lowercase()),
            ..DocumentQuery::default()
        };
        if q.text.as_ref().is_some_and(|t| t.chars().count() > 500) {
            errors.push(FieldError::new("q", "must be at most 500 characters"));
        }
        if let Some(job) = non_empty(&self.job_id) {
            match Uuid::parse_str(job) {
                Ok(id) => q.job_id = Some(id),
                Err(_) => errors.push(FieldError::new("job_id", "must be a job id (UUID)")),
            }
        }
        if let Some(from) = non_empty(&self.from) {
            match parse_time("from", from, false) {
                Ok(t) if t > Utc::now() => {
                    errors.push(FieldError::new("from", "must not be in the future"))
                }
                Ok(t) => q.fetched_from = Some(t),
                Err(e) => errors.push(e),
            }
        }
        if let Some(to) = non_empty(&self.to) {
            match parse_time("to", to, to.len() == 10) {
                Ok(t) => q.fetched_to = Some(t),
                Err(e) => errors.push(e),
            }
        }
        if let (Some(from), Some(to)) = (q.fetched_from, q.fetched_to) {
            if from >= to {
                errors.push(FieldError::new("to", "must be after `from`"));
            }
        }
        q.limit = self.limit.unwrap_or(PAGE_DEFAULT);
        if !(1..=PAGE_MAX).contains(&q.limit) {
            errors.push(FieldError::new(
                "limit",
                format!("must be between 1 and {PAGE_MAX}"),
            ));
        }
        if let Some(cursor) = non_empty(&self.cursor) {
            match parse_cursor(cursor, q.text.is_some()) {
                Some(page) => q.page = page,
                None => errors.push(FieldError::new(
                    "cursor",
                    "must be a `next_cursor` from a previous page of the same query",
                )),
            }
        }
        if errors.is_empty() {
            Ok(q)
        } else {
            Err(AppError::Validation(errors))
        }
    }
}

/// Cursors are opaque to clients: a document id for listings, `o<offset>` for ranked
/// search results.
fn parse_cursor(cursor: &str, searching: bool) -> Option<Page> {
    if searching {
        cursor.strip_prefix('o')?.parse().ok().map(Page::Offset)
    } else {
        Uuid::parse_str(cursor).ok().map(Page::Before)
    }
}

fn next_cursor(q: &DocumentQuery, page: &[DocumentRow]) -> Option<String> {
    if page.len() < q.limit as usize {
        return None;
    }
    if q.text.is_some() {
        let skipped = match q.page {
            Page::Offset(n) => n,
            _ => 0,
        };
        Some(format!("o{}", skipped + q.limit))
    } else {
        page.last().map(|d| d.id.to_string())
    }
}

/// The team's pages, newest first, or ranked by full-text search (`q`).
#[utoipa::path(
    get,
    path = "/api/v1/documents",
    tag = "documents",
    params(Filters),
    responses((status = 200, description = "Pages", body = CursorPage<DocumentRow>), ApiErrors)
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(filters): ApiQuery<Filters>,
) -> AppResult<Json<CursorPage<DocumentRow>>> {
    caller.require(Scope::DocumentsRead)?;
    if filters.format.is_some() {
        return Err(AppError::invalid("format", "applies to /export only"));
    }
    let q = filters.query(caller.team_id)?;
    let page = state.store.query_documents(&q).await?;
    let next_cursor = next_cursor(&q, &page);
    Ok(Json(CursorPage {
        data: page,
        next_cursor,
    }))
}

fn parse_doc_id(id: &str) -> AppResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound("document"))
}

/// A strong validator: changes whenever the stored document does.
fn etag(doc: &DocumentRow) -> String {
    format!(
        "\"{}-{}\"",
        doc.content_hash.as_deref().unwrap_or("none"),
        doc.updated_at.timestamp_micros()
    )
}

const DOCUMENT_ID: &str = "The document's id";

/// One page in full, with an `ETag` (send it back in `If-None-Match`).
#[utoipa::path(
    get,
    path = "/api/v1/documents/{id}",
    tag = "documents",
    params(
        ("id" = Uuid, Path, description = DOCUMENT_ID),
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer"),
    ),
    responses(
        (status = 200, description = "The page", body = DocumentRow,
            headers(("ETag" = String, description = "Changes whenever the page does"))),
        (status = 304, description = "Unchanged since the ETag given"),
        ApiErrors
    )
)]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    caller.require(Scope::DocumentsRead)?;
    let doc = state
        .store
        .get_document(caller.team_id, parse_doc_id(&id)?)
        .await?
        .ok_or(AppError::NotFound("document"))?;
    let tag = etag(&doc);
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let tag = HeaderValue::from_str(&tag).map_err(anyhow::Error::new)?;
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    Ok(([(header::ETAG, tag)], Json(doc)).into_response())
}

/// Deletes a page (operators).
#[utoipa::path(
    delete,
    path = "/api/v1/documents/{id}",
    tag = "documents",
    params(("id" = Uuid, Path, description = DOCUMENT_ID)),
    responses((status = 204, description = "Deleted"), ApiErrors)
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    // The right first: a caller without it learns nothing about which ids exist.
    caller.require(Scope::JobsWrite)?;
    let id = parse_doc_id(&id)?;
    if state
        .store
        .get_document(caller.team_id, id)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound("document"));
    }
    state.store.delete_document(caller.team_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ExportFormat {
    JsonLines,
    Csv,
}

const CSV_COLUMNS: [&str; 9] = [
    "id",
    "job_id",
    "url",
    "final_url",
    "title",
    "language",
    "status_code",
    "fetched_at",
    "markdown",
];

/// One CSV record. Every cell passes [`csv_cell`]: an export is opened in spreadsheets,
/// and its cells hold what scraped pages say.
fn csv_line(fields: &[&str]) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    for f in fields {
        w.write_field(csv_cell(f).as_bytes())
            .expect("write to memory");
    }
    w.write_record(None::<&[u8]>).expect("write to memory");
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("CSV of UTF-8 is UTF-8")
}

/// A cell a spreadsheet will not run as a formula: one starting with `=`, `+`, `-`, `@`,
/// a tab, a carriage return or a line feed gets a leading `'` (OWASP, CSV injection).
/// The quote shows in the cell; the text after it is the page's, unchanged.
fn csv_cell(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

fn export_line(format: ExportFormat, doc: &DocumentRow) -> String {
    match format {
        ExportFormat::JsonLines => {
            let mut line = serde_json::to_string(doc).expect("documents serialise");
            line.push('\n');
            line
        }
        ExportFormat::Csv => {
            let status = doc.status_code.map(|s| s.to_string()).unwrap_or_default();
            let job = doc.job_id.map(|j| j.to_string()).unwrap_or_default();
            csv_line(&[
                &doc.id.to_string(),
                &job,
                &doc.url,
                doc.final_url.as_deref().unwrap_or(""),
                doc.title.as_deref().unwrap_or(""),
                doc.language.as_deref().unwrap_or(""),
                &status,
                &doc.fetched_at.to_rfc3339(),
                doc.markdown.as_deref().unwrap_or(""),
            ])
        }
    }
}

/// One rendered batch of an export, in chunks of about [`EXPORT_CHUNK`] bytes, and the id
/// the next batch starts after (none after the last).
type ExportBatch = (Vec<Bytes>, Option<Uuid>);

/// Bytes rendered into one buffer before it is handed to the socket. One buffer per
/// batch grew to megabytes, and an allocator hands such blocks back to the OS late:
/// batches that follow each other every few milliseconds then stacked up in RSS.
const EXPORT_CHUNK: usize = 64 * 1024;

enum ExportState {
    Ready(ExportBatch, DocumentQuery),
    Reading(
        tokio::task::JoinHandle<crate::store::StoreResult<ExportBatch>>,
        DocumentQuery,
    ),
    Done,
}

/// Reads the batch `q` names and renders its lines.
async fn export_batch(
    store: std::sync::Arc<dyn crate::store::Store>,
    q: DocumentQuery,
    format: ExportFormat,
) -> crate::store::StoreResult<ExportBatch> {
    let batch = store.query_documents(&q).await?;
    let next = if batch.len() == q.limit as usize {
        batch.last().map(|d| d.id)
    } else {
        None
    };
    let mut chunks = Vec::new();
    let mut chunk = String::with_capacity(EXPORT_CHUNK);
    for doc in &batch {
        chunk.push_str(&export_line(format, doc));
        if chunk.len() >= EXPORT_CHUNK / 2 {
            chunks.push(Bytes::from(std::mem::replace(
                &mut chunk,
                String::with_capacity(EXPORT_CHUNK),
            )));
        }
    }
    if !chunk.is_empty() {
        chunks.push(Bytes::from(chunk));
    }
    Ok((chunks, next))
}

/// Ends the body abruptly, so the client sees a failed transfer rather than a short file
/// that looks complete.
fn interrupted(e: &dyn std::fmt::Display) -> Box<dyn std::error::Error + Send + Sync> {
    tracing::warn!(error = %e, "document export stopped");
    "export interrupted".into()
}

/// Streams every matching document, a batch per round trip, so memory stays flat however
/// many there are, oldest first by id (with `q`, the matching ones).
#[utoipa::path(
    get,
    path = "/api/v1/documents/export",
    tag = "documents",
    params(Filters),
    responses(
        (status = 200, description = "Every matching page: one JSON document per line, or CSV \
            with a header row", content(
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )),
        ApiErrors
    )
)]
async fn export(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(filters): ApiQuery<Filters>,
) -> AppResult<Response> {
    caller.require(Scope::DocumentsRead)?;
    let format = match non_empty(&filters.format).unwrap_or("jsonl") {
        "jsonl" | "ndjson" => ExportFormat::JsonLines,
        "csv" => ExportFormat::Csv,
        _ => return Err(AppError::invalid("format", "must be `jsonl` or `csv`")),
    };
    if non_empty(&filters.cursor).is_some() || filters.limit.is_some() {
        return Err(AppError::invalid(
            "cursor",
            "an export has no pages: drop `cursor` and `limit`",
        ));
    }
    let mut q = filters.query(caller.team_id)?;
    q.full = true;
    q.limit = EXPORT_BATCH;
    // By key in id order, with or without `q`: an export has no ranking to keep.
    q.page = Page::After(Uuid::nil());
    // The first batch is read before answering, so a failing query is a proper error
    // rather than a truncated 200. Each next batch is read and rendered by its own task
    // while the previous one is sent: the database, the encoder and the socket work at
    // the same time, with at most two batches in memory.
    let store = state.store.clone();
    let first = export_batch(store.clone(), q.clone(), format).await?;
    let header_line = (format == ExportFormat::Csv).then(|| csv_line(&CSV_COLUMNS));
    let state0 = ExportState::Ready(first, q);
    let batches = stream::unfold(state0, move |st| {
        let store = store.clone();
        async move {
            let (batch, q) = match st {
                ExportState::Done => return None,
                ExportState::Ready(batch, q) => (batch, q),
                ExportState::Reading(task, q) => match task.await {
                    Ok(Ok(batch)) => (batch, q),
                    Ok(Err(e)) => return Some((Err(interrupted(&e)), ExportState::Done)),
                    Err(e) => return Some((Err(interrupted(&e)), ExportState::Done)),
                },
            };
            let (chunks, next) = batch;
            let st = match next {
                Some(after) => {
                    let mut q = q;
                    q.page = Page::After(after);
                    let task = tokio::spawn(export_batch(store, q.clone(), format));
                    ExportState::Reading(task, q)
                }
                None => ExportState::Done,
            };
            Some((Ok(chunks), st))
        }
    })
    .flat_map(|batch| {
        let items: Vec<Result<Bytes, _>> = match batch {
            Ok(chunks) => chunks.into_iter().map(Ok).collect(),
            Err(e) => vec![Err(e)],
        };
        stream::iter(items)
    });
    let body = stream::iter(header_line.map(|h| Ok(Bytes::from(h)))).chain(batches);
    let (content_type, ext) = match format {
        ExportFormat::JsonLines => ("application/x-ndjson", "jsonl"),
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"documents.{ext}\""),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// URLs from a text list (one per line) or a CSV file (every cell that looks like an
/// http(s) URL). Blank lines and `#` comments are skipped; duplicates dropped.
fn urls_from_upload(body: &str, csv_like: bool) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut push = |cell: &str| {
        let cell = cell.trim().trim_matches('"').trim();
        let looks_like_url = cell.starts_with("http://") || cell.starts_with("https://");
        if looks_like_url && seen.insert(cell.to_owned()) {
            out.push(cell.to_owned());
        }
    };
    if csv_like {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(body.as_bytes());
        for record in reader.records().flatten() {
            record.iter().for_each(&mut push);
        }
    } else {
        body.lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .for_each(&mut push);
    }
    out
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ImportParams {
    /// Comma-separated formats for every page (default `markdown`).
    formats: Option<String>,
}

/// What an import queued.
#[derive(Serialize, ToSchema)]
struct ImportView {
    job_id: Uuid,
    /// URLs queued.
    urls: usize,
    /// URLs skipped as invalid.
    invalid_urls: Vec<String>,
    status_url: String,
    documents_url: String,
}

/// `POST /api/v1/documents/import`: a `text/plain` or `text/csv` list of URLs becomes one
/// batch job; its pages arrive as documents of that job.
#[utoipa::path(
    post,
    path = "/api/v1/documents/import",
    tag = "documents",
    params(ImportParams, ("Idempotency-Key" = Option<String>, Header,
        description = "Queues the batch at most once: a retry with the key gets the first answer (24 h)")),
    request_body(
        description = "URLs, one per line (`#` comments allowed), or CSV cells that are URLs",
        content((String = "text/plain"), (String = "text/csv"))
    ),
    responses((status = 202, description = "A batch job is queued", body = ImportView), ApiErrors)
)]
async fn import(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ImportParams>,
    headers: HeaderMap,
    body: Body,
) -> AppResult<(StatusCode, Json<Value>)> {
    caller.require(Scope::Scrape)?;
    let key = IdempotencyKey::from_headers(&headers)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let csv_like = if content_type.starts_with("text/csv") {
        true
    } else if content_type.starts_with("text/plain") {
        false
    } else {
        return Err(AppError::UnsupportedMediaType(
            "send the URL list as text/plain (one per line) or text/csv".into(),
        ));
    };
    let bytes = axum::body::to_bytes(body, IMPORT_MAX_BYTES)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    let text =
        std::str::from_utf8(&bytes).map_err(|_| AppError::invalid("body", "must be UTF-8 text"))?;
    let urls = urls_from_upload(text, csv_like);
    if urls.is_empty() {
        return Err(AppError::invalid("body", "holds no http(s) URL"));
    }
    if urls.len() > MAX_BATCH_URLS {
        return Err(AppError::invalid(
            "body",
            format!("holds {} URLs; at most {MAX_BATCH_URLS}", urls.len()),
        ));
    }
    let formats: Vec<&str> = non_empty(&params.formats)
        .unwrap_or("markdown")
        .split(',')
        .map(str::trim)
        .collect();
    let payload = json!({ "urls": urls, "formats": formats, "ignoreInvalidURLs": true });
    let req = BatchRequest::from_json(&payload).map_err(|e| AppError::Validation(vec![e]))?;
    let (_, invalid) = req
        .validate(&state.config.crawl)
        .map_err(AppError::Validation)?;
    let job = NewJob::new(caller.team_id, BATCH_KIND, payload);
    let id = job.id;
    let response = serde_json::to_value(ImportView {
        job_id: id,
        urls: urls.len() - invalid.len(),
        invalid_urls: invalid,
        status_url: format!("{}/api/v1/jobs/{id}", state.public_base),
        documents_url: format!("{}/api/v1/documents?job_id={id}", state.public_base),
    })
    .map_err(anyhow::Error::new)?;
    // The same list as CSV or as text is a different request.
    let request = [content_type.as_bytes(), b"\0", &bytes].concat();
    let answer = enqueue_once(
        &state,
        key.as_ref(),
        "/api/v1/documents/import",
        &request,
        job,
        response,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_that_a_spreadsheet_would_evaluate_get_a_leading_quote() {
        for risky in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\n=1"] {
            assert_eq!(csv_cell(risky), format!("'{risky}"));
        }
        for plain in ["", "title", " =1", "a=b", "'quoted", "1-2"] {
            assert_eq!(csv_cell(plain), plain);
        }
        assert_eq!(
            csv_line(&["=HYPERLINK(\"http://x\")", "ok"]),
            "\"'=HYPERLINK(\"\"http://x\"\")\",ok\n"
        );
    }

    #[test]
    fn an_upload_yields_each_http_url_once_from_text_or_csv() {
        let text =
            "# seeds\nhttps://a.test/1\n\nftp://x.test/\nhttps://a.test/1\n http://b.test/ \n";
        assert_eq!(
            urls_from_upload(text, false),
            vec!["https://a.test/1", "http://b.test/"]
        );
        let csv = "name,url\nA,https://a.test/1\n\"B, Inc\",\"https://b.test/x?a=1,2\"\n";
        assert_eq!(
            urls_from_upload(csv, true),
            vec!["https://a.test/1", "https://b.test/x?a=1,2"]
        );
    }

    #[test]
    fn search_and_listing_cursors_do_not_mix() {
        assert_eq!(parse_cursor("o40", true), Some(Page::Offset(40)));
        assert_eq!(parse_cursor("o40", false), None);
        let id = Uuid::now_v7();
        assert_eq!(parse_cursor(&id.to_string(), false), Some(Page::Before(id)));
        assert_eq!(parse_cursor(&id.to_string(), true), None);
    }

    #[test]
    fn a_date_only_upper_bound_covers_that_whole_day() {
        let to = parse_time("to", "2026-03-01", true).unwrap();
        assert_eq!(to.to_rfc3339(), "2026-03-02T00:00:00+00:00");
        assert!(parse_time("from", "March 1st", false).is_err());
    }
}
