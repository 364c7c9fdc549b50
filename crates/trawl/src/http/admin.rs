//! The admin API for the job queue: list and inspect jobs, retry discarded ones, cancel,
//! list live workers.
//!
//! TODO(auth): authentication does not exist yet. Until the auth issue lands, these
//! routes answer only requests whose TCP peer is a loopback address and that carry no
//! forwarding header (a reverse proxy on the same host must not open them to the world);
//! everyone else gets 403. Replace `loopback_only` with an admin-role check then.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::AppState;
use crate::error::{AppError, AppResult};
use crate::jobs::metrics::alive_window;
use crate::store::jobs::{Job, JobFilter, JobLookup, JobState};

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/jobs", get(list_jobs))
        .route("/api/v1/admin/jobs/{id}", get(get_job))
        .route("/api/v1/admin/jobs/{id}/retry", post(retry_job))
        .route("/api/v1/admin/jobs/{id}/cancel", post(cancel_job))
        .route("/api/v1/admin/workers", get(list_workers))
        .route_layer(axum::middleware::from_fn_with_state(state, loopback_only))
}

/// TODO(auth): the stand-in guard described in the module docs.
async fn loopback_only(State(_): State<AppState>, req: Request, next: Next) -> Response {
    let peer_is_loopback = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(addr)| addr.ip().is_loopback());
    let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|h| req.headers().contains_key(*h));
    if !peer_is_loopback || forwarded {
        return axum::response::IntoResponse::into_response(AppError::Forbidden);
    }
    next.run(req).await
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
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
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

async fn get_job(State(state): State<AppState>, Path(id): Path<String>) -> AppResult<Json<Job>> {
    match state.jobs.get(parse_id(&id)?).await? {
        JobLookup::Found(job) => Ok(Json(*job)),
        JobLookup::Expired => Err(AppError::JobExpired),
        JobLookup::NotFound => Err(AppError::NotFound("job")),
    }
}

async fn retry_job(State(state): State<AppState>, Path(id): Path<String>) -> AppResult<Json<Job>> {
    Ok(Json(state.jobs.retry(parse_id(&id)?).await?))
}

async fn cancel_job(State(state): State<AppState>, Path(id): Path<String>) -> AppResult<Json<Job>> {
    Ok(Json(state.jobs.cancel(parse_id(&id)?).await?))
}

async fn list_workers(State(state): State<AppState>) -> AppResult<Json<Value>> {
    let window = alive_window(state.config.jobs.lease_secs);
    let workers = state.store.list_workers(window).await?;
    Ok(Json(json!({ "data": workers })))
}
