//! Crawls and batch scrapes: start, status with paginated results, cancel, errors, and
//! the active list. Both are jobs; their pages are the job's stored documents.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use chrono::{Duration as ChronoDuration, SecondsFormat};
use serde_json::{json, Value};

use super::schemas::{
    ActiveCrawls, BatchScrapeRequest, BatchStarted, Cancelled, CrawlRequest as CrawlRequestDoc,
    JobErrors, JobStarted, JobStatus,
};
use super::scrape::checked_fields;
use super::{team_job, V2Json};
use crate::auth::{Caller, Scope};
use crate::crawl::options::{from_json, BatchRequest};
use crate::crawl::{CrawlProgress, CrawlRequest, BATCH_KIND, KIND as CRAWL_KIND};
use crate::error::{validate_off_runtime, AppError, AppResult};
use crate::http::extract::ApiQuery;
use crate::http::idempotency::{enqueue_once, IdempotencyKey};
use crate::http::openapi::V2Errors;
use crate::http::AppState;
use crate::request_fields::Body;
use crate::scrape::{PageDocument, ScrapeOptions};
use crate::store::crawl::CrawlCounts;
use crate::store::jobs::{Job, JobFilter, JobState, NewJob};
use crate::webhook::{Event, WebhookSpec};

/// Documents per status page at most, and the byte budget of one page (at least one
/// document is always returned).
const PAGE_DOCS: u32 = 100;
const PAGE_BYTES: usize = 10 * 1024 * 1024;

/// Starts a crawl as a background job.
#[utoipa::path(
    post,
    path = "/v2/crawl",
    tag = "v2",
    params(("Idempotency-Key" = Option<String>, Header,
        description = "Creates the job at most once: a retry with the key gets the first answer (24 h); `x-idempotency-key` is read too")),
    request_body = CrawlRequestDoc,
    responses((status = 200, description = "Started", body = JobStarted), V2Errors)
)]
pub async fn start_crawl(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    V2Json(body): V2Json<Value>,
) -> AppResult<Json<Value>> {
    caller.require(Scope::Crawl)?;
    checked_fields(Body::Crawl, &body)?;
    let req: CrawlRequest = from_json(&body).map_err(|e| AppError::Validation(vec![e]))?;
    let key = IdempotencyKey::from_headers(&headers)?;
    let (checked, config) = (req.clone(), state.config.clone());
    validate_off_runtime(move || checked.validate(&config.crawl)).await?;
    check_webhook(&state, req.webhook.as_ref())?;
    let payload = serde_json::to_value(&req).map_err(anyhow::Error::new)?;
    let request = payload.to_string();
    let job = NewJob::new(caller.team_id, CRAWL_KIND, payload);
    let id = job.id;
    let response = json!({
        "success": true,
        "id": id,
        "url": format!("{}/v2/crawl/{id}", state.public_base),
    });
    let answer = enqueue_once(
        &state,
        key.as_ref(),
        "/v2/crawl",
        request.as_bytes(),
        job,
        response,
    )
    .await?;
    Ok(Json(answer))
}

/// Scrapes many URLs as one background job.
#[utoipa::path(
    post,
    path = "/v2/batch/scrape",
    tag = "v2",
    params(("Idempotency-Key" = Option<String>, Header,
        description = "Creates the job at most once: a retry with the key gets the first answer (24 h); `x-idempotency-key` is read too")),
        request_body = BatchScrapeRequest,
    responses((status = 200, description = "Started", body = BatchStarted), V2Errors)
)]
pub async fn start_batch(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    V2Json(payload): V2Json<Value>,
) -> AppResult<Json<Value>> {
    caller.require(Scope::Scrape)?;
    checked_fields(Body::Batch, &payload)?;
    let key = IdempotencyKey::from_headers(&headers)?;
    let req = BatchRequest::from_json(&payload).map_err(|e| AppError::Validation(vec![e]))?;
    let (checked, config) = (req.clone(), state.config.clone());
    let (_, invalid) = validate_off_runtime(move || checked.validate(&config.crawl)).await?;
    check_webhook(&state, req.webhook.as_ref())?;
    let request = payload.to_string();
    let job = NewJob::new(caller.team_id, BATCH_KIND, payload);
    let id = job.id;
    let response = json!({
        "success": true,
        "id": id,
        "url": format!("{}/v2/batch/scrape/{id}", state.public_base),
        "invalidURLs": invalid,
    });
    let answer = enqueue_once(
        &state,
        key.as_ref(),
        "/v2/batch/scrape",
        request.as_bytes(),
        job,
        response,
    )
    .await?;
    Ok(Json(answer))
}

/// Validates `webhook` now, so a bad or private target is refused with the request
/// rather than discarded at delivery; the handler reads it from the stored payload.
fn check_webhook(state: &AppState, webhook: Option<&Value>) -> AppResult<()> {
    WebhookSpec::parse_checked(
        "webhook",
        webhook,
        Event::JOB,
        state.scraper.fetcher().guard(),
    )
    .map(|_| ())
    .map_err(AppError::Validation)
}

