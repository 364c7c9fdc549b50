//! The admin API for the job queue: list and inspect jobs of every team, retry discarded
//! ones, cancel, list live workers. Instance admins only (401 without a credential, 403
//! with one that is not an instance admin's).

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::openapi::{ApiErrors, CursorPage, DataList};
use super::AppState;
use crate::auth::{audit, Caller};
use crate::error::{AppError, AppResult};
use crate::http::extract::ApiQuery;
use crate::jobs::metrics::alive_window;
use crate::store::jobs::{Job, JobFilter, JobLookup, JobState, WorkerInfo};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(get_job))
        .routes(routes!(retry_job))
        .routes(routes!(cancel_job))
        .routes(routes!(list_workers))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[param(value_type = Option<JobState>)]
    state: Option<String>,
    /// A job kind, e.g. `scrape`, `crawl`.
    kind: Option<String>,
    /// `next_cursor` of the previous page (a job id).
    #[param(format = Uuid)]
    cursor: Option<String>,
    /// 1 to 500; default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

const JOB_ID: &str = "The job's id";

/// Every team's jobs, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/jobs",
    tag = "admin",
    params(ListQuery),
    responses((status = 200, description = "Jobs", body = CursorPage<Job>), ApiErrors)
)]
async fn list_jobs(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<CursorPage<Job>>> {
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
    let next_cursor = (jobs.len() == limit as usize)
        .then(|| jobs.last().map(|j| j.id.to_string()))
        .flatten();
    Ok(Json(CursorPage {
        data: jobs,
        next_cursor,
    }))
}

fn parse_id(id: &str) -> AppResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound("job"))
}

/// Any team's job.
#[utoipa::path(
    get,
    path = "/api/v1/admin/jobs/{id}",
    tag = "admin",
    params(("id" = Uuid, Path, description = JOB_ID)),
    responses((status = 200, description = "The job", body = Job), ApiErrors)
)]
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

/// Queues a failed, discarded or cancelled job again.
#[utoipa::path(
    post,
    path = "/api/v1/admin/jobs/{id}/retry",
    tag = "admin",
    params(("id" = Uuid, Path, description = JOB_ID)),
    responses((status = 200, description = "The job", body = Job), ApiErrors)
)]
async fn retry_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Job>> {
    caller.require_instance_admin()?;
    Ok(Json(state.jobs.retry(parse_id(&id)?).await?))
}

/// Cancels a job (a running one stops at its next check).
#[utoipa::path(
    post,
    path = "/api/v1/admin/jobs/{id}/cancel",
    tag = "admin",
    params(("id" = Uuid, Path, description = JOB_ID)),
    responses((status = 200, description = "The job", body = Job), ApiErrors)
)]
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

/// Workers that sent a heartbeat recently.
#[utoipa::path(
    get,
    path = "/api/v1/admin/workers",
    tag = "admin",
    responses((status = 200, description = "Live workers", body = DataList<WorkerInfo>), ApiErrors)
)]
async fn list_workers(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<DataList<WorkerInfo>>> {
    caller.require_instance_admin()?;
    let window = alive_window(&state.config.jobs);
    let workers = state.store.list_workers(window).await?;
    Ok(Json(DataList { data: workers }))
}
