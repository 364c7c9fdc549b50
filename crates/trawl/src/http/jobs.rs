//! `/api/v1/jobs`: a team's own jobs. Operators enqueue and cancel; viewers read.
//! Another team's job answers 404.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::AppState;
use crate::auth::{audit, Caller, Role, Scope};
use crate::error::{AppError, AppResult};
use crate::store::jobs::{Job, JobLookup, NewJob};
use crate::webhook::{Event, WebhookSpec};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/jobs", post(create))
        .route("/api/v1/jobs/{id}", get(show))
        .route("/api/v1/jobs/{id}/cancel", post(cancel))
}

/// The job if it belongs to the caller's team.
async fn team_job(state: &AppState, caller: &Caller, id: &str) -> AppResult<Job> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound("job"))?;
    match state.jobs.get(id).await? {
        JobLookup::Found(job) if job.team_id == Some(caller.team_id) => Ok(*job),
        JobLookup::Expired => Err(AppError::JobExpired),
        _ => Err(AppError::NotFound("job")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewJobBody {
    kind: String,
    #[serde(default)]
    payload: Value,
    /// A URL or `{url, headers, metadata, events}`, for the kinds that report events.
    #[serde(default)]
    webhook: Option<Value>,
}

/// Kinds whose handlers send `started`, `page`, `completed` and `failed` events.
const KINDS_WITH_WEBHOOKS: &[&str] = &[
    crate::scrape::job::KIND,
    crate::crawl::KIND,
    crate::crawl::BATCH_KIND,
];

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewJobBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    caller.require_role(Role::Operator)?;
    caller.require_scope(Scope::JobsWrite)?;
    if state.jobs.registry.handler(&body.kind).is_none() {
        return Err(AppError::invalid("kind", "no such job kind"));
    }
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
    let job = NewJob::new(caller.team_id, body.kind, payload);
    let done = state.jobs.enqueue(vec![job]).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!(done[0]))))
}

async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Job>> {
    caller.require_scope(Scope::JobsRead)?;
    Ok(Json(team_job(&state, &caller, &id).await?))
}

async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Job>> {
    let job = team_job(&state, &caller, &id).await?;
    caller.require_role(Role::Operator)?;
    caller.require_scope(Scope::JobsWrite)?;
    let job = state.jobs.cancel(job.id).await?;
    let mut e = audit::by(audit::event(audit::JOB_CANCELLED, &caller.meta), &caller);
    e.target = Some(format!("job:{}", job.id));
    audit::record(state.store.as_ref(), e).await;
    Ok(Json(job))
}
