//! The team endpoints the SDKs call for dashboards: concurrency, queue, credits.
//! A self-hosted instance has no credit system, so credits are reported as unlimited.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::schemas::{Concurrency, CreditUsage, QueueStatus, TokenUsage};
use crate::auth::{Caller, Scope};
use crate::error::AppResult;
use crate::http::openapi::V2Errors;
use crate::http::AppState;
use crate::store::jobs::{JobFilter, JobState};

/// What "unlimited" credits are reported as (the SDKs need an integer).
const UNLIMITED_CREDITS: i64 = 1_000_000_000;

async fn count(state: &AppState, caller: &Caller, s: JobState) -> AppResult<usize> {
    Ok(state
        .store
        .list_jobs(&JobFilter {
            state: Some(s),
            kind: None,
            team_id: Some(caller.team_id),
            cursor: None,
            limit: 10_000,
        })
        .await?
        .len())
}

fn max_concurrency(state: &AppState) -> u32 {
    match state.config.jobs.team_concurrency {
        0 => state.config.jobs.concurrency,
        n => n,
    }
}

/// Jobs the team has running, and how many it may.
#[utoipa::path(
    get,
    path = "/v2/concurrency-check",
    tag = "v2",
    responses((status = 200, description = "Concurrency", body = Concurrency), V2Errors)
)]
pub async fn concurrency(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Value>> {
    caller.require(Scope::JobsRead)?;
    let running = count(&state, &caller, JobState::Running).await?;
    Ok(Json(json!({
        "success": true,
        "data": {"concurrency": running, "maxConcurrency": max_concurrency(&state)},
    })))
}

/// The team's queue.
#[utoipa::path(
    get,
    path = "/v2/team/queue-status",
    tag = "v2",
    responses((status = 200, description = "Queue", body = QueueStatus), V2Errors)
)]
pub async fn queue_status(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Value>> {
    caller.require(Scope::JobsRead)?;
    let running = count(&state, &caller, JobState::Running).await?;
    let waiting = count(&state, &caller, JobState::Queued).await?
        + count(&state, &caller, JobState::Failed).await?;
    Ok(Json(json!({
        "success": true,
        "jobsInQueue": running + waiting,
        "activeJobsInQueue": running,
        "waitingJobsInQueue": waiting,
        "maxConcurrency": max_concurrency(&state),
        "mostRecentSuccess": null,
    })))
}

/// Credits: unlimited on a self-hosted instance.
#[utoipa::path(
    get,
    path = "/v2/team/credit-usage",
    tag = "v2",
    responses((status = 200, description = "Credits", body = CreditUsage), V2Errors)
)]
pub async fn credit_usage(_caller: Caller) -> AppResult<Json<Value>> {
    Ok(Json(json!({
        "success": true,
        "data": {"remainingCredits": UNLIMITED_CREDITS, "planCredits": UNLIMITED_CREDITS},
    })))
}

/// Tokens: unlimited on a self-hosted instance.
#[utoipa::path(
    get,
    path = "/v2/team/token-usage",
    tag = "v2",
    responses((status = 200, description = "Tokens", body = TokenUsage), V2Errors)
)]
pub async fn token_usage(_caller: Caller) -> AppResult<Json<Value>> {
    Ok(Json(json!({
        "success": true,
        "data": {"remainingTokens": UNLIMITED_CREDITS},
    })))
}
