//! `/api/v1/jobs`: a team's own jobs. Operators enqueue, cancel and retry; viewers list and
//! read them and their pages. Another team's job answers 404.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{ApiJson, ApiQuery};
use super::idempotency::{enqueue_once, IdempotencyKey};
use super::openapi::{ApiErrors, CursorPage};
use super::AppState;
use crate::auth::{audit, Caller, Scope};
use crate::config::Config;
use crate::crawl::map::MapRequest;
use crate::crawl::options::{from_json, parse_http_url, BatchRequest, CrawlRequest};
use crate::error::{validate_off_runtime, AppError, AppResult, FieldError};
use crate::request_fields::{self, Body};
use crate::scrape::options::ScrapeOptions;
use crate::store::documents::{DocumentQuery, DocumentRow, Page};
use crate::store::jobs::{Enqueued, Job, JobFilter, JobLookup, JobState, NewJob};
use crate::webhook::{Event, WebhookSpec};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show))
        .routes(routes!(cancel))
        .routes(routes!(retry))
        .routes(routes!(pages))
}

const JOB_ID: &str = "The job's id";

/// The job if it belongs to the caller's team.
async fn team_job(state: &AppState, caller: &Caller, id: &str) -> AppResult<Job> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound("job"))?;
    match state.jobs.get(id).await? {
        JobLookup::Found(job) if job.team_id == Some(caller.team_id) => Ok(*job),
        JobLookup::Expired => Err(AppError::JobExpired),
        _ => Err(AppError::NotFound("job")),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewJobBody {
    /// `scrape`, `crawl`, `batch` or `map`.
    kind: String,
    /// The kind's options: for `scrape`, `crawl` and `batch` the body of `POST
    /// /v2/scrape`, `/v2/crawl` and `/v2/batch/scrape`, checked by the same rules.
    #[serde(default)]
    #[schema(value_type = Object)]
    payload: Value,
    /// A URL or `{url, headers, metadata, events}`, for the kinds that report events.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    webhook: Option<Value>,
}

/// Kinds whose handlers send `started`, `page`, `completed` and `failed` events.
const KINDS_WITH_WEBHOOKS: &[&str] = &[
    crate::scrape::job::KIND,
    crate::crawl::KIND,
    crate::crawl::BATCH_KIND,
];

/// The kinds the API may enqueue, with the scope each needs besides `jobs:write`: a job
/// does what its `/v2` endpoint does, so it needs what that endpoint needs (a key limited
/// to `map` cannot crawl through this door either). Every other registered kind
/// (webhook deliveries, schedule ticks, maintenance) is internal: enqueued by Trawl
/// itself and never addressable from a request, whatever the caller's role.
const USER_KINDS: [(&str, Scope); 4] = [
    (crate::scrape::job::KIND, Scope::Scrape),
    (crate::crawl::BATCH_KIND, Scope::Scrape),
    (crate::crawl::KIND, Scope::Crawl),
    (crate::crawl::map::KIND, Scope::Map),
];

fn user_kind_scope(kind: &str) -> AppResult<Scope> {
    USER_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, scope)| *scope)
        .ok_or_else(|| AppError::invalid("kind", "must be one of scrape, crawl, batch, map"))
}