/// Firecrawl's status word: queued work reports "scraping", which the SDKs expect.
pub(crate) fn status_word(state: JobState) -> &'static str {
    match state {
        JobState::Queued | JobState::Running | JobState::Failed => "scraping",
        JobState::Succeeded => "completed",
        JobState::Discarded => "failed",
        JobState::Cancelled => "cancelled",
    }
}

fn parse_page(q: &HashMap<String, String>) -> AppResult<(u64, u32)> {
    let skip = match q.get("skip") {
        None => 0,
        Some(s) => s
            .parse::<u64>()
            .map_err(|_| AppError::invalid("skip", "must be a non-negative integer"))?,
    };
    let limit = match q.get("limit") {
        None => PAGE_DOCS,
        Some(s) => match s.parse::<u32>() {
            Ok(n) if (1..=PAGE_DOCS).contains(&n) => n,
            _ => {
                return Err(AppError::invalid(
                    "limit",
                    format!("must be between 1 and {PAGE_DOCS}"),
                ))
            }
        },
    };
    Ok((skip, limit))
}

/// The formats the job asked for, to trim stored documents to them. Only the scrape
/// options are read back: the whole request was checked when the job was created, and
/// re-validating it on every poll compiled its path regexes each time.
pub(crate) fn job_plan(job: &Job) -> crate::scrape::ScrapePlan {
    // A scrape's and a batch's options sit at the top of the payload, a crawl's under
    // `scrapeOptions`.
    let options = if job.kind == BATCH_KIND || job.kind == crate::scrape::job::KIND {
        from_json::<ScrapeOptions>(&job.payload).ok()
    } else {
        job.payload
            .get("scrapeOptions")
            .and_then(|o| from_json::<ScrapeOptions>(o).ok())
    };
    options
        .and_then(|o| o.validate("").ok())
        .unwrap_or_default()
}

/// A crawl's counts and stored documents: from the result a finished crawl recorded
/// (they no longer change), else counted now.
async fn progress(state: &AppState, job: &Job) -> AppResult<(CrawlCounts, u64)> {
    if job.state == JobState::Succeeded {
        if let Some(done) = job.result.as_ref().and_then(CrawlProgress::from_result) {
            return Ok((done.counts, done.documents));
        }
    }
    let counts = state.store.crawl_counts(job.id).await?;
    let stored = state.store.job_document_count(job.id).await?;
    Ok((counts, stored))
}

async fn status(
    state: &AppState,
    caller: &Caller,
    id: &str,
    kind: &str,
    q: &HashMap<String, String>,
) -> AppResult<Json<Value>> {
    caller.require(Scope::JobsRead)?;
    let (skip, limit) = parse_page(q)?;
    let job = team_job(state, caller, id, kind).await?;
    status_page(state, &job, skip, limit).await.map(Json)
}

/// A job's status body with the page of its documents from `skip`: what the status
/// endpoint answers and what the watcher stream sends.
pub(crate) async fn status_page(
    state: &AppState,
    job: &Job,
    skip: u64,
    limit: u32,
) -> AppResult<Value> {
    let kind = job.kind.as_str();
    let (counts, stored) = progress(state, job).await?;
    let plan = job_plan(job);
    let docs = state.store.job_documents(job.id, skip, limit).await?;
    let mut data = Vec::with_capacity(docs.len());
    let mut bytes = 0;
    for d in docs {
        let id = d.id;
        let value = PageDocument::from_stored(d)
            .for_formats(&plan)
            .to_response(id);
        bytes += value.to_string().len();
        if bytes > PAGE_BYTES && !data.is_empty() {
            break;
        }
        data.push(value);
    }
    let returned = data.len() as u64;
    // Only documents that already exist are promised: a client paging a live crawl
    // stops at the end of what is finished and polls again.
    let next = (skip + returned < stored).then(|| {
        let path = if kind == BATCH_KIND {
            "batch/scrape"
        } else {
            "crawl"
        };
        format!(
            "{}/v2/{path}/{}?skip={}&limit={limit}",
            state.public_base,
            job.id,
            skip + returned
        )
    });
    let expires = job
        .expires_at
        .unwrap_or_else(|| job.created_at + ChronoDuration::hours(24));
    let total = counts.total().max(counts.done);
    Ok(json!({
        "success": true,
        "status": status_word(job.state),
        "completed": counts.done,
        "total": total,
        "creditsUsed": counts.done,
        "expiresAt": expires.to_rfc3339_opts(SecondsFormat::Millis, true),
        "next": next,
        "data": data,
    }))
}

async fn cancel(state: &AppState, caller: &Caller, id: &str, kind: &str) -> AppResult<Json<Value>> {
    caller.require(Scope::JobsWrite)?;
    let job = team_job(state, caller, id, kind).await?;
    if job.state == JobState::Cancelled {
        return Ok(Json(json!({"success": true, "status": "cancelled"})));
    }
    state.jobs.cancel(job.id).await?;
    Ok(Json(json!({"success": true, "status": "cancelled"})))
}

