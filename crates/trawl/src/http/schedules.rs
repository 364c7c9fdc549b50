//! `/api/v1/schedules`: a team's recurring scrapes and crawls, their runs, and each run's
//! pages with how they changed since the previous run. Viewers read; operators create,
//! edit, pause, resume and delete. Another team's schedule answers 404.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{ApiJson, ApiQuery};
use super::openapi::{ApiErrors, CursorPage};
use super::AppState;
use crate::auth::{audit, Caller, Scope};
use crate::error::{validate_off_runtime, AppError, AppResult, FieldError};
use crate::jobs::schedule::next_tick;
use crate::schedule::{view, Draft, ScheduleBody, ScheduleView};
use crate::store::jobs::Schedule;
use crate::store::schedules::{RunPage, ScheduleRun};

/// Page size when the request names none, and the most it may ask for.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, update, remove))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(runs))
        .routes(routes!(run_pages))
}

const SCHEDULE_ID: &str = "The schedule's id";

/// Paging: `cursor` for schedules and runs, `skip` for a run's pages.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Page {
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// A run's pages: how many to skip (`next_skip` of the previous page).
    skip: Option<u64>,
    /// 1 to 200; default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

impl Page {
    fn limit(&self) -> AppResult<u32> {
        FieldError::in_range("limit", self.limit, DEFAULT_LIMIT, MAX_LIMIT)
            .map_err(|e| AppError::Validation(vec![e]))
    }

    fn cursor(&self) -> AppResult<Option<Uuid>> {
        self.cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| Uuid::parse_str(c).map_err(|_| AppError::invalid("cursor", "must be a UUID")))
            .transpose()
    }
}

/// The schedule if it belongs to the caller's team.
async fn team_schedule(state: &AppState, caller: &Caller, id: &str) -> AppResult<Schedule> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound("schedule"))?;
    state
        .store
        .schedule_by_id(caller.team_id, id)
        .await?
        .ok_or(AppError::NotFound("schedule"))
}

/// Operators and up, with the scope to write jobs (a schedule writes jobs).
fn require_writer(caller: &Caller) -> AppResult<()> {
    caller.require(Scope::JobsWrite)
}

async fn record(state: &AppState, caller: &Caller, s: &Schedule, action: &str) {
    let mut e = audit::by(audit::event(audit::SCHEDULE_CHANGED, &caller.meta), caller);
    e.target = Some(format!("schedule:{}", s.id));
    e.details = Some(json!({ "action": action, "name": s.name }));
    audit::record(state.store.as_ref(), e).await;
}

/// Creates a schedule (operators); `name`, `kind`, `url` and `cron` are required.
#[utoipa::path(
    post,
    path = "/api/v1/schedules",
    tag = "schedules",
    request_body = ScheduleBody,
    responses((status = 201, description = "The schedule", body = ScheduleView), ApiErrors)
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> AppResult<(StatusCode, Json<ScheduleView>)> {
    require_writer(&caller)?;
    let (team, config, guard) = (
        caller.team_id,
        state.config.clone(),
        state.scraper.fetcher().guard().clone(),
    );
    let new = validate_off_runtime(move || {
        Draft::create(body).and_then(|d| d.validate(team, &config, &guard))
    })
    .await?;
    let s = state.store.create_schedule(&new).await?;
    record(&state, &caller, &s, "created").await;
    Ok((StatusCode::CREATED, Json(view(&s))))
}

/// The team's schedules.
#[utoipa::path(
    get,
    path = "/api/v1/schedules",
    tag = "schedules",
    params(Page),
    responses((status = 200, description = "Schedules", body = CursorPage<ScheduleView>), ApiErrors)
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<Page>,
) -> AppResult<Json<CursorPage<ScheduleView>>> {
    caller.require(Scope::JobsRead)?;
    let limit = q.limit()?;
    let rows = state
        .store
        .list_schedules(caller.team_id, q.cursor()?, limit)
        .await?;
    let next_cursor = (rows.len() == limit as usize)
        .then(|| rows.last().map(|s| s.id.to_string()))
        .flatten();
    Ok(Json(CursorPage {
        data: rows.iter().map(view).collect(),
        next_cursor,
    }))
}

/// One schedule.
#[utoipa::path(
    get,
    path = "/api/v1/schedules/{id}",
    tag = "schedules",
    params(("id" = Uuid, Path, description = SCHEDULE_ID)),
    responses((status = 200, description = "The schedule", body = ScheduleView), ApiErrors)
)]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<ScheduleView>> {
    caller.require(Scope::JobsRead)?;
    Ok(Json(view(&team_schedule(&state, &caller, &id).await?)))
}

/// Changes the fields given (operators); `webhook: null` removes the webhook.
#[utoipa::path(
    patch,
    path = "/api/v1/schedules/{id}",
    tag = "schedules",
    params(("id" = Uuid, Path, description = SCHEDULE_ID)),
    request_body = ScheduleBody,
    responses((status = 200, description = "The schedule", body = ScheduleView), ApiErrors)
)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> AppResult<Json<ScheduleView>> {
    require_writer(&caller)?;
    let current = team_schedule(&state, &caller, &id).await?;
    let draft = Draft::patch(&current, body);
    let (team, config, guard) = (
        caller.team_id,
        state.config.clone(),
        state.scraper.fetcher().guard().clone(),
    );
    let mut new = validate_off_runtime(move || draft.validate(team, &config, &guard)).await?;
    // The next tick moves only when the timing changed.
    if new.cron == current.cron && new.timezone == current.timezone {
        new.next_run_at = current.next_run_at;
    }
    let s = state
        .store
        .update_schedule(current.id, &new)
        .await?
        .ok_or(AppError::NotFound("schedule"))?;
    record(&state, &caller, &s, "updated").await;
    Ok(Json(view(&s)))
}