/// Queues a job for the caller's team (operators).
#[utoipa::path(
    post,
    path = "/api/v1/jobs",
    tag = "jobs",
    params(("Idempotency-Key" = Option<String>, Header,
        description = "Creates the job at most once: a retry with the key gets the first answer (24 h); `x-idempotency-key` is read too")),
    request_body = NewJobBody,
    responses((status = 201, description = "Queued", body = Enqueued), ApiErrors)
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewJobBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    caller.require(Scope::JobsWrite)?;
    let key = IdempotencyKey::from_headers(&headers)?;
    caller.require(user_kind_scope(&body.kind)?)?;
    validate_payload(&state, &body.kind, &body.payload).await?;
    let mut payload = body.payload;
    if let Some(hook) = body.webhook.filter(|w| !w.is_null()) {
        if !KINDS_WITH_WEBHOOKS.contains(&body.kind.as_str()) {
            return Err(AppError::invalid(
                "webhook",
                format!("jobs of kind {} send no webhooks", body.kind),
            ));
        }
        WebhookSpec::parse_checked(
            "webhook",
            Some(&hook),
            Event::JOB,
            state.scraper.fetcher().guard(),
        )
        .map_err(AppError::Validation)?;
        let Some(obj) = payload.as_object_mut() else {
            return Err(AppError::invalid(
                "payload",
                "must be an object to carry a webhook",
            ));
        };
        obj.insert("webhook".into(), hook);
    }
    let request = serde_json::json!({ "kind": &body.kind, "payload": &payload }).to_string();
    let job = NewJob::new(caller.team_id, body.kind, payload);
    let response = serde_json::to_value(Enqueued {
        id: job.id,
        created: true,
    })
    .map_err(anyhow::Error::new)?;
    let answer = enqueue_once(
        &state,
        key.as_ref(),
        "/api/v1/jobs",
        request.as_bytes(),
        job,
        response,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// One of the team's jobs.
#[utoipa::path(
    get,
    path = "/api/v1/jobs/{id}",
    tag = "jobs",
    params(("id" = Uuid, Path, description = JOB_ID)),
    responses((status = 200, description = "The job", body = Job), ApiErrors)
)]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Job>> {
    caller.require(Scope::JobsRead)?;
    Ok(Json(team_job(&state, &caller, &id).await?))
}

/// Cancels a job (operators); a running one stops at its next check.
#[utoipa::path(
    post,
    path = "/api/v1/jobs/{id}/cancel",
    tag = "jobs",
    params(("id" = Uuid, Path, description = JOB_ID)),
    responses((status = 200, description = "The job", body = Job), ApiErrors)
)]
async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Job>> {
    caller.require(Scope::JobsWrite)?;
    let job = team_job(&state, &caller, &id).await?;
    let job = state.jobs.cancel(job.id).await?;
    let mut e = audit::by(audit::event(audit::JOB_CANCELLED, &caller.meta), &caller);
    e.target = Some(format!("job:{}", job.id));
    audit::record(state.store.as_ref(), e).await;
    Ok(Json(job))
}

/// Checks a scraping job's payload with the same rules as the endpoints that take the
/// same options, so a bad request fails now rather than when a worker runs it. Field
/// names are prefixed with `payload.`.
async fn validate_payload(state: &AppState, kind: &str, payload: &Value) -> AppResult<()> {
    let (kind, payload, config) = (kind.to_string(), payload.clone(), state.config.clone());
    validate_off_runtime(move || {
        let errors = payload_errors(&config, &kind, &payload);
        if errors.is_empty() {
            return Ok(());
        }
        Err(errors
            .into_iter()
            .map(|e| FieldError::new(format!("payload.{}", e.field), e.rule))
            .collect())
    })
    .await
}

fn payload_errors(config: &Config, kind: &str, payload: &Value) -> Vec<FieldError> {
    match kind {
        crate::scrape::job::KIND => {
            let url = payload.get("url").and_then(Value::as_str).unwrap_or("");
            let mut errors = request_fields::check(Body::StoredScrape, payload);
            errors.extend(parse_http_url("url", url).err());
            match from_json::<ScrapeOptions>(payload) {
                Ok(options) => errors.extend(options.validate("").err().unwrap_or_default()),
                Err(e) => errors.push(e),
            }
            errors
        }
        crate::crawl::KIND => first_fields(Body::Crawl, payload, || {
            match from_json::<CrawlRequest>(payload) {
                Ok(req) => req.validate(&config.crawl).err().unwrap_or_default(),
                Err(e) => vec![e],
            }
        }),
        crate::crawl::BATCH_KIND => first_fields(Body::Batch, payload, || {
            match BatchRequest::from_json(payload) {
                Ok(req) => req.validate(&config.crawl).err().unwrap_or_default(),
                Err(e) => vec![e],
            }
        }),
        crate::crawl::map::KIND => {
            first_fields(Body::Map, payload, || {
                match MapRequest::from_json(payload) {
                    Ok(req) => req.validate().err().unwrap_or_default(),
                    Err(e) => vec![e],
                }
            })
        }
        _ => Vec::new(),
    }
}