async fn errors(state: &AppState, caller: &Caller, id: &str, kind: &str) -> AppResult<Json<Value>> {
    caller.require(Scope::JobsRead)?;
    let job = team_job(state, caller, id, kind).await?;
    let failures = state.store.crawl_failures(job.id, 10_000).await?;
    let mut errors = Vec::new();
    let mut blocked = Vec::new();
    for f in failures {
        match f.state {
            crate::store::crawl::UrlState::Blocked => blocked.push(Value::from(f.url)),
            _ => errors.push(json!({
                "id": job.id,
                "timestamp": f.at.to_rfc3339_opts(SecondsFormat::Millis, true),
                "url": f.url,
                "code": f.error_code,
                "error": f.error.unwrap_or_else(|| "failed".into()),
            })),
        }
    }
    if job.state == JobState::Discarded {
        if let Some(e) = &job.last_error {
            errors.push(json!({
                "id": job.id,
                "url": job.payload.get("url").and_then(Value::as_str).unwrap_or_default(),
                "error": e,
            }));
        }
    }
    Ok(Json(json!({"errors": errors, "robotsBlocked": blocked})))
}

/// Paging through a job's documents.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documentation: the handlers read the query as a map"
)]
struct StatusPage {
    /// Documents to skip (the `next` URL carries it).
    skip: Option<u64>,
    /// 1 to 100; default 100.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

const JOB_ID: &str = "The job's id";

/// A crawl's progress and a page of its documents.
#[utoipa::path(
    get,
    path = "/v2/crawl/{id}",
    tag = "v2",
    params(("id" = Uuid, Path, description = JOB_ID), StatusPage),
    responses((status = 200, description = "Status", body = JobStatus), V2Errors)
)]
pub async fn crawl_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<HashMap<String, String>>,
) -> AppResult<Json<Value>> {
    status(&state, &caller, &id, CRAWL_KIND, &q).await
}

/// A batch's progress and a page of its documents.
#[utoipa::path(
    get,
    path = "/v2/batch/scrape/{id}",
    tag = "v2",
    params(("id" = Uuid, Path, description = JOB_ID), StatusPage),
    responses((status = 200, description = "Status", body = JobStatus), V2Errors)
)]
pub async fn batch_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<HashMap<String, String>>,
) -> AppResult<Json<Value>> {
    status(&state, &caller, &id, BATCH_KIND, &q).await
}

/// Cancels a crawl.
#[utoipa::path(
    delete,
    path = "/v2/crawl/{id}",
    tag = "v2",
    params(("id" = Uuid, Path, description = JOB_ID)),
    responses((status = 200, description = "Cancelled", body = Cancelled), V2Errors)
)]
pub async fn cancel_crawl(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    cancel(&state, &caller, &id, CRAWL_KIND).await
}

/// Cancels a batch.
#[utoipa::path(
    delete,
    path = "/v2/batch/scrape/{id}",
    tag = "v2",
    params(("id" = Uuid, Path, description = JOB_ID)),
    responses((status = 200, description = "Cancelled", body = Cancelled), V2Errors)
)]
pub async fn cancel_batch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    cancel(&state, &caller, &id, BATCH_KIND).await
}

/// A crawl's failed URLs and those robots.txt refused.
#[utoipa::path(
    get,
    path = "/v2/crawl/{id}/errors",
    tag = "v2",
    params(("id" = Uuid, Path, description = JOB_ID)),
    responses((status = 200, description = "Errors", body = JobErrors), V2Errors)
)]
pub async fn crawl_errors(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    errors(&state, &caller, &id, CRAWL_KIND).await
}

/// A batch's failed URLs and those robots.txt refused.
#[utoipa::path(
    get,
    path = "/v2/batch/scrape/{id}/errors",
    tag = "v2",
    params(("id" = Uuid, Path, description = JOB_ID)),
    responses((status = 200, description = "Errors", body = JobErrors), V2Errors)
)]
pub async fn batch_errors(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    errors(&state, &caller, &id, BATCH_KIND).await
}

/// The team's crawls that are queued or running.
#[utoipa::path(
    get,
    path = "/v2/crawl/active",
    tag = "v2",
    responses((status = 200, description = "Active crawls", body = ActiveCrawls), V2Errors)
)]
pub async fn active_crawls(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Value>> {
    caller.require(Scope::JobsRead)?;
    let mut crawls = Vec::new();
    for s in [JobState::Running, JobState::Queued, JobState::Failed] {
        let jobs = state
            .store
            .list_jobs(&JobFilter {
                state: Some(s),
                kind: Some(CRAWL_KIND.into()),
                team_id: Some(caller.team_id),
                cursor: None,
                limit: 1000,
            })
            .await?;
        crawls.extend(jobs.into_iter().map(|j| {
            json!({
                "id": j.id,
                "teamId": caller.team_id,
                "url": j.payload.get("url").and_then(Value::as_str).unwrap_or_default(),
                "options": crate::jobs::redact::redact_headers(&j.payload),
            })
        }));
    }
    Ok(Json(json!({"success": true, "crawls": crawls})))
}
