//! The admin API for the job queue: list and inspect jobs of every team, retry discarded
//! ones, cancel, list live workers. Instance admins only (401 without a credential, 403
//! with one that is not an instance admin's).

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::AppState;
use crate::auth::{audit, Caller};
use crate::error::{AppError, AppResult};
use crate::http::extract::ApiQuery;
use crate::jobs::metrics::alive_window;
use crate::store::jobs::{Job, JobFilter, JobLookup, JobState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/jobs", get(list_jobs))
        .route("/api/v1/admin/jobs/{id}", get(get_job))
        .route("/api/v1/admin/jobs/{id}/retry", post(retry_job))
        .route("/api/v1/admin/jobs/{id}/cancel", post(cancel_job))
        .route("/api/v1/admin/workers", get(list_workers))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    state: Option<String>,
    kind: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
}

async fn list_jobs(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<Value>> {
    caller.require_instance_admin()?;
    let job_state = match q.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            s.parse::<JobState>()
                .map_err(|r| AppError::invalid("state", r))?,
        ),
        None => None,
    };
    let cursor = match q.cursor.as_deref().filter(|s| !s.is_empty()) {
        Some(c) => {
            Some(Uuid::parse_str(c).map_err(|_| AppError::invalid("cursor", "must be a job id"))?)
        }
        None => None,
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 500"));
    }
    let jobs = state
        .store
        .list_jobs(&JobFilter {
            state: job_state,
            kind: q.kind.filter(|k| !k.is_empty()),
            team_id: None,
            cursor,
            limit,
        })
        .await?;
    let next = (jobs.len() == limit as usize)
        .then(|| jobs.last().map(|j| j.id))
        .flatten();
    Ok(Json(json!({ "data": jobs, "next_cursor": next })))
}

fn parse_id(id: &str) -> AppResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound("job"))
}

async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Job>> {
    caller.require_instance_admin()?;
    match state.jobs.get(parse_id(&id)?).await? {
        JobLookup::Found(job) => Ok(Json(*job)),
        JobLookup::Expired => Err(AppError::JobExpired),
        JobLookup::NotFound => Err(AppError::NotFound("job")),
    }
}

async fn retry_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Job>> {
    caller.require_instance_admin()?;
    Ok(Json(state.jobs.retry(parse_id(&id)?).await?))
}

async fn cancel_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Job>> {
    caller.require_instance_admin()?;
    let job = state.jobs.cancel(parse_id(&id)?).await?;
    let mut e = audit::by(audit::event(audit::JOB_CANCELLED, &caller.meta), &caller);
    e.team_id = job.team_id;
    e.target = Some(format!("job:{}", job.id));
    audit::record(state.store.as_ref(), e).await;
    Ok(Json(job))
}

async fn list_workers(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Value>> {
    caller.require_instance_admin()?;
    let window = alive_window(state.config.jobs.lease_secs);
    let workers = state.store.list_workers(window).await?;
    Ok(Json(json!({ "data": workers })))
}