/// The body's field errors ([`request_fields`]) if any, else what `validate` finds.
fn first_fields(
    body: Body,
    payload: &Value,
    validate: impl FnOnce() -> Vec<FieldError>,
) -> Vec<FieldError> {
    let errors = request_fields::check(body, payload);
    if errors.is_empty() {
        validate()
    } else {
        errors
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// A job kind, e.g. `scrape`, `crawl`.
    kind: Option<String>,
    #[param(value_type = Option<JobState>)]
    state: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(format = Uuid)]
    cursor: Option<String>,
    /// 1 to 200; default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

/// The team's jobs, newest first, a page at a time (`next_cursor` while more remain).
#[utoipa::path(
    get,
    path = "/api/v1/jobs",
    tag = "jobs",
    params(ListQuery),
    responses((status = 200, description = "Jobs", body = CursorPage<Job>), ApiErrors)
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<CursorPage<Job>>> {
    caller.require(Scope::JobsRead)?;
    let mut errors = Vec::new();
    let job_state = match q.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => s
            .parse::<JobState>()
            .map_err(|rule| errors.push(FieldError::new("state", rule)))
            .ok(),
        None => None,
    };
    let cursor = match q.cursor.as_deref().filter(|s| !s.is_empty()) {
        Some(c) => Uuid::parse_str(c)
            .map_err(|_| errors.push(FieldError::new("cursor", "must be a `next_cursor` value")))
            .ok(),
        None => None,
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        errors.push(FieldError::new("limit", "must be between 1 and 200"));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let jobs = state
        .store
        .list_jobs(&JobFilter {
            state: job_state,
            kind: q.kind.filter(|k| !k.is_empty()),
            team_id: Some(caller.team_id),
            cursor,
            limit,
        })
        .await?;
    let next_cursor = (jobs.len() == limit as usize)
        .then(|| jobs.last().map(|j| j.id.to_string()))
        .flatten();
    Ok(Json(CursorPage {
        data: jobs,
        next_cursor,
    }))
}

/// A discarded or cancelled job back to the queue with a fresh set of attempts.
#[utoipa::path(
    post,
    path = "/api/v1/jobs/{id}/retry",
    tag = "jobs",
    params(("id" = Uuid, Path, description = JOB_ID)),
    responses((status = 200, description = "The job", body = Job), ApiErrors)
)]
async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Job>> {
    caller.require(Scope::JobsWrite)?;
    let job = team_job(&state, &caller, &id).await?;
    Ok(Json(state.jobs.retry(job.id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct PagesQuery {
    /// `next_cursor` of the previous page.
    #[param(format = Uuid)]
    cursor: Option<String>,
    /// 1 to 100; default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// The documents a job stored (a crawl's or batch's pages), oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/jobs/{id}/pages",
    tag = "jobs",
    params(("id" = Uuid, Path, description = JOB_ID), PagesQuery),
    responses((status = 200, description = "Pages", body = CursorPage<DocumentRow>), ApiErrors)
)]
async fn pages(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PagesQuery>,
) -> AppResult<Json<CursorPage<DocumentRow>>> {
    caller.require(Scope::DocumentsRead)?;
    let job = team_job(&state, &caller, &id).await?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 100"));
    }
    let after = match q.cursor.as_deref().filter(|s| !s.is_empty()) {
        Some(c) => Uuid::parse_str(c)
            .map_err(|_| AppError::invalid("cursor", "must be a `next_cursor` value"))?,
        None => Uuid::nil(),
    };
    let docs = state
        .store
        .query_documents(&DocumentQuery {
            team_id: caller.team_id,
            job_id: Some(job.id),
            page: Page::After(after),
            limit,
            full: true,
            ..DocumentQuery::default()
        })
        .await?;
    let next_cursor = (docs.len() == limit as usize)
        .then(|| docs.last().map(|d| d.id.to_string()))
        .flatten();
    Ok(Json(CursorPage {
        data: docs,
        next_cursor,
    }))
}
