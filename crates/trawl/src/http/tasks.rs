//! The simple pair from the original design: `POST /api/tasks/scrape` queues a scrape,
//! `GET /api/tasks/{id}/status` reports it (with the page once it is done).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::v2::{team_job, V2Json};
use super::AppState;
use crate::auth::{Caller, Scope};
use crate::crawl::options::{from_json, parse_http_url};
use crate::error::{AppError, AppResult};
use crate::scrape::{job::KIND, PageDocument, ScrapeOptions};
use crate::store::jobs::{JobState, NewJob};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tasks/scrape", post(create))
        .route("/api/tasks/{id}/status", get(status))
}

/// Queues a scrape; the body is a v2 scrape body (`{"url", "formats", …}`).
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    V2Json(body): V2Json<Value>,
) -> AppResult<(StatusCode, Json<Value>)> {
    caller.require_scope(Scope::Scrape)?;
    let url = body.get("url").and_then(Value::as_str).unwrap_or_default();
    let mut errors = Vec::new();
    if let Err(e) = parse_http_url("url", url) {
        errors.push(e);
    }
    match from_json::<ScrapeOptions>(&body) {
        Ok(options) => {
            if let Err(e) = options.validate("") {
                errors.extend(e);
            }
        }
        Err(e) => errors.push(e),
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let id = state
        .jobs
        .enqueue(vec![NewJob::new(caller.team_id, KIND, body)])
        .await?[0]
        .id;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "task_id": id,
            "status_url": format!("{}/api/tasks/{id}/status", state.public_base),
        })),
    ))
}

async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    caller.require_scope(Scope::JobsRead)?;
    let job = team_job(&state, &caller, &id, KIND).await?;
    let mut out = json!({ "id": job.id, "state": job.state });
    if job.state == JobState::Succeeded {
        let doc = state.store.job_documents(job.id, 0, 1).await?.pop();
        out["result"] = match doc {
            Some(d) => {
                serde_json::to_value(PageDocument::from_stored(d)).map_err(anyhow::Error::new)?
            }
            None => job.result.clone().unwrap_or(Value::Null),
        };
    }
    if matches!(job.state, JobState::Failed | JobState::Discarded) {
        out["error"] = job
            .last_error
            .clone()
            .map(Value::from)
            .unwrap_or(Value::Null);
    }
    Ok(Json(out))
}