/// Deletes a schedule (operators); its past runs' jobs and pages stay.
#[utoipa::path(
    delete,
    path = "/api/v1/schedules/{id}",
    tag = "schedules",
    params(("id" = Uuid, Path, description = SCHEDULE_ID)),
    responses((status = 204, description = "Deleted"), ApiErrors)
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    require_writer(&caller)?;
    let s = team_schedule(&state, &caller, &id).await?;
    if !state
        .store
        .delete_schedule_by_id(caller.team_id, s.id)
        .await?
    {
        return Err(AppError::NotFound("schedule"));
    }
    record(&state, &caller, &s, "deleted").await;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_paused(
    state: &AppState,
    caller: &Caller,
    id: &str,
    paused: bool,
) -> AppResult<Json<ScheduleView>> {
    require_writer(caller)?;
    let s = team_schedule(state, caller, id).await?;
    // Resuming starts from the next tick after now: ticks missed while paused are skipped.
    let next = if paused {
        None
    } else {
        Some(
            next_tick(&s.cron, &s.timezone, Utc::now())
                .map_err(|e| AppError::invalid("cron", e))?,
        )
    };
    let s = state
        .store
        .set_schedule_paused(caller.team_id, s.id, paused, next)
        .await?
        .ok_or(AppError::NotFound("schedule"))?;
    record(state, caller, &s, if paused { "paused" } else { "resumed" }).await;
    Ok(Json(view(&s)))
}

/// Stops the schedule's ticks (operators).
#[utoipa::path(
    post,
    path = "/api/v1/schedules/{id}/pause",
    tag = "schedules",
    params(("id" = Uuid, Path, description = SCHEDULE_ID)),
    responses((status = 200, description = "The schedule", body = ScheduleView), ApiErrors)
)]
async fn pause(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<ScheduleView>> {
    set_paused(&state, &caller, &id, true).await
}

/// Starts the ticks again from the next one after now (operators).
#[utoipa::path(
    post,
    path = "/api/v1/schedules/{id}/resume",
    tag = "schedules",
    params(("id" = Uuid, Path, description = SCHEDULE_ID)),
    responses((status = 200, description = "The schedule", body = ScheduleView), ApiErrors)
)]
async fn resume(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<ScheduleView>> {
    set_paused(&state, &caller, &id, false).await
}

/// The schedule's runs, newest first, with counts of new, unchanged and changed pages.
#[utoipa::path(
    get,
    path = "/api/v1/schedules/{id}/runs",
    tag = "schedules",
    params(("id" = Uuid, Path, description = SCHEDULE_ID), Page),
    responses((status = 200, description = "Runs", body = CursorPage<ScheduleRun>), ApiErrors)
)]
async fn runs(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<Page>,
) -> AppResult<Json<CursorPage<ScheduleRun>>> {
    caller.require(Scope::JobsRead)?;
    let s = team_schedule(&state, &caller, &id).await?;
    let limit = q.limit()?;
    let rows = state.store.schedule_runs(s.id, q.cursor()?, limit).await?;
    let next_cursor = (rows.len() == limit as usize)
        .then(|| rows.last().map(|r| r.job_id.to_string()))
        .flatten();
    Ok(Json(CursorPage {
        data: rows,
        next_cursor,
    }))
}

/// A run's page and whether it changed since the previous run.
#[derive(Serialize, ToSchema)]
struct RunPageView {
    #[serde(flatten)]
    page: RunPage,
    /// `change_status == "changed"`.
    changed: bool,
}

/// One page of a run's pages.
#[derive(Serialize, ToSchema)]
struct RunPages {
    run: ScheduleRun,
    data: Vec<RunPageView>,
    /// Pass back as `skip`; null on the last page.
    next_skip: Option<u64>,
}

/// One run's pages: `change_status`, `changed`, and the Markdown `diff` when changed.
#[utoipa::path(
    get,
    path = "/api/v1/schedules/{id}/runs/{job_id}/pages",
    tag = "schedules",
    params(
        ("id" = Uuid, Path, description = SCHEDULE_ID),
        ("job_id" = Uuid, Path, description = "The run's job id"),
        Page,
    ),
    responses((status = 200, description = "The run and its pages", body = RunPages), ApiErrors)
)]
async fn run_pages(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, job_id)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<Page>,
) -> AppResult<Json<RunPages>> {
    caller.require(Scope::JobsRead)?;
    let s = team_schedule(&state, &caller, &id).await?;
    let job_id = Uuid::parse_str(&job_id).map_err(|_| AppError::NotFound("run"))?;
    let run = state
        .store
        .schedule_run(s.id, job_id)
        .await?
        .ok_or(AppError::NotFound("run"))?;
    let limit = q.limit()?;
    let skip = q.skip.unwrap_or(0);
    let pages = state.store.run_pages(job_id, skip, limit).await?;
    let returned = pages.len() as u64;
    let data = pages
        .into_iter()
        .map(|page| RunPageView {
            changed: page.change_status.as_deref() == Some("changed"),
            page,
        })
        .collect();
    let next_skip = (returned == u64::from(limit)).then_some(skip + returned);
    Ok(Json(RunPages {
        run,
        data,
        next_skip,
    }))
}
