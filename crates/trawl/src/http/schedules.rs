//! `/api/v1/schedules`: a team's recurring scrapes and crawls, their runs, and each run's
//! pages with how they changed since the previous run. Viewers read; operators create,
//! edit, pause, resume and delete. Another team's schedule answers 404.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::extract::{ApiJson, ApiQuery};
use super::AppState;
use crate::auth::{audit, Caller, Role, Scope};
use crate::error::{AppError, AppResult};
use crate::jobs::schedule::next_tick;
use crate::schedule::{view, Draft, ScheduleBody};
use crate::store::jobs::Schedule;

/// Page size when the request names none, and the most it may ask for.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/schedules", post(create).get(list))
        .route(
            "/api/v1/schedules/{id}",
            get(show).patch(update).delete(remove),
        )
        .route("/api/v1/schedules/{id}/pause", post(pause))
        .route("/api/v1/schedules/{id}/resume", post(resume))
        .route("/api/v1/schedules/{id}/runs", get(runs))
        .route("/api/v1/schedules/{id}/runs/{job_id}/pages", get(run_pages))
}

#[derive(Deserialize)]
struct Page {
    cursor: Option<String>,
    skip: Option<u64>,
    limit: Option<u32>,
}

impl Page {
    fn limit(&self) -> AppResult<u32> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(AppError::invalid(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            )),
        }
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
    caller.require_role(Role::Operator)?;
    caller.require_scope(Scope::JobsWrite)
}

async fn record(state: &AppState, caller: &Caller, s: &Schedule, action: &str) {
    let mut e = audit::by(audit::event(audit::SCHEDULE_CHANGED, &caller.meta), caller);
    e.target = Some(format!("schedule:{}", s.id));
    e.details = Some(json!({ "action": action, "name": s.name }));
    audit::record(state.store.as_ref(), e).await;
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    require_writer(&caller)?;
    let new = Draft::create(body)
        .and_then(|d| {
            d.validate(
                caller.team_id,
                &state.config,
                state.scraper.fetcher().guard(),
            )
        })
        .map_err(AppError::Validation)?;
    let s = state.store.create_schedule(&new).await?;
    record(&state, &caller, &s, "created").await;
    Ok((StatusCode::CREATED, Json(view(&s))))
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<Page>,
) -> AppResult<Json<Value>> {
    caller.require_scope(Scope::JobsRead)?;
    let limit = q.limit()?;
    let rows = state
        .store
        .list_schedules(caller.team_id, q.cursor()?, limit)
        .await?;
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(|s| s.id))
        .flatten();
    let data: Vec<Value> = rows.iter().map(view).collect();
    Ok(Json(json!({ "data": data, "next_cursor": next })))
}

async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    caller.require_scope(Scope::JobsRead)?;
    Ok(Json(view(&team_schedule(&state, &caller, &id).await?)))
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> AppResult<Json<Value>> {
    let current = team_schedule(&state, &caller, &id).await?;
    require_writer(&caller)?;
    let mut new = Draft::patch(&current, body)
        .validate(
            caller.team_id,
            &state.config,
            state.scraper.fetcher().guard(),
        )
        .map_err(AppError::Validation)?;
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

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let s = team_schedule(&state, &caller, &id).await?;
    require_writer(&caller)?;
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
) -> AppResult<Json<Value>> {
    let s = team_schedule(state, caller, id).await?;
    require_writer(caller)?;
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

async fn pause(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    set_paused(&state, &caller, &id, true).await
}

async fn resume(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    set_paused(&state, &caller, &id, false).await
}

/// The schedule's runs, newest first, with counts of new, unchanged and changed pages.
async fn runs(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<Page>,
) -> AppResult<Json<Value>> {
    caller.require_scope(Scope::JobsRead)?;
    let s = team_schedule(&state, &caller, &id).await?;
    let limit = q.limit()?;
    let rows = state.store.schedule_runs(s.id, q.cursor()?, limit).await?;
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(|r| r.job_id))
        .flatten();
    Ok(Json(json!({ "data": rows, "next_cursor": next })))
}

/// One run's pages: `change_status`, `changed`, and the Markdown `diff` when changed.
async fn run_pages(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, job_id)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<Page>,
) -> AppResult<Json<Value>> {
    caller.require_scope(Scope::JobsRead)?;
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
    let data: Vec<Value> = pages
        .into_iter()
        .map(|p| {
            let mut v = serde_json::to_value(&p).unwrap_or(Value::Null);
            v["changed"] = Value::Bool(p.change_status.as_deref() == Some("changed"));
            v
        })
        .collect();
    let next_skip = (returned == u64::from(limit)).then_some(skip + returned);
    Ok(Json(
        json!({ "run": run, "data": data, "next_skip": next_skip }),
    ))
}
