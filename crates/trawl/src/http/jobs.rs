//! `/api/v1/jobs`: a team's own jobs. Operators enqueue and cancel; viewers read.
//! Another team's job answers 404.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::extract::ApiJson;
use super::AppState;
use crate::auth::{audit, Caller, Role, Scope};
use crate::error::{AppError, AppResult};
use crate::store::jobs::{Job, JobLookup, NewJob};

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
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewJobBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    caller.require_role(Role::Operator)?;
    caller.require_scope(Scope::JobsWrite)?;
    if state.jobs.registry.handler(&body.kind).is_none() {
        return Err(AppError::invalid("kind", "no such job kind"));
    }
    let job = NewJob::new(caller.team_id, body.kind, body.payload);
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
